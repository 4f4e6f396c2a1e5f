"""A second look at a doubtful digit: its picture read again shifted a little each way, the readings averaged.

A digit reads the same a couple of pixels off centre; what the model reads in a scribble, a letter or a
texture wanders as it moves. The average of the five readings is the digit's probability from then on, so the
confidence bar turns away more non-digits for the real digits it turns away (a /tmp measure on 1,800 USPS
crops and 1,200 generated non-digits, bundled model, at 1% of real digits turned away: one reading let 9.6% of
the non-digits through, the average over shifts of 2 px 7.2%; rotations, scaling, shearing and thinner or
bolder strokes told them apart less well; benchmarks/field_accuracy.py at the default bar: non-digits read as a
digit 13.5 -> 12.9%, USPS +0.12 pp at every crop, as the average also reads some doubtful digits right). Only
digits read with less than SURE are looked at again: nine real digits in ten, and hardly a non-digit, are read
surer than that at once.
Device code: numpy only (and the classifier); it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import numpy as np

from edgedigit.runtime.classifier import Classifier

SURE = 0.99  # a calibrated probability: a digit read at least this sure is not looked at again
SHIFTS = ((2, 0), (-2, 0), (0, 2), (0, -2))  # px (x, y) on the 28x28 picture


def steadied(images: list[np.ndarray], probs: np.ndarray, classifier: Classifier) -> np.ndarray:
    """`probs` (calibrated, one row per 28x28 picture in `images`) with each row under SURE replaced by the
    average of its reading and the readings of its picture shifted by SHIFTS (one batch)."""
    doubtful = np.flatnonzero(probs.max(axis=1) < SURE)
    if not len(doubtful):
        return probs
    moved = np.array([np.roll(images[k], (dy, dx), axis=(0, 1)) for k in doubtful for dx, dy in SHIFTS])
    again = classifier.predict_proba(moved).reshape(len(doubtful), len(SHIFTS), -1)
    out = probs.copy()
    out[doubtful] = (probs[doubtful] + again.sum(axis=1)) / (1 + len(SHIFTS))
    return out
