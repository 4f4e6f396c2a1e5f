"""The MLP takes raw uint8 pixels, and every optimizer setting asked for is the one compiled."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from edgedigit.sizes import count_params
from edgedigit.train.config import TrainConfig
from edgedigit.train.model import build_model, compile_model, snap_to_int8_grid
from tests.conftest import on_int8_grid


def test_model_takes_raw_uint8_and_rescales_inside():
    model = build_model(TrainConfig(hidden=(32, 16), dropout=0.1), seed=0)
    assert model.inputs[0].dtype == "uint8" and tuple(model.input_shape) == (None, 28, 28)
    assert tuple(model.output_shape) == (None, 10)
    assert isinstance(model.layers[0], keras.layers.Rescaling)
    assert model.layers[0].scale == pytest.approx(1 / 255)
    probs = model.predict(np.full((2, 28, 28), 255, np.uint8), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert [type(layer).__name__ for layer in model.layers].count("Dropout") == 2


@pytest.mark.parametrize("hidden", [(16,), (32, 32), (512, 512), (128, 64, 32, 16)])
def test_param_count_formula_matches_keras(hidden):
    assert count_params(hidden) == build_model(TrainConfig(hidden=hidden, dropout=0)).count_params()


def test_sgd_momentum_nesterov_weight_decay_are_applied():
    config = TrainConfig(
        hidden=(32, 32), optimizer="sgd", learning_rate=0.09, momentum=0.9, nesterov=True,
        weight_decay=1e-4, schedule="constant",
    )  # fmt: skip
    model = build_model(config)
    compile_model(model, config, steps_per_epoch=100)
    opt = model.optimizer
    assert isinstance(opt, keras.optimizers.SGD)
    assert opt.momentum == pytest.approx(0.9)
    assert opt.nesterov is True
    assert opt.weight_decay == pytest.approx(1e-4)
    assert float(opt.learning_rate) == pytest.approx(0.09)


def test_seed_style_decay_is_an_inverse_time_schedule():
    config = TrainConfig(optimizer="sgd", learning_rate=0.01, momentum=0.9, schedule="inverse_time", lr_decay=1e-6)
    model = build_model(config)
    compile_model(model, config, steps_per_epoch=10)
    schedule = model.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.InverseTimeDecay)
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(1_000_000)) == pytest.approx(0.01 / 2)


def test_adam_cosine_schedule_spans_the_whole_run():
    config = TrainConfig(optimizer="adam", learning_rate=2e-3, schedule="cosine", epochs=5)
    model = build_model(config)
    compile_model(model, config, steps_per_epoch=20)
    schedule = model.optimizer._learning_rate
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(schedule(0)) == pytest.approx(2e-3)
    assert float(schedule(100)) == pytest.approx(0.0, abs=1e-9)
    assert float(schedule(50)) == pytest.approx(1e-3, rel=1e-3)


def test_training_uses_the_compiled_momentum(mnist):
    """A short fit must leave SGD momentum slots non-zero: momentum really took part."""
    from edgedigit.train.data import split_train_val
    from edgedigit.train.fit import fit

    split = split_train_val(mnist, 0.2, seed=0, limit=1000)
    config = TrainConfig(hidden=(16,), dropout=0, optimizer="sgd", learning_rate=0.05, momentum=0.9,
                         schedule="constant", epochs=1, augment=0)  # fmt: skip
    result = fit(config, split, seed=0)
    opt = result.model.optimizer
    assert opt.momentum == pytest.approx(0.9)
    assert any(float(np.abs(v.numpy()).sum()) > 0 for v in opt.momentums)
    assert result.history["val_accuracy"] and 0.3 < result.val_accuracy <= 1.0


@pytest.mark.parametrize(
    "kwargs", [{"optimizer": "rmsprop"}, {"momentum": 0.9, "optimizer": "adam"}, {"dropout": 1.0}, {"hidden": ()}]
)
def test_invalid_configs_are_refused(kwargs):
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)


def test_config_round_trips_through_dict():
    config = TrainConfig(hidden=(100, 50), optimizer="sgd", momentum=0.5, weight_decay=1e-5)
    assert TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("pool, crop", [(2, 0), (4, 0), (2, 4), (1, 4)])
def test_in_model_downsampling_takes_raw_pixels_and_matches_a_reference_resize(pool, crop, mnist):
    """A pooled (or cropped) model still reads raw uint8 28x28 pixels; what its first Dense layer sees is the
    picture less its `crop` rim, averaged over pool x pool blocks (OpenCV's INTER_AREA resize), scaled to 0-1."""
    import cv2
    import keras

    model = build_model(TrainConfig(hidden=(16,), pool=pool, crop=crop, dropout=0))
    assert model.input_shape == (None, 28, 28) and model.inputs[0].dtype == "uint8"
    assert model.count_params() == count_params((16,), pool, crop)
    seen = keras.Model(model.inputs[0], model.get_layer("flatten").output)(mnist.x_test[:8]).numpy()
    side = (28 - 2 * crop) // pool
    inner = mnist.x_test[:8, crop : 28 - crop, crop : 28 - crop]
    reference = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
                          for im in inner]).reshape(8, -1)  # fmt: skip
    np.testing.assert_allclose(seen, reference, atol=1 / 255)


def test_the_same_seed_trains_the_same_model_twice_whatever_the_steps_per_execution(mnist):
    """Op determinism on: multi-threaded reductions no longer make two runs of one seed differ; and running
    several steps per call into TensorFlow (`STEPS_PER_EXECUTION`, for speed) computes the same steps."""
    from edgedigit.train.data import split_train_val
    from edgedigit.train.fit import fit
    from edgedigit.train.model import STEPS_PER_EXECUTION

    assert STEPS_PER_EXECUTION > 1
    split = split_train_val(mnist, 0.1, seed=0, limit=20000)
    config = TrainConfig(hidden=(256, 128), epochs=2, augment=0.6, elastic=0.5)
    first, second = (fit(config, split, seed=1) for _ in range(2))
    one_step = fit(config, split, seed=1, steps_per_execution=1)
    assert first.val_accuracy == second.val_accuracy == one_step.val_accuracy
    for a, b, c in zip(first.model.get_weights(), second.model.get_weights(), one_step.model.get_weights()):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


_THREADS_IN_A_FRESH_PROCESS = """
import sys
import tensorflow as tf
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import load_mnist, split_train_val
from edgedigit.train.fit import fit
if sys.argv[2] == "tensorflow":  # an op run first: TensorFlow keeps its own thread count
    tf.constant(0.0).numpy()
split = split_train_val(load_mnist(sys.argv[1]), 0.1, seed=0, limit=3000)
result = fit(TrainConfig(hidden=(32,), epochs=2, learning_rate=3e-3, batch_size=32), split, seed=1)
print(tf.config.threading.get_intra_op_parallelism_threads(), result.val_accuracy)
"""


def test_the_steps_leave_a_core_to_the_pipeline(mnist_path):
    """A fit in a fresh process gives TensorFlow's ops every core but `PIPELINE_CORES` (TensorFlow takes a thread
    count only before its first op, so each case runs in its own process); where an op has already run, the fit
    still trains, on TensorFlow's own count."""
    import os
    import subprocess
    import sys

    from edgedigit.train.fit import PIPELINE_CORES, step_threads

    assert step_threads() == max(1, len(os.sched_getaffinity(0)) - PIPELINE_CORES)
    seen = {}
    for how in ("product", "tensorflow"):
        out = subprocess.run([sys.executable, "-c", _THREADS_IN_A_FRESH_PROCESS, str(mnist_path), how],
                             capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
        seen[how] = (int(out[-2]), float(out[-1]))
    assert seen["product"][0] == step_threads()
    assert seen["tensorflow"][0] == 0  # untouched: TensorFlow's own choice
    assert min(seen["product"][1], seen["tensorflow"][1]) > 0.5  # it trained (chance: 0.1; here about 0.79)


def test_distillation_blends_the_teachers_softened_probabilities_into_the_targets(mnist):
    """share x softmax(log p_teacher / T) + (1 - share) x one-hot for digits; non-digits keep the uniform
    target; and a config that asks for distillation is refused a fit without its teacher."""
    from edgedigit.train.data import split_train_val
    from edgedigit.train.fit import Teacher, fit, make_dataset

    teacher = build_model(TrainConfig(hidden=(16,), dropout=0), seed=3)
    x, y = mnist.x_train[:8], mnist.y_train[:8].astype(np.int64)
    y[5] = -1  # a non-digit picture
    ds = make_dataset(x, y, 8, shuffle_seed=None, teacher=Teacher(teacher, 0.7, 2.0))
    _, targets = next(iter(ds))
    p = teacher.predict(x, verbose=0).astype(np.float64)
    soft = p ** (1 / 2.0) / (p ** (1 / 2.0)).sum(axis=1, keepdims=True)
    expected = 0.7 * soft + 0.3 * np.eye(10)[np.maximum(y, 0)]
    expected[5] = 0.1
    np.testing.assert_allclose(targets.numpy(), expected, atol=1e-5)
    assert not np.allclose(targets.numpy()[0], np.eye(10)[y[0]])  # the teacher changed the target
    with pytest.raises(ValueError, match="teacher"):
        fit(TrainConfig(hidden=(16,), distill=0.5, epochs=1), split_train_val(mnist, 0.2, seed=0, limit=1000), 0)


def test_a_fit_asked_for_the_int8_grid_rounds_its_kernels_and_reports_the_rounded_models_validation(mnist):
    from edgedigit.train.data import split_train_val
    from edgedigit.train.fit import evaluate, fit

    split = split_train_val(mnist, 0.1, seed=0, limit=3000)
    config = TrainConfig(hidden=(24,), pool=2, crop=4, dropout=0.0, epochs=2, augment=0.0)
    plain, rounded = fit(config, split, seed=0), fit(config, split, seed=0, int8_grid=True)
    dense = [layer for layer in rounded.model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) == 2 and all(on_int8_grid(layer.get_weights()[0]) for layer in dense)
    assert not on_int8_grid(plain.model.layers[-1].get_weights()[0])  # as trained: off the grid
    assert rounded.val_accuracy == evaluate(rounded.model, split.x_val, split.y_val)[0]
    assert abs(rounded.val_accuracy - plain.val_accuracy) < 0.02  # 127 steps a column cost next to nothing
    before = [w.copy() for w in rounded.model.get_weights()]
    snap_to_int8_grid(rounded.model)  # twice is once
    assert all(np.array_equal(a, b) for a, b in zip(before, rounded.model.get_weights()))
    trained = [layer for layer in plain.model.layers if isinstance(layer, keras.layers.Dense)]
    assert all(np.array_equal(a.get_weights()[1], b.get_weights()[1]) for a, b in zip(dense, trained))  # biases kept
