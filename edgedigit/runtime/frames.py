"""The printed border of a form's cell, cut out with the digit written in it.

A user who cuts a cell from a scanned form or a meter's window often keeps a side or all of its frame: a
straight thin line beside the digit (read as a 1 beside it) or an outline round it (read with the digit as
no digit; its dark border taken for the paper turns the picture's polarity round). The preprocessing
paints a frame along the picture's edges out before it looks for the paper (`painted_out`) and leaves frame
lines further in out of the components (`frame_lines`), in crops and photos alike; so is a box turned as a
photo takes it, drawn by hand, or a circle round the writing: a thin ring round all the other ink (`_ring`),
whose straight top and bottom are no underline either (`drawn_round`). A printed row of comb boxes, which
digits touching its lines join into one component, is found by its columns and rows and taken out of the ink
before the components are looked at (`printed_lines`); so is the box round a form's field, cut out with the number
written in it. A line under the writing found further in is left to
`ruling.rules`: it may be an underline.
"""

from __future__ import annotations

import cv2
import numpy as np

FRAME_THIN = 0.05  # a printed line is at most this thick (ink / length) for its length (a pen: ~0.09 of a digit)
FRAME_STRAIGHT = 0.15  # ...and its box at most this wide for its length: one straight line, not a grid of them
FRAME_OVERHANG = 0.05  # a line beside the writing reaches past it at both ends by this share of its length...
FRAME_CONTENT = 0.4  # ...and the writing spans at least this share of it (one speck beside a thin 1 is no cell)
FRAME_MIN_SIDE = 28  # a picture no larger is in the model's own form, framed by a machine (and read in ~0.1 ms)
FRAME_EDGE = 0.9  # a row (or column) at the picture's edge is frame when this share of it is at one level...
FRAME_LEVEL = 20  # ...within this many grey levels of the outermost row's median (a printed line is even)...
FRAME_INSIDE = 0.5  # ...and the row inside the frame is at that level in at most this share
FRAME_INTERIOR = 0.5  # a frame has the ink's level, and ink covers less of the inside than the paper does
FRAME_SIDES = 2  # a frame painted out runs along this many sides: one dark edge may be a tight 7's or 5's bar
FRAME_BAND = 0.95  # an outline round the writing has this share of its ink in rows or columns that are all ink...
RING_THIN = 0.035  # ...or, turned or drawn by hand (a box, a circle), is this thin for its size: its ink spread
# along its box's outline over its longer side (a printed or drawn box: 0.01-0.03; a digit's loop: 0.06 for a thin
# pen, MNIST's 0.1)...
RING_CONTENT = 0.3  # ...round writing at least this share of its height (a speck inside a thin 0 is no digit)...
RING_MARGIN = 0.05  # ...that lies this share of its size inside it (not a piece of a faint line the threshold broke)
RING_BAND = 0.15  # a faint line round the writing (a form's light red box) that the threshold broke into pieces: each
# piece lies within this share of the shorter side of the box round the thin ones of its outline (photo_scenes.py: a
# form's red box round the digit 84.5 -> 100%)...
RING_SIDES = 2  # ...and passes each piece of writing on this many of its four sides (a side or two may fade out whole)
COMB_WIDTH = 1.3  # a row of comb boxes is at least this many times as wide as high (two boxes or more)...
COMB_UPRIGHT = 0.9  # ...its dividers are ink along this share of the row's height...
COMB_DIVIDERS = 3  # ...at least this many of them, evenly spaced (two boxes)...
COMB_PITCH = 0.1  # ...each within this share of the boxes' width of where even spacing puts it
FIELD_REACH = 0.15  # a field's printed box may lie this share of the ink's height inside its edges: a cell cut from a
# table keeps the stubs of the lines that cross at its corners


def painted_out(gray: np.ndarray) -> np.ndarray:
    """`gray` with a printed frame along its edges painted over with the row inside it: rows (or columns) at
    one level nearly all along, at most FRAME_THIN of the picture's longer side deep, with other levels inside
    them (`_frame_depth`), along at least FRAME_SIDES of its sides."""
    if max(gray.shape) <= FRAME_MIN_SIDE:
        return gray
    depth = max(1, int(FRAME_THIN * max(gray.shape)))
    band = min(depth + 2, min(gray.shape))
    sides = (gray[:band], gray[:, ::-1][:, :band].T, gray[::-1][:band], gray[:, :band].T)  # as rot90 turns them
    found = {turn: k for turn, side in enumerate(sides) if (k := _frame_depth(side, depth))}
    if len(found) < FRAME_SIDES:
        return gray
    level = int(np.median(sides[next(iter(found))][0]))  # the frame's, from its outermost row
    inner = gray[depth + 1 : -depth - 1, depth + 1 : -depth - 1]
    if inner.size == 0 or np.mean(np.abs(inner.astype(np.int16) - level) < FRAME_LEVEL) >= FRAME_INTERIOR:
        return gray  # most of the inside is at the "frame's" level: that was a thin margin of paper
    out = gray.copy()
    for turn, k in found.items():
        view = np.rot90(out, turn)  # a view, this side on top: painting it paints `out`
        view[:k] = view[k]
    return out


def printed_lines(mask: np.ndarray) -> np.ndarray | None:
    """The printed lines of a row of comb boxes (`_comb`) or of the box round a form's field (`_field_box`), as a mask
    to take out of the ink; None when `mask` holds neither. Digits touching the lines merge with them into one
    component, so the lines are found by their columns and rows, not among the components (`frame_lines`): columns of
    ink along COMB_UPRIGHT of the ink's height, rows of ink along FRAME_EDGE of its width."""
    x, y, w, h = cv2.boundingRect(mask)
    if h == 0 or w < COMB_WIDTH * h:
        return None  # the common case, checked in one call: one digit, or digits no wider than high
    box = mask[y : y + h, x : x + w]
    tall = cv2.reduce(box, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S)[0] >= 255 * COMB_UPRIGHT * h
    across = cv2.reduce(box, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S)[:, 0] >= 255 * FRAME_EDGE * w
    deep = int(FRAME_THIN * h) + 2  # a printed line's thickness, at most
    found = _comb(tall, across, deep) or _field_box(tall, across, deep, h)
    if not found:
        return None
    rows, columns = found
    lines = np.zeros_like(mask)
    view = lines[y : y + h, x : x + w]
    view[:, columns] = box[:, columns]
    view[rows] = box[rows]
    return lines


def _comb(tall: np.ndarray, across: np.ndarray, deep: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows and columns of a row of comb boxes: its dividers, upright lines (`tall`: ink along the row's height)
    no thicker than a printed line (`deep`), evenly spaced, at its two ends and between the digits (`_evenly_spaced`),
    and the line along its foot (and top), rows of ink all across (`across`); None when there is no such row."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], tall.view(np.int8), [0]))))
    runs = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a <= deep]
    dividers = _evenly_spaced(runs, len(tall))
    if dividers is None:
        return None
    columns = np.zeros_like(tall)
    for a, b in dividers:
        columns[a:b] = True
    return across, columns


def _field_box(tall: np.ndarray, across: np.ndarray, deep: int, height: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows and columns of the printed box round a form's field with a number written in it (the field cut out
    with its box, or a cell cut from a table with the stubs of its lines): rows of ink all across (`across`) at its
    top and bottom, columns along its height (`tall`) at its left or right, each no thicker than a printed line
    (`deep`, `_thin_line`); None otherwise. A flat-footed 2's bar and foot lie along two sides; a number underlined
    between two tall 1s along three, but not along its top."""
    reach = max(deep, int(FIELD_REACH * height))
    top, bottom, left, right = (_thin_line(f, deep, reach) for f in (across, across[::-1], tall, tall[::-1]))
    if not (top.any() and bottom.any() and (left.any() or right.any())):
        return None
    return top | bottom[::-1], left | right[::-1]


def _thin_line(flags: np.ndarray, deep: int, reach: int) -> np.ndarray:
    """Which of `flags` (rows or columns of ink all along, the outermost first) are a printed line near the edge: a
    run of them starting within the first `reach` and ending within `deep` (a desk round a photographed sheet is a
    band far deeper than a line); none when there is no such run."""
    line = np.zeros_like(flags)
    first = np.flatnonzero(flags[:reach])
    if len(first):
        gap = np.flatnonzero(~flags[first[0] : first[0] + deep + 1])
        if len(gap):
            line[first[0] : first[0] + gap[0]] = True
    return line


def _evenly_spaced(runs: list[tuple[int, int]], width: int) -> list[tuple[int, int]] | None:
    """The runs of columns that are a comb's dividers: the first and last at the row's ends, and one where
    each even division of the row between them puts one (a digit's upright stroke may stand between them);
    None when no even division of two boxes or more fits, or the row's ends are not dividers."""
    if len(runs) < COMB_DIVIDERS or runs[0][0] > 0 or runs[-1][1] < width:
        return None
    centres = np.array([(a + b) / 2 for a, b in runs])
    for boxes in range(len(runs) - 1, COMB_DIVIDERS - 2, -1):
        pitch = (centres[-1] - centres[0]) / boxes
        expected = centres[0] + pitch * np.arange(boxes + 1)
        nearest = np.abs(centres[None, :] - expected[:, None]).argmin(axis=1)
        if np.all(np.abs(centres[nearest] - expected) <= COMB_PITCH * pitch):
            return [runs[i] for i in nearest]
    return None


def _frame_depth(rows: np.ndarray, depth: int) -> int:
    """How many of `rows` (the outermost first, `depth` + 2 of them) are a printed line: each nearly all at
    the outermost row's level, at most `depth` of them, with a row inside that mostly is not; 0 when there is
    no such line. Judged against the line's own level, not the paper's: a bold digit filling a cell hides
    where the paper is. The last row is looked at first: paper there too is no line (every camera frame)."""
    level = int(np.partition(rows[0], rows.shape[1] // 2)[rows.shape[1] // 2])
    lo, hi = max(level - FRAME_LEVEL + 1, 0), min(level + FRAME_LEVEL - 1, 255)

    def at_level(i: int) -> float:
        return np.count_nonzero((rows[i] >= lo) & (rows[i] <= hi)) / rows.shape[1]

    if at_level(len(rows) - 1) > FRAME_INSIDE or at_level(0) <= FRAME_EDGE:
        return 0
    k = 1
    while k <= depth and at_level(k) > FRAME_EDGE:
        k += 1
    return k if k <= depth and at_level(k) <= FRAME_INSIDE else 0


def frame_lines(labels: np.ndarray, stats: np.ndarray, ink: list[int]) -> set[int]:
    """Components (connectedComponentsWithStats labels and stats; `ink`, each one's ink pixels before pen
    skips were bridged, so that its thickness is the stroke's) that are a cell's printed frame: a thin
    straight upright line reaching past the other ink at its top and bottom (beside it, or between the digits
    of a row of comb boxes), a thin level line above it reaching past both its ends, or an outline of printed
    lines (a closed box, two or three of its sides, a row of comb boxes) or a thin ring (a box turned in a photo,
    drawn by hand, a circle) with all the other ink inside it."""
    rows = stats.tolist()[1:]
    thin = {
        i
        for i, (_, _, w, h, _) in enumerate(rows, start=1)
        if ink[i] <= FRAME_THIN * max(w, h) ** 2 and min(w, h) <= FRAME_STRAIGHT * max(w, h)
    }
    writing = [r for i, r in enumerate(rows, start=1) if i not in thin]
    if not writing:
        return set()
    x0 = min(r[0] for r in writing)
    y0 = min(r[1] for r in writing)
    x1 = max(r[0] + r[2] for r in writing)
    y1 = max(r[1] + r[3] for r in writing)
    found = set()
    for i, (x, y, w, h, _) in enumerate(rows, start=1):
        if i in thin and h > w:  # upright: beside the writing or between its digits (comb boxes), past its ends
            if _past(y, y + h, y0, y1):
                found.add(i)
        elif i in thin:  # level: above the writing, past its left and right ends
            if y + h <= y0 and _past(x, x + w, x0, x1):
                found.add(i)
        elif len(writing) > 1 and x <= x0 and y <= y0 and x + w >= x1 and y + h >= y1:
            inside = [r for j, r in enumerate(rows, start=1) if j != i and j not in thin]
            if _outline(labels, i, x, y, w, h) or _ring(labels, [i], (x, y, w, h), ink[i], inside):
                found.add(i)
    return found or _broken_ring(labels, rows, ink)


def _broken_ring(labels: np.ndarray, rows: list[list[int]], ink: list[int]) -> set[int]:
    """The pieces of a faint line round the writing that the threshold broke (a form's light box: it crosses paper
    lit unevenly), which no one component makes a ring: the components within RING_BAND of the outline of the box
    round those thin for their size (RING_THIN), when they make a ring round all the rest (`_ring`) on RING_SIDES
    sides; empty otherwise."""
    line_like = [i for i, (_, _, w, h, _) in enumerate(rows, start=1) if ink[i] <= RING_THIN * max(w, h) * 2 * (w + h)]
    if not line_like:
        return set()
    x0, y0 = min(rows[i - 1][0] for i in line_like), min(rows[i - 1][1] for i in line_like)
    x1 = max(rows[i - 1][0] + rows[i - 1][2] for i in line_like)
    y1 = max(rows[i - 1][1] + rows[i - 1][3] for i in line_like)
    band = max(1, round(RING_BAND * min(x1 - x0, y1 - y0)))
    inner = set(np.unique(labels[y0 + band : y1 - band, x0 + band : x1 - band]).tolist())
    pieces = [  # what lies along the outline only: the thin pieces, and specks of the line too short to look thin
        i
        for i, (x, y, w, h, _) in enumerate(rows, start=1)
        if i not in inner and x >= x0 and y >= y0 and x + w <= x1 and y + h <= y1
    ]
    inside = [r for i, r in enumerate(rows, start=1) if i not in pieces]
    if not pieces or not inside:
        return set()
    box = (x0, y0, x1 - x0, y1 - y0)
    return set(pieces) if _ring(labels, pieces, box, sum(ink[i] for i in pieces), inside, RING_SIDES) else set()


def drawn_round(mask: np.ndarray) -> bool:
    """Whether one component of `mask` is a thin line drawn round all the other ink (`_ring`): a box or a circle
    round a number, whose straight top and bottom are no underline to take out (its sides were left as 1s)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    rows = stats.tolist()[1:]
    for i, (x, y, w, h, area) in enumerate(rows, start=1):
        others = rows[: i - 1] + rows[i:]
        within = all(x <= o[0] and y <= o[1] and o[0] + o[2] <= x + w and o[1] + o[3] <= y + h for o in others)
        if others and within and _ring(labels, [i], (x, y, w, h), area, others):
            return True
    return False


def _ring(
    labels: np.ndarray,
    ids: list[int],
    box: tuple[int, int, int, int],
    ink: int,
    inside: list[list[int]],
    sides: int = 4,
) -> bool:
    """Whether components `ids` (`ink` pixels in `box`, x, y, w, h), whose box holds the ink `inside` (stats rows),
    are a line drawn round the writing there, a turned printed box or a circle: thin for its size (RING_THIN), round
    writing RING_CONTENT of its height, RING_MARGIN inside it, and on `sides` of the four sides of each piece of it,
    over the piece's columns and rows (a line under digits, joined to one of them, has its box round the others too,
    but is not above them)."""
    x, y, w, h = box
    margin = RING_MARGIN * max(w, h)  # nearer its edge lie the pieces a faint line broke into
    writing = [r for r in inside if min(r[0] - x, r[1] - y, x + w - r[0] - r[2], y + h - r[1] - r[3]) >= margin]
    if ink / (2 * (w + h)) > RING_THIN * max(w, h) or not writing:
        return False
    if max(r[1] + r[3] for r in writing) - min(r[1] for r in writing) < RING_CONTENT * h:
        return False
    own = np.isin(labels[y : y + h, x : x + w], ids)
    for rx, ry, rw, rh, _ in writing:
        left, top, right, bottom = rx - x, ry - y, rx - x + rw, ry - y + rh
        columns, rows = own[:, left:right], own[top:bottom]
        passed = (columns[:top].any(), columns[bottom:].any(), rows[:, :left].any(), rows[:, right:].any())
        if sum(passed) < sides:
            return False  # a gap in a faint line is no way out: the ring need only pass each piece's span
    return True


def _past(start: int, end: int, first: int, last: int) -> bool:
    """Whether a line from `start` to `end` reaches past the writing's `first`..`last` at both ends, and the
    writing spans a fair share of it."""
    reach = FRAME_OVERHANG * (end - start)
    return start <= first - reach and end >= last + reach and last - first >= FRAME_CONTENT * (end - start)


def _outline(labels: np.ndarray, i: int, x: int, y: int, w: int, h: int) -> bool:
    """Whether component `i` (box x, y, w, h) is printed lines only, as a drawn frame or a row of comb boxes
    is: its ink lies in rows and columns that are ink nearly all across its box (FRAME_EDGE)."""
    own = labels[y : y + h, x : x + w] == i
    lines = (own.mean(axis=1) >= FRAME_EDGE)[:, None] | (own.mean(axis=0) >= FRAME_EDGE)[None, :]
    return np.count_nonzero(own & ~lines) <= (1 - FRAME_BAND) * np.count_nonzero(own)
