"""A meter's counter: its digits in windows, light on dark drums in a lighter face, or dark on light drums behind a
dark panel.

Light digits on dark drums: the picture's paper is the light face, so each window is read as a blot of dark ink and
its digit as a hole; a counter photographed whole, or cut out with a little of its face, read no number at all. Dark
digits on light drums behind a dark panel: the panel is the paper, the drums bright ink. A window is a component of
one side of the picture's Otsu split, among the tallest of that side inside the frame, that fills most of its (turned)
box, holding writing of the other side with two pieces side by side in it or its neighbours, and meeting the
picture's border little. Dark windows are turned inside out (`turned`: their ground becomes the face's paper, their
digits dark ink); round light ones the panel is painted with their paper (`lit`); either way the rest of the
preprocessing reads the digits as written on paper. A bold 0 or 8 is no window (its outline is round, its inside
small), nor is a tinted field (its writing is darker still), nor the ground round writing of the other side (it meets
the border all round). `edgedigit.runtime.preprocess` asks this (`counter`) of every picture larger than the model's
input. Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import cv2
import numpy as np

from edgedigit.runtime import paper

WINDOWS_SHARE = 0.05  # a counter's windows, or the face and panel round them, cover at least this share of the
# picture on each side of its Otsu split (number_sets.counters: 0.15 or more; writing on paper: its ink, a few percent)
WINDOWS_CONTRAST = 60  # ...and the two sides' means lie this many grey levels apart (counters: 67 or more; paper lit
# unevenly and split by Otsu where its light falls off: half its fall, 20-40)
WINDOW_FILL = 0.93  # a window, its holes filled, covers this share of its smallest turned box (a drum's window is a
# rectangle, perhaps turned a little in the photo: 0.95 or more in number_sets.counters; a bold 0's outline, an
# ellipse, covers about 0.79, a bold handwritten 8's 0.86)...
WINDOW_GROUND = 0.5  # ...is its ground (dark, or light) over this share of its box (a loop's stroke is not)...
WINDOW_WRITING = 0.05  # ...holds writing of the other side over this share of it (a black box, a blot hold none)...
WINDOW_LEAST = 0.1  # ...is at least this share of the picture high (dust and dark specks are not windows)...
WINDOW_TALLEST = 0.8  # ...and of the tallest thing of its side inside the frame: a counter's windows are the largest
# marks on a meter's face (a printed label's o, a, e, R beside handwritten digits have holes, fill their boxes too)...
WINDOW_EDGE = 0.25  # ...and meets the picture's border along at most this share of it (a counter cut out, a little
# turned, meets it at its corners; the dark ground round light writing, white on black, along most of it)
WINDOW_DIVIDER = 0.8  # a hole running this share of a window's height is the face between two windows whose frames (or
# the blur) join them into one (turned, it would be a stroke read as a 1); a printed digit is at most about three
# quarters of its window's height
WINDOW_PIECE = 0.2  # a window's hole is a piece of writing when it is this share of its largest one (not a speck)...
WINDOW_SPAN = 0.3  # ...and this share of the window high: a digit (0.39 or more in number_sets.counters), not the small
# inside of a bold 0 or 8 written in the other polarity, whose outline a window's may look like
LIT_GROUND = 0.7  # a light window holding dark writing is light over this share of it: a counter's white drum
# behind a dark panel (0.8-0.9), not a bold light 0, 6, 8 or 9 written on a dark ground (its ring round its dark
# inside: 0.5-0.6)...
LIT_PANEL = 0.5  # ...behind a dark panel along this share of the picture's border at least (a row of comb boxes on a
# form, light boxes holding dark digits, has paper round it: lit as windows, digits touching their lines were cut)...
LIT_SPAN = 0.4  # ...and its writing WINDOW_SPAN's share is this: a bold light 0's or 8's dark inside reaches 0.3-0.35
WINDOW_RIM = 3  # px each way of a window's outline: its blurred edge, between its dark ground and the face, whose
# grey would turn into a dark frame round the digit, is painted with the face's paper
_RIM = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * WINDOW_RIM + 1,) * 2)  # the rim's pen, made once


def counter(gray: np.ndarray, bright: np.ndarray) -> np.ndarray | None:
    """`gray` as a counter's digits written dark on paper: dark windows holding light digits turned inside out
    (`turned`), or else the dark panel round light windows holding dark digits painted with their paper (`lit`); None
    when it shows no such windows. `bright`: its Otsu split (1 on the bright side)."""
    dark = 1 - cv2.countNonZero(bright) / bright.size
    if min(dark, 1 - dark) < WINDOWS_SHARE:
        return None  # the common photo: a little ink on much paper, decided without labelling (0.1-0.2 ms)
    if cv2.mean(gray, bright)[0] - cv2.mean(gray, 1 - bright)[0] < WINDOWS_CONTRAST:
        return None  # paper lit unevenly, split by Otsu where its light falls off
    turned_out = turned(gray, bright)
    return turned_out if turned_out is not None else lit(gray, bright)


def turned(gray: np.ndarray, bright: np.ndarray) -> np.ndarray | None:
    """`gray` with every dark window holding light writing turned inside out (dark ground -> the face's paper level,
    light writing -> dark ink), or None when it holds none."""
    found = _found(1 - bright)
    if found is None:
        return None
    stats, windows = found
    h, w = gray.shape
    face = paper.median(gray[bright > 0])
    out = gray.copy()
    for i, (own, filled, height) in windows.items():
        x, y, bw, bh, _ = stats[i].tolist()
        ground = paper.median(_window(gray, stats[i])[own > 0])
        x0, y0 = max(0, x - WINDOW_RIM), max(0, y - WINDOW_RIM)
        x1, y1 = min(w, x + bw + WINDOW_RIM), min(h, y + bh + WINDOW_RIM)
        region = np.zeros((y1 - y0, x1 - x0), np.uint8)
        region[y - y0 : y - y0 + bh, x - x0 : x - x0 + bw] = filled
        edge = cv2.dilate(region, _RIM) > cv2.erode(region, _RIM)
        source = gray[y0:y1, x0:x1]
        level = cv2.threshold(source[region > 0], 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]  # the light writing's
        light = _writing(((source > level) & (region > 0)).astype(np.uint8), height)  # (the rest: the face's paper)
        view, inside = out[y0:y1, x0:x1], region > 0
        view[inside] = np.where(light, np.clip(face + ground - source.astype(np.int16), 0, 255), face)[inside]
        view[edge] = face
    return out


def lit(gray: np.ndarray, bright: np.ndarray) -> np.ndarray | None:
    """`gray` with the dark panel round light windows holding dark writing (white drums with black digits behind a
    meter's dark panel: the dark side meeting the border) painted with the windows' paper, or None when it shows
    none. A window that was not found as one (its digit a thin 1) keeps its digit."""
    if np.mean(paper.border(bright)) > 1 - LIT_PANEL:
        return None  # the picture's paper reaches its border: boxes printed on a form, not a meter's panel
    found = _found(bright, lit=True)
    if found is None:
        return None
    stats, windows = found
    grounds = {i: paper.median(_window(gray, stats[i])[own > 0]) for i, (own, _, _) in windows.items()}
    level = max(grounds.values())  # each window's paper brought to the lightest's, so that no edge is left between
    _, labels = cv2.connectedComponents(1 - bright, connectivity=8)
    on_border = paper.border(labels)
    out = gray.copy()
    out[np.isin(labels, np.unique(on_border[on_border > 0]))] = level  # the panel: the dark side meeting the border
    for i, (_, filled, height) in windows.items():
        inside, source = cv2.erode(filled, _RIM) > 0, _window(gray, stats[i])
        dark = (source < cv2.threshold(source[inside], 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]) & inside
        writing = _writing(dark.astype(np.uint8), height)  # not the dark face between two windows joined by the blur
        lifted = np.clip(source.astype(np.int16) + level - grounds[i], 0, 255).astype(np.uint8)
        _window(out, stats[i])[filled > 0] = np.where(writing, lifted, level)[filled > 0]  # the rest: its paper
    return out


def _found(
    ground: np.ndarray, lit: bool = False
) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray, float]]] | None:
    """The windows whose ground is `ground` (0/1: the dark side, or, `lit`, the light one, LIT_GROUND of each, its
    writing LIT_SPAN of it high): the components' stats, and per window its own pixels, its outline filled (0/1, in
    its box) and its height; None when there are none."""
    h, w = ground.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ground, connectivity=8)
    inside_frame = np.bincount(paper.border(labels), minlength=n) <= WINDOW_EDGE * 2 * (h + w)
    inside_frame[0] = False  # (the other side)
    heights, widths, areas = (stats[:, k] for k in (cv2.CC_STAT_HEIGHT, cv2.CC_STAT_WIDTH, cv2.CC_STAT_AREA))
    least = max(WINDOW_LEAST * h, WINDOW_TALLEST * int(heights[inside_frame].max(initial=0)))
    # numpy over every component at once: a noisy photo's Otsu split holds hundreds of specks
    candidates = np.flatnonzero(
        inside_frame & (heights >= least) & (areas >= WINDOW_GROUND * heights * widths)
    ).tolist()
    if not candidates:
        return None  # the common case: writing on paper, its strokes far from filling their boxes
    windows = {}
    for i in candidates:
        own = (_window(labels, stats[i]) == i).astype(np.uint8)
        outline = max(cv2.findContours(own, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0], key=cv2.contourArea)
        filled = cv2.drawContours(np.zeros_like(own), [outline], -1, 1, cv2.FILLED)
        inside, (across, up) = cv2.countNonZero(filled), _turned_box(outline)
        writing = inside - stats[i, cv2.CC_STAT_AREA]
        if (
            inside >= WINDOW_FILL * across * up
            and WINDOW_WRITING * inside <= writing <= (1 - lit * LIT_GROUND) * inside
        ):
            windows[i] = own, filled, up
    span = LIT_SPAN if lit else WINDOW_SPAN
    pieces = [
        _pieces(filled - own, up * span, up, stats[i, cv2.CC_STAT_LEFT]) for i, (own, filled, up) in windows.items()
    ]
    return (stats, windows) if _side_by_side(pieces) else None


def _window(image: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The part of `image` in a connectedComponentsWithStats row's box (a view)."""
    x, y, w, h = (int(v) for v in row[:4])
    return image[y : y + h, x : x + w]


def _pieces(holes: np.ndarray, lowest: float, height: float, left: int) -> list[tuple[int, int]]:
    """The columns (in the picture; the window's box starts at column `left`) of each piece of writing among the
    `holes` (0/1) of a window `height` high: specks, what is lower than `lowest` and the face between two joined
    windows (`WINDOW_DIVIDER`) left out."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=8)
    least = WINDOW_PIECE * max((int(a) for a in stats[1:, cv2.CC_STAT_AREA]), default=0)
    return [
        (left + x, left + x + w)
        for x, _, w, h, a in stats[1:].tolist()
        if a >= least and lowest <= h < WINDOW_DIVIDER * height
    ]


def _side_by_side(pieces: list[list[tuple[int, int]]]) -> bool:
    """Whether two of the windows' pieces of writing (`_pieces`) stand side by side, their columns apart: a
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
