"""Light writing in dark windows on a lighter face: a meter's counter, its white digits on black drums.

The picture's paper is the light face, so each window is read as a blot of dark ink and the digits in it as holes:
a counter photographed whole, or cut out with a little of its face, read no number at all. A window is a dark
component among the tallest inside the frame that fills most of its (turned) box, dark over most of it, holding light
writing (two digits side by side in it or its neighbours), and meeting the picture's border little. Turned inside out
(`turned`), its dark ground becomes the face's paper and its light digits dark ink, and the rest of the preprocessing
reads them as written on the face. A bold dark 0 or 8 is no window (its outline is round, its inside light), nor is a
tinted field (its writing is darker still), nor the dark ground round white writing (it meets the border all round).
`edgedigit.runtime.preprocess` asks this of every picture larger than the model's input. Device code: numpy and
OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import cv2
import numpy as np

from edgedigit.runtime import paper

WINDOW_FILL = 0.93  # a window, its holes filled, covers this share of its smallest turned box (a drum's window is a
# rectangle, perhaps turned a little in the photo: 0.95 or more in number_sets.counters; a bold 0's outline, an
# ellipse, covers about 0.79, a bold handwritten 8's 0.86)...
WINDOW_DARK = 0.5  # ...is dark over this share of its box (a loop's stroke round its light inside is not)...
WINDOW_WRITING = 0.05  # ...holds light writing over this share of it (a black box or a blot holds none)...
WINDOW_LEAST = 0.1  # ...is at least this share of the picture high (dust and dark specks are not windows)...
WINDOW_TALLEST = 0.8  # ...and of the tallest dark thing inside the frame: a counter's windows are the largest marks on
# a meter's face (a printed label's o, a, e, R beside handwritten digits have holes and fill their boxes too)...
WINDOW_EDGE = 0.25  # ...and meets the picture's border along at most this share of it (a counter cut out, a little
# turned, meets it at its corners; the dark ground round light writing, white on black, along most of it)
WINDOW_DIVIDER = 0.8  # a light hole running this share of a window's height is the face between two windows whose
# frames join them into one (turned, it would be a dark stroke read as a 1); a printed digit is at most about three
# quarters of its window's height
WINDOW_PIECE = 0.2  # a window's light hole is a piece of writing when it is this share of its largest one (not a speck)
WINDOW_RIM = 3  # px each way of a window's outline: its blurred edge, between its dark ground and the face, whose
# grey would turn into a dark frame round the digit, is painted with the face's paper


def turned(gray: np.ndarray, bright: np.ndarray) -> np.ndarray | None:
    """`gray` with every dark window holding light writing turned inside out (dark ground -> the face's paper level,
    light writing -> dark ink), or None when it holds none. `bright`: its Otsu split (1 on the bright side)."""
    h, w = gray.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - bright, connectivity=8)
    on_border = np.bincount(paper.border(labels), minlength=n)
    inside_frame = [i for i in range(1, n) if on_border[i] <= WINDOW_EDGE * 2 * (h + w)]
    least = max(WINDOW_LEAST * h, WINDOW_TALLEST * max((stats[i, cv2.CC_STAT_HEIGHT] for i in inside_frame), default=0))
    candidates = [
        i
        for i in inside_frame
        if (bh := int(stats[i, cv2.CC_STAT_HEIGHT])) >= least
        and stats[i, cv2.CC_STAT_AREA] >= WINDOW_DARK * bh * int(stats[i, cv2.CC_STAT_WIDTH])
    ]
    if not candidates:
        return None  # the common case: dark writing on light paper, its strokes far from filling their boxes
    windows = {}
    for i in candidates:
        x, y, bw, bh, area = stats[i].tolist()
        own = (labels[y : y + bh, x : x + bw] == i).astype(np.uint8)
        outline = max(cv2.findContours(own, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0], key=cv2.contourArea)
        filled = cv2.drawContours(np.zeros_like(own), [outline], -1, 1, cv2.FILLED)
        inside, (across, up) = cv2.countNonZero(filled), _turned_box(outline)
        if inside >= WINDOW_FILL * across * up and inside - area >= WINDOW_WRITING * inside:
            windows[i] = own, filled, up
    pieces = [_pieces(filled - own, up, stats[i, cv2.CC_STAT_LEFT]) for i, (own, filled, up) in windows.items()]
    if not _side_by_side(pieces):
        return None
    face = paper.median(gray[bright > 0])
    out, rim = gray.copy(), cv2.getStructuringElement(cv2.MORPH_RECT, (2 * WINDOW_RIM + 1,) * 2)
    for i, (own, filled, height) in windows.items():
        x, y, bw, bh, _ = stats[i].tolist()
        ground = paper.median(gray[y : y + bh, x : x + bw][own > 0])
        x0, y0 = max(0, x - WINDOW_RIM), max(0, y - WINDOW_RIM)
        x1, y1 = min(w, x + bw + WINDOW_RIM), min(h, y + bh + WINDOW_RIM)
        region = np.zeros((y1 - y0, x1 - x0), np.uint8)
        region[y - y0 : y - y0 + bh, x - x0 : x - x0 + bw] = filled
        edge = cv2.dilate(region, rim) > cv2.erode(region, rim)
        source = gray[y0:y1, x0:x1]
        level = cv2.threshold(source[region > 0], 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]  # the light writing's
        light = _writing(((source > level) & (region > 0)).astype(np.uint8), height)  # (the rest: the face's paper)
        view, inside = out[y0:y1, x0:x1], region > 0
        view[inside] = np.where(light, np.clip(face + ground - source.astype(np.int16), 0, 255), face)[inside]
        view[edge] = face
    return out


def _pieces(holes: np.ndarray, height: float, left: int) -> list[tuple[int, int]]:
    """The columns (in the picture; the window's box starts at column `left`) of each piece of light writing among a
    window's `holes` (0/1): specks and the face between two joined windows (`WINDOW_DIVIDER`) left out."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=8)
    least = WINDOW_PIECE * max((int(a) for a in stats[1:, cv2.CC_STAT_AREA]), default=0)
    return [
        (left + x, left + x + w) for x, _, w, h, a in stats[1:].tolist() if a >= least and h < WINDOW_DIVIDER * height
    ]


def _side_by_side(pieces: list[list[tuple[int, int]]]) -> bool:
    """Whether two of the windows' pieces of light writing (`_pieces`) stand side by side, their columns apart: a
    counter's digits. A bold dark 0 holds one light hole, an 8 two, one over the other."""
    columns = [piece for window in pieces for piece in window]
    return len(columns) > 1 and max(start for start, _ in columns) >= min(end for _, end in columns)


def _turned_box(outline: np.ndarray) -> tuple[float, float]:
    """The sides of the smallest turned box round `outline` (a contour): the one nearer level, then the upright one."""
    corners = cv2.boxPoints(cv2.minAreaRect(outline))
    first, second = corners[1] - corners[0], corners[2] - corners[1]
    level, upright = (first, second) if abs(first[0]) >= abs(first[1]) else (second, first)
    return float(np.hypot(*level)), float(np.hypot(*upright))


def _writing(light: np.ndarray, height: int) -> np.ndarray:
    """Where a window (of `height`) holds light writing: its light pixels (0/1), less those of a run WINDOW_DIVIDER of
    its height, the face between two windows whose frames join them into one (a digit is lower than its window)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(light, connectivity=8)
    tall = [i for i in range(1, n) if stats[i, cv2.CC_STAT_HEIGHT] >= WINDOW_DIVIDER * height]
    return (light > 0) & ~np.isin(labels, tall)
