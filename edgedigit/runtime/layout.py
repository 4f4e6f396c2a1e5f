"""A picture's lines of writing: each line's groups of ink (as `find_digits` groups them, `merge_by_overlap`)
and separators (dots, commas, dashes and equals signs, told from digits by size and position on the line), and
when a group may hold more than one digit (`segment` then cuts it).
Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from edgedigit.runtime.grouping import KEEP_SHARE, components, group_box, is_writing, merge_by_overlap, min_height
from edgedigit.runtime.preprocess import Digit, Page

LINE_GAP = 0.15  # lines are parted by blank rows at least this share of the tallest component high
SEPARATOR_HEIGHT = 0.4  # separators are lower than this share of the line's digits
DASH_ASPECT = 1.5  # a dash is at least this much wider than high...
DASH_BAND = (0.2, 0.8)  # ...and sits between these shares of the line's height, measured from its top
DOT_WIDTH = 0.4  # a dot or comma is narrower than this share of the line's height...
DOT_LOW = 0.55  # ...and its centre lies below this share of the line's height
COMMA_ASPECT = 1.4  # a separator this much higher than wide is a comma
EQUALS_HEIGHT = 0.6  # two dashes one over the other, lower than this share of the line together...
EQUALS_DASH = 0.25  # ...and each lower than this share, a pen's width, are an equals sign closing an amount ("1500,=":
# read as a doubtful digit kept in the number before; number_sets.closed: 0.31-0.56 and 0.08-0.20 of the line); a 5
# written in a comb box as two flat strokes, its bar over its bowl, was 0.63 high and its bowl 0.37...
EQUALS_WIDTH = 0.2  # ...and each dash at least this share of the line long (number_sets.closed: 0.35 and more, the
# pieces lined paper turned 5 degrees leaves of its lines, one over the other, 0.05-0.08)
SMALL_DIGIT = (0.4, 0.8)  # ink this share of the line high may be a digit written small (an amount's raised cents)...
SMALL_RAISED = 0.2  # ...when its top lies within this share of the line's height of the line's top (number_sets.raised:
# 0.1 at most; a piece of a table's column through the number, left beside a digit, runs down to its feet)...
SMALL_PEN = 0.2  # ...and it is written with the line's pen: its strokes at least this share as wide as the inkiest
# component's (a 1 px piece of a printed box's line beside a digit: 0.16; number_sets.raised's cents, MNIST's stroke
# scaled with them: 0.24 and more in 98 of 100)
SPLIT_WIDTH = 0.7  # components wider than this share of the line's height may be several digits touching
# a component wider than DEEP_WIDTH line heights that the model reads whole with less than DEEP_DOUBT is digits
# written into each other: cut deeper (`segment.DEEP_CROSSINGS`), and cut into strokes even alone (ALONE_WIDTH)
DEEP_WIDTH = 1.0
DEEP_DOUBT = 0.3
# neighbouring groups on a line, one read with less than REJOIN_DOUBT, at most REJOIN_GAP of the line's height apart
# and together at most REJOIN_WIDTH line heights wide, are one digit when the model reads them together with at
# least REJOIN_SURE and surer than both apart (the product of their probabilities): a fine pen's stroke broken in
# a photo parts a 4 into "61" (benchmarks/photo_scenes.py: thin pen 90.5 -> 93.5%, 93.0% when it had to be surer
# than either; benchmarks/number_accuracy.py: apart 5 digits 97.3 -> 98.0%, the rest unchanged; non-digits unchanged)
REJOIN_DOUBT = 0.9
REJOIN_GAP = 0.3
REJOIN_WIDTH = 1.3
REJOIN_SURE = 0.9
# strokes may read a blob alone on its line as several digits when it is wider than this many line heights and
# read whole with less than DEEP_DOUBT, and they read other than 1s: three digits written into each other, a 1
# among them, are narrower than the 1.6 line heights that make a blob a number, and were read as no digit at all
# (2,700 numbers of up to 4 digits: 21 more read right than without; non-digits on a 600-picture screen: letters
# 23 -> 23, scribbles 125 -> 127; from 1.0 line heights, 28 more and letters 24, scribbles 130; without the 1s
# rule letters 34: a letter's strokes are bars, and a bar is a sure 1, "M" read "1111")
ALONE_WIDTH = 1.2
MAX_WIDTH = 1.6  # a group wider than this many line heights is more than one digit (a candidate digit is no wider)
WIDE = 1.1  # a group wider than this many line heights is cut even when read sure (segment.WIDE_COST beyond it)
WHOLE_SURE = 0.99  # a group is only cut when the model reads it whole with less than this, or it is wider than
# WIDE: most single digits are read sure, and cutting costs a dozen candidates' time


@dataclass(frozen=True)
class Separator:
    """A dot, comma, dash or equals sign on a line, at `x` (work pixels) and `box` in the input's pixels."""

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
        return written_into(group.box[2] - group.box[0], self.height, whole_prob)

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


def lines(page: Page) -> tuple[np.ndarray, list[Line]]:
    """The picture's component labels (for `cuts`) and its lines of writing, top to bottom."""
    labels, comps = components(page.mask, page.photo, page.pad)
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
    kept = [
        c for c in members if marks[c[5]] or is_writing(c, _judged_by(page, c, members, scale, (top, height)), tallest)
    ]
    separators, groups = [], []
    lowest = min_height(page.mask)
    for comps in merge_by_overlap(kept):
        box = group_box(comps)
        if len(comps) == 1 and marks[comps[0][5]]:  # a mark standing apart: a separator, not part of a digit
            separators.append(Separator(marks[comps[0][5]], (box[0] + box[2]) // 2, page.box(*box)))
        elif _equals(comps, marks, height):
            separators.append(Separator("=", (box[0] + box[2]) // 2, page.box(*box)))
        # ink measured against the picture's largest component, not its inkiest group as in find_digits:
        # a line's groups are judged without the other lines'
        elif box[3] - box[1] >= lowest and sum(c[4] for c in comps) >= KEEP_SHARE * _judged_by(
            page, box, members, scale, (top, height)
        ):
            groups.append(Group(comps, box, page.digit(*box)))
    return Line(height, groups, separators)


def _judged_by(
    page: Page, box: Sequence[int], members: list[list[int]], scale: tuple[int, int], line: tuple[int, int]
) -> float:
    """The ink a component or group in `box`, on a line of `members` (`line`: its top and height), is judged by: the
    picture's largest component's (`scale`: its ink and the tallest component's height), or, for a digit written small
    and raised with the line's pen (SMALL_DIGIT, SMALL_RAISED, SMALL_PEN: an amount's cents), the ink that component
    would have at its height. Not on a meter's counter (`Page.printed`), whose panel leaves slivers between drums."""
    largest, tallest = scale
    top, height = line
    h = box[3] - box[1]
    if page.printed or not SMALL_DIGIT[0] * height <= h < SMALL_DIGIT[1] * height:
        return largest
    if box[1] - top > SMALL_RAISED * height:
        return largest
    if _pen(page.mask, box) < SMALL_PEN * _pen(page.mask, max(members, key=lambda c: c[4])):
        return largest
    return largest * (h / tallest) ** 2


def _pen(mask: np.ndarray, box: Sequence[int]) -> float:
    """The width of the ink's strokes in `box` (x0, y0, x1, y1): twice its area over its outlines' length."""
    ink = mask[box[1] : box[3], box[0] : box[2]]
    outlines, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return 2 * cv2.countNonZero(ink) / max(1.0, sum(cv2.arcLength(c, True) for c in outlines))


def _separator(w: int, h: int, centre: float, height: int) -> str | None:
    """'-', '.' or ',' when a component of this size, centred `centre` below the line's top, is one."""
    if h >= SEPARATOR_HEIGHT * height:
        return None
    if w >= DASH_ASPECT * h and DASH_BAND[0] * height <= centre <= DASH_BAND[1] * height:
        return "-"
    if w < DOT_WIDTH * height and centre >= DOT_LOW * height:
        return "," if h >= COMMA_ASPECT * w else "."
    return None


def _equals(comps: list[list[int]], marks: dict[int, str | None], height: int) -> bool:
    """Whether a group is an equals sign on a line `height` high: two dashes, one over the other, each a pen's width
    high and a fifth of a digit long, together lower than a digit's half (EQUALS_DASH, EQUALS_WIDTH, EQUALS_HEIGHT):
    a 5's flat bowl under its bar is not, nor two pieces left of ruling."""
    if len(comps) != 2 or not marks[comps[0][5]] == marks[comps[1][5]] == "-":
        return False
    dashes = all(c[3] - c[1] < EQUALS_DASH * height and c[2] - c[0] >= EQUALS_WIDTH * height for c in comps)
    return dashes and max(c[3] for c in comps) - min(c[1] for c in comps) < EQUALS_HEIGHT * height


def written_into(width: int, height: int, whole_prob: float) -> bool:
    """Ink this wide on a line this high, read whole this doubtfully: digits written into each other."""
    return width > DEEP_WIDTH * height and whole_prob < DEEP_DOUBT
