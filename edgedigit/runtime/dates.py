"""A date's slashes: straight strokes the model reads as sure 1s, told apart by the number they leave.

A slash between a date's day, month and year is one straight stroke, as a 1 is, and the model reads it as
a 1; one MNIST 1 in ten leans 30 degrees or more, as a slash does (a lean that finds half of 2,000 drawn
slashes takes 5% of MNIST's 1,135 test 1s: /tmp measure). So a line's
strokes read as 1s are taken for slashes only two at a time, both leaning forward at least SLASH_LEAN,
and only where they part the line's other digits as a date does: a day and a month of one or two digits, a
year of two or four, or a year of four first. Device code: numpy and OpenCV only; it never imports
TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np

# x per row of y (18 degrees): benchmarks/number_accuracy.py's dates, slashes drawn leaning 20-50 degrees, whose
# moments put some at 19-20 degrees, read 85.3% with their slashes (81.3% at 20 degrees, 57% at 25), with 2 false
# dates in 3,400 other numbers (its 2,800 at 50 a cell, leaning and fast ones) as at 20 degrees (3 at 16)
SLASH_LEAN = math.tan(math.radians(18))
STRAIGHT = 4.0  # one straight stroke: its ink's long axis at least this many times its short one (moments)
# how many digits each part of a date has: day, month, year (or month first), or year first (ISO 8601)
DATES = (((1, 2), (1, 2), (2, 4)), ((4,), (1, 2), (1, 2)))


def slashes(images: list[np.ndarray], digits: list[int]) -> tuple[int, int] | None:
    """Of one line's digits, left to right (their 28x28 `images` and what they were read as), the positions of
    the two that are a date's slashes (of several such pairs, the one leaning most), or None when the line is
    no date written with slashes."""
    if digits.count(1) < 2:  # the common case: no date
        return None
    leans = {k: _slash_lean(image) for k, (image, d) in enumerate(zip(images, digits)) if d == 1}
    leaning = [k for k, lean in leans.items() if lean >= SLASH_LEAN]
    n = len(digits)
    dates = [
        (i, j)
        for i, j in itertools.combinations(leaning, 2)
        if any(i in first and j - i - 1 in second and n - j - 1 in third for first, second, third in DATES)
    ]
    return max(dates, key=lambda p: min(leans[p[0]], leans[p[1]]), default=None)


def _slash_lean(image: np.ndarray) -> float:
    """How far a 28x28 picture's ink leans forward (x per row of y) when it is one straight stroke; else 0."""
    m = cv2.moments(image)
    if m["mu02"] <= 0:
        return 0.0
    spread = np.linalg.eigvalsh(np.array([[m["mu20"], m["mu11"]], [m["mu11"], m["mu02"]]]))
    if spread[1] < STRAIGHT**2 * max(spread[0], 1e-9):
        return 0.0
    return -m["mu11"] / m["mu02"]  # rows run down: a stroke leaning forward moves left as they go
