"""Connected ink grouped into digits: components (pen skips bridged in photos; clutter, printed frames and the grid
of squared paper left out), specks dropped, and components that overlap horizontally merged into one digit (the
bar of a 5, a 4 in two strokes, a broken stroke), left to right. The number reader starts from the same groups.

Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edgedigit.runtime import frames, paper, scene
from edgedigit.runtime.mnist_form import ellipse

LARGE = 64  # work images with both sides above this may show a desk, ruling, a grid: a photo, not a crop
MAX_HOLES = 6  # more loops than this is squared paper, not a digit...
GRID_SPAN = 0.8  # ...when the ink spans at least this share of the picture's width and of its height
SPECK_AREA = 0.08  # a component with less ink than this share of the picture's largest is a speck...
SHORT = 0.25  # ...as is one lower than this share of the tallest, unless it has a fair share of ink
FAIR_SHARE = 0.3  # ...(this share of the largest component's ink)
MERGE_OVERLAP = 0.3  # components overlapping horizontally by this share of the narrower are one digit...
KEEP_SHARE = 0.15  # ...and a group with less ink than this share of the inkiest is left out
NOISE_SIGMAS = 5  # a photo's ink threshold stays this many standard deviations of the paper's noise above it
# (benchmarks/field_accuracy.py with the polarity fix in `paper`: faint grey on grey 95.3 -> 98.0%, phone photo with
# a thin pen 95.7 -> 96.0%, every other row and photo_scenes.py unchanged)
NOISE_SAMPLE = 2  # ...measured on every second pixel of every second row (on a 640x480 frame it adds 38 us, not 114)
STEP_SIGMA = 0.954  # the median difference of two neighbours' normal noise, in standard deviations (0.6745 * sqrt 2)
ZOOM_FROM = 3  # a photo reduced this many times or more may be looked at again closer (at 2, a thin pen's digit whose
# faint strokes fall under ZOOM_INK was cut short by the closer look: benchmarks/photo_scenes.py, thin pen -0.5 pp)
ZOOM_BELOW = 24  # work px: a reduced photo whose writing is lower than this all told is read again from its input's
# pixels round the writing (MNIST test digits in a 1600x1200 photo, 17 work px high: 80% read, 23 px: 98%)...
ZOOM_LEAST = 12  # ...when its strong ink is at least this many input pixels high (a digit's ink 14 px high; less: dust)
ZOOM_INK = 128  # the writing is found by its ink at least this bright (the ink image's brightest pixels are 255)
ZOOM_REACH = 2.0  # ...and is the inkiest component and what lies within this many of its heights, in turn
ZOOM_FAINT = 64  # ...its inkiest part no higher with the ink at least this bright joined to it (a thin pen in a 2000
# px photo: strong ink in specks along fainter strokes; 32 let noise join a small digit: camera frames, 23 px -3 pp)
ZOOM_MARGIN = 1.0  # it is read with this many writing heights of its paper all round (the paper's level and noise)


def ink_mask(ink: np.ndarray, photo: bool = False) -> np.ndarray:
    """The ink of a page (bright on black) as a 0/255 mask: Otsu's threshold, which the page's flattened
    background leaves between paper and ink. In a `photo` it is held NOISE_SIGMAS of the paper's noise above
    the paper (its lower quartile; the noise from neighbouring pixels' differences, which ink edges hardly
    move): on a faint page, or one holding a small thin digit, Otsu's split falls inside the paper's noise,
    and bridging pen skips then joins that noise into blobs."""
    otsu, mask = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if photo:
        sample = np.ascontiguousarray(ink[::NOISE_SAMPLE, ::NOISE_SAMPLE])
        (level,) = paper.levels(paper.histogram(sample), (0.25,))
        (step,) = paper.levels(paper.histogram(cv2.absdiff(sample[:, 1:], sample[:, :-1])), (0.5,))
        floor = level + NOISE_SIGMAS * step / STEP_SIGMA
        if floor > otsu:
            _, mask = cv2.threshold(ink, floor, 255, cv2.THRESH_BINARY)
    return mask


def components(mask: np.ndarray, bridge: bool = True, pad: int = 0) -> tuple[np.ndarray, list[list[int]]]:
    """Connected ink (in a photo, `bridge`, pen skips and breaks in thin strokes bridged): the label image
    and, per component that may be writing, [x0, y0, x1, y1, ink area, label]; clutter and the grid of
    squared paper left out (`pad`: the margin of paper a crop was given, inside which its frame lies). A crop is
    not bridged: its size says nothing of its pen (a 64 px crop padded to 96 px was bridged 3 px wide, closing a 5's
    gap to its bar, the same crop with a 4 px margin not)."""
    h, w = mask.shape
    side = min(h, w)
    k = max(1, round(side / 64)) | 1 if bridge else 1  # bridge pen skips and breaks in thin strokes
    if k > 1:
        joined = cv2.dilate(mask, ellipse(k))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        ink_area = np.bincount(labels[mask > 0], minlength=n).tolist()  # ink pixels per component, before bridging
    else:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        ink_area = stats[:, cv2.CC_STAT_AREA].tolist()
    clutter = scene.clutter(labels, stats, pad) if side > LARGE else set()
    not_digits = clutter | frames.frame_lines(labels, stats, ink_area)
    boxes = []
    for i, (x, y, bw, bh, _) in enumerate(stats.tolist()[1:], start=1):  # Python ints, not numpy's
        if i in not_digits:
            continue  # before the loop count below: the desk around a sheet is large, its contours long
        # squared paper spans the picture both ways; a long number written joined-up spans one way only
        large = side > LARGE and bw >= GRID_SPAN * w and bh >= GRID_SPAN * h
        if large and holes(labels[y : y + bh, x : x + bw] == i) > MAX_HOLES:
            continue  # the grid of squared paper: a digit has at most a few loops
        boxes.append([x, y, x + bw, y + bh, ink_area[i], i])
    return labels, boxes


def small_writing(ink: np.ndarray, factor: int) -> tuple[int, int, int, int] | None:
    """In a photo reduced by `factor` (its flattened `ink`), the box (x0, y0, x1, y1, work pixels) round its writing
    and ZOOM_MARGIN of paper when all that writing is lower than ZOOM_BELOW: a digit written small on a big page or
    seen from afar is a few work pixels high, too few to read, and specks of its size are dropped as dust. The
    writing is found by its strong ink (ZOOM_INK), which the paper's noise does not reach, and is the inkiest
    group and what lies near it (`_near_inkiest`), not the dust elsewhere on the page. None otherwise."""
    strong = cv2.threshold(ink, ZOOM_INK, 255, cv2.THRESH_BINARY)[1]
    outlines, _ = cv2.findContours(strong, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if max((cv2.boundingRect(c)[3] for c in outlines), default=0) >= ZOOM_BELOW:
        return None  # something that tall: the common photo, decided on its outlines (labelling costs 0.2 ms)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(strong, connectivity=8)
    boxes = [[x, y, x + w, y + h, area, k] for k, (x, y, w, h, area) in enumerate(stats.tolist()) if k]
    writing = _writing(boxes)
    if not writing:
        return None
    writing = _near_inkiest(writing)
    highest = max(box[3] - box[1] for box in map(group_box, merge_by_overlap(writing)))
    if highest >= ZOOM_BELOW or highest * factor < ZOOM_LEAST:
        return None
    fx0, fy0, fx1, fy1 = _faint_extent(ink, labels, writing[0])
    if fy1 - fy0 >= ZOOM_BELOW:
        return None  # a thin pen's digit: its strong ink is a few specks along faint strokes
    x0, y0, x1, y1 = group_box([*writing, [fx0, fy0, fx1, fy1]])
    pad = math.ceil(ZOOM_MARGIN * (y1 - y0))
    h, w = ink.shape
    return max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)


def _faint_extent(ink: np.ndarray, labels: np.ndarray, component: list[int]) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1) of the ink at least ZOOM_FAINT bright joined to `component` ([x0, y0, x1, y1, ink,
    label], a component of the strong ink labelled in `labels`)."""
    x0, y0, x1, y1, _, label = component
    ys, xs = np.nonzero(labels[y0:y1, x0:x1] == label)
    faint = cv2.threshold(ink, ZOOM_FAINT, 255, cv2.THRESH_BINARY)[1]
    _, faint_labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    x, y, w, h, _ = stats[faint_labels[y0 + ys[0], x0 + xs[0]]].tolist()
    return x, y, x + w, y + h


def _near_inkiest(boxes: list[list[int]]) -> list[list[int]]:
    """The inkiest of `boxes` ([x0, y0, x1, y1, ink, ...]), first, and every box within ZOOM_REACH of its height of
    it or of those already taken: a line or a few lines of writing."""
    inkiest = max(boxes, key=lambda b: b[4])
    reach = ZOOM_REACH * (inkiest[3] - inkiest[1])
    taken, left = [inkiest], [b for b in boxes if b is not inkiest]
    while left:
        x0, y0, x1, y1 = group_box(taken)
        near = [
            b for b in left if b[0] <= x1 + reach and b[2] >= x0 - reach and b[1] <= y1 + reach and b[3] >= y0 - reach
        ]
        if not near:
            break
        taken += near
        left = [b for b in left if all(b is not n for n in near)]
    return taken


def min_height(mask: np.ndarray) -> float:
    """Ink lower than this is a speck or dust, not writing."""
    side = min(mask.shape)
    return max(4, 0.06 * side) if side > LARGE else 4


def digit_groups(mask: np.ndarray, bridge: bool = True, pad: int = 0) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1) of digits: meaningful components merged by horizontal overlap (`pad`: as
    `components` takes it)."""
    _, boxes = components(mask, bridge, pad)
    lowest = min_height(mask)
    if len(boxes) <= 1:  # nothing to filter or merge: the common case of one digit
        return [(x0, y0, x1, y1) for x0, y0, x1, y1, area, _ in boxes if area >= 2 and y1 - y0 >= lowest]
    groups = merge_by_overlap(_writing(boxes))
    if not groups:
        return []  # single pixels only
    ink = [sum(c[4] for c in g) for g in groups]
    boxes = [group_box(g) for g in groups]
    return [box for box, area in zip(boxes, ink) if area >= KEEP_SHARE * max(ink) and box[3] - box[1] >= lowest]


def _writing(boxes: list[list[int]]) -> list[list[int]]:
    """The components among `boxes` ([x0, y0, x1, y1, ink area, ...]) that may be writing (`is_writing`), specks
    with less than SPECK_AREA of the largest's ink or under 2 pixels left out; empty for single pixels only."""
    if not boxes:
        return []
    largest = max(b[4] for b in boxes)
    boxes = [b for b in boxes if b[4] >= max(SPECK_AREA * largest, 2)]
    if not boxes:
        return []
    tallest = max(b[3] - b[1] for b in boxes)
    return [b for b in boxes if is_writing(b, largest, tallest)]


def is_writing(c: list[int], largest: int, tallest: int) -> bool:
    """Whether component `c` ([x0, y0, x1, y1, ink area, ...]) may be writing rather than a speck, given
    the picture's largest component's ink and its tallest component's height."""
    return c[4] >= SPECK_AREA * largest and (c[3] - c[1] >= SHORT * tallest or c[4] >= FAIR_SHARE * largest)


def merge_by_overlap(comps: list[list[int]]) -> list[list[list[int]]]:
    """Components grouped into digits, left to right: merged while they overlap horizontally by more than
    MERGE_OVERLAP of the narrower (the bar of a 5, a 4 in two strokes, a broken stroke)."""
    groups: list[list[list[int]]] = []
    for c in sorted(comps, key=lambda c: c[0]):
        if groups:
            x0, _, x1, _ = group_box(groups[-1])
            if min(x1, c[2]) - max(x0, c[0]) > MERGE_OVERLAP * min(c[2] - c[0], x1 - x0):
                groups[-1].append(c)
                continue
        groups.append([c])
    return groups


def group_box(group: list[list[int]]) -> tuple[int, int, int, int]:
    """The bounding box (x0, y0, x1, y1) of a group of components."""
    if len(group) == 1:  # the common case, a digit in one stroke: skip four generators
        return tuple(group[0][:4])
    return min(c[0] for c in group), min(c[1] for c in group), max(c[2] for c in group), max(c[3] for c in group)


def crossings(line: np.ndarray) -> int:
    """How many runs of ink a row or column of a boolean image crosses."""
    return int(np.count_nonzero(line[1:] & ~line[:-1]) + line[0])


def holes(component: np.ndarray) -> int:
    """Number of enclosed background regions (loops) in a boolean component mask."""
    contours, hierarchy = cv2.findContours(component.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return 0 if hierarchy is None else int(np.count_nonzero(hierarchy[0][:, 3] >= 0))
