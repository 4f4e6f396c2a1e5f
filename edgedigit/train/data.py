"""Loading MNIST from a local file or folder, or through Keras's cache, with strict checks.

Order of sources: an explicit path (`--data`), then `$EDGEDIGIT_DATA`, then
`keras.datasets.mnist.load_data()` (which downloads into `~/.keras/datasets`).
Every failure is a `UserError` whose message names the problem and the fix.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgedigit.errors import DataError, UserError

ENV_VAR = "EDGEDIGIT_DATA"
FIX_HINT = f"pass --data PATH to a Keras mnist.npz or a folder of the four IDX files, or set {ENV_VAR}"

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays plus where they came from and a digest of their bytes."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    sha256: str


@dataclass(frozen=True)
class Split:
    """A train/validation split of the 60k training images (the test set is kept apart)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    val_indices: np.ndarray


def load_mnist(path: str | Path | None = None) -> Mnist:
    """Load and check MNIST from `path`, `$EDGEDIGIT_DATA`, or Keras's cache/download."""
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        arrays, source = _load_keras(), "keras.datasets.mnist"
    else:
        p = Path(chosen).expanduser()
        if not p.exists():
            raise DataError(f"MNIST data not found at {p}: {FIX_HINT}")
        arrays = _load_idx_folder(p) if p.is_dir() else _load_npz(p)
        source = str(p)
    _check(arrays, source)
    return Mnist(**arrays, source=source, sha256=_digest(arrays))


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    if path.is_file() and not zipfile.is_zipfile(path):  # else numpy takes it for a pickle and says so
        raise DataError(f"{path} is not a readable .npz archive (a zip of numpy arrays); {FIX_HINT}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in IDX_FILES if k not in npz.files]
            if missing:
                raise DataError(f"{path} lacks {', '.join(missing)}: not a Keras mnist.npz; {FIX_HINT}")
            return {k: npz[k] for k in IDX_FILES}
    except UserError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"cannot read {path} as a Keras mnist.npz ({exc}); {FIX_HINT}") from None


def _load_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for key, stem in IDX_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataError(f"{folder} has no {stem}[.gz]; {FIX_HINT}")
        arrays[key] = read_idx(found)
    return arrays


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) of unsigned bytes, as LeCun's MNIST files are."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {path} ({exc}); {FIX_HINT}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes; {FIX_HINT}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path} has a truncated IDX header; {FIX_HINT}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(f"{path} holds {len(raw)} bytes, its header promises {expected}; {FIX_HINT}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _load_keras() -> dict[str, np.ndarray]:
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except ImportError:
        raise DataError(f"no local MNIST given and Keras is not installed; {FIX_HINT}") from None
    except Exception as exc:  # noqa: BLE001 - network errors come in many types
        raise DataError(f"could not download MNIST through Keras ({type(exc).__name__}); {FIX_HINT}") from None
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _check(arrays: dict[str, np.ndarray], source: str) -> None:
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{source}: x_{part} has shape {x.shape}, expected (N, 28, 28); {FIX_HINT}")
        if x.dtype != np.uint8:
            raise DataError(f"{source}: x_{part} has dtype {x.dtype}, expected uint8; {FIX_HINT}")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{source}: y_{part} has shape {y.shape}, expected ({len(x)},); {FIX_HINT}")
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{source}: y_{part} has dtype {y.dtype}, expected integers; {FIX_HINT}")
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{source}: y_{part} has labels outside 0-9; {FIX_HINT}")
        if len(y) == 0:
            raise DataError(f"{source}: {part} set is empty; {FIX_HINT}")


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for key in IDX_FILES:
        h.update(np.ascontiguousarray(arrays[key]).tobytes())
    return h.hexdigest()


def stratified_indices(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Pick `fraction` of the indices of each class, seeded, sorted: the same call gives the same set."""
    rng = np.random.default_rng(seed)
    picked = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        n = max(1, round(len(idx) * fraction))
        picked.append(rng.choice(idx, size=min(n, len(idx)), replace=False))
    return np.sort(np.concatenate(picked))


def split_train_val(data: Mnist, val_fraction: float, seed: int, limit: int | None = None) -> Split:
    """Carve a stratified, seeded validation set out of the training images only.

    `limit` keeps a stratified subset of the training images first (for quick runs and tests).
    """
    if not 0.0 < val_fraction < 1.0:
        raise UserError(f"--val-fraction must be between 0 and 1, got {val_fraction}")
    x, y = data.x_train, data.y_train
    if limit is not None and limit < len(y):
        keep = stratified_indices(y, limit / len(y), seed)
        x, y = x[keep], y[keep]
    val = stratified_indices(y, val_fraction, seed + 1)
    mask = np.ones(len(y), dtype=bool)
    mask[val] = False
    return Split(x[mask], y[mask].astype(np.int64), x[val], y[val].astype(np.int64), val)


def representative_sample(data: Mnist, size: int, seed: int) -> np.ndarray:
    """A class-stratified sample of *training* images, used to calibrate int8 quantization."""
    size = min(size, len(data.y_train))
    idx = stratified_indices(data.y_train, size / len(data.y_train), seed)
    return data.x_train[idx]
