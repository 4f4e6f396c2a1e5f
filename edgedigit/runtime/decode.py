"""Decoding a picture for the reader: an image file or an upload's bytes -> a numpy array, and any array -> 8-bit
grayscale. Every failure (empty, damaged, too many bytes, too many pixels, read from the header before a pixel is
decoded) is one clear ImageError, so memory stays bounded whatever the input.

Device code: numpy, OpenCV and imagesize only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import contextlib
import io
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import imagesize
import numpy as np

from edgedigit.errors import ImageError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 64 * 1024 * 1024
JPEG_MAGIC = b"\xff\xd8\xff"
MAGIC_SUFFIXES = ((JPEG_MAGIC, ".jpg"), (b"\x89PNG", ".png"), (b"BM", ".bmp"), (b"GIF8", ".gif"), (b"RIFF", ".webp"),
                  (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))  # fmt: skip
STDIN = "-"  # the file name that stands for standard input, as in most command-line tools
# the ISO-BMFF brands of HEIF pictures (an iPhone's default "High Efficiency" photos) and AVIF, which OpenCV's
# wheels do not decode: such a file gets a message of its own rather than "unknown format"
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")
# what a folder given as pictures is read for: the formats OpenCV decodes, by their usual names
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pgm", ".ppm", ".pbm", ".pnm")


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file with bounded memory; every failure is one clear ImageError. `-` reads the picture from
    standard input (`libcamera-still -o - | edgedigit classify -`)."""
    return decode_image(read_bytes(path), display_name(path))


def read_bytes(path: str | Path) -> bytes:
    """An image file's bytes (standard input's for `-`), refused before they are read when there are too many."""
    if is_stdin(path):
        return sys.stdin.buffer.read(MAX_FILE_BYTES + 1)  # one byte more than allowed says it is too big
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ImageError(f"cannot open {p}: {exc.strerror or exc}") from None
    if p.is_dir():
        below = _subfolder_with_pictures(p)
        hint = f"; its subfolders are not searched: give them, e.g. {below}" if below else ""
        raise ImageError(f"{p} is a folder with no picture files ({', '.join(PICTURE_SUFFIXES)}){hint}")
    if not p.is_file():
        raise ImageError(f"{p} is not a file")
    if size > MAX_FILE_BYTES:
        raise ImageError(f"{p} is {size >> 20} MiB, above the {MAX_FILE_BYTES >> 20} MiB limit")
    return p.read_bytes()


def suffix_of(data: bytes) -> str:
    """A file name suffix for a picture's bytes, from their magic number (pictures from standard input have none)."""
    return next((suffix for magic, suffix in MAGIC_SUFFIXES if data.startswith(magic)), ".img")


def is_stdin(path: str | Path) -> bool:
    """Whether `path` is `-`, standard input."""
    return str(path) == STDIN


def display_name(path: str | Path) -> str:
    """How a picture's path is named in messages: `-` is standard input."""
    return "standard input" if is_stdin(path) else str(path)


def picture_files(paths: list[Path]) -> Iterator[Path]:
    """Each path given, a folder replaced by the picture files in it (not its subfolders) in name order; a
    folder with none stays, for `read_image` to give its error."""
    for path in paths:
        if is_stdin(path) or not path.is_dir():
            yield path
            continue
        yield from sorted(filter(_is_picture_file, path.iterdir())) or [path]


def _is_picture_file(path: Path) -> bool:
    """A file whose name says it is a picture (PICTURE_SUFFIXES): what a folder given as pictures is read for."""
    return path.suffix.lower() in PICTURE_SUFFIXES and path.is_file()


def _subfolder_with_pictures(folder: Path) -> Path | None:
    """The first subfolder (in name order) that holds picture files, as `collect` writes 0/ ... 9/; None if none."""
    try:
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            if any(map(_is_picture_file, sub.iterdir())):
                return sub
    except OSError:
        return None
    return None


def decode_image(data: bytes, name: str) -> np.ndarray:
    """Decode an encoded picture (a file's bytes, an upload) with bounded memory; `name` goes in errors."""
    if not data:
        raise ImageError(f"{name} is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name} is {len(data) >> 20} MiB, above the {MAX_FILE_BYTES >> 20} MiB limit")
    _check_pixels(data, name)
    buf = np.frombuffer(data, dtype=np.uint8)
    # JPEG (phone photos): straight to grayscale, all the pipeline uses (a 12 MP photo then takes 12 MB, not
    # 36), turned by its EXIF orientation, which IMREAD_UNCHANGED ignores. Other formats unchanged, so that
    # alpha and 16-bit depth survive.
    flags = cv2.IMREAD_GRAYSCALE if data[:3] == JPEG_MAGIC else cv2.IMREAD_UNCHANGED
    try:
        with opencv_silenced():
            img = cv2.imdecode(buf, flags)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise _unreadable(data, name, "unknown format or truncated")
    return img


@contextlib.contextmanager
def opencv_silenced() -> Iterator[None]:
    """OpenCV's own log lines off for a moment: a damaged file ("PNG input buffer is incomplete", a GIF's failed
    assertion) or a camera that is not there ("can't open camera by index", at every retry of a service) gets
    edgedigit's one error line, not OpenCV's as well."""
    level = cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _unreadable(data: bytes, name: str, why: str) -> ImageError:
    """The error for a picture that cannot be decoded; a HEIF or AVIF one (an ISO-BMFF `ftyp` box first) says so."""
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return ImageError(f"{name} is a HEIF/AVIF picture, which edgedigit cannot decode: save it as JPEG or PNG "
                          "(an iPhone takes JPEGs with Settings > Camera > Formats > Most Compatible)")  # fmt: skip
    return ImageError(f"{name} is not a readable image ({why})")


def _check_pixels(data: bytes, name: str) -> None:
    """Refuse a picture of more than MAX_PIXELS from its header, before a pixel is decoded: a small PNG
    can hold a 20000x20000 blank (a decompression bomb), and OpenCV's own bound is read when cv2 is
    first imported, which may be before this module. `imagesize` reads headers only (132 KB, no C code)."""
    try:
        w, h = imagesize.get(io.BytesIO(data))
    except (OSError, ValueError, struct.error):
        w = h = -1
    if w < 0 or h < 0:
        raise _unreadable(data, name, "unknown format or damaged header")
    if w * h > MAX_PIXELS:
        raise ImageError(f"{name} is {w}x{h} pixels, above the {MAX_PIXELS} pixel limit")


def to_gray(img: np.ndarray) -> np.ndarray:
    """8-bit grayscale; transparent pixels become paper (see `_paper_behind`)."""
    if img.dtype != np.uint8:
        img = cv2.normalize(img.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        rgb = img[:, :, :3].astype(np.float32) * alpha + _paper_behind(img) * (1.0 - alpha)
        return cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    if img.shape[2] == 1:
        return img[:, :, 0]
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2GRAY)


def _paper_behind(bgra: np.ndarray) -> float:
    """White, unless the opaque part is a minority of light strokes (white or yellow ink on a transparent
    canvas, as dark-mode drawing apps export it), which would vanish on white: then black."""
    opaque = bgra[:, :, 3] >= 128
    count = np.count_nonzero(opaque)
    if count == 0 or count >= opaque.size // 2:
        return 255.0
    ink = cv2.cvtColor(bgra[:, :, :3], cv2.COLOR_BGR2GRAY)[opaque]
    return 0.0 if ink.mean() > 127 else 255.0
