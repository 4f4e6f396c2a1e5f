"""Over-segmenting a group of ink into candidate digits, for segmentation by recognition.

A group too wide to be sure it is one digit (`layout.Line.worth_cutting`) is cut into atoms: its components,
wide ones cut again along least-ink paths (`cuts`: digits written touching each other, leaning into each
other's columns), along straight columns (`straight_cuts`) or into its strokes (`stroke_cuts`: digits written
into each other, whose strokes cross). Runs of one to a few atoms are candidate digits, each with what its
shape costs; the reader has the model score them and `paths` chooses the reading.
Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from edgedigit.runtime.grouping import crossings
from edgedigit.runtime.layout import MAX_WIDTH, SPLIT_WIDTH, WIDE, Group, Line, written_into
from edgedigit.runtime.mnist_form import to_mnist
from edgedigit.runtime.preprocess import Digit, Page
from edgedigit.runtime.strokes import strokes

Cutting = Literal["leaning", "straight", "strokes"]  # how `cuts` over-segments a wide component

CUT_SPACING = 0.2  # cuts in a component end at least this share of the line's height apart...
SEAM_INK = 0.35  # ...and cross at most this share of the line's height in ink pixels (a stroke or two)
SLIVER = 0.01  # a piece cut off with fewer ink pixels than this share of the line's height squared is dropped
MAX_CROSSINGS = 1  # a cut crosses one stroke where two digits touch; one crossing two strokes splits a 0...
# ...but in digits written into each other (`layout.written_into`) a cut may cross DEEP_CROSSINGS strokes and this
# share of the line's height in ink (benchmarks/number_accuracy.py: +2 pp exact numbers; USPS's wide 0s and flat
# 3s are read sure whole, so never cut this way)
DEEP_CROSSINGS = 3
DEEP_SEAM_INK = 0.8
SEAM_STEP = 0.5  # the cost of a cut's sideways step per row: cuts lean only where the ink makes them
# digits written into each other are cut into strokes (`stroke_cuts`): a /tmp oracle over 200 3-digit numbers
# written 12-33% into each other finds a path of clean pieces (75% of a digit's ink, 35% of a neighbour's at most)
# in 80% of them through strokes, 47% through leaning cuts, 54% straight ones, 62.5% either
STROKE_SHORTEST = 0.1  # a thinned line shorter than this share of the line's height is a spur, not a stroke
STROKE_WIDEST = 0.6  # ...and one wider is cut into bands this wide: two digits' strokes meeting end to end
# (oracle: 71.5% of the numbers with no bands; 0.4 and 0.3 gave 80 and 81% with more strokes to score)
# a candidate digit is a run of at most this many strokes (oracle: 79.5% with 8, 78.5% with 6, 76.0% with 5; on the
# 2,700 numbers of up to 4 digits, 103 / 105 / 99 more read right net, 4 gave 78; an overlapping 6-digit number in
# 640x480 read in 15.5 / 13.9 / 13.7 ms p50, 8.6 ms before strokes: most of it is rendering the candidates)
MAX_STROKES = 6
# strokes are made only for a group read whole with less than this: a flat USPS 2 read whole at 0.95 fills its
# box and its loop's stroke reads as a sure 0 ("02"; number_accuracy.py: on the 2,700 numbers of up to 4 digits
# touching, close or overlapping, strokes read 91 more numbers right and 9 fewer at 0.9; 83 / 8 at 0.5, 95 / 20
# at 1)
STROKE_DOUBT = 0.9
MAX_ATOMS = 4  # a candidate digit is a run of at most this many atoms side by side...
NESTED = 0.6  # ...not counting an atom lying at least this share of its width within another's columns
# ...at most layout.MAX_WIDTH line heights wide...
MAX_GAP = 0.08  # ...with no blank column wider than this share of the line's height: a clear gap parts digits
# what a candidate digit costs, taken off the model's log-probability of its best class:
CUT_COST = 0.3  # any candidate other than a whole group: cutting must buy this much certainty (0.5 let a
# touching "71" read as one sure 7 beat a sure 7 and a sure 1: number_accuracy.py +1.9 pp exact; 0.2 cut a wide
# USPS 6 into "10")
# ...but nothing on a line of several groups: a number is made of digits, and a sure digit with a sure 1 written
# touching it (read whole as the one digit) is its commonest merge (number_accuracy.py: touching or overlapping
# 3 digits 63.3 -> 67.1%, all numbers 69.3 -> 71.5% exact; a cost of -0.1 gained nothing more; a single group
# keeps CUT_COST, so single digits read as before)
NUMBER_CUT_COST = 0.0
LOW_COST = 4.0  # per digit lower than LOW_HEIGHT of the line: part of a digit, not a digit, or the stroke a fast
# hand joins two digits with, read as a 1 ("279" read "2179"; number_accuracy.py: written fast 67.3 -> 69.3%, the
# 3,360 numbers of 60 a cell as before at 0.65; 0.55 before; 0.68, with connectors up to 0.68, lost 28 of them)
LOW_HEIGHT = 0.65  # (a share of the line's height)
CONNECTOR_HEIGHT = 0.55  # an atom lower than this share of the line's height between two others may be the stroke
# a fast hand draws from one digit to the next (`paths.CONNECTOR_COST`)
WIDE_COST = 3.0  # per line height of width beyond layout.WIDE: two digits read as one


@dataclass(frozen=True, eq=False)
class Atom:
    """Ink of the components `labels` inside the box x0, y0, x1, y1 (work pixels): all of it, or, for a
    cut component, where `region` (a boolean array of the box's shape) is set."""

    x0: int
    y0: int
    x1: int
    y1: int
    labels: tuple[int, ...]
    region: np.ndarray | None = None


@dataclass(frozen=True)
class Cuts:
    """A group over-segmented: its atoms left to right, and candidate digits (runs of atoms start..end,
    exclusive; the first is the whole group) with their MNIST-form images and what their shape costs;
    `connectors`: per atom, whether a path may leave it out as a stroke joining two digits."""

    atoms: list[Atom]
    spans: list[tuple[int, int]]
    candidates: list[Digit]
    costs: list[float]
    connectors: list[bool]
    how: Cutting = "leaning"


def straight_cuts(
    page: Page, labels: np.ndarray, line: Line, group: Group, leaning: Cuts, whole_prob: float, connectors: bool
) -> Cuts | None:
    """`group` over-segmented along straight columns of least ink (`cuts`), for when its `leaning` cuts read
    it whole; None when none of its components is wide enough to be cut or the straight cuts give the same
    atoms. Digits written into each other part best along a straight line, which a leaning cut misses where
    their strokes cross: a /tmp oracle over 200 overlapping 3-digit numbers finds a path of clean pieces in
    48% of them with leaning cuts, 62% with both (benchmarks/number_accuracy.py: touching or overlapping 3
    digits 71.3 -> 75.5%, 5 with a separator 75.3 -> 79.5%, all 76.4 -> 79.0% exact; written fast 69.7 ->
    67.7%; made for every wide group, not only those read whole, straight cuts gained 0.2 pp more and took
    the 6-digit read from 3.5 to 6.8 ms)."""
    if not _any_wide(line, group):
        return None
    straight = cuts(page, labels, line, group, whole_prob, connectors, how="straight")
    same = [(a.x0, a.y0, a.x1, a.y1) for a in straight.atoms] == [(a.x0, a.y0, a.x1, a.y1) for a in leaning.atoms]
    return None if same else straight


def stroke_cuts(page: Page, labels: np.ndarray, line: Line, group: Group, whole_prob: float) -> Cuts | None:
    """`group` over-segmented into strokes (`strokes.strokes`), for digits written into each other, whose
    strokes cross where every top-to-bottom cut runs through both; None when none of its components is wide
    enough to be cut, or the group is read whole with `whole_prob` of at least STROKE_DOUBT."""
    if whole_prob >= STROKE_DOUBT or not _any_wide(line, group):
        return None
    return cuts(page, labels, line, group, how="strokes")


def _any_wide(line: Line, group: Group) -> bool:
    """Whether one of `group`'s components is wide enough to be cut (`_atoms` cuts only those)."""
    return any(c[2] - c[0] > SPLIT_WIDTH * line.height for c in group.comps)


def cuts(
    page: Page,
    labels: np.ndarray,
    line: Line,
    group: Group,
    whole_prob: float = 1.0,
    connectors: bool = True,
    how: Cutting = "leaning",
) -> Cuts:
    """`group` over-segmented into atoms (its components, wide ones cut) and every run of them, up to
    MAX_ATOMS side by side, that may be one digit, the whole group first. `whole_prob`: how sure the model
    is of the group read whole (a doubtful wide one is cut deeper); `connectors`: whether low atoms between
    others may be left out as strokes joining digits, in a number (not where a line drawn under the digits
    was left in, whose pieces between them would be left out as well); `how`: cut along leaning paths, along
    columns, or into strokes (runs of up to MAX_STROKES of them, sorted by their middles, are candidates)."""
    height = line.height
    atoms = sorted(
        (a for c in group.comps for a in _atoms(page.mask, labels, c, height, whole_prob, how)),
        key=lambda a: a.x0 + a.x1,
    )
    spans, candidates = [(0, len(atoms))], [group.whole]
    costs = [_shape_cost(group.box, height)]
    cut_cost = NUMBER_CUT_COST if len(line.groups) > 1 else CUT_COST
    for i in range(len(atoms)):
        for j in range(i + 1, len(atoms) + 1):
            if (j - i > MAX_STROKES) if how == "strokes" else (_columns(atoms[i:j]) > MAX_ATOMS):
                break
            if (i, j) != spans[0] and (j == i + 1 or _joined(atoms[i:j], height)):
                spans.append((i, j))
                candidates.append(_render(page, labels, atoms[i:j]))
                costs.append(cut_cost + _shape_cost(_box_of(atoms[i:j]), height))
    # only in a number (a line of several groups, or a blob wider than one digit): alone, an H's bar is low too
    number = connectors and line.holds_number(group)
    low = [a.y1 - a.y0 < CONNECTOR_HEIGHT * height for a in atoms]
    joining = [number and 0 < k < len(atoms) - 1 and low[k] for k in range(len(atoms))]
    return Cuts(atoms, spans, candidates, costs, joining, how)


def _box_of(atoms: list[Atom]) -> tuple[int, int, int, int]:
    return min(a.x0 for a in atoms), min(a.y0 for a in atoms), max(a.x1 for a in atoms), max(a.y1 for a in atoms)


def _shape_cost(box: tuple[int, int, int, int], height: int) -> float:
    """What a candidate's shape costs: part of a digit when low, two digits when wide."""
    x0, y0, x1, y1 = box
    return LOW_COST * (y1 - y0 < LOW_HEIGHT * height) + WIDE_COST * max(0.0, (x1 - x0) / height - WIDE)


def _atoms(
    mask: np.ndarray, labels: np.ndarray, c: list[int], height: int, whole_prob: float, how: Cutting = "leaning"
) -> list[Atom]:
    """One component as atoms: whole, or, when it is wide, cut along the least-ink paths from its top to its
    bottom (digits written touching each other, leaning into each other's columns, or along columns when `how`
    is "straight"; through up to DEEP_CROSSINGS strokes when it looks like digits written into each other,
    `whole_prob` low) or into its strokes."""
    x0, y0, x1, y1, _, label = c
    if x1 - x0 <= SPLIT_WIDTH * height:
        return [Atom(x0, y0, x1, y1, (label,))]
    own = (labels[y0:y1, x0:x1] == label) & (mask[y0:y1, x0:x1] > 0)
    if how == "strokes":
        regions = strokes(own, max(2, round(STROKE_SHORTEST * height)), max(2, round(STROKE_WIDEST * height)))
    else:
        deep = written_into(x1 - x0, height, whole_prob)
        limits = (DEEP_CROSSINGS, DEEP_SEAM_INK) if deep else (MAX_CROSSINGS, SEAM_INK)
        regions = _between(own, _seams(own, height, *limits, how == "straight"))
    atoms = []
    for region in regions:
        rows, columns = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
        if np.count_nonzero(region) >= SLIVER * height * height:
            r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1
            atoms.append(Atom(x0 + c0, y0 + r0, x0 + c1, y0 + r1, (label,), region[r0:r1, c0:c1]))
    return atoms


def _between(own: np.ndarray, seams: list[np.ndarray]) -> list[np.ndarray]:
    """The ink of `own` between each pair of neighbouring `seams` (and left of the first, right of the last)."""
    cols = np.arange(own.shape[1])[None, :]
    regions = []
    for left, right in zip([None, *seams], [*seams, None]):
        region = own.copy()
        if left is not None:
            region &= cols >= left[:, None]
        if right is not None:
            region &= cols < right[:, None]
        regions.append(region)
    return regions


def _seams(
    own: np.ndarray, height: int, max_crossings: int = MAX_CROSSINGS, seam_ink: float = SEAM_INK, straight: bool = False
) -> list[np.ndarray]:
    """Cut paths through a component, left to right, each the column per row of a top-to-bottom path that
    crosses the least ink (seam carving: each row steps at most one column sideways, at a small cost, or,
    `straight`, none). A path ending at a local minimum of crossed ink, with little ink crossed, is a
    candidate cut."""
    cost = own.astype(np.float32)
    h, w = cost.shape
    step = np.zeros((h, w), np.int8)  # per row, the column step from the row above: none when straight
    if straight:
        total = cost.sum(axis=0)
    else:
        padded = np.full(w + 2, np.inf)  # the row's totals (float64, as before) between walls no path may enter
        padded[1:-1] = cost[0]
        for r in range(1, h):
            total = padded[1:-1]
            left, right = padded[:-2] + SEAM_STEP, padded[2:] + SEAM_STEP
            # argmin's choice, ties to the left, then straight down: -1, 0 or +1 column from the row above
            from_left = (left <= total) & (left <= right)
            from_right = ~from_left & (right < total)
            step[r] = from_right.view(np.int8) - from_left.view(np.int8)
            padded[1:-1] = np.where(from_left, left, np.where(from_right, right, total)) + cost[r]
        total = padded[1:-1]
    spacing = max(2, int(CUT_SPACING * height))
    ends: list[int] = []
    for col in np.argsort(total, kind="stable").tolist():
        if total[col] > seam_ink * height:
            break
        if spacing <= col <= w - spacing and all(abs(col - e) >= spacing for e in ends):
            ends.append(col)
    seams = []
    for end in sorted(ends):
        path = np.empty(h, np.int64)
        path[-1] = end
        for r in range(h - 1, 0, -1):
            path[r - 1] = path[r] + step[r, path[r]]
        crossed = own[np.arange(h), path]
        if crossings(crossed) <= max_crossings:
            seams.append(path)
    return seams


def _columns(atoms: list[Atom]) -> int:
    """How many of `atoms` stand side by side: an atom mostly within another's columns (a digit's detached
    head or bar above or below a cut piece of it) does not add to the count."""
    widths = [(a.x1 - a.x0, -k) for k, a in enumerate(atoms)]  # ties: the first of two equal atoms counts
    nested = sum(
        any(wb > wa and min(a.x1, b.x1) - max(a.x0, b.x0) >= NESTED * max(wa[0], 1) for b, wb in zip(atoms, widths))
        for a, wa in zip(atoms, widths)
    )
    return len(atoms) - nested


def _joined(atoms: list[Atom], height: int) -> bool:
    """Atoms that may be one digit: not too wide, and no clear gap between them."""
    if _width(atoms) > MAX_WIDTH * height:
        return False
    reach, seen = min(a.x0 for a in atoms), set()
    for a in sorted(atoms, key=lambda a: a.x0):
        # pieces of one cut component meet along their seam, however far apart their boxes lean
        if a.x0 - reach > MAX_GAP * height and not seen.intersection(a.labels):
            return False
        reach = max(reach, a.x1)
        seen.update(a.labels)
    return True


def _width(atoms: list[Atom]) -> int:
    return max(a.x1 for a in atoms) - min(a.x0 for a in atoms)


def atoms_region(labels: np.ndarray, atoms: list[Atom]) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """The box (work pixels) of `atoms` and, as 0/1 of its shape, where their own ink may lie: neighbours'
    ink in the same box left out (what a candidate digit is made of; the trainer labels cut pieces by it)."""
    x0, y0, x1, y1 = _box_of(atoms)
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for a in atoms:
        part = np.isin(labels[a.y0 : a.y1, a.x0 : a.x1], a.labels) if a.region is None else a.region
        own[a.y0 - y0 : a.y1 - y0, a.x0 - x0 : a.x1 - x0] |= part
    return (x0, y0, x1, y1), own


def _render(page: Page, labels: np.ndarray, atoms: list[Atom]) -> Digit:
    """The ink of `atoms` alone (neighbours' ink in the same box left out), in MNIST form."""
    (x0, y0, x1, y1), own = atoms_region(labels, atoms)
    mask = page.mask[y0:y1, x0:x1] & (own * 255)
    ink = cv2.copyTo(page.ink[y0:y1, x0:x1], cv2.dilate(own, np.ones((3, 3), np.uint8)))
    return Digit(to_mnist(ink, mask), page.box(x0, y0, x1, y1))
