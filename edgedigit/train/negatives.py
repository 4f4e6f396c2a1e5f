"""Pictures that are not digits, for the model to read as unsure: letters in fonts, random curves, blots and
textures, each read back by the device's own `find_digits`.

Trainer side only; never imported by the device runtime.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edgedigit.runtime.preprocess import find_digits
from edgedigit.train import drawing
from edgedigit.train.drawing import CANVAS

# letters no one can tell from a digit by shape alone stay out of the non-digit pictures
DIGIT_LIKE = set("OoQDIlijJSsZzBbgqGTUuAe")
LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in DIGIT_LIKE]


def non_digits(n: int, rng: np.random.Generator, fonts: list[Path]) -> np.ndarray:
    """`n` 28x28 inputs of things that are not digits: letters, curves, blots, textures."""
    out: list[np.ndarray] = []
    makers = [_curves, _blot, _texture] + ([_letter] if fonts else [])
    for i in range(n * 3):  # some pictures give the device nothing to read, which teaches nothing
        if len(out) >= n:
            break
        found = find_digits(drawing.on_paper(makers[i % len(makers)](rng, fonts), rng))
        out.extend(d.image for d in found[: n - len(out)])
    return drawing.stack(out)


def _letter(rng: np.random.Generator, fonts: list[Path]) -> np.ndarray:
    glyph = drawing.glyph(str(fonts[rng.integers(len(fonts))]), LETTERS[rng.integers(len(LETTERS))], 80,
                   int(rng.integers(0, 3)))  # fmt: skip
    return cv2.copyMakeBorder(drawing.warp(glyph, rng), 16, 16, 16, 16, cv2.BORDER_CONSTANT) if glyph.size else glyph


def _curves(rng: np.random.Generator, _: list[Path]) -> np.ndarray:
    """Three or four random quadratic curves: a scribble or a doodle (one or two strokes could be a 1 or a 7)."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    for _ in range(int(rng.integers(3, 5))):
        p = rng.uniform(15, CANVAS - 15, (3, 2))
        t = np.linspace(0, 1, 30)[:, None]
        pts = (1 - t) ** 2 * p[0] + 2 * (1 - t) * t * p[1] + t**2 * p[2]
        cv2.polylines(canvas, [np.int32(pts)], False, 255, int(rng.integers(3, 10)), cv2.LINE_AA)
    return canvas


def _blot(rng: np.random.Generator, _: list[Path]) -> np.ndarray:
    """A filled irregular blot: spilt ink, a thumb print, a hole punch."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
    radii = rng.uniform(10, 35, 9)
    pts = np.stack([CANVAS / 2 + radii * np.cos(angles), CANVAS / 2 + radii * np.sin(angles)], 1)
    cv2.fillPoly(canvas, [np.int32(pts)], 255, cv2.LINE_AA)
    return canvas


def _texture(rng: np.random.Generator, _: list[Path]) -> np.ndarray:
    """Blurred, thresholded noise: paper fibres, a fabric, a patterned surface."""
    noise = cv2.GaussianBlur(rng.random((CANVAS, CANVAS)).astype(np.float32), (0, 0), rng.uniform(1.5, 5))
    return ((noise > np.quantile(noise, rng.uniform(0.6, 0.85))) * 255).astype(np.uint8)
