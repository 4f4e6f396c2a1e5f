"""A dollar sign written before an amount, told from the digit the model reads it as (a 5 or an 8, surely) by its
shape: an S crossed from top to bottom by one bar that stands out above and below it.

Device code: numpy only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import numpy as np

READ_AS = (5, 8)  # the model reads a hand-drawn dollar sign as one of these (number_accuracy.py: 34 and 25 of 59)
INK = 128  # a 28x28 crop's pixels at least this bright are ink
END = 0.1  # the top and the bottom tenth of the sign's height hold only the bar's ends...
END_WIDTH = 0.35  # ...each narrower than this share of its width...
END_INSIDE = 0.2  # ...and at least this share of its width in from either side
BAR = 0.9  # the line between the bar's ends runs through ink on this share of the sign's rows (an 8's loops part it)
QUARTERS = ((0.1, 0.45), (0.55, 0.9))  # an S's bowls: in each band of rows, ink both left and right of the bar (a
# closed 4, whose stem runs from top to bottom, has ink on one side only above its bar and none below it)


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
