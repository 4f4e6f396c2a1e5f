"""Shared fixtures: the real MNIST file, a small trained Keras model and its int8 export."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MNIST = ROOT.parent / "shared" / "mnist" / "mnist.npz"
USPS = ROOT.parent / "shared" / "usps" / "usps.npz"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    path = Path(os.environ.get("EDGEDIGIT_DATA", DEFAULT_MNIST))
    if not path.exists():
        pytest.fail(f"MNIST not found at {path}: set EDGEDIGIT_DATA to a Keras mnist.npz")
    return path


@pytest.fixture(scope="session")
def mnist(mnist_path):
    from edgedigit.train.data import load_mnist

    return load_mnist(mnist_path)


@pytest.fixture(scope="session")
def small_model_path(tmp_path_factory, mnist) -> Path:
    """A 784-128-10 MLP trained for 3 epochs on 10,000 training images: small, fast, about 93% on test."""
    import keras

    from edgedigit.train.config import TrainConfig
    from edgedigit.train.data import split_train_val
    from edgedigit.train.fit import fit

    split = split_train_val(mnist, 0.1, seed=0, limit=10000)
    result = fit(TrainConfig(hidden=(128,), dropout=0.0, epochs=3, augment=0.0), split, seed=0)
    path = tmp_path_factory.mktemp("model") / "small.keras"
    result.model.save(path)
    assert isinstance(keras.models.load_model(path), keras.Model)
    return path


@pytest.fixture(scope="session")
def small_int8(tmp_path_factory, small_model_path, mnist_path) -> Path:
    """The small model exported to int8 with parity checked; returns the export folder."""
    from edgedigit.converters.export import ExportOptions, export

    out = tmp_path_factory.mktemp("export") / "int8"
    result = export(
        ExportOptions(source=str(small_model_path), out=str(out), data=str(mnist_path)), log=lambda *_: None
    )
    assert result.model_path.is_file()
    return out


def write_image(path: Path, img: np.ndarray) -> Path:
    import cv2

    assert cv2.imwrite(str(path), img)
    return path


def on_int8_grid(kernel: np.ndarray) -> bool:
    """Every column of a Dense kernel a whole number of steps of its largest weight / INT8_WEIGHT_STEPS."""
    from edgedigit.train.model import INT8_WEIGHT_STEPS

    steps = kernel / (np.abs(kernel).max(axis=0, keepdims=True) / INT8_WEIGHT_STEPS)
    return bool(np.allclose(steps, np.round(steps), atol=1e-3) and np.abs(steps).max() <= INT8_WEIGHT_STEPS + 1e-3)
