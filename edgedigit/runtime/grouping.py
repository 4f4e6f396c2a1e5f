"""Connected ink grouped into digits: components (pen skips bridged in photos; clutter, printed frames and the grid
of squared paper left out), specks dropped, and components that overlap horizontally merged into one digit (the
bar of a 5, a 4 in two strokes, a broken stroke), left to right. The number reader starts from the same groups.

Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

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


def components(mask: np.ndarray, bridge: bool = True) -> tuple[np.ndarray, list[list[int]]]:
    """Connected ink (in a photo, `bridge`, pen skips and breaks in thin strokes bridged): the label image
    and, per component that may be writing, [x0, y0, x1, y1, ink area, label]; clutter and the grid of
    squared paper left out. A crop is not bridged: its size says nothing of its pen (a 64 px crop padded
    to 96 px was bridged 3 px wide, closing a 5's gap to its bar, the same crop with a 4 px margin not)."""
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
    not_digits = (scene.clutter(labels, stats) if side > LARGE else set()) | frames.frame_lines(labels, stats, ink_area)
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


def min_height(mask: np.ndarray) -> float:
    """Ink lower than this is a speck or dust, not writing."""
    side = min(mask.shape)
    return max(4, 0.06 * side) if side > LARGE else 4


def digit_groups(mask: np.ndarray, bridge: bool = True) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1) of digits: meaningful components merged by horizontal overlap."""
    _, boxes = components(mask, bridge)
    lowest = min_height(mask)
    if len(boxes) <= 1:  # nothing to filter or merge: the common case of one digit
        return [(x0, y0, x1, y1) for x0, y0, x1, y1, area, _ in boxes if area >= 2 and y1 - y0 >= lowest]
    largest = max(b[4] for b in boxes)
    boxes = [b for b in boxes if b[4] >= max(SPECK_AREA * largest, 2)]
    if not boxes:
        return []  # single pixels only
    tallest = max(b[3] - b[1] for b in boxes)
    groups = merge_by_overlap([b for b in boxes if is_writing(b, largest, tallest)])
    ink = [sum(c[4] for c in g) for g in groups]
    boxes = [group_box(g) for g in groups]
    return [box for box, area in zip(boxes, ink) if area >= KEEP_SHARE * max(ink) and box[3] - box[1] >= lowest]


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


def holes(component: np.ndarray) -> int:
    """Number of enclosed background regions (loops) in a boolean component mask."""
    contours, hierarchy = cv2.findContours(component.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return 0 if hierarchy is None else int(np.count_nonzero(hierarchy[0][:, 3] >= 0))
