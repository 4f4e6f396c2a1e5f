"""MNIST loading from npz and IDX, strict checks, and an honest validation split."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from edgedigit.errors import UserError
from edgedigit.train.data import IDX_FILES, load_mnist, representative_sample, split_train_val


def _write_idx(path, arr: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 8, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    raw = header + arr.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def _tiny(n_train=50, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


def test_real_mnist_loads_with_expected_shapes(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.y_train.dtype == np.uint8 and set(np.unique(mnist.y_test)) == set(range(10))
    assert len(mnist.sha256) == 64


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_matches_npz(tmp_path, gz):
    arrays = _tiny()
    np.savez(tmp_path / "mnist.npz", **arrays)
    folder = tmp_path / "idx"
    folder.mkdir()
    for key, stem in IDX_FILES.items():
        _write_idx(folder / (stem + (".gz" if gz else "")), arrays[key], gz)
    a, b = load_mnist(tmp_path / "mnist.npz"), load_mnist(folder)
    for key in IDX_FILES:
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert a.sha256 == b.sha256


def test_env_var_is_used(tmp_path, monkeypatch):
    np.savez(tmp_path / "m.npz", **_tiny())
    monkeypatch.setenv("EDGEDIGIT_DATA", str(tmp_path / "m.npz"))
    assert load_mnist().source == str(tmp_path / "m.npz")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda a: a.update(x_train=a["x_train"][:, :27]), r"expected \(N, 28, 28\)"),
        (lambda a: a.update(x_test=a["x_test"].astype(np.float32)), "expected uint8"),
        (lambda a: a.update(y_train=a["y_train"] + 5), "outside 0-9"),
        (lambda a: a.update(y_test=a["y_test"][:3]), "y_test has shape"),
        (lambda a: a.pop("y_test"), "lacks y_test"),
    ],
)
def test_bad_npz_contents_are_named(tmp_path, mutate, message):
    arrays = _tiny()
    mutate(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserError, match=message):
        load_mnist(tmp_path / "bad.npz")


def test_corrupt_and_missing_files(tmp_path):
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "text.npz").write_text("not an archive: numpy would take it for a pickle")
    for name in ("corrupt.npz", "text.npz"):
        with pytest.raises(UserError, match=r"is not a readable \.npz archive \(a zip of numpy arrays\); pass --data"):
            load_mnist(tmp_path / name)
    with pytest.raises(UserError, match="not found"):
        load_mnist(tmp_path / "nope.npz")
    folder = tmp_path / "idx"
    folder.mkdir()
    with pytest.raises(UserError, match="has no train-images"):
        load_mnist(folder)
    for key, stem in IDX_FILES.items():
        _write_idx(folder / stem, _tiny()[key], gz=False)
    (folder / "t10k-labels-idx1-ubyte").write_bytes((folder / "t10k-labels-idx1-ubyte").read_bytes()[:-3])
    with pytest.raises(UserError, match="header promises"):
        load_mnist(folder)


def test_offline_keras_download_is_one_clear_error(monkeypatch):
    import keras

    def offline():
        raise OSError("network unreachable")

    monkeypatch.delenv("EDGEDIGIT_DATA", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(UserError, match="could not download MNIST through Keras.*--data"):
        load_mnist(None)


def test_validation_split_is_stratified_seeded_and_from_train_only(mnist):
    split = split_train_val(mnist, 0.1, seed=3)
    again = split_train_val(mnist, 0.1, seed=3)
    np.testing.assert_array_equal(split.val_indices, again.val_indices)
    assert len(split.y_train) + len(split.y_val) == 60000
    assert abs(len(split.y_val) - 6000) <= 10
    # stratified: each class's share of the validation set matches its share of the training set
    share_val = np.bincount(split.y_val, minlength=10) / len(split.y_val)
    share_all = np.bincount(mnist.y_train, minlength=10) / 60000
    assert np.abs(share_val - share_all).max() < 0.002
    # disjoint from each other and from the test set: no validation image is a test image
    train_keys = {im.tobytes() for im in split.x_train[:5000]}
    assert not any(im.tobytes() in train_keys for im in split.x_val[:2000] if im.any())
    test_keys = {im.tobytes() for im in mnist.x_test}
    assert sum(im.tobytes() in test_keys for im in split.x_val) == 0


def test_representative_sample_draws_only_training_images(mnist):
    sample = representative_sample(mnist, 500, seed=0)
    assert 490 <= len(sample) <= 510
    train_keys = {im.tobytes() for im in mnist.x_train}
    assert all(im.tobytes() in train_keys for im in sample)
