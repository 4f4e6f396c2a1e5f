"""`edgedigit collect`: save a user's own labelled digits for `train --extra` / `--finetune`.

Each digit is saved as the exact 28x28 input the model sees (FOLDER/<label>/<name>.png), its source
picture once under FOLDER/sources/, and one JSON line per digit in FOLDER/collected.jsonl saying where
it came from. Device side: OpenCV and numpy only, never TensorFlow.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edgedigit import atomic
from edgedigit.errors import UserError
from edgedigit.runtime.decode import decode_image, display_name, is_stdin, read_bytes, suffix_of
from edgedigit.runtime.preprocess import Digit, find_digits

INDEX = "collected.jsonl"


@dataclass(frozen=True)
class Saved:
    """One collected digit: its label, its 28x28 file and the picture it was cut from."""

    label: int
    path: Path
    source: Path
    box: tuple[int, int, int, int]


def parse_label(text: str) -> list[int]:
    """'7' or '2026' -> [7] or [2, 0, 2, 6]: the digits the pictures show, left to right."""
    if not text or not text.isdigit():
        raise UserError(f"--label must be the digit(s) the pictures show, e.g. 7 or 2026; got {text!r}")
    return [int(c) for c in text]


def collect_picture(found: list[Digit], label: list[int], folder: Path, name: str, source_bytes: bytes,
                    suffix: str, shown: str) -> list[Saved]:  # fmt: skip
    """Save the digits `find_digits` found in one picture under their labels; refuse when the count does
    not match (`shown` names the picture in that message)."""
    if len(found) != len(label):
        raise UserError(f"{shown}: found {len(found)} digit(s) but --label gives {len(label)}; nothing saved from it")
    source = folder / "sources" / f"{name}{suffix}"
    atomic.write_bytes(source, source_bytes)
    saved = []
    for i, (digit, y) in enumerate(zip(found, label)):
        path = folder / str(y) / f"{name}-{i}.png"
        ok, png = cv2.imencode(".png", digit.image)
        if not ok:
            raise UserError(f"{name}: could not encode digit {i}")
        atomic.write_bytes(path, png.tobytes())
        saved.append(Saved(y, path, source, digit.box))
    _append_index(folder, saved)
    return saved


def collect_file(path: Path, label: list[int], folder: Path) -> list[Saved]:
    """One picture file's digits, labelled (a UserError when its digit count does not match the label)."""
    data = read_bytes(path)  # read once: standard input (`-`) cannot be read again to keep the source
    found = find_digits(decode_image(data, display_name(path)))
    stdin = is_stdin(path)
    name = f"{'stdin' if stdin else path.stem}-{_stamp()}"
    suffix = suffix_of(data) if stdin else path.suffix.lower()
    return collect_picture(found, label, folder, name, data, suffix, display_name(path))


def collect_frames(frames: Iterable[np.ndarray], label: list[int], folder: Path, count: int) -> list[Saved]:
    """Camera frames showing `label`: each frame where exactly that many digits are found is saved,
    until `count` digits are collected; frames with another count are skipped (a hand in the way)."""
    saved: list[Saved] = []
    for frame in frames:
        if len(saved) >= count:
            break
        found = find_digits(frame)
        if len(found) != len(label):
            continue
        ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
        if ok:
            name = f"camera-{_stamp()}"
            saved += collect_picture(found, label, folder, name, jpg.tobytes(), ".jpg", name)
    return saved


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"


def _append_index(folder: Path, saved: list[Saved]) -> None:
    """One JSON line per digit; appended whole lines, so an interrupted run leaves every earlier line intact."""
    lines = "".join(
        json.dumps({"label": s.label, "file": str(s.path.relative_to(folder)),
                    "source": str(s.source.relative_to(folder)), "box": list(s.box)}) + "\n"
        for s in saved
    )  # fmt: skip
    with open(folder / INDEX, "a", encoding="utf-8") as f:
        f.write(lines)
