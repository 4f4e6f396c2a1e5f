"""The Keras MLP and its optimizer, built from a `TrainConfig` with every setting applied.

The model takes raw uint8 28x28 pixels and rescales inside, so no caller ever normalizes.
The optimizer is an object built from the config and handed to `compile` as that object: the
seed study compiled with the string 'sgd' and silently trained with defaults.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from edgedigit.runtime.slant import deskew, normalize_moments
from edgedigit.sizes import NUM_CLASSES
from edgedigit.train.config import TrainConfig

# training steps run per call from Python into TensorFlow: a small MLP's step is a few hundred microseconds of
# arithmetic and as long again of Python per call (benchmarks/epoch_time.py: 16 takes a third off an epoch of the
# default search's 338-874 at batch 32; the weights come out identical)
STEPS_PER_EXECUTION = 16
# the exporter's int8 weights: symmetric about zero, one scale per output unit, the largest weight at 127 steps
# (TFLite's per-channel FULLY_CONNECTED weights; the converter derives each scale from the largest weight, so a
# kernel already on this grid is exported exactly)
INT8_WEIGHT_STEPS = 127


@keras.saving.register_keras_serializable(package="edgedigit")
class Deskew(keras.layers.Layer):
    """The device's own slant normalization (`edgedigit.runtime.slant.deskew`, run as numpy) on each batch, so
    training, evaluation and the device shear a picture the same way. It has no weights; export leaves it
    out of the TFLite file and writes `preprocessing.deskew` in the manifest, and the classifier applies it."""

    function = staticmethod(deskew)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        out = tf.numpy_function(self.function, [x], tf.uint8, stateful=False)
        return tf.ensure_shape(out, x.shape)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape


@keras.saving.register_keras_serializable(package="edgedigit")
class MomentNormalize(Deskew):
    """The device's own moment normalization (`edgedigit.runtime.slant.normalize_moments`), as `Deskew` runs
    deskewing: out of the TFLite file, `preprocessing.moments` in the manifest, applied by the classifier."""

    function = staticmethod(normalize_moments)


def build_model(config: TrainConfig, seed: int | None = None) -> keras.Sequential:
    """[deskew or moment normalization ->] 784 (or the pool x pool averages of the input less its `crop` rim) ->
    hidden (Dense + activation [+ Dropout])... -> 10 softmax, on raw uint8 pixels: scaling, cropping and
    downsampling are inside the model, so the device feeds 28x28 pixels as they are."""
    init = keras.initializers.HeUniform(seed=seed) if config.activation == "relu" else "glorot_uniform"
    layers: list[keras.layers.Layer] = [
        keras.Input(shape=(28, 28), dtype="uint8", name="pixels"),
        *([Deskew(name="deskew")] if config.deskew else []),
        *([MomentNormalize(name="moments")] if config.moments else []),
        keras.layers.Rescaling(1.0 / 255.0, name="rescale"),
    ]
    if config.pool > 1 or config.crop:
        layers.append(keras.layers.Reshape((28, 28, 1), name="channel"))
    if config.crop:
        layers.append(keras.layers.Cropping2D(config.crop, name="crop"))
    if config.pool > 1:
        layers.append(keras.layers.AveragePooling2D(config.pool, name="pool"))
    layers.append(keras.layers.Flatten(name="flatten"))
    for i, units in enumerate(config.hidden):
        layers.append(
            keras.layers.Dense(units, activation=config.activation, kernel_initializer=init, name=f"dense_{i}")
        )
        if config.dropout > 0:
            layers.append(keras.layers.Dropout(config.dropout, seed=seed, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probs"))
    return keras.Sequential(layers, name=f"mlp_{config.label}")


def learning_rate(config: TrainConfig, steps_per_epoch: int) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """The learning rate or schedule the config asks for, over the whole run."""
    if config.schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=config.epochs * steps_per_epoch)
    if config.schedule == "inverse_time":
        return keras.optimizers.schedules.InverseTimeDecay(
            config.learning_rate, decay_steps=1, decay_rate=config.lr_decay
        )
    return config.learning_rate


def build_optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer object with the config's learning rate, momentum and weight decay."""
    lr = learning_rate(config, steps_per_epoch)
    wd = config.weight_decay or None
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(
            learning_rate=lr, momentum=config.momentum, nesterov=config.nesterov, weight_decay=wd
        )
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=config.weight_decay)
    return keras.optimizers.Adam(learning_rate=lr, weight_decay=wd)


def compile_model(
    model: keras.Model, config: TrainConfig, steps_per_epoch: int, steps_per_execution: int = STEPS_PER_EXECUTION
) -> None:
    """Compile with the config's optimizer object (never a string) and label smoothing; `steps_per_execution`
    changes only how often Python is entered, never what is computed."""
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    model.compile(
        optimizer=build_optimizer(config, steps_per_epoch),
        loss=loss,
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


def snap_to_int8_grid(model: keras.Model) -> None:
    """Round every Dense kernel, in place, to the grid its int8 export puts it on (INT8_WEIGHT_STEPS steps of
    its largest weight per output unit), so the float model and its int8 file share their weights and only
    activations are rounded on export. Measured on the stored runs (BENCHMARKS.md, Training, session 29): 8 KB
    tier, three seeds, agreement with the float model 99.84 / 99.90 / 99.77 -> 99.91 / 99.92 / 99.91%, the
    accuracy within 0.02 pp; applying it twice changes nothing."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel, *rest = layer.get_weights()
            step = np.abs(kernel).max(axis=0, keepdims=True) / INT8_WEIGHT_STEPS
            step[step == 0] = 1.0  # a unit with no weights stays all zero
            layer.set_weights([(np.round(kernel / step) * step).astype(kernel.dtype), *rest])
