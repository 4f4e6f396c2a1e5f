"""Reading digits: preprocessed crops -> classifier -> a number with a confidence per digit.

Shared by `classify` on files and by the camera loop, so both read digits the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgedigit.preprocess import Digit, find_digits
from edgedigit.runtime import Classifier

# a wide group is cut into touching digits when the model reads the whole with less than UNSURE and every
# piece with at least SURE (the int8 output's top value is 255/256; SURE 0.99 keeps wide single digits whole)
UNSURE, SURE = 0.9, 0.99
# a group the model reads with less than this is not a digit (a letter, a scribble, a smudge): the model is
# trained to spread its probability over all ten classes for such pictures (outlier exposure). Chosen with
# benchmarks/field_accuracy.py's sweep as the highest bar that turns away at most 1% of real digits (0.85%;
# 0.5 turned away 1.22%); it still takes 13% of the generated non-digits for digits
MIN_CONFIDENCE = 0.4


@dataclass(frozen=True)
class Reading:
    """What was read from one image: digits left to right, or none."""

    digits: list[int] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    top_k: list[list[tuple[int, float]]] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list, repr=False)  # what the model saw, 28x28 each
    rejected: list[tuple[int, int, int, int]] = field(default_factory=list)  # ink read as no digit

    @property
    def number(self) -> str | None:
        return "".join(map(str, self.digits)) or None

    @property
    def confidence(self) -> float | None:
        """The weakest digit's confidence: a number is only as sure as its least sure digit."""
        return min(self.confidences) if self.confidences else None

    def to_json(self) -> dict[str, Any]:
        return {
            "digit": self.digits[0] if self.digits else None,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "top_k": [[d, round(p, 4)] for d, p in self.top_k[0]] if self.top_k else [],
            "number": self.number,
            "digits": [
                {"digit": d, "confidence": round(c, 4), "box": list(b)}
                for d, c, b in zip(self.digits, self.confidences, self.boxes)
            ],
            "not_digits": [list(b) for b in self.rejected],
        }


def read_digits(
    img: np.ndarray,
    classifier: Classifier,
    top_k: int = 3,
    roi: tuple[int, int, int, int] | None = None,
    min_confidence: float = MIN_CONFIDENCE,
) -> Reading:
    """Find every digit in `img` and classify them in one batch; ink the model reads with less than
    `min_confidence` is reported as not a digit."""
    found: list[Digit] = find_digits(img, roi)
    if not found:
        return Reading()
    probs = classifier.predict_proba(np.array([d.image for d in found]))
    if any(d.cuts for d in found):
        found, probs = _touching(found, probs, classifier)
    best = probs.max(axis=1).tolist()
    rejected = []
    if min(best) < min_confidence:  # rare: keep the common path to one comparison
        sure = [b >= min_confidence for b in best]
        rejected = [d.box for d, s in zip(found, sure) if not s]
        found, probs = [d for d, s in zip(found, sure) if s], probs[np.array(sure)]
        if not found:
            return Reading(rejected=rejected)
    order = (-probs).argsort(axis=1)[:, :top_k].tolist()
    rows = probs.tolist()  # Python numbers from here on: indexing numpy scalars one by one is slow
    return Reading(
        digits=[o[0] for o in order],
        confidences=[r[o[0]] for r, o in zip(rows, order)],
        top_k=[[(i, r[i]) for i in o] for r, o in zip(rows, order)],
        boxes=[d.box for d in found],
        crops=[d.image for d in found],
        rejected=rejected,
    )


def _touching(found: list[Digit], probs: np.ndarray, classifier: Classifier) -> tuple[list[Digit], np.ndarray]:
    """Each wide group the model is unsure of, read as the first of its cuts whose every piece it is sure
    of (digits written touching each other); the other groups as they are."""
    digits, rows = [], []
    for digit, p in zip(found, probs):
        pieces, piece_probs = [digit], p[None]
        if digit.cuts and p.max() < UNSURE:
            for cut in digit.cuts:
                cut_probs = classifier.predict_proba(np.array([c.image for c in cut]))
                if cut_probs.max(axis=1).min() >= SURE:
                    pieces, piece_probs = list(cut), cut_probs
                    break
        digits += pieces
        rows.append(piece_probs)
    return digits, np.concatenate(rows)
