"""Digits written touching, overlapping or joined by the pen, as the number reader meets them: two digits written
into each other (`touching_pairs`, not one digit), and the pieces the reader cuts from two or three
(`cut_pieces`, with the device's own `layout.lines` and `segment.cuts`), labelled by the digits whose ink they
hold.

Trainer side only; never imported by the device runtime.
"""

from __future__ import annotations

import cv2
import numpy as np

from edgedigit.runtime import layout, segment
from edgedigit.runtime.preprocess import prepare
from edgedigit.train import drawing

# two MNIST digits written into each other (`touching_pairs`), read as one group: not one digit
PAIR_HEIGHT = 56  # px, each digit's height before the pair is read back
PAIR_SPACING = (-0.3, 0.0)  # the gap between them, a share of the first one's width: overlapping to touching
PAIR_JITTER = 0.1  # each digit's height and baseline differ by up to this share
# the number reader's cut pieces of two or three MNIST digits written touching (`cut_pieces`)
PIECE_DIGITS = (2, 3)  # digits per picture
PIECE_SPACING = (-0.3, 0.05)  # the gap between neighbours, a share of the left one's width: overlapping to apart
PIECE_MARGIN = 12  # px of paper round the digits
PIECE_INK = 0.3  # a digit's ink where its scaled MNIST value is above this share
# a piece is a digit when it holds at least PIECE_WHOLE of that digit's ink, at most PIECE_STRAY of another digit's
# own ink, and stray ink reaching at most PIECE_STRAY_HIGH of the line's height (a neighbour's whole stem is a 1).
# Digits written into each other leave no cut that parts them cleanly: 0.85 / 0.15 / 0.4 gave a piece per digit
# for 25% of overlapping 3-digit numbers, these for 48%, so the model learns to read a digit with its neighbours'
# cut-off strokes (number_accuracy.py: touching or overlapping 3 digits 70.0 -> 73.5% exact, one seed)
PIECE_WHOLE = 0.75
PIECE_STRAY = 0.35
PIECE_STRAY_HIGH = 0.7
PIECE_TWO = 0.5  # a piece holding this share of a second digit's own ink is two digits, not one
JOINED_PIECES = 0.4  # share of the pieces' pictures written fast: a little apart, each digit joined to the next...
JOINED_SPACING = (-0.05, 0.35)  # ...at this gap (a share of the left one's width)...
JOIN_PEN = (0.5, 1.0)  # ...by a stroke this share of the digits' pen width, from right of one to left of the next
JOIN_BOW = 0.2  # ...bowing up or down by up to this share of the digits' height
CONNECTOR = -2  # `owner`'s mark for a joining stroke's ink: part of neither digit, and no stray ink in either


def touching_pairs(n: int, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`n` 28x28 inputs of two MNIST digits written touching or overlapping, which the device reads as one
    group: trained towards "unsure" like the other non-digits, so that a merged pair is not read as one sure
    digit (a "41" read as a 4) and the number reader cuts it into its digits."""
    out: list[np.ndarray] = []
    for _ in range(n * 3):  # pairs that do not touch once drawn give two groups and are left out
        if len(out) >= n:
            break
        a, b = (_ink_box(images[i], rng) for i in rng.integers(0, len(images), 2))
        gap = int(round(a.shape[1] * rng.uniform(*PAIR_SPACING)))
        lift = int(round(PAIR_HEIGHT * rng.uniform(-PAIR_JITTER, PAIR_JITTER)))
        h = max(a.shape[0], b.shape[0] + abs(lift))
        canvas = np.zeros((h, max(a.shape[1] + gap + b.shape[1], a.shape[1])), np.float32)
        canvas[: a.shape[0], : a.shape[1]] = a
        top = max(0, lift)
        region = canvas[top : top + b.shape[0], a.shape[1] + gap : a.shape[1] + gap + b.shape[1]]
        np.maximum(region, b[: region.shape[0], : region.shape[1]], out=region)
        x = drawing.to_input(canvas, rng)
        if x is not None:
            out.append(x)
    return drawing.stack(out)


def cut_pieces(
    n: int, images: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """About `n` 28x28 candidate digits as the number reader cuts them from two or three MNIST digits written
    touching or overlapping, or written fast and joined by the pen (`segment.cuts`, the device's own code): each
    piece that is one digit, its neighbours' cut-off strokes and joins and all, with that digit's label, so the
    reader finds it sure; and each piece holding much of two digits, for the trainer to make unsure (the reader
    must not take it for one digit).
    Returns the one-digit pieces, their labels, and the two-digit pieces."""
    digits: list[np.ndarray] = []
    digit_labels: list[int] = []
    merged: list[np.ndarray] = []
    for _ in range(n):  # a picture gives several pieces; the bound only stops a source that gives none
        if len(digits) + len(merged) >= n:
            break
        picks = rng.integers(0, len(images), int(rng.integers(PIECE_DIGITS[0], PIECE_DIGITS[1] + 1)))
        paper, owner = _written_together([_ink_box(images[i], rng) for i in picks], rng, rng.random() < JOINED_PIECES)
        for image, who in _pieces(paper, owner, rng):
            if who is None:
                merged.append(image)
            else:
                digits.append(image)
                digit_labels.append(int(labels[picks[who]]))
    return drawing.stack(digits), np.array(digit_labels, np.int64), drawing.stack(merged)


def _written_together(
    inks: list[np.ndarray], rng: np.random.Generator, joined: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Digits' ink (0..1) written left to right on paper, from a little apart to overlapping (PIECE_SPACING of
    the left one's width), baselines PAIR_JITTER apart; `joined`: written fast instead, JOINED_SPACING apart
    and each digit joined to the next by the pen (`_join`). Returns the picture and which digit each pixel's
    ink is from (0: paper, k + 1: digit k, -1: both, CONNECTOR: a joining stroke)."""
    lifts = [round(PAIR_HEIGHT * rng.uniform(-PAIR_JITTER, PAIR_JITTER)) for _ in inks]
    lefts = [0]
    for left in inks[:-1]:
        gap = rng.uniform(*(JOINED_SPACING if joined else PIECE_SPACING))
        lefts.append(max(0, lefts[-1] + left.shape[1] + round(left.shape[1] * gap)))
    top = PIECE_MARGIN - min(lifts)
    height = max(top + lift + ink.shape[0] for ink, lift in zip(inks, lifts)) + PIECE_MARGIN
    width = max(x + ink.shape[1] for ink, x in zip(inks, lefts)) + 2 * PIECE_MARGIN
    canvas, owner = np.zeros((height, width), np.float32), np.zeros((height, width), np.int8)
    for k, (ink, lift, x) in enumerate(zip(inks, lifts, lefts)):
        at = np.s_[top + lift : top + lift + ink.shape[0], PIECE_MARGIN + x : PIECE_MARGIN + x + ink.shape[1]]
        np.maximum(canvas[at], ink, out=canvas[at])
        mine, whose = ink > PIECE_INK, owner[at]
        whose[mine] = np.where(whose[mine] == 0, k + 1, -1)
    placed = [(ink, PIECE_MARGIN + x, top + lift) for ink, lift, x in zip(inks, lifts, lefts)]
    for k in range(len(inks) - 1) if joined else ():
        stroke = np.zeros_like(canvas)
        _join(stroke, placed[k], placed[k + 1], rng)
        owner[(stroke > PIECE_INK) & (owner == 0)] = CONNECTOR
        np.maximum(canvas, stroke, out=canvas)
    return drawing.on_paper(canvas, rng), owner


def _join(
    canvas: np.ndarray, a: tuple[np.ndarray, int, int], b: tuple[np.ndarray, int, int], rng: np.random.Generator
) -> None:
    """Draw on `canvas` the stroke a pen that is not lifted leaves between digit `a` and digit `b` (each its
    ink and left, top on `canvas`): from an ink pixel in the right-hand quarter of `a` to one in the left-hand
    quarter of `b`, at any height, bowing a little, in a pen a share of `a`'s own (JOIN_PEN)."""
    ends = []
    for ink, x, y, side in (a + (1,), b + (-1,)):
        rows, cols = np.nonzero(ink > PIECE_INK)
        reach = cols * side  # the rightmost of `a`'s ink, the leftmost of `b`'s, within a quarter of its width
        near = np.flatnonzero(reach >= reach.max() - ink.shape[1] / 4)
        k = near[rng.integers(len(near))]
        ends.append((x + cols[k], y + rows[k]))
    (x0, y0), (x1, y1) = ends
    height = max(a[0].shape[0], b[0].shape[0])
    pen = max(1.0, np.count_nonzero(a[0] > PIECE_INK) / max(_skeleton_length(a[0]), 1)) * rng.uniform(*JOIN_PEN)
    t = np.linspace(0, 1, 24)
    bow = rng.uniform(-JOIN_BOW, JOIN_BOW) * height * 4 * t * (1 - t)
    pts = np.stack([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + bow], axis=1)
    cv2.polylines(canvas, [np.int32(np.round(pts))], False, 1.0, max(1, round(pen)), cv2.LINE_AA)


def _skeleton_length(ink: np.ndarray) -> int:
    """About the length in pixels of the strokes in `ink`: its ink pixels thinned to one-pixel lines."""
    mask = (ink > PIECE_INK).astype(np.uint8)
    skeleton = np.zeros_like(mask)
    element = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    while mask.any():  # morphological thinning: what opening takes away, layer by layer
        eroded = cv2.erode(mask, element)
        skeleton |= mask - cv2.dilate(eroded, element)
        mask = eroded
    return int(np.count_nonzero(skeleton))


def _pieces(paper: np.ndarray, owner: np.ndarray, rng: np.random.Generator) -> list[tuple[np.ndarray, int | None]]:
    """Every candidate digit the number reader would score in `paper`'s groups wide enough to cut, each with
    the digit it is (an index into the digits `owner` marks), None when it holds much of two, and left out
    when it is neither (a fragment of one digit, or a digit with too much of another's ink)."""
    page = prepare(paper)
    if page is None:
        return []
    labels, found = layout.lines(page)
    whose = np.zeros(page.mask.shape, np.int8)  # `owner` at the work size
    scaled = cv2.resize(owner, None, fx=page.scale, fy=page.scale, interpolation=cv2.INTER_NEAREST)
    whose[page.pad : page.pad + scaled.shape[0], page.pad : page.pad + scaled.shape[1]] = scaled[
        : whose.shape[0] - page.pad, : whose.shape[1] - page.pad
    ]
    ink = page.mask > 0
    count = int(owner.max())
    totals = [np.count_nonzero(ink & ((whose == k + 1) | (whose == -1))) for k in range(count)]
    alone = [np.count_nonzero(ink & (whose == k + 1)) for k in range(count)]
    out: list[tuple[np.ndarray, int | None]] = []
    for line in found:
        for group in (g for g in line.groups if g.box[2] - g.box[0] > layout.SPLIT_WIDTH * line.height):
            # cut as the reader cuts a group read whole with doubt, deep (written into each other) or not
            cut = segment.cuts(page, labels, line, group, float(rng.choice([1.0, layout.DEEP_DOUBT / 2])))
            found_digits: dict[int, list[np.ndarray]] = {}
            two: list[np.ndarray] = []
            for k, ((i, j), candidate) in enumerate(zip(cut.spans, cut.candidates)):
                (x0, y0, x1, y1), own = segment.atoms_region(labels, cut.atoms[i:j])
                mine = ((own > 0) | (k == 0)) & ink[y0:y1, x0:x1]  # the whole group is all the ink in its box
                theirs = whose[y0:y1, x0:x1]
                if not mine.any():
                    continue
                cover = [np.count_nonzero(mine & ((theirs == d + 1) | (theirs == -1))) / max(totals[d], 1)
                         for d in range(count)]  # fmt: skip
                only = sorted(np.count_nonzero(mine & (theirs == d + 1)) / max(alone[d], 1) for d in range(count))
                best = int(np.argmax(cover))
                stray = np.flatnonzero((mine & ~np.isin(theirs, (best + 1, -1, CONNECTOR))).any(axis=1))
                stray_high = (stray[-1] - stray[0] + 1) / line.height if stray.size else 0.0
                if cover[best] >= PIECE_WHOLE and only[-2] <= PIECE_STRAY and stray_high <= PIECE_STRAY_HIGH:
                    found_digits.setdefault(best, []).append(candidate.image)
                elif only[-2] >= PIECE_TWO:
                    two.append(candidate.image)
            # one piece per digit and per merge: a digit is in many runs of atoms that differ by a sliver
            out += [(same[rng.integers(len(same))], digit) for digit, same in found_digits.items()]
            out += [(two[k], None) for k in rng.permutation(len(two))[: count - 1]]
    return out


def _ink_box(d: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 digit's ink (0..1), cut to its box and scaled to about PAIR_HEIGHT high."""
    ys, xs = np.nonzero(d > 30)
    box = d[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255
    scale = PAIR_HEIGHT * (1 + rng.uniform(-PAIR_JITTER, PAIR_JITTER)) / box.shape[0]
    return cv2.resize(box, (max(2, round(box.shape[1] * scale)), max(2, round(box.shape[0] * scale))))
