"""A blob of ink as its strokes (`edgedigit.runtime.strokes`): thinning keeps a shape's lines and
connections, strokes part where lines cross, and every ink pixel goes to exactly one stroke."""

from __future__ import annotations

import cv2
import numpy as np

from edgedigit.runtime.strokes import strokes, thinned


def _drawn(*shapes: tuple) -> np.ndarray:
    """Boolean ink of lines ("line", p, q) and rings ("ring", centre, radius), 7 px thick, on 100x160."""
    img = np.zeros((100, 160), np.uint8)
    for kind, a, b in shapes:
        if kind == "line":
            cv2.line(img, a, b, 1, 7)
        else:
            cv2.circle(img, a, b, 1, 7)
    return img.astype(bool)


def test_thinning_leaves_one_connected_line_one_pixel_wide_along_the_stroke():
    bar = _drawn(("line", (20, 50), (140, 50)))
    line = thinned(bar)
    assert not (line & ~bar).any()  # inside the ink
    rows, cols = np.nonzero(line)
    assert set(rows) <= {49, 50, 51} and np.bincount(cols).max() == 1  # along its middle, one pixel a column
    assert cols.max() - cols.min() >= 110  # nearly end to end
    count, _ = cv2.connectedComponents(line.astype(np.uint8), connectivity=8)
    assert count == 2  # one line (and the background)


def test_a_ring_is_one_stroke_and_a_cross_is_four():
    ring = _drawn(("ring", (80, 50), 30))
    (only,) = strokes(ring, shortest=5, widest=1000)
    assert (only == ring).all()
    cross = _drawn(("line", (40, 50), (120, 50)), ("line", (80, 10), (80, 90)))
    arms = strokes(cross, shortest=5, widest=1000)
    assert len(arms) == 4
    centres = sorted((round(np.nonzero(a)[1].mean()), round(np.nonzero(a)[0].mean())) for a in arms)
    left, up, down, right = centres[0], *sorted(centres[1:3], key=lambda c: c[1]), centres[3]
    assert left[0] < 70 < right[0] - 20 and up[1] < 40 < 60 < down[1]  # one arm each way from the crossing


def test_every_ink_pixel_belongs_to_one_stroke():
    two_rings = _drawn(("ring", (55, 50), 30), ("ring", (105, 50), 30))  # written into each other
    parts = strokes(two_rings, shortest=5, widest=1000)
    assert len(parts) >= 4  # each ring's arcs, parted where the rings cross
    assert (np.sum(parts, axis=0) == two_rings).all()  # disjoint, and together all the ink


def test_a_long_stroke_is_cut_into_bands_no_wider_than_asked():
    bar = _drawn(("line", (10, 50), (150, 50)))
    bands = strokes(bar, shortest=5, widest=50)
    assert len(bands) == 3
    assert all(np.ptp(np.nonzero(b)[1]) <= 60 for b in bands)  # the band and the ink round the line's ends
    assert (np.sum(bands, axis=0) == bar).all()
