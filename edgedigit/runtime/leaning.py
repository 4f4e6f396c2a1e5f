"""A number written leaning (italic handwriting): its slant measured from the outline of its ink, and the page sheared
upright, so that digits written close part along columns again instead of overlapping there.

The slant is the chain-code estimate of Kimura, Shridhar and Chen (1993): along every outline, steps up and to the
right (n1), straight up (n2) and up and to the left (n3); a straight stroke leaning s px per row makes s of its steps
diagonal, curves make as many of one diagonal as of the other, so (n1 - n3) / (n1 + n2 + n3) is the writing's lean.
Single digits are never sheared here: the model reads them as they lean (MNIST is written at every slant), and
`second_look` reads a doubtful one sheared upright already.

Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from edgedigit.runtime.preprocess import Page

# the estimate on numbers of MNIST test digits written upright (benchmarks/number_sets.py, 200 each close, joined and
# apart): its median (0.13-0.18), the lean of the writing the model learned from...
MNIST_LEAN = 0.15
# ...how far the estimate moves per unit of shear (fits over the same numbers sheared 0.15-0.4: 0.66-0.74; curves
# dilute it), so the shear undone is the estimate's excess over MNIST_LEAN divided by this (0.7 read the sheared
# numbers as this does within two of 450, 0.6 shears too far: 11 fewer)...
RESPONSE = 0.78
# ...and the estimates of writing the model reads as it stands: the same upright numbers measure more than 0.25 one
# time in five or less, under -0.05 less than one in twenty; printed digits standing straight 0; numbers sheared 0.15
# or more measure above 0.25 two times in three or more. Only a number read with a doubtful digit is read again
UPRIGHT = (-0.05, 0.25)
# a piece of ink whose turned box is narrower than this share of its length is one straight stroke, left out of the
# lean: a date's slash leans 20-50 degrees, however upright its digits stand, and a 1 as it was drawn
STRAIGHT = 0.25
MAX_SHEAR = 0.6  # beyond this the writing is not leaning but turned (a page photographed sideways): left as it is


def slant(mask: np.ndarray) -> float:
    """The lean of the writing in `mask` (ink non-zero): x px per row up its strokes, right positive; 0 with no ink.
    Each piece of ink (its outline and its holes') but a straight stroke (STRAIGHT) gives its own lean, and the
    writing's is their median weighted by their steps."""
    outlines, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if not outlines:
        return 0.0
    points = np.concatenate(outlines)[:, 0]
    lengths = np.array([len(c) for c in outlines])
    ends = np.cumsum(lengths)
    after = np.arange(1, len(points) + 1)
    after[ends - 1] = ends - lengths  # each outline closes on itself: its last point's next is its first
    dx, dy = (points[after] - points).T
    owner = np.where(hierarchy[0, :, 3] < 0, np.arange(len(outlines)), hierarchy[0, :, 3])  # a hole's piece
    step_owner = np.repeat(owner, lengths)
    diagonal = (dx != 0) & (dy != 0)
    count = len(outlines)
    rising = np.bincount(step_owner, diagonal & (dx * dy < 0), count)  # x grows as y falls (rows grow downwards)
    falling = np.bincount(step_owner, diagonal & (dx * dy > 0), count)
    total = rising + falling + np.bincount(step_owner, (dx == 0) & (dy != 0), count)
    pieces = [k for k in np.flatnonzero(total) if not _straight(outlines[k])]
    if not pieces:
        return 0.0
    leans = (rising[pieces] - falling[pieces]) / total[pieces]
    order = np.argsort(leans)
    weight = np.cumsum(total[pieces][order])
    return float(leans[order][np.searchsorted(weight, weight[-1] / 2)])


def _straight(outline: np.ndarray) -> bool:
    """Whether a piece of ink (its outer outline) is one straight stroke (STRAIGHT)."""
    (_, _), (w, h), _ = cv2.minAreaRect(outline)
    return min(w, h) < STRAIGHT * max(w, h)


def shear_of(mask: np.ndarray) -> float:
    """The shear that brings the writing in `mask` upright, as the model knows upright (MNIST_LEAN); 0 when it
    stands as the model reads it (UPRIGHT) or leans too far to be writing (MAX_SHEAR)."""
    lean = slant(mask)
    shear = (lean - MNIST_LEAN) / RESPONSE
    return 0.0 if UPRIGHT[0] <= lean <= UPRIGHT[1] or abs(shear) > MAX_SHEAR else shear


def upright(page: Page) -> Page | None:
    """`page` sheared upright when its writing leans (`shear_of`); None when it does not. Rows move sideways by the
    shear times their depth below the top row, the page widening to hold them; `Page.box` maps a box back."""
    shear = shear_of(page.mask)
    if not shear:
        return None
    h, w = page.mask.shape
    # x' = x + shear * y + shift: each row moves right by the shear per row below the top, so a stroke leaning right
    # (its top further right) stands upright; a page leaning left starts its bottom row further right
    shift = 0.0 if shear > 0 else -shear * (h - 1)
    width = w + int(np.ceil(abs(shear) * (h - 1)))
    matrix = np.float32([[1.0, shear, shift], [0.0, 1.0, 0.0]])
    ink = cv2.warpAffine(page.ink, matrix, (width, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(page.mask, matrix, (width, h), flags=cv2.INTER_NEAREST)
    return replace(page, ink=ink, mask=mask, shear=(shear, shift), rules=(), with_rules=None)
