"""Signs written before or after an amount, told from the digit the model reads them as by their shape: a dollar
sign (an S crossed from top to bottom by one bar that stands out above and below it, read as a 5 or an 8, surely), a
plus sign (two straight strokes crossing at their middles, read as a 4), a euro sign (a C crossed by two bars, read
as a 5 or a 6), a hash sign (two strokes across two others, read as a 4 or a 7), a percent sign (two loops and a slash
between them) and brackets (a narrow bowed stroke, read as a 1 or a 7).

Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edgedigit.runtime.grouping import crossings, holes

READ_AS = (5, 8)  # the model reads a hand-drawn dollar sign as one of these (number_accuracy.py: 34 and 25 of 59)
INK = 128  # a 28x28 crop's pixels at least this bright are ink
END = 0.1  # the top and the bottom tenth of the sign's height hold only the bar's ends...
END_WIDTH = 0.35  # ...each narrower than this share of its width...
END_INSIDE = 0.2  # ...and at least this share of its width in from either side
BAR = 0.9  # the line between the bar's ends runs through ink on this share of the sign's rows (an 8's loops part it)
QUARTERS = ((0.1, 0.45), (0.55, 0.9))  # an S's bowls: in each band of rows, ink both left and right of the bar (a
# closed 4, whose stem runs from top to bottom, has ink on one side only above its bar and none below it)
PLUS_ASPECT = (0.6, 1.6)  # a plus sign is about as wide as high...
PLUS_ARM = 0.8  # ...its bar and its stem each run through this share of its width and height...
PLUS_BAND = 0.2  # ...within this share of its size of its middle...
PLUS_CORNERS = 0.05  # ...with at most this share of its ink outside them (a 4's stroke down to its bar: more)...
PLUS_SECOND = 0.1  # ...and at most this share of the rows above its bar, or of the columns left of its stem, crossing
# a second stroke (a 4 whose arm down to its bar lies close to its stem: most of them)
EURO_COLUMNS = (0.3, 0.6)  # a euro sign's middle columns cross its C's top and bottom and its two bars...
EURO_CROSSED = 0.6  # ...four strokes, in this share of those columns at least...
EURO_BACK = 0.3  # ...its C's back, or its bars, start within this share of its width of its left side...
EURO_ROWS = 0.7  # ...in this share of its rows at least (a 3, open on the left, in a few: MNIST test 3s, 11 of 1,010
# crossed four times, none of them so), and it holds no loop (a 6's, an 8's)
PERCENT_APART = 0.3  # a percent sign's two loops lie this share of its width and of its height apart or more, the
# upper one on the left (an 8's lie one over the other)...
PERCENT_SLASH = 0.7  # ...its slash puts ink along this share of the line from its lower left corner to its upper
# right one...
PERCENT_PIECES = 2  # ...and a ring stands apart from it: two pieces of ink or more (digits written touching at a
# number's end, "96", "38", "50", hold their loops so too, and a stroke where the slash would be: 10 of 4,000 numbers
# of benchmarks/number_sets.py as one piece or two, 1 as two; a ring written on the slash is no rarity)
BRACKET_BOW = 0.08  # a bracket's middle rows lie this share of its height or more to one side of the line between its
# ends (number_sets.signed: 0.1 and more; MNIST test 1s: 34 of 1,135 bow as far, either way)...
BRACKET_WIDTH = 0.5  # ...and it is no wider than this share of its height: one narrow stroke
BRACKET_END = 0.15  # its ends: the top and the bottom rows of this share of its height...
BRACKET_MIDDLE = (0.35, 0.65)  # ...and its middle rows, between these shares of it
HASH_ASPECT = (0.5, 2.0)  # a hash sign is about as wide as high...
HASH_EDGE = 0.2  # ...the band of this share of its height or width along each of its sides crosses two strokes...
HASH_MIDDLE = (0.4, 0.6)  # ...and most of its rows and of its columns between these shares cross two strokes or more
# (a 4 with a piece of its neighbour at its foot passes the sides' test; its middle columns cross its bar alone)


def dollar(crop: np.ndarray) -> bool:
    """Whether a 28x28 crop in MNIST form (bright ink) is a dollar sign's shape. Hand-drawn signs of
    benchmarks/number_sets.py: 171 of 200; MNIST test 5s and 8s: 2 of 1,866; USPS 5s and 8s: 4 of 1,424. A printed
    sign whose bar shows only above and below its S is not found."""
    ink = crop >= INK
    inked_rows, inked_cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(inked_rows) < 2 or len(inked_cols) < 2:
        return False
    top, bottom, left, right = int(inked_rows[0]), int(inked_rows[-1]), int(inked_cols[0]), int(inked_cols[-1])
    height, width = bottom - top + 1, right - left + 1
    band = max(1, round(END * height))
    ends = []
    for span in (slice(top, top + band), slice(bottom - band + 1, bottom + 1)):
        xs = np.flatnonzero(ink[span].any(axis=0))
        middle, inside = (xs[0] + xs[-1]) / 2, END_INSIDE * width
        if xs[-1] - xs[0] + 1 > END_WIDTH * width or not left + inside <= middle <= right - inside:
            return False
        ends.append(middle)
    sign = ink[top : bottom + 1]
    bar = np.round(np.interp(np.arange(top, bottom + 1), [top, bottom], ends)).astype(int)[:, None]
    columns = np.arange(ink.shape[1])[None, :]
    if (sign & (np.abs(columns - bar) <= 1)).any(axis=1).mean() < BAR:
        return False
    on_left, on_right = (sign & (columns < bar - 1)).any(axis=1), (sign & (columns > bar + 1)).any(axis=1)
    for lo, hi in QUARTERS:
        rows = slice(round(lo * (height - 1)), round(hi * (height - 1)) + 1)
        if not (on_left[rows].any() and on_right[rows].any()):
            return False
    return True


def plus(crop: np.ndarray) -> bool:
    """Whether a 28x28 crop in MNIST form (bright ink) is a plus sign's shape: a bar and a stem crossing near their
    middles, each one straight stroke (PLUS_*). Hand-drawn signs of benchmarks/number_sets.py: 48 of 50; MNIST test
    4s: 8 of 982, which the reader tells apart by their height besides."""
    ink = _ink_box(crop, PLUS_ASPECT)
    if ink is None:
        return False
    h, w = ink.shape
    rows = slice(round((0.5 - PLUS_BAND) * h), round((0.5 + PLUS_BAND) * h) + 1)
    cols = slice(round((0.5 - PLUS_BAND) * w), round((0.5 + PLUS_BAND) * w) + 1)
    if ink[rows].any(axis=0).mean() < PLUS_ARM or ink[:, cols].any(axis=1).mean() < PLUS_ARM:
        return False
    corners = ink.copy()
    corners[rows], corners[:, cols] = False, False
    if np.count_nonzero(corners) > PLUS_CORNERS * np.count_nonzero(ink):
        return False
    bar = rows.start + int(np.argmax(np.count_nonzero(ink[rows], axis=1)))
    stem = cols.start + int(np.argmax(np.count_nonzero(ink[:, cols], axis=0)))
    margin = max(1, round(PLUS_BAND * h))
    above = [crossings(row) > 1 for row in ink[: max(0, bar - margin)]]
    left = [crossings(column) > 1 for column in ink[:, : max(0, stem - margin)].T]
    return np.mean(above or [False]) <= PLUS_SECOND and np.mean(left or [False]) <= PLUS_SECOND


def euro(crop: np.ndarray) -> bool:
    """Whether a 28x28 crop in MNIST form (bright ink) is a euro sign's shape: a C, open on the right, crossed by two
    bars, with no loop (EURO_*). Hand-drawn signs of benchmarks/number_sets.py: 99 of 100; MNIST test digits: none of
    10,000."""
    ink = _ink_box(crop)
    if ink is None:
        return False
    h, w = ink.shape
    columns = ink[:, round(EURO_COLUMNS[0] * w) : round(EURO_COLUMNS[1] * w) + 1].T
    if np.mean([crossings(column) >= 4 for column in columns]) < EURO_CROSSED:
        return False
    if np.mean(ink.argmax(axis=1) <= EURO_BACK * w) < EURO_ROWS:
        return False
    return holes(ink) == 0


def hash_sign(crop: np.ndarray) -> bool:
    """Whether a 28x28 crop in MNIST form (bright ink) is a hash sign's shape: two strokes across two others, each
    reaching out past them, so that every side's band (HASH_EDGE) and its middle (HASH_MIDDLE) cross two strokes.
    Hand-drawn signs of benchmarks/number_sets.py: 100 of 100; MNIST test digits: 1 of 10,000."""
    ink = _ink_box(crop, HASH_ASPECT)
    if ink is None:
        return False
    h, w = ink.shape
    rows, cols = max(1, round(HASH_EDGE * h)), max(1, round(HASH_EDGE * w))
    sides = (ink[:rows].any(axis=0), ink[-rows:].any(axis=0), ink[:, :cols].any(axis=1), ink[:, -cols:].any(axis=1))
    if not all(crossings(side) >= 2 for side in sides):
        return False
    middle_rows = ink[round(HASH_MIDDLE[0] * h) : round(HASH_MIDDLE[1] * h) + 1]
    middle_cols = ink[:, round(HASH_MIDDLE[0] * w) : round(HASH_MIDDLE[1] * w) + 1].T
    return all(np.mean([crossings(line) >= 2 for line in lines]) > 0.5 for lines in (middle_rows, middle_cols))


def bracket(crop: np.ndarray) -> int:
    """-1 when a 28x28 crop in MNIST form (bright ink) is an opening bracket's shape, 1 a closing one's, else 0: one
    narrow stroke (BRACKET_WIDTH) whose middle bows away from the line between its ends (BRACKET_BOW), to the left for
    "(", to the right for ")". Hand-drawn pairs of benchmarks/number_sets.py: 35 of 37; MNIST test digits: 217 of
    10,000 (12 of them 1s), so the reader asks for a pair round a digit, read as such brackets are read."""
    ink = _ink_box(crop, (0.0, BRACKET_WIDTH))
    if ink is None:
        return 0
    h = ink.shape[0]
    centres = (ink * np.arange(ink.shape[1])).sum(axis=1) / np.maximum(ink.sum(axis=1), 1)
    ends = max(1, round(BRACKET_END * h))
    chord = np.linspace(centres[:ends].mean(), centres[-ends:].mean(), h)
    middle = slice(round(BRACKET_MIDDLE[0] * h), round(BRACKET_MIDDLE[1] * h) + 1)
    bow = float((centres[middle] - chord[middle]).mean()) / h
    return -1 if bow <= -BRACKET_BOW else 1 if bow >= BRACKET_BOW else 0


def percent(crop: np.ndarray) -> bool:
    """Whether a 28x28 crop in MNIST form (bright ink) is a percent sign's shape: two loops, the upper one on the left
    (PERCENT_APART), and a slash from the lower left corner to the upper right one between them (PERCENT_SLASH), a
    ring apart from it (PERCENT_PIECES). Hand-drawn signs of benchmarks/number_sets.py: 37 of 37; MNIST test digits:
    none of 10,000."""
    ink = _ink_box(crop)
    if ink is None:
        return False
    h, w = ink.shape
    paper = np.pad(~ink, 1, constant_values=True).astype(np.uint8)
    n, _, _, centres = cv2.connectedComponentsWithStats(paper, connectivity=4)
    if n != 4 or cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)[0] - 1 < PERCENT_PIECES:
        return False  # the paper round it (label 1, from the padding) and two loops; a ring apart from the slash
    (x0, y0), (x1, y1) = sorted(centres[2:].tolist(), key=lambda c: c[1])
    if x1 - x0 < PERCENT_APART * w or y1 - y0 < PERCENT_APART * h:
        return False
    steps = max(h, w)
    xs = np.linspace(0, w - 1, steps).round().astype(int)
    ys = np.linspace(h - 1, 0, steps).round().astype(int)
    near = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return float(near[ys, xs].mean()) >= PERCENT_SLASH


def _ink_box(crop: np.ndarray, aspect: tuple[float, float] = (0.0, math.inf)) -> np.ndarray | None:
    """The ink (INK or brighter) of a 28x28 crop cut to its box; None when it is a dot or a line one pixel across, or
    its width over its height lies outside `aspect`."""
    ink = crop >= INK
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) < 2 or len(cols) < 2:
        return None
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return box if aspect[0] <= box.shape[1] / box.shape[0] <= aspect[1] else None
