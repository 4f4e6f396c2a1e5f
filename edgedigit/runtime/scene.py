"""What a photo shows besides the digits: the ruling of lined or squared paper, the desk around the
sheet, the edges of paper and table. `edgedigit.runtime.preprocess` asks this module only for photo-sized
images; crops (MNIST, USPS, a 28x28 input) never come here.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from edgedigit.runtime import paper

NEAR = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
RULING_INK = 0.8  # a ruling line has ink along this share of its way across the picture...
# ...or, beside two such lines, along this share: lower on a sheet lit from above a line fades, and what the mask
# keeps of it stayed joined to the digits (benchmarks/photo_scenes.py: lined paper 95.5 -> 98.0%, 0.3: 97.5%)
FAINT_RULING_INK = 0.5
RULING_BETWEEN = 0.15  # two ruling lines twice the ruling's spacing apart, give or take this share of it, miss one...
RULING_BETWEEN_INK = 0.4  # ...which is ruling where ink lies along this share of its way halfway between them (the
# line through a number's middle, its contrast lowered by the digits round it, breaks into dashes Hough misses)
RULING_END = 0.1  # a ruling line runs on to the picture's edge: its ink covers RULING_END_INK of its first or last
RULING_END_INK = 0.6  # RULING_END; a printed box round the writing, turned as a photo takes it, stops at its corners
# (its sides span 80% of the picture: taken for ruling, cut out, and the box's rest read with the digit)
# the ruling's direction is that of the segments found across this share of the picture, when there are any: a
# bold digit gives a dozen shorter segments along its own strokes, which outvoted a turned sheet's lines (photo
# scenes, lined paper turned 5 degrees: a digit the lines crossed was read with them, as no digit)
ACROSS = 0.6
ALONG_SIDE = 0.6  # ink along this share of one side of a photo is the desk beyond the sheet's edge, or a shadow: a
# digit cut by the frame meets it over a stroke's width (the desk a fifth of the width deep was read as a 1 beside it)
EDGE_CONTACT = 1.0  # a component meeting the border along this many times the square root of its ink...
EDGE_SOLID = 0.9  # ...that fills this share of its convex hull is a blob set against the frame, not writing: a hard
# shadow's corner, which the paper's lighting estimate (an opening half the picture wide) cannot enter, read with
# the digit beside it (benchmarks/photo_scenes.py, a hard shadow 96.5 -> 98.5%, a dark one 83.5 -> 86.0%), or the
# fingertip of the hand holding the sheet, meeting it along about 1.2 (1.5 before: a fingertip 78.5 -> 93.5%); a
# stroke meets the border end on (about 0.5), a digit cut by the frame is no convex blob

# something crossing the whole picture is not writing when it is this many times taller than the tallest other ink of
# at least WRITING_INK of its ink (the pen beside the digit of benchmarks/photo_scenes.py: about 2.2)...
PASSING_TALLER = 1.4
WRITING_INK = 0.05  # ...ink that small beside it is dust or a dot, not the writing it passes...
WRITING_LEAST = 0.35  # ...which is at least this share of the picture high (a 1's foot or flag, a 5's bar: flatter)...
PASSING_BODY = 0.3  # ...and its body is this share of the writing's height wide: a pen 1 cm across beside digits
# 2-3 cm high is 0.4-0.7 of their ink's height; a 1 that a tight frame cuts at both ends is a stroke wide, under 0.2
PASSING_ACROSS = 1 / 3  # in a photo, other ink lies across it (a 1's foot, a 4's bar) when it spans this share of its
# columns: a digit beside a pen lying a little tilted reaches into the edge of its box (9-21% of it; photo_scenes.py,
# the pen 92.0 -> 95.0%). In a crop any column in common is across: the stem of an open 4 that the frame cuts at both
# ends has its first stroke reach a little into its columns (2 USPS 4s read as 1s at a quarter or a third)


# a sheet smaller than the desk around it (a sticky note, a slip of paper, a meter's lit window): the paper is the
# bright minority of the picture, and the desk, at its median, was taken for the paper, the sheet for bright ink
SHEET_LEAST = 0.1  # the sheet covers at least this share of the picture (a bold bright digit's blob may too...)
SHEET_CONVEX = 0.95  # ...its outline, holes filled, covers this share of its convex hull (a 1's blob does too...)
SHEET_CORNERS = 6  # ...and is a polygon of at most this many corners: four, or more where the frame cuts it (a
# bold 0's outline takes 8 or more at SHEET_CORNERS_EPS)...
SHEET_CORNERS_EPS = 0.02  # ...at this share of its perimeter (OpenCV's approxPolyDP)
SHEET_INSIDE = 0.05  # ...with a corner at least this share of the picture's side inside its frame: a shadow's edge
# runs from frame to frame, so the lit paper beside it has its corners on the frame (its shadowed part was painted
# out as desk, and the digit in it with it)...
SHEET_WRITING = 0.005  # ...and holds dark ink over this share of it: writing (a 1's bright blob holds none)...
SHEET_SQUAT = 0.5  # ...or is at least this many times as wide as long, unlike a 1's blob: a blank note (read as a 0)
SHEET_EDGE = 2  # pixels of the sheet's blurred edge painted with the desk, so it leaves no line of ink
SHEET_RING = 3  # the sheet's edge is judged on the rings this many pixels wide just inside and outside its outline...
SHEET_STEP = 40  # ...where the sheet is this many grey levels brighter than the desk: an edge, not the Otsu split of
# paper lit unevenly (a page photographed whole split there, and the digit on its darker half was painted out)


def ruling(mask: np.ndarray) -> np.ndarray | None:
    """A mask of the ruling, 3 px wide, or None. Ruling is two or more parallel straight lines with ink
    along most of their way across the picture (RULING_INK; fainter ones beside them, FAINT_RULING_INK) and
    little beside them: a stroke of a digit does not go from edge to edge, the edge of the desk has ink on
    one side, and with two lines needed, one long stroke of a tightly framed digit is not taken for ruling
    either."""
    h, w = mask.shape
    # sums, not maxima: OpenCV's row-wise maximum took 144 us on a 213x160 frame, the sum 2 us
    columns = np.count_nonzero(cv2.reduce(mask, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S))
    rows = np.count_nonzero(cv2.reduce(mask, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S))
    if columns < 0.7 * w and rows < 0.7 * h:
        return None  # no line with ink along 80% of its way: most photos stop here, before the Hough transform
    side = min(h, w)
    found = cv2.HoughLinesP(mask, 1, np.pi / 180, threshold=side // 2, minLineLength=side // 2, maxLineGap=3)
    if found is None:
        return None
    candidates = _edge_to_edge(found.reshape(-1, 4).tolist(), w, h)[:255]  # labelled 1..255 in uint8 below
    drawn, beside = np.zeros_like(mask), np.zeros_like(mask)
    for label, (line, left, right) in enumerate(candidates, start=1):
        cv2.line(drawn, *line, label, 1)
        cv2.line(beside, *left, label, 1)
        cv2.line(beside, *right, label, 1)
    ink = cv2.dilate(mask, NEAR) > 0
    n = len(candidates) + 1
    length, hits, near = (np.bincount(a, minlength=n) for a in (drawn.ravel(), drawn[ink], beside[ink]))
    strong = [hits[k] >= RULING_INK * length[k] > near[k] for k in range(1, n)]
    if sum(strong) < 2:
        return None
    strong = [s and _to_edge(candidates[k - 1][0], ink) for k, s in enumerate(strong, start=1)]
    if sum(strong) < 2:
        return None
    out = np.zeros_like(mask)
    for k, (line, _, _) in enumerate(candidates, start=1):
        if strong[k - 1] or hits[k] >= FAINT_RULING_INK * length[k] > near[k]:
            cv2.line(out, *line, 255, 3)
    for line in _between([c[0] for c, s in zip(candidates, strong) if s]):
        drawn = cv2.line(np.zeros_like(mask), *line, 1, 1) > 0
        if np.count_nonzero(ink & drawn) >= RULING_BETWEEN_INK * np.count_nonzero(drawn):
            cv2.line(out, *line, 255, 3)
    return out


def _between(lines: list[tuple[tuple[int, int], ...]]) -> list[tuple[tuple[int, int], ...]]:
    """The lines halfway between two neighbouring ruling `lines` ((x, y), (x, y), each from edge to edge, parallel
    in each direction) twice the ruling's spacing apart (RULING_BETWEEN): where one is missing."""
    out = []
    for horizontal in (True, False):
        family = sorted(line for line in lines if _runs_across(line) == horizontal)
        across = 1 if horizontal else 0  # a line's offset: where it meets the left edge, or the top
        gaps = [b[0][across] - a[0][across] for a, b in zip(family, family[1:])]
        spacing = min(gaps, default=0)
        for (a, b), gap in zip(zip(family, family[1:]), gaps):
            if spacing > 0 and abs(gap - 2 * spacing) <= RULING_BETWEEN * spacing:
                out.append(tuple((round((p + q) / 2), round((r + t) / 2)) for (p, r), (q, t) in zip(a, b)))
    return out


def _edge_to_edge(segments: list[list[int]], w: int, h: int) -> list[list[tuple[tuple[int, int], ...]]]:
    """Candidate ruling lines from line segments: per direction (mostly horizontal, mostly vertical), the
    segments parallel to most of them, one line per offset, each extended from edge to edge, with its
    two parallels 4 px to either side (end points as ((x, y), (x, y)))."""
    candidates = []
    for horizontal, length in ((True, w), (False, h)):
        # a segment as (along0, across0, along1, across1): x before y for horizontal lines, y before x else
        family = [(x0, y0, x1, y1) if horizontal else (y0, x0, y1, x1) for x0, y0, x1, y1 in segments]
        along = [(a0, c0, a1, c1) for a0, c0, a1, c1 in family if abs(a1 - a0) > abs(c1 - c0)]  # this direction's
        if not along:
            continue
        slopes = [((c1 - c0) / (a1 - a0), c0, a0) for a0, c0, a1, c1 in along]
        across = [s for (s, _, _), (a0, _, a1, _) in zip(slopes, along) if abs(a1 - a0) >= ACROSS * length]
        slope = float(np.median(across or [s for s, _, _ in slopes]))
        offsets = sorted(c0 - s * a0 for s, c0, a0 in slopes if abs(s - slope) <= 0.03)  # across at along = 0
        for i, offset in enumerate(offsets):
            if i == 0 or offset - offsets[i - 1] > 3:  # one line, not each of its segments
                shifted = [(round(offset + d), round(offset + d + slope * length)) for d in (0, -4, 4)]
                candidates.append([((0, a), (length, b)) if horizontal else ((a, 0), (b, length)) for a, b in shifted])
    return candidates


def _runs_across(line: tuple[tuple[int, int], ...]) -> bool:
    """Whether a line ((x, y), (x, y)) runs more across the picture than down it."""
    (x0, y0), (x1, y1) = line
    return abs(x1 - x0) > abs(y1 - y0)


def _to_edge(line: tuple[tuple[int, int], ...], ink: np.ndarray) -> bool:
    """Whether `ink` (boolean) covers RULING_END_INK of the first or the last RULING_END of a line ((x, y), (x, y)):
    ruling runs on to the picture's edge."""
    (x0, y0), (x1, y1) = line
    dx, dy = round(RULING_END * (x1 - x0)), round(RULING_END * (y1 - y0))
    for start, end in (((x0, y0), (x0 + dx, y0 + dy)), ((x1 - dx, y1 - dy), (x1, y1))):
        segment = cv2.line(np.zeros(ink.shape, np.uint8), start, end, 1, 1) > 0
        if np.count_nonzero(ink & segment) >= RULING_END_INK * np.count_nonzero(segment):
            return True
    return False


def sheet_on_desk(gray: np.ndarray, bright: np.ndarray) -> np.ndarray | None:
    """`gray` with the desk round a sheet smaller than it painted with the sheet's paper, or None when it shows no
    such sheet. `bright`: its Otsu split (1 on the bright side). The sheet is the largest bright component when the
    bright side is the picture's minority: SHEET_LEAST of the picture or more, convex, a polygon of few corners,
    with dark writing inside or squat, and SHEET_STEP brighter than what lies round it. Chalk, a bold white digit
    and a glare spot are not such polygons, or are narrow and hold no writing; paper lit unevenly, split by Otsu,
    has no edge where it is split."""
    if 2 * cv2.countNonZero(bright) >= bright.size:
        return None  # the common case: the paper covers most of the picture, and its median is the paper's level
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n < 2:
        return None
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = int(stats[k, cv2.CC_STAT_AREA])
    if area < SHEET_LEAST * bright.size:
        return None
    sheet = (labels == k).astype(np.uint8)
    outline = max(cv2.findContours(sheet, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0], key=cv2.contourArea)
    filled = cv2.drawContours(np.zeros_like(sheet), [outline], -1, 1, cv2.FILLED)
    inside = cv2.countNonZero(filled)
    corners = cv2.approxPolyDP(outline, SHEET_CORNERS_EPS * cv2.arcLength(outline, True), True)
    convex = inside >= SHEET_CONVEX * cv2.contourArea(cv2.convexHull(outline))
    (_, _), (a, b), _ = cv2.minAreaRect(outline)
    holds_writing, squat = inside - area >= SHEET_WRITING * inside, min(a, b) >= SHEET_SQUAT * max(a, b)
    if not convex or len(corners) > SHEET_CORNERS or not (holds_writing or squat) or not _corner_inside(outline, sheet):
        return None
    edge = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * SHEET_EDGE + 1,) * 2)
    ring = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * (SHEET_EDGE + SHEET_RING) + 1,) * 2)
    inner = cv2.erode(filled, edge) - cv2.erode(filled, ring)
    outer = cv2.dilate(filled, ring) - cv2.dilate(filled, edge)
    if not inner.any() or not outer.any() or _median(gray, inner) - _median(gray, outer) < SHEET_STEP:
        return None
    level = _median(gray, sheet)
    desk = cv2.dilate(1 - filled, edge)
    out = gray.copy()
    out[desk.astype(bool)] = level
    return out


def _corner_inside(outline: np.ndarray, picture: np.ndarray) -> bool:
    """Whether the convex hull of `outline` (a contour) has a corner SHEET_INSIDE of the picture's sides inside its
    frame: the hull, as writing that crosses a shadow's edge notches the lit paper beside it with corners inside."""
    corners = cv2.approxPolyDP(cv2.convexHull(outline), SHEET_CORNERS_EPS * cv2.arcLength(outline, True), True)
    h, w = picture.shape
    mx, my = SHEET_INSIDE * w, SHEET_INSIDE * h
    return any(mx <= x <= w - 1 - mx and my <= y <= h - 1 - my for x, y in corners.reshape(-1, 2).tolist())


def _median(gray: np.ndarray, where: np.ndarray) -> int:
    return paper.median(gray[where.astype(bool)])


def clutter(labels: np.ndarray, stats: np.ndarray, pad: int = 0) -> set[int]:
    """Components (connectedComponentsWithStats labels) that are not digits: a straight hairline across
    most of the picture (ruling, the edge of the sheet or the table), something lying along its border
    (the desk around the sheet, a shadow) or along ALONG_SIDE of one side (the desk beyond the sheet's edge), a
    solid blob set against the border (EDGE_CONTACT, EDGE_SOLID: a shadow's corner), or something passing through
    it (`passing_through`; `pad`: the margin of paper a crop was given). A digit that reaches the border runs into
    the picture."""
    h, w = labels.shape
    n = len(stats)
    on_border = np.bincount(labels.take(_edge_index(h, w, 1)), minlength=n).tolist()
    in_band = np.bincount(labels.take(_edge_index(h, w, max(1, min(h, w) // 8))), minlength=n).tolist()
    along_side = [False] * n
    if max(on_border[1:], default=0) >= ALONG_SIDE * min(h, w):  # something may lie along a side: count per side
        along_side = along_a_side(labels, n, ALONG_SIDE)
    found = passing_through(stats, h, pad)
    for i, (x, y, bw, bh, area) in enumerate(stats.tolist()[1:], start=1):
        hairline = (bw >= 0.9 * w and bh <= 0.04 * h) or (bh >= 0.9 * h and bw <= 0.04 * w)
        if hairline or along_side[i] or (on_border[i] > 0 and in_band[i] >= 0.9 * area):
            found.add(i)
        elif on_border[i] >= EDGE_CONTACT * math.sqrt(area) and _solid(labels[y : y + bh, x : x + bw] == i, area):
            found.add(i)  # a shadow's corner the paper's lighting estimate could not enter
    return found


def _solid(own: np.ndarray, area: int) -> bool:
    """Whether a component (`own`, boolean, in its box; `area` pixels) fills EDGE_SOLID of its convex hull."""
    outline = max(cv2.findContours(own.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0], key=len)
    return area >= EDGE_SOLID * cv2.contourArea(cv2.convexHull(outline))


def along_a_side(labels: np.ndarray, n: int, share: float) -> list[bool]:
    """Per label 0..n-1 of `labels` (connectedComponents), whether the component covers `share` of one of the
    picture's four sides: the desk beyond a sheet's edge, a shadow, a 7's bar in a tight crop."""
    sides = (labels[0], labels[-1], labels[:, 0], labels[:, -1])
    return np.logical_or.reduce([np.bincount(side, minlength=n) >= share * len(side) for side in sides]).tolist()


def passing_through(stats: np.ndarray, h: int, pad: int = 0) -> set[int]:
    """Components that run from the top of the picture to its bottom (within `pad`, a crop's added margin) as a broad
    body, far taller than the other ink that may be writing and beside it, not across it: the pen that wrote the
    digits lying next to them, a ruler. A 1 that a tight frame cuts at both ends is a pen's stroke wide, however
    tall; a 1's foot, a 7's bar and a 4's first stroke lie across their stem, which is kept (in a photo, other ink
    lies across only when it spans PASSING_ACROSS of the body's columns: a tilted pen's box). Only up and down: the
    strokes of a digit stretched to fill its bitmap run from side to side, a 5's body under its bar."""
    boxes = stats.tolist()[1:]  # x, y, w, h, area
    crossing = {i for i, (_, y, _, bh, _) in enumerate(boxes, start=1) if y <= pad and y + bh >= h - pad}
    if not crossing:
        return set()
    least = WRITING_INK * max(boxes[i - 1][4] for i in crossing)  # less ink beside it is dust, not writing
    others = [b for j, b in enumerate(boxes, start=1) if j not in crossing and b[4] >= least]
    tallest, inner = max((b[3] for b in others), default=0), h - 2 * pad
    body = sum(boxes[i - 1][4] for i in crossing) / inner  # its width: a pen's highlight parts its body in two
    if not WRITING_LEAST * inner <= tallest <= inner / PASSING_TALLER or body < PASSING_BODY * tallest:
        return set()
    beside, across = set(), PASSING_ACROSS if pad == 0 else 0.0
    for i in crossing:
        x0, x1 = boxes[i - 1][0], boxes[i - 1][0] + boxes[i - 1][2]
        if not any(min(x1, b[0] + b[2]) - max(x0, b[0]) > across * (x1 - x0) for b in others):
            beside.add(i)
    return beside


@functools.lru_cache(maxsize=32)
def _edge_index(h: int, w: int, depth: int) -> np.ndarray:
    """Flat indices of the pixels within `depth` of the border."""
    band = np.ones((h, w), bool)
    band[depth:-depth, depth:-depth] = False
    index = np.flatnonzero(band)
    index.flags.writeable = False  # shared by every call through the cache
    return index
