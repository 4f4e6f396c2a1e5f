"""A blob of ink as the strokes it is drawn with, for cutting digits written into each other.

Least-ink cuts part digits that touch, but not digits whose strokes cross: every top-to-bottom path then runs
through both. Strokes part them: the ink is thinned to one-pixel lines (Zhang-Suen), the lines are broken where
three or more meet (where one digit's stroke crosses or touches another's), lines wider than a share of a
digit are broken into column bands (two digits' strokes that meet end to end), and every ink pixel goes to
its nearest line. Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import cv2
import numpy as np


def thinned(mask: np.ndarray) -> np.ndarray:
    """`mask` (boolean) thinned to lines one pixel wide that keep its shape's connections (Zhang and Suen,
    1984: pixels on the boundary are peeled off in two alternating passes while that leaves the shape
    connected), vectorised over the whole picture."""
    img = np.pad(mask, 1).astype(np.uint8)
    while True:
        changed = False
        for second in (False, True):
            p2, p3, p4, p5, p6, p7, p8, p9 = _neighbours(img)
            centre = img[1:-1, 1:-1]
            count = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
            if second:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            peel = (centre == 1) & (count >= 2) & (count <= 6) & (_crossings(img) == 1) & side
            if peel.any():
                centre[peel] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def _neighbours(padded: np.ndarray) -> list[np.ndarray]:
    """The eight neighbours of every inner pixel of `padded`, clockwise from the one above."""
    p = padded
    return [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]


def _crossings(padded: np.ndarray) -> np.ndarray:
    """Per inner pixel of `padded` (0/1), how many times its ring of neighbours goes from blank to ink: 1 on a
    line or at its end, 3 or more where lines meet."""
    ring = _neighbours(padded)
    ring.append(ring[0])
    return sum(((a == 0) & (b == 1)).astype(np.uint8) for a, b in zip(ring, ring[1:]))


def strokes(own: np.ndarray, shortest: int, widest: int) -> list[np.ndarray]:
    """The ink of `own` (boolean) as strokes: per stroke, the boolean mask of the ink nearest its line.
    Lines shorter than `shortest` pixels (spurs the thinning leaves) are no strokes; lines wider than `widest`
    columns are cut into bands of at most that width."""
    lines = thinned(own)
    meeting = lines & (_crossings(np.pad(lines, 1).astype(np.uint8)) >= 3)
    # the pixels round a meeting point too: lines that meet along a short run of pixels part there
    meeting = cv2.dilate(meeting.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & lines
    count, labels, stats, _ = cv2.connectedComponentsWithStats((lines & ~meeting).astype(np.uint8), connectivity=8)
    ids = np.zeros_like(labels)
    n = 0
    for k in range(1, count):
        if stats[k, cv2.CC_STAT_AREA] < shortest:
            continue
        ys, xs = np.nonzero(labels == k)
        extent = int(xs.max() - xs.min()) + 1
        bands = -(-extent // max(widest, 1))
        ids[ys, xs] = n + 1 + np.minimum((xs - xs.min()) * bands // extent, bands - 1)
        n += bands
    if n <= 1:
        return [own]
    # every ink pixel to its nearest line: the distance transform labels each pixel by its nearest zero
    _, nearest = cv2.distanceTransformWithLabels(
        np.where(ids > 0, 0, 255).astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    on_line = ids > 0
    stroke_of = np.zeros(int(nearest.max()) + 1, ids.dtype)
    stroke_of[nearest[on_line]] = ids[on_line]
    owner = stroke_of[nearest]
    return [region for region in (own & (owner == k) for k in range(1, n + 1)) if region.any()]
