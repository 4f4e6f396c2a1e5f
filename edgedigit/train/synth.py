"""Training pictures of digits in styles MNIST lacks: digits in printed and handwriting fonts, European 1s with
a flag and a foot, 4s with a closed top, digits stretched to fill a bitmap, and MNIST digits written on paper as
users photograph and crop them (`drawing` draws them; `negatives` and `pieces` make the pictures that are not one
digit).

Every picture is drawn large, dark on light, and turned into the model's 28x28 input by the device's own
`preprocess.find_digits`, so the trainer sees exactly what the device would. Trainer side only: it must never be
imported by the device runtime.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edgedigit.runtime.mnist_form import ellipse
from edgedigit.runtime.preprocess import find_digits
from edgedigit.train import drawing
from edgedigit.train.drawing import CANVAS

# Debian packages with handwriting-style digits (European 1s, closed 4s, straight-tailed 9s); the trainer
# works without them (matplotlib's DejaVu fonts are always there) but learns fewer styles
FONT_PACKAGES = ("fonts-dkg-handwriting fonts-breip fonts-bwht fonts-femkeklaver fonts-humor-sans "
                 "fonts-ecolier-court fonts-comic-neue fonts-freefont-ttf fonts-liberation")  # fmt: skip
FEW_FONTS = 20  # matplotlib alone brings about a dozen usable fonts; the Debian packages above bring ~90
FLAG_FOOT = 0.35  # share of flagged 1s that also get a foot
FLAG_LENGTH = (0.2, 0.6)  # a flag's length in the 1's heights: a short tick to a long European flag
FLAG_ANGLE = (25, 60)  # degrees below the horizontal, from the 1's top down to its left
UPRIGHT = 0.5  # share of flagged 1s first stood upright: a box-filled upright 1 keeps a vertical stem, a 7 never
# 4s given a closed top (`closed_fours`): the stroke from the first stroke's top to the stem's top
TOP_BAND = 0.3  # share of the 4's height, from its top, in which the two open strokes' tops are looked for
CLOSING_BOW = (0.0, 0.35)  # the closing stroke bows up by this share of the gap: square to rounded tops
CLOSING_TILT = 0.1  # ...and its middle sits up to this share of the height higher or lower
BAR_PAST_STEM = 0.5  # pen widths the bar must reach right of the stem: closed without it, a 4 is a 9
# MNIST digits written on paper (`written`): how users' pictures differ from MNIST's own 28x28 frames
WRITTEN_SIDE = (24, 121)  # px: from a form's small cell to a digit in a phone photo
BOLDER, FINER = 0.3, 0.25  # shares of digits drawn with a bolder (dilated) or a finer (eroded) pen...
PEN_CHANGE = (0.5, 2.5)  # ...by this many MNIST pixels
BLURRED, BLUR = 0.3, (0.25, 0.75)  # share out of focus, and its Gaussian sigma in MNIST pixels
TIGHT = 0.4  # share cut tight (0-2 px of paper round the ink); the others keep a margin up to a third of a side
PAPER, PEN = (150, 250), (0, 110)  # grey levels of the paper and of the ink
UNEVEN_LIGHT = 0.12  # the light falls off by up to this share across the picture, in x and in y
NOISE = (1, 6)  # grey levels of sensor noise
JPEG_SHARE, JPEG_QUALITY = 0.3, (30, 90)
INVERTED = 0.15  # share written light on dark (a whiteboard photo inverted, a chalk board)


def font_digits(n: int, rng: np.random.Generator, fonts: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """`n` digits in random fonts, weights, slants and proportions, as 28x28 inputs with their labels."""
    images, labels = [], []
    for _ in range(n * 2):  # a few renderings are dropped (two groups, a dot on an i-like stroke)
        if len(images) == n or not fonts:
            break
        label = int(rng.integers(10))
        size = int(rng.integers(60, 100))
        glyph = drawing.glyph(str(fonts[rng.integers(len(fonts))]), str(label), size, int(rng.integers(0, 4)))
        if glyph.size == 0:
            continue
        aspect = rng.uniform(0.75, 1.25)
        glyph = cv2.resize(glyph, (max(2, int(glyph.shape[1] * aspect)), glyph.shape[0]))
        x = drawing.to_input(drawing.warp(glyph, rng), rng)
        if x is not None:
            images.append(x)
            labels.append(label)
    return drawing.stack(images), np.array(labels, np.int64)


def flagged_ones(ones: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST 1s given the flag (and sometimes the foot) with which most of the world writes a 1."""
    out = []
    for one in ones:
        big = cv2.resize(_upright(one) if rng.random() < UPRIGHT else one, (CANVAS, CANVAS),
                         interpolation=cv2.INTER_CUBIC)  # fmt: skip
        mask = big > 128
        ys, xs = np.nonzero(mask)
        if len(ys) < 20:
            continue
        top, bottom = ys.min(), ys.max()
        height = bottom - top
        tx = int(xs[ys <= top + 2].mean())
        width = max(3, int(round(mask.sum() / max(height, 1))))  # the pen: ink area over the stroke's length
        length, angle = rng.uniform(*FLAG_LENGTH) * height, np.deg2rad(rng.uniform(*FLAG_ANGLE))
        end = (int(tx - length * np.cos(angle)), int(top + length * np.sin(angle)))
        cv2.line(big, (tx, int(top)), end, 255, width, cv2.LINE_AA)
        if rng.random() < FLAG_FOOT:
            bx, half = int(xs[ys >= bottom - 2].mean()), int(rng.uniform(0.15, 0.3) * height)
            cv2.line(big, (bx - half, int(bottom)), (bx + half, int(bottom)), 255, width, cv2.LINE_AA)
        x = drawing.to_input(big, rng)
        if x is not None:
            out.append(x)
    return drawing.stack(out)


def closed_fours(fours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST 4s (nearly all open at the top) given the closed top many people write, square to rounded.
    Only 4s whose bar reaches right past the stem are closed: that bar is what tells a closed 4 from a 9."""
    out = []
    for four in fours:
        big = cv2.resize(_upright(four), (CANVAS, CANVAS), interpolation=cv2.INTER_CUBIC)
        tops = _open_tops(big > 128)
        if tops is None:
            continue
        left, right, width, height = tops
        bow = rng.uniform(*CLOSING_BOW) * (right[0] - left[0]) + rng.uniform(-CLOSING_TILT, CLOSING_TILT) * height
        middle = (left + right) / 2 - np.array([0.0, bow], np.float32)
        t = np.linspace(0, 1, 16, dtype=np.float32)[:, None]
        curve = (1 - t) ** 2 * left + 2 * t * (1 - t) * middle + t**2 * right  # a quadratic Bezier
        cv2.polylines(big, [np.int32(np.round(curve))], False, 255, width, cv2.LINE_AA)
        x = drawing.to_input(big, rng)
        if x is not None:
            out.append(x)
    return drawing.stack(out)


def _open_tops(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """The tops (x, y) of an open 4's first stroke and of its stem, its pen width and its height; None when
    its top is not two strokes apart or its bar does not reach past the stem."""
    ys, xs = np.nonzero(mask)
    if len(ys) < 20:
        return None
    top, height = ys.min(), ys.max() - ys.min()
    band = mask[top : top + int(TOP_BAND * height) + 1]
    cols = np.flatnonzero(band.any(axis=0))
    gaps = np.flatnonzero(np.diff(cols) > 1)
    if len(gaps) == 0:
        return None
    width = max(3, int(round(2 * np.percentile(cv2.distanceTransform(np.uint8(mask), cv2.DIST_L2, 3)[mask], 90))))
    stem = cols[gaps[-1] + 1 :]
    below = mask[top + int(TOP_BAND * height) :]
    if not below[:, min(mask.shape[1] - 1, stem.max() + int(BAR_PAST_STEM * width)) :].any():
        return None

    def highest(columns: np.ndarray) -> np.ndarray:
        row = np.flatnonzero(band[:, columns].any(axis=1))[0]
        return np.array([columns[band[row, columns]].mean(), top + row], np.float32)

    return highest(cols[: gaps[0] + 1]), highest(stem), width, height


def _upright(d: np.ndarray) -> np.ndarray:
    """A 28x28 digit sheared so that its ink's main axis stands vertical (second-order moments)."""
    m = cv2.moments(d)
    if abs(m["mu02"]) < 1e-2:
        return d
    skew = m["mu11"] / m["mu02"]
    shear = np.float32([[1, skew, -0.5 * 28 * skew], [0, 1, 0]])
    return cv2.warpAffine(d, shear, (28, 28), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def box_filled(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Digits stretched to fill a small square box, as bitmap collections and form cells store them (a 1
    becomes a bold bar as wide as it is tall): 12 to 40 px, often binarized, either polarity."""
    out, kept = [], []
    for d, label in zip(images, labels):
        ys, xs = np.nonzero(d > 30)
        if len(ys) < 5:
            continue
        side = int(rng.integers(12, 41))
        box = cv2.resize(
            d[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], (side, side), interpolation=cv2.INTER_AREA
        )
        if rng.random() < 0.5:
            box = np.where(box > rng.integers(60, 160), 255, 0).astype(np.uint8)
        margin = int(rng.integers(0, 4))
        box = cv2.copyMakeBorder(box, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)
        found = find_digits(255 - box if rng.random() < 0.5 else box)
        if len(found) == 1:
            out.append(found[0].image)
            kept.append(label)
    return drawing.stack(out), np.array(kept, np.int64)


def written(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits written on paper the way users' pictures come — 24 to 120 px, a bolder or finer pen, out
    of focus, cut tight or with a margin, on unevenly lit noisy paper, some JPEG-compressed or inverted — and
    read back by the device's `find_digits`, so the model learns the device's view of a digit, not only
    MNIST's own frames (benchmarks/field_accuracy.py: USPS +0.25 pp at every crop)."""
    out, kept = [], []
    for d, label in zip(images, labels):
        x = _written(d, rng)
        if x is not None:
            out.append(x)
            kept.append(label)
    return drawing.stack(out), np.array(kept, np.int64)


def _written(d: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    side = int(rng.integers(*WRITTEN_SIDE))
    ink = cv2.resize(d, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    pen, px = rng.random(), side / 28  # px: one MNIST pixel at this size
    if pen < BOLDER + FINER:
        k = ellipse(max(1, round(px * rng.uniform(*PEN_CHANGE))))
        ink = cv2.dilate(ink, k) if pen < BOLDER else cv2.erode(ink, k)
    if rng.random() < BLURRED:
        ink = cv2.GaussianBlur(ink, (0, 0), px * rng.uniform(*BLUR))
    ys, xs = np.nonzero(ink > 0.2)
    if len(ys) < 5:
        return None
    m = int(rng.integers(0, 3)) if rng.random() < TIGHT else int(rng.integers(3, side // 3 + 4))
    ink = cv2.copyMakeBorder(ink, m, m, m, m, cv2.BORDER_CONSTANT, value=0)
    ink = ink[ys.min() : ys.max() + 1 + 2 * m, xs.min() : xs.max() + 1 + 2 * m]
    h, w = ink.shape
    light = 1 + rng.uniform(-UNEVEN_LIGHT, UNEVEN_LIGHT) * np.linspace(-1, 1, w)[None, :]
    light = light + rng.uniform(-UNEVEN_LIGHT, UNEVEN_LIGHT) * np.linspace(-1, 1, h)[:, None]
    paper, pen_level = rng.uniform(*PAPER), rng.uniform(*PEN)
    img = (paper * (1 - ink) + pen_level * ink) * light + rng.normal(0, rng.uniform(*NOISE), ink.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < JPEG_SHARE:
        _, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*JPEG_QUALITY))])
        img = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    found = find_digits(255 - img if rng.random() < INVERTED else img)
    return found[0].image if len(found) == 1 else None
