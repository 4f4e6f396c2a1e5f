"""Training one configuration: the tf.data pipeline (with augmentation) and `fit`."""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from edgedigit.runtime.classifier import LOG_FLOOR
from edgedigit.sizes import NUM_CLASSES
from edgedigit.train.augment import Distortion, random_distort
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import Split
from edgedigit.train.model import STEPS_PER_EXECUTION, build_model, compile_model, snap_to_int8_grid

# cores left to the tf.data pipeline, which distorts the next batches while a step runs: on 2 cores, steps
# that may use both fight it for them (BENCHMARKS.md, Training, session 26: a third off an epoch in one benchmark,
# no difference in benchmarks/epoch_time.py; no batch size measured was slower)
PIPELINE_CORES = 1


@dataclass
class FitResult:
    """The trained model, its per-epoch history and its best validation accuracy."""

    model: keras.Model
    history: dict[str, list[float]]
    val_accuracy: float
    epochs_run: int


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle_seed: int | None,
    augment: float = 0.0,
    elastic: float = 0.0,
    teacher: Teacher | None = None,
) -> tf.data.Dataset:
    """Batches of (uint8 images, target probabilities); shuffled and distorted when training, and with a
    teacher's softened probabilities blended into the targets when distilling."""
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    distortion = Distortion(elastic_px=elastic).scaled(augment)
    if augment > 0 or elastic > 0:
        ds = ds.map(lambda a, b: (random_distort(a, distortion), b), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda a, b: (a, _target(b)))
    if teacher is not None:  # the teacher sees the same distorted pictures as the student
        ds = ds.map(lambda a, t: (a, teacher.blend(a, t)))
    return ds.prefetch(tf.data.AUTOTUNE)


def _target(labels: tf.Tensor) -> tf.Tensor:
    """One-hot for digits; uniform over the ten classes for NOT_A_DIGIT (-1) pictures (outlier exposure)."""
    one_hot = tf.one_hot(labels, NUM_CLASSES)  # all zeros for -1
    return tf.where(labels[:, None] < 0, tf.fill(tf.shape(one_hot), 1.0 / NUM_CLASSES), one_hot)


@dataclass(frozen=True)
class Teacher:
    """A trained model whose probabilities, softened by `temperature`, make up `share` of each digit's
    target (knowledge distillation: the student learns which wrong classes a digit resembles, which the
    labels alone never say). Non-digit pictures keep their uniform target."""

    model: keras.Model
    share: float
    temperature: float

    def blend(self, images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        probs = self.model(images, training=False)
        soft = tf.nn.softmax(tf.math.log(tf.maximum(probs, LOG_FLOOR)) / self.temperature)
        not_digit = tf.reduce_max(targets, axis=1, keepdims=True) <= 1.0 / NUM_CLASSES
        return tf.where(not_digit, targets, self.share * soft + (1.0 - self.share) * targets)


def deterministic_ops() -> None:
    """TensorFlow's deterministic kernels, so a seed repeats a training run exactly on a CPU (multi-threaded
    reductions otherwise differ run to run); measured at no cost here (BENCHMARKS.md). Left off where a GPU
    is visible: some GPU kernels have no deterministic form and would raise."""
    if not tf.config.list_physical_devices("GPU"):
        tf.config.experimental.enable_op_determinism()


def step_threads() -> int:
    """How many threads TensorFlow's ops may use: the cores this process may run on, less the pipeline's."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; macOS has none
    cores = len(affinity(0)) if affinity else os.cpu_count() or 1
    return max(1, cores - PIPELINE_CORES)


def limit_step_threads() -> None:
    """Give the training steps `step_threads()` threads. TensorFlow takes the setting only before it runs its
    first op; in a process that has already run one (a notebook, a test session), the threads stay as they are.
    A seed repeats a run on the same machine; a different thread count may round some sums differently."""
    with contextlib.suppress(RuntimeError):
        tf.config.threading.set_intra_op_parallelism_threads(step_threads())


def fit(
    config: TrainConfig,
    split: Split,
    seed: int,
    callbacks: list[keras.callbacks.Callback] | None = None,
    model: keras.Model | None = None,
    teacher: keras.Model | None = None,
    steps_per_execution: int = STEPS_PER_EXECUTION,
    int8_grid: bool = False,
) -> FitResult:
    """Train `config` on the split's training part, validating each epoch on its validation part.

    `model`, when given, is trained further (fine-tuning) instead of a new one built from `config`.
    The weights of the best validation epoch are restored at the end, so the returned model is
    the one whose validation accuracy is reported. `teacher` is needed when `config.distill` > 0.
    `steps_per_execution` (`model.STEPS_PER_EXECUTION`) sets the speed, never the result. `int8_grid` rounds the
    restored weights to their int8 export's grid (`model.snap_to_int8_grid`); the validation accuracy reported
    is then the rounded model's.
    """
    if config.distill > 0 and teacher is None:
        raise ValueError("config.distill needs a teacher model")
    keras.utils.set_random_seed(seed)
    limit_step_threads()
    deterministic_ops()
    model = model or build_model(config, seed=seed)
    steps = math.ceil(len(split.x_train) / config.batch_size)
    compile_model(model, config, steps, steps_per_execution)
    best = BestWeights()
    distill = Teacher(teacher, config.distill, config.distill_temperature) if config.distill > 0 else None
    train_ds = make_dataset(
        split.x_train, split.y_train, config.batch_size, seed, config.augment, config.elastic, distill
    )
    val_ds = make_dataset(split.x_val, split.y_val, 1024, shuffle_seed=None)
    hist = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        verbose=0,
        shuffle=False,
        callbacks=[best, *(callbacks or [])],
    )
    best.restore(model)
    val_accuracy = best.best_accuracy
    if int8_grid:
        snap_to_int8_grid(model)
        val_accuracy = evaluate(model, split.x_val, split.y_val)[0]
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    return FitResult(model, history, val_accuracy, len(history.get("loss", [])))


class BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the epoch with the highest validation accuracy."""

    def __init__(self) -> None:
        super().__init__()
        self.best_accuracy = -1.0
        self._weights: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        acc = float((logs or {}).get("val_accuracy", -1.0))
        if acc > self.best_accuracy:
            self.best_accuracy = acc
            self._weights = self.model.get_weights()

    def restore(self, model: keras.Model) -> None:
        if self._weights is not None:
            model.set_weights(self._weights)


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray, batch: int = 1024) -> tuple[float, np.ndarray]:
    """Accuracy and predicted labels of `model` on uint8 images `x`, calling it batch by batch: `predict` on every
    trial's new model (`fit` with `int8_grid`) makes TensorFlow trace a new function each time, and warn about it on
    the console after five."""
    pred = np.concatenate([np.argmax(model(x[i : i + batch], training=False), axis=1) for i in range(0, len(x), batch)])
    return float((pred == y).mean()), pred
