"""Cutting a picture's ink into lines, separators and candidate digits, for segmentation by recognition.

Each line of writing is cut into groups of ink, as `find_digits` groups them (`merge_by_overlap`), and
separators (dots, commas and dashes, told from digits by size and position on the line). A group too wide
to be sure it is one digit can be over-segmented (`cuts`) into atoms: its components, wide ones cut again
along least-ink paths (digits written touching each other); runs of one to a few atoms are candidate
digits, the reader has the model score them, and `best_path` keeps the sequence that explains the group
best; a group its cuts leave whole is cut again along straight columns (`straight_cuts`, `best_cut`), then
into its strokes (`stroke_cuts`: digits written into each other, whose strokes cross).
Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from edgedigit.runtime.grouping import KEEP_SHARE, components, group_box, is_writing, merge_by_overlap, min_height
from edgedigit.runtime.mnist_form import to_mnist
from edgedigit.runtime.preprocess import Digit, Page
from edgedigit.runtime.strokes import strokes

Cutting = Literal["leaning", "straight", "strokes"]  # how `cuts` over-segments a wide component

LINE_GAP = 0.15  # lines are parted by blank rows at least this share of the tallest component high
SEPARATOR_HEIGHT = 0.4  # separators are lower than this share of the line's digits
DASH_ASPECT = 1.5  # a dash is at least this much wider than high...
DASH_BAND = (0.2, 0.8)  # ...and sits between these shares of the line's height, measured from its top
DOT_WIDTH = 0.4  # a dot or comma is narrower than this share of the line's height...
DOT_LOW = 0.55  # ...and its centre lies below this share of the line's height
COMMA_ASPECT = 1.4  # a separator this much higher than wide is a comma
SPLIT_WIDTH = 0.7  # components wider than this share of the line's height may be several digits touching
CUT_SPACING = 0.2  # cuts in a component end at least this share of the line's height apart...
SEAM_INK = 0.35  # ...and cross at most this share of the line's height in ink pixels (a stroke or two)
SLIVER = 0.01  # a piece cut off with fewer ink pixels than this share of the line's height squared is dropped
MAX_CROSSINGS = 1  # a cut crosses one stroke where two digits touch; one crossing two strokes splits a 0...
DEEP_WIDTH = 1.0  # ...but a component wider than this many line heights that the model reads whole with
DEEP_DOUBT = 0.3  # less than this is digits written into each other: its cuts may cross DEEP_CROSSINGS strokes
DEEP_CROSSINGS = 3  # (benchmarks/number_accuracy.py: +2 pp exact numbers; USPS's wide 0s and flat 3s are
DEEP_SEAM_INK = 0.8  # read sure whole, so never cut this way) and this share of the line's height in ink
SEAM_STEP = 0.5  # the cost of a cut's sideways step per row: cuts lean only where the ink makes them
# neighbouring groups on a line, one read with less than REJOIN_DOUBT, at most REJOIN_GAP of the line's height apart
# and together at most REJOIN_WIDTH line heights wide, are one digit when the model reads them together with at
# least REJOIN_SURE and surer than both apart (the product of their probabilities): a fine pen's stroke broken in
# a photo parts a 4 into "61" (benchmarks/photo_scenes.py: thin pen 90.5 -> 93.5%, 93.0% when it had to be surer
# than either; benchmarks/number_accuracy.py: apart 5 digits 97.3 -> 98.0%, the rest unchanged; non-digits unchanged)
REJOIN_DOUBT = 0.9
REJOIN_GAP = 0.3
REJOIN_WIDTH = 1.3
REJOIN_SURE = 0.9
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
# strokes may read a blob alone on its line as several digits when it is wider than this many line heights and
# read whole with less than DEEP_DOUBT, and they read other than 1s: three digits written into each other, a 1
# among them, are narrower than the 1.6 line heights that make a blob a number, and were read as no digit at all
# (2,700 numbers of up to 4 digits: 21 more read right than without; non-digits on a 600-picture screen: letters
# 23 -> 23, scribbles 125 -> 127; from 1.0 line heights, 28 more and letters 24, scribbles 130; without the 1s
# rule letters 34: a letter's strokes are bars, and a bar is a sure 1, "M" read "1111")
ALONE_WIDTH = 1.2
MAX_ATOMS = 4  # a candidate digit is a run of at most this many atoms side by side...
NESTED = 0.6  # ...not counting an atom lying at least this share of its width within another's columns
MAX_WIDTH = 1.6  # ...and at most this many line heights wide...
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
CONNECTOR_HEIGHT = 0.55  # a share of the line's height:
# an atom lower than this between two others may be the stroke a fast hand draws from one digit to the next: a path
# may leave it out for this (number_accuracy.py: joined numbers 57.7 -> 63.0%; 0.5 and 2.0 gave 63.3 and 62.7%)
CONNECTOR_COST = 1.0
WIDE_COST = 3.0  # per line height of width beyond WIDE: two digits read as one
WIDE = 1.1
MIN_PROB = 1e-6  # floor under the log
LEFT_OUT = -2  # best_path's mark for a connector atom left out
CUT_SURE = 0.97  # a group is read as several digits only when the model gives each at least this...
WHOLE_SURE = 0.99  # ...and it is only cut at all when the model reads it whole with less than this, or it is
# wider than WIDE: most single digits are read sure, and cutting costs a dozen candidates' time


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
class Separator:
    """A dot, comma or dash on a line, at `x` (work pixels) and `box` in the input's pixels."""

    char: str
    x: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Group:
    """Ink that `find_digits` would read as one digit: its components, box (work pixels) and MNIST form."""

    comps: list[list[int]]
    box: tuple[int, int, int, int]
    whole: Digit


@dataclass(frozen=True)
class Line:
    """One line of writing: its height, groups and separators, left to right."""

    height: int
    groups: list[Group]
    separators: list[Separator]

    def written_into(self, group: Group, whole_prob: float) -> bool:
        """Whether `group`, read whole with `whole_prob`, looks like digits written into each other."""
        return _written_into(group.box[2] - group.box[0], self.height, whole_prob)

    def digits_alone(self, group: Group, whole_prob: float) -> bool:
        """Whether `group`, read whole with `whole_prob`, may be digits written into each other though no number
        is around it: wider than ALONE_WIDTH line heights and read whole with less than DEEP_DOUBT."""
        return group.box[2] - group.box[0] > ALONE_WIDTH * self.height and whole_prob < DEEP_DOUBT

    def too_wide(self, group: Group) -> bool:
        """Whether `group` is wider than any one digit is taken to be (MAX_WIDTH line heights)."""
        return group.box[2] - group.box[0] > MAX_WIDTH * self.height

    def holds_number(self, group: Group) -> bool:
        """Whether `group` is part of a number: its line holds other groups, or it is wider than one digit."""
        return len(self.groups) > 1 or self.too_wide(group)

    def rejoined(self, page: Page, left: Group, right: Group) -> Group | None:
        """Neighbours `left` and `right` as one group, when they stand close enough and are narrow enough
        together to be one digit whose stroke broke (REJOIN_GAP, REJOIN_WIDTH); else None."""
        x0, y0, x1, y1 = group_box([list(left.box), list(right.box)])
        if right.box[0] - left.box[2] > REJOIN_GAP * self.height or x1 - x0 > REJOIN_WIDTH * self.height:
            return None
        return Group(left.comps + right.comps, (x0, y0, x1, y1), page.digit(x0, y0, x1, y1))

    def worth_cutting(self, group: Group, whole_prob: float) -> bool:
        """Whether `group`, read whole with `whole_prob`, may be several digits written touching."""
        width = group.box[2] - group.box[0]
        return width > SPLIT_WIDTH * self.height and (whole_prob < WHOLE_SURE or width > WIDE * self.height)


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


def lines(page: Page) -> tuple[np.ndarray, list[Line]]:
    """The picture's component labels (for `cuts`) and its lines of writing, top to bottom."""
    labels, comps = components(page.mask, page.photo)
    lowest = min_height(page.mask)
    comps = [c for c in comps if c[4] >= 2]
    if len(comps) == 1:  # the common case of one digit in one stroke: read it whole, at once
        x0, y0, x1, y1 = box = tuple(comps[0][:4])
        return labels, [Line(y1 - y0, [Group(comps, box, page.digit(*box))], [])] if y1 - y0 >= lowest else []
    found = []
    # specks are judged against the whole picture, as find_digits judges them, but by one digit's worth of ink
    largest, tallest = max(map(_ink_per_digit, comps), default=0), max((c[3] - c[1] for c in comps), default=0)
    if page.bitmap and comps:  # one digit whose strokes a coarse grid parted (an open 4's, a 5's bar)
        kept = [c for c in comps if is_writing(c, largest, tallest)]
        x0, y0, x1, y1 = box = group_box(kept)
        return labels, [Line(y1 - y0, [Group(kept, box, page.digit(*box))], [])] if y1 - y0 >= lowest else []
    for top, bottom, members in _by_line(comps) if comps else []:
        if bottom - top < lowest:
            continue  # specks and dust on a line of their own
        line = _line(page, members, top, bottom - top, (largest, tallest))
        if line.groups or line.separators:
            found.append(line)
    return labels, found


def _ink_per_digit(c: list[int]) -> float:
    """A component's ink per digit it may hold (its width in heights, at least one): digits written touching
    make one component with several digits' ink, beside which a thin 1 would be left out as a speck
    (benchmarks/number_accuracy.py: 71.5 -> 72.7% exact; single digits and non-digit pictures unchanged)."""
    return c[4] / max(1.0, (c[2] - c[0]) / max(c[3] - c[1], 1))


def _by_line(comps: list[list[int]]) -> list[tuple[int, int, list[list[int]]]]:
    """Components grouped into lines: a line ends where a band of blank rows at least LINE_GAP of the
    tallest component high runs across the whole picture (a comma's tail, a digit cut by a ruled line
    and a texture's interleaved blots stay on one line). Returns each line's top and bottom (those of
    its components that are more than separators) and its components, top to bottom."""
    gap = LINE_GAP * max(c[3] - c[1] for c in comps)
    lines: list[list[list[int]]] = []
    bottom = -math.inf
    for c in sorted(comps, key=lambda c: c[1]):
        if c[1] >= bottom + gap:
            lines.append([])
        lines[-1].append(c)
        bottom = max(bottom, c[3])
    out = []
    for members in lines:
        tallest = max(c[3] - c[1] for c in members)
        body = [c for c in members if c[3] - c[1] >= SEPARATOR_HEIGHT * tallest]
        out.append((min(c[1] for c in body), max(c[3] for c in body), members))
    return out


def _line(page: Page, members: list[list[int]], top: int, height: int, scale: tuple[int, int]) -> Line:
    """Separators and groups of one line. Groups are never joined: ink that stands apart is not one
    digit, and joining it lets the model find digits in textures."""
    largest, tallest = scale  # the picture's largest component's ink and its tallest component's height
    marks = {c[5]: _separator(c[2] - c[0], c[3] - c[1], (c[1] + c[3]) / 2 - top, height) for c in members}
    kept = [c for c in members if marks[c[5]] or is_writing(c, largest, tallest)]
    separators, groups = [], []
    lowest = min_height(page.mask)
    for comps in merge_by_overlap(kept):
        box = group_box(comps)
        if len(comps) == 1 and marks[comps[0][5]]:  # a mark standing apart: a separator, not part of a digit
            separators.append(Separator(marks[comps[0][5]], (box[0] + box[2]) // 2, page.box(*box)))
        # ink measured against the picture's largest component, not its inkiest group as in find_digits:
        # a line's groups are judged without the other lines'
        elif sum(c[4] for c in comps) >= KEEP_SHARE * largest and box[3] - box[1] >= lowest:
            groups.append(Group(comps, box, page.digit(*box)))
    return Line(height, groups, separators)


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


def _separator(w: int, h: int, centre: float, height: int) -> str | None:
    """'-', '.' or ',' when a component of this size, centred `centre` below the line's top, is one."""
    if h >= SEPARATOR_HEIGHT * height:
        return None
    if w >= DASH_ASPECT * h and DASH_BAND[0] * height <= centre <= DASH_BAND[1] * height:
        return "-"
    if w < DOT_WIDTH * height and centre >= DOT_LOW * height:
        return "," if h >= COMMA_ASPECT * w else "."
    return None


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
        deep = _written_into(x1 - x0, height, whole_prob)
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


def _written_into(width: int, height: int, whole_prob: float) -> bool:
    """Ink this wide on a line this high, read whole this doubtfully: digits written into each other."""
    return width > DEEP_WIDTH * height and whole_prob < DEEP_DOUBT


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
        total = cost[0].copy()
        for r in range(1, h):
            left = np.concatenate(([np.inf], total[:-1])) + SEAM_STEP
            right = np.concatenate((total[1:], [np.inf])) + SEAM_STEP
            choice = np.argmin(np.stack([left, total, right]), axis=0)
            total = np.choose(choice, [left, total, right]) + cost[r]
            step[r] = choice - 1
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
        if np.count_nonzero(crossed[1:] & ~crossed[:-1]) + crossed[0] <= max_crossings:
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


def best_cut(
    cuts: list[Cuts], probs: list[np.ndarray], sure: float, number: bool, alone: bool = False
) -> tuple[int, list[int]]:
    """Which of a group's over-segmentations (its leaning `cuts`, then its `straight_cuts` and `stroke_cuts`;
    with their candidates' `probs`) reads it best, and its `best_path`. Another than the first replaces the
    first's reading only with as many digits, or, when the first reads the group whole and the group is part of
    a `number`, with any: alone, a letter cut along columns gives sure 1s (benchmarks/field_accuracy.py:
    letters read as a digit 4.7 -> 16.0% if cut so alone). Strokes may replace any reading in a number, but
    their pieces must be read with CUT_SURE whatever `sure` is: against a doubtful group's lower bar, the
    leaning cuts' reading of digits written into each other merges two of them into one digit, and pieces of
    strokes read doubtfully are anything (number_accuracy.py, touching or overlapping 3 digits: 75.5% before
    strokes, 81.3% with strokes held to as many digits, 81.7% free; of 2,700 numbers of up to 4 digits, 65 and
    75 more read right net; with the lower bar for strokes too, numbers written fast fell 67.7 -> 65.7%).
    `alone`: the group may be digits though no number is around it (`Line.digits_alone`): strokes that read
    other than 1s may replace its whole reading."""
    first, best_score = _scored_path(cuts[0], probs[0], sure)
    best = 0, first
    for i in range(1, len(cuts)):
        path, score = _scored_path(cuts[i], probs[i], sure)
        stroked = cuts[i].how == "strokes"
        if score > best_score and (
            len(path) == len(first)
            or ((first == [0] or stroked) and number)
            or (stroked and alone and first == [0] and any(probs[i][k].argmax() != 1 for k in path))
        ):
            best, best_score = (i, path), score
    return best


def best_path(cut: Cuts, probs: np.ndarray, sure: float = CUT_SURE) -> list[int]:
    """Indices into `cut.spans` of the candidates that cover the group's atoms once, left to right, with
    the highest total score: the log-probability of each candidate's best class less its cost; a connector
    atom may be left out for CONNECTOR_COST. Only pieces the model reads with at least `sure` are used; with
    none that cover the group, it is read whole (textures and scribbles cut into pieces give some piece that
    looks like a digit; digits written touching give pieces that all do)."""
    return _scored_path(cut, probs, sure)[0]


def _scored_path(cut: Cuts, probs: np.ndarray, sure: float) -> tuple[list[int], float]:
    """`best_path` and its total score."""
    best_prob = probs.max(axis=1)
    score = np.log(np.maximum(best_prob, MIN_PROB)) - np.array(cut.costs)
    if cut.how == "strokes":
        sure = max(sure, CUT_SURE)  # strokes read doubtfully are anything (best_cut)
    score[1:][best_prob[1:] < sure] = -math.inf  # a path through a doubtful piece is never taken
    n = len(cut.atoms)
    best = [0.0] + [-math.inf] * n
    back = [-1] * (n + 1)  # the candidate ending at each atom boundary, or LEFT_OUT for a connector
    ending: dict[int, list[int]] = {}
    for k, (_, j) in enumerate(cut.spans):
        ending.setdefault(j, []).append(k)
    for j in range(1, n + 1):
        for k in ending.get(j, []):
            i = cut.spans[k][0]
            if best[i] + score[k] > best[j]:
                best[j], back[j] = best[i] + score[k], k
        if cut.connectors[j - 1] and best[j - 1] - CONNECTOR_COST > best[j]:
            best[j], back[j] = best[j - 1] - CONNECTOR_COST, LEFT_OUT
    path, j = [], n
    while j > 0:
        if back[j] == LEFT_OUT:
            j -= 1
            continue
        path.append(back[j])
        j = cut.spans[back[j]][0]
    return path[::-1], best[n]
