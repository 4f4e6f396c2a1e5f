"""A second look at a doubtful digit: its picture read again shifted a little each way and upright, averaged.

A digit reads the same a couple of pixels off centre; what the model reads in a scribble, a letter or a
texture wanders as it moves. The average of the readings is the digit's probability from then on, so the
confidence bar turns away more non-digits for the real digits it turns away (a /tmp measure on 1,800 USPS
crops and 1,200 generated non-digits, bundled model, at 1% of real digits turned away: one reading let 9.6% of
the non-digits through, the average over shifts of 2 px 7.2%; rotations, scaling, shearing and thinner or
bolder strokes told them apart less well; benchmarks/field_accuracy.py at the default bar: non-digits read as a
digit 13.5 -> 12.9%, USPS +0.12 pp at every crop, as the average also reads some doubtful digits right). The
picture sheared upright (`slant.deskew`, the function a deskewing model's trainer uses) is one more reading: a
leaning digit then counts as it reads written upright; a model that deskews its input itself (`classifier.deskew`)
would only read the picture as it is once more, so it gets the shifts alone. Only digits read with less than SURE
are looked at again:
nine real digits in ten, and hardly a non-digit, are read surer than that at once.
Device code: numpy and OpenCV only (and the classifier); it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import numpy as np

from edgedigit.runtime import slant
from edgedigit.runtime.classifier import Classifier

SURE = 0.99  # a calibrated probability: a digit read at least this sure is not looked at again
SHIFTS = ((2, 0), (-2, 0), (0, 2), (0, -2))  # px (x, y) on the 28x28 picture


def steadied(images: list[np.ndarray], probs: np.ndarray, classifier: Classifier) -> np.ndarray:
    """`probs` (calibrated, one row per 28x28 picture in `images`) with each row under SURE replaced by the
    average of its reading and the readings of its picture shifted by SHIFTS and sheared upright (one batch; the
    upright view is left out for a model that deskews its input itself)."""
    doubtful = np.flatnonzero(probs.max(axis=1) < SURE)
    if not len(doubtful):
        return probs
    upright = not classifier.deskew  # a deskewing model shears every picture upright itself
    views = np.array([view for k in doubtful for view in _views(images[k], upright)])
    again = classifier.predict_proba(views).reshape(len(doubtful), len(views) // len(doubtful), -1)
    out = probs.copy()
    out[doubtful] = (probs[doubtful] + again.sum(axis=1)) / (1 + again.shape[1])
    return out


def _views(image: np.ndarray, upright: bool) -> list[np.ndarray]:
    """The picture shifted by each of SHIFTS, then (if `upright`) sheared upright. The upright view, measured with
    the bundled model (benchmarks/field_accuracy.py: synthetic field sets 97.33 -> 97.53%, a drawn 1 with a long flag,
    leaning, 79 -> 85%, closed 4s stretched to a 16x16 bitmap 63 / 66 -> 67 / 72%, non-digits read as a digit 12.9 ->
    12.5%, USPS within 2 of 9,298 digits at every crop; number_accuracy.py: all numbers 82.9 -> 83.1%)."""
    shifted = [np.roll(image, (dy, dx), axis=(0, 1)) for dx, dy in SHIFTS]
    return shifted + [slant.deskew(image)] if upright else shifted
