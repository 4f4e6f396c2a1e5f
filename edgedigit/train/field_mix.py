"""The training set for the field: MNIST's training part plus what MNIST lacks (font digits, flagged
1s, non-digits) and a user's own digits, each in the measured share the options ask for.

Non-digit pictures carry the label NOT_A_DIGIT: the trainer gives them a uniform target over the ten
classes (outlier exposure), so the model learns to be unsure of them and the reader's confidence bar
turns them into "no digit". Validation stays MNIST only; nothing here touches the test set or USPS.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edgedigit import atomic
from edgedigit.errors import DataError, UserError
from edgedigit.options import TrainOptions
from edgedigit.train import drawing, negatives, pieces, synth
from edgedigit.train.data import Mnist, Split, split_train_val

NOT_A_DIGIT = -1
STYLE_FILL = 5  # font digits and flagged 1s are box-filled at this many times --box-fill's share: at the same
# share too few go in to tell a stretched flagged 1 from a 7 (field_accuracy.py's 16x16 flagged 1s: 7 -> 10%)


def load_extra(folder: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """A user's labelled digits: FOLDER/0/ ... FOLDER/9/ of 28x28 model inputs (as `edgedigit collect`
    writes them) or any picture of one digit, which is preprocessed like a file given to `classify`."""
    from edgedigit.runtime.decode import PICTURE_SUFFIXES, read_image
    from edgedigit.runtime.preprocess import find_digits

    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataError(f"--extra {root}: not a folder (expected {root}/0/ ... {root}/9/)")
    images, labels = [], []
    for label in range(10):
        for path in sorted((root / str(label)).glob("*")):
            if path.suffix.lower() not in PICTURE_SUFFIXES:
                continue
            img = read_image(path)
            if img.shape[:2] == (28, 28) and img.ndim == 2:
                images.append(img)
            else:
                found = find_digits(img)
                if len(found) != 1:
                    raise DataError(f"{path}: expected one digit, found {len(found)}")
                images.append(found[0].image)
            labels.append(label)
    if not images:
        raise DataError(f"--extra {root}: no digit pictures in {root}/0/ ... {root}/9/")
    return np.stack(images).astype(np.uint8), np.array(labels, np.int64)


def mix(
    split: Split,
    seed: int,
    fonts: float,
    flag_ones: float,
    non_digits: float,
    box_fill: float = 0.0,
    written: float = 0.0,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    extra_repeat: int = 1,
    closed_fours: float = 0.0,
    touching_pairs: float = 0.0,
    cut_pieces: float = 0.0,
) -> tuple[Split, dict[str, Any]]:
    """`split` with its training part grown by the synthetic sets (shares of its size) and the user's
    digits (each repeated `extra_repeat` times); returns it and how many of each went in."""
    rng = np.random.default_rng(seed + 7)
    n = len(split.y_train)
    font_paths = drawing.font_files() if fonts > 0 or non_digits > 0 else []
    if fonts > 0 and not font_paths:
        raise UserError(f"no fonts found for --fonts: install some, e.g. apt-get install {synth.FONT_PACKAGES}")
    parts_x, parts_y = [split.x_train], [split.y_train]
    fx, fy = synth.font_digits(int(fonts * n), rng, font_paths) if fonts > 0 else (parts_x[0][:0], parts_y[0][:0])
    ones = split.x_train[split.y_train == 1]
    flagged = synth.flagged_ones(ones[rng.random(len(ones)) < flag_ones], rng) if flag_ones > 0 else fx[:0]
    others = negatives.non_digits(int(non_digits * n), rng, font_paths) if non_digits > 0 else fx[:0]
    pick = np.flatnonzero(rng.random(n) < box_fill)
    filled, filled_y = synth.box_filled(split.x_train[pick], split.y_train[pick], rng)
    pick = np.flatnonzero(rng.random(n) < written)  # drawn after the others: earlier runs' mixes stay the same
    on_paper, on_paper_y = synth.written(split.x_train[pick], split.y_train[pick], rng)
    # the styles MNIST lacks stretched to fill a bitmap too: a box-filled flagged 1 has a flag as wide as a 7's
    # bar, and MNIST's box-filled 1s are plain bars (benchmarks/field_accuracy.py's drawn bitmaps)
    styles_x, styles_y = np.concatenate([fx, flagged]), np.concatenate([fy, np.ones(len(flagged), np.int64)])
    style_fill = min(1.0, STYLE_FILL * box_fill)
    pick = np.flatnonzero(rng.random(len(styles_y)) < style_fill)
    filled_styles, filled_styles_y = synth.box_filled(styles_x[pick], styles_y[pick], rng)
    four_rng = np.random.default_rng(seed + 9)  # its own stream: with --closed-fours 0 the mix is as it was
    fours = split.x_train[split.y_train == 4]
    closed = synth.closed_fours(fours[four_rng.random(len(fours)) < closed_fours], four_rng)
    to_fill = closed[four_rng.random(len(closed)) < style_fill]
    filled_closed, _ = synth.box_filled(to_fill, np.full(len(to_fill), 4, np.int64), four_rng)
    pair_rng = np.random.default_rng(seed + 11)  # its own stream too
    pairs = pieces.touching_pairs(int(touching_pairs * n), split.x_train, pair_rng) if touching_pairs > 0 else fx[:0]
    piece_rng = np.random.default_rng(seed + 13)  # and so on
    cut, cut_y, merged = (pieces.cut_pieces(int(cut_pieces * n), split.x_train, split.y_train, piece_rng)
                          if cut_pieces > 0 else (fx[:0], fy[:0], fx[:0]))  # fmt: skip
    parts_x += [fx, flagged, others, filled, on_paper, filled_styles, closed, filled_closed, pairs, cut, merged]
    parts_y += [fy, np.ones(len(flagged), np.int64), np.full(len(others), NOT_A_DIGIT, np.int64), filled_y,
                on_paper_y, filled_styles_y, np.full(len(closed) + len(filled_closed), 4, np.int64),
                np.full(len(pairs), NOT_A_DIGIT, np.int64), cut_y,
                np.full(len(merged), NOT_A_DIGIT, np.int64)]  # fmt: skip
    counts = {"mnist": n, "font_digits": len(fy), "flagged_ones": len(flagged), "non_digits": len(others),
              "box_filled": len(filled), "written": len(on_paper), "box_filled_styles": len(filled_styles),
              "closed_fours": len(closed), "box_filled_closed_fours": len(filled_closed),
              "touching_pairs": len(pairs), "cut_pieces": len(cut_y), "cut_pieces_of_two": len(merged),
              "fonts_found": len(font_paths)}  # fmt: skip
    if extra is not None:
        ex, ey = extra
        parts_x.append(np.repeat(ex, extra_repeat, axis=0))
        parts_y.append(np.repeat(ey, extra_repeat))
        counts.update(extra_digits=len(ey), extra_repeat=extra_repeat)
    x, y = np.concatenate(parts_x), np.concatenate(parts_y).astype(np.int64)
    return replace(split, x_train=x, y_train=y), counts


def training_split(
    opts: TrainOptions, data: Mnist
) -> tuple[Split, dict[str, Any], tuple[np.ndarray, np.ndarray] | None]:
    """The run's split of `data` with the field mix and the user's own digits its options ask for (a search
    and a fine-tune build it alike); returns it, what went in, and the user's digits (None without --extra)."""
    split = split_train_val(data, opts.val_fraction, opts.seed, opts.limit)
    extra = load_extra(opts.extra) if opts.extra else None
    split, mixed = mix(split, opts.seed, opts.fonts, opts.flag_ones, opts.non_digits, opts.box_fill, opts.written,
                       extra, opts.extra_repeat, opts.closed_fours, opts.touching_pairs,
                       opts.cut_pieces)  # fmt: skip
    return split, mixed, extra


def sample_sheet(path: Path, x: np.ndarray, y: np.ndarray, per_kind: int = 20) -> None:
    """A contact sheet of what was mixed in, one row per kind, so a user can look at it."""
    rows = []
    for label in [*range(10), NOT_A_DIGIT]:
        pick = x[y == label][-per_kind:]
        if len(pick):
            pick = list(pick) + [np.zeros((28, 28), np.uint8)] * (per_kind - len(pick))
            rows.append(255 - np.hstack(pick))
    if rows:
        ok, png = cv2.imencode(".png", np.vstack(rows))
        if ok:
            atomic.write_bytes(path, png.tobytes())
