"""Lines that are not writing, taken out of a page's ink: the ruling of lined or squared paper in a photo, and a
line drawn under or along a number (an underline, a form's printed line), which would join its digits into one
component or one group.

Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from edgedigit.runtime import frames, scene
from edgedigit.runtime.grouping import SPECK_AREA, components, crossings, group_box, ink_mask, merge_by_overlap

RULING_FILL = 3  # px across a ruling line that a stroke crossing it is looked for: past the 3 px band ruling marks
RULE_LENGTH = 1.3  # a straight run of ink this many times as long as the ink is high...
RULE_SPAN = 0.8  # ...and across this share of its width is a rule drawn along the writing (an underline, a
# form's printed line)...
RULE_THICKNESS = 0.15  # ...no thicker than this share of the ink's height...
RULE_SLOPE = 0.05  # ...rising or falling by at most this share of its length (a line drawn by hand)...
RULE_STRAIGHT = 0.9  # ...straight: the core of the fitted line is ink in this share of its columns (the bases
# of digits written touching on one line: 0.54 / 0.76 / 0.99 at the 10th / 50th / 90th percentile, ruled lines 1.0)...
RULE_ACROSS = 0.1  # ...with no more than this share of the other ink on its far side (descenders crossing it)...
RULE_DIGITS = 2  # ...with at least this many digits side by side along it (a wide 2's base is no rule: what
RULE_DIGIT_HEIGHT = 0.5  # is left of the 2 is its curve and a tail, and a digit is this share of the tallest)
RUN_STEP = 4  # a run along a row is first looked for on every this many columns (its length less two steps' margin)
RULE_GAP = 0.1  # a printed line dotted or dashed: its gaps no wider than this share of the ink's height...
RULE_PIECES = 6  # ...and in this many pieces at least (number_sets.on_printed_line: 10 or more; the feet of digits
# written into each other, which the gaps closed make a straight run, a few)


def without_ruling(ink: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lined or squared paper: the ruling is taken out of the ink at its own level, so a darker stroke
    that crosses a line keeps the rest of its ink; and where a stroke brighter than the ruling (in the ink
    image) crosses a line (`_ink_across`), the line's pixels keep the stroke's ink, so a bold stroke is not
    cut in two there (subtracting the line's level took too much of it). A grid's lines, crossing each other,
    are no brighter than the ruling."""
    lines = scene.ruling(mask)
    if lines is None:
        return ink, mask
    level = int(np.median(ink[cv2.bitwise_and(lines, mask) > 0]))  # how bright the ruling's own ink is
    cleaned = cv2.subtract(ink, level, dst=ink.copy(), mask=lines)
    across = _ink_across(ink)
    cv2.copyTo(cv2.max(across, cleaned), cv2.bitwise_and(lines, cv2.compare(across, level, cv2.CMP_GT)), cleaned)
    return cleaned, ink_mask(cleaned, photo=True)


def _ink_across(ink: np.ndarray) -> np.ndarray:
    """Per pixel, the lesser of the ink RULING_FILL px above and below it and of that left and right of it:
    on a line a stroke crosses, the stroke's ink; on a line alone, the paper's."""
    kernel = _ends(RULING_FILL)
    return cv2.min(cv2.erode(ink, kernel), cv2.erode(ink, kernel.T))


@functools.lru_cache(maxsize=4)
def _ends(reach: int) -> np.ndarray:
    """A column kernel of the two pixels `reach` above and below its centre: erosion by it is the lesser of them."""
    kernel = np.zeros((2 * reach + 1, 1), np.uint8)
    kernel[[0, -1]] = 1
    return kernel


def rules(mask: np.ndarray) -> list[np.ndarray]:
    """Lines drawn under or along a number (an underline, a form's printed line), each as a mask of its ink:
    touching the digits, such a line joins the number into one component; apart, it merges them into one
    group by overlapping them all. A rule is a straight, thin run of ink RULE_LENGTH times as long as all the
    ink is high (a number is wider than high, a digit seldom is, so most single digits are never looked at)
    and across RULE_SPAN of its width, with RULE_DIGITS groups of ink side by side once it is gone, and not part
    of a box or a circle drawn round the number (`frames.drawn_round`: grouping leaves that out whole); where
    there is none, a printed line dotted or dashed is one (its gaps under RULE_GAP, in RULE_PIECES pieces or more).
    Digits written touching along a line (the bases of "222") can pass for one: the reader reads both pages."""
    _, _, width, height = cv2.boundingRect(mask)
    if width < RULE_LENGTH * height or height == 0:
        return []  # the common case, checked in one call: one digit, or digits no wider than high
    found = _rules(mask, mask, 1)
    gap = round(RULE_GAP * height)
    if not found and gap > 1:
        found = _rules(mask, cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, gap), np.uint8)), RULE_PIECES)
    if found and frames.drawn_round(mask):
        return []  # a box or a circle round the number: its top and bottom are no rules, and grouping drops it
    return found


def _rules(mask: np.ndarray, solid: np.ndarray, pieces: int) -> list[np.ndarray]:
    """`rules` in `mask`, its runs looked for in `solid` (the mask itself, or with a dotted line's gaps closed), each
    made of at least `pieces` pieces of `mask`'s ink."""
    _, _, width, height = cv2.boundingRect(mask)
    length = max(int(RULE_LENGTH * height), int(RULE_SPAN * width))
    drift = max(1, round(RULE_SLOPE * length))  # a hand-drawn line wanders this much over `length`
    tall = cv2.getStructuringElement(cv2.MORPH_RECT, (1, 2 * drift + 1))
    band = cv2.dilate(solid, tall)
    if cv2.reduce(band, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).max() < 255 * length:
        return []  # no row holds `length` ink pixels, let alone a run of them (a number on a camera frame)
    if not _may_hold_run(band, length):
        return []  # most numbers stop here, found on a RUN_STEP-th of the work
    wide = np.ones((1, length), np.uint8)
    cores = cv2.erode(band, wide)
    if not cores.any():
        return []
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(cores, wide))
    thin = [i for i in range(1, n) if stats[i, cv2.CC_STAT_HEIGHT] <= RULE_THICKNESS * height + 4 * drift]
    found = []
    for i in thin:
        fit = _fit_line((labels == i) & (solid > 0))
        if fit is None:
            continue
        ends, thickness = fit
        rule, core = np.zeros_like(mask), np.zeros_like(mask)
        cv2.line(rule, *ends, 255, thickness + 2)  # with its anti-aliased edge
        cv2.line(core, *ends, 255, max(1, thickness - 2))
        straight = np.count_nonzero(cv2.reduce(core & solid, 0, cv2.REDUCE_MAX))
        if straight < RULE_STRAIGHT * (ends[1][0] + 1 - ends[0][0]):
            continue  # ink that bends away from a straight line: digits' strokes written into each other
        if pieces > 1 and crossings(cv2.reduce(core & mask, 0, cv2.REDUCE_MAX)[0] > 0) < pieces:
            continue  # a few pieces: the feet of digits written into each other, not a dotted line's dots
        rule &= mask
        rest = cv2.subtract(mask, rule)
        ys, xs = np.nonzero(rest)
        (x0, y0), (x1, y1) = ends
        below = (ys - y0) * (x1 - x0) > (y1 - y0) * (xs - x0)
        if min(np.count_nonzero(below), np.count_nonzero(~below)) > RULE_ACROSS * len(ys):
            continue  # the writing lies on both sides: a digit's bar (a wide 4's), not a line under or over it
        if _digits_along(rest) >= RULE_DIGITS:  # each run alone: a flat 0's top and bottom, taken out
            found.append(rule)  # together, would leave its two sides as two digits
    return found


def _may_hold_run(band: np.ndarray, length: int) -> bool:
    """False only when no row of `band` holds a run of `length` ink pixels (as eroding it by a row that long finds,
    the picture's edges not eroding): on every RUN_STEP-th column such a run crosses its length less two steps' margin
    of them, so a fast look there misses none."""
    sampled = np.ascontiguousarray(band[:, ::RUN_STEP])
    return bool(cv2.erode(sampled, np.ones((1, max(1, (length - 2 * RUN_STEP) // RUN_STEP)), np.uint8)).any())


def _fit_line(band: np.ndarray) -> tuple[tuple[tuple[int, int], tuple[int, int]], int] | None:
    """The straight line through a run's ink (`band`), fitted where no digit's stroke meets it, and its
    thickness in most of its columns; None when there is no line to fit."""
    counts = np.count_nonzero(band, axis=0)
    if not counts.any():
        return None  # the run lies in the thickened band only
    x0, x1 = int(np.flatnonzero(counts)[0]), int(np.flatnonzero(counts)[-1])
    thickness = int(np.median(counts[x0 : x1 + 1]))
    ys, xs = np.nonzero(band & (counts <= thickness))
    if len(np.unique(xs)) < 2:
        return None  # a run broken into pieces
    slope, offset = np.polyfit(xs, ys, 1)
    return ((x0, round(offset + slope * x0)), (x1, round(offset + slope * x1))), thickness


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1) of a mask's ink."""
    x, y, w, h = cv2.boundingRect(mask)
    return x, y, x + w, y + h


def _digits_along(mask: np.ndarray) -> int:
    """How many groups of ink at least RULE_DIGIT_HEIGHT of the tallest high stand side by side in `mask`."""
    _, boxes = components(mask, bridge=False)
    largest = max((b[4] for b in boxes), default=0)
    groups = [group_box(g) for g in merge_by_overlap([b for b in boxes if b[4] >= SPECK_AREA * largest])]
    tallest = max((y1 - y0 for _, y0, _, y1 in groups), default=0)
    return sum(y1 - y0 >= RULE_DIGIT_HEIGHT * tallest for _, y0, _, y1 in groups)
