"""Handwritten numbers built from MNIST *test* digits, for `benchmarks/number_accuracy.py` (measuring only; the
trainer never sees them).

A number is 2 to 8 digits written on one line: each digit cut to its ink, scaled to a slightly different height, set
on a wavering baseline, at a spacing from well apart to overlapping its neighbour by a third of its width (touching
and overlapping digits are the ones a fast writer joins); a dot, comma or dash is put between two digits of some of
them. The ink goes on unevenly lit, noisy paper, and some pictures are saved as JPEG, as a phone or a scanner would.
`underlined` writes numbers with a line drawn under them, as an amount is written on a form's line; `joined` writes
them fast, most digits joined to the next by the pen; `combed` writes one digit to a box of a printed row of comb
boxes, as forms ask for a date or a meter reading; `signed` writes them after a plus sign, beside a euro or a hash
sign, before a degree sign or in brackets; `labelled` writes them after a printed word ("Total:", "No.") or under
it; `leaning` writes them in italics, leaning forward; `fielded` writes them in a form's printed box, cut out with
it; `on_printed_line` writes them on a form's printed line, solid, dotted or dashed; `raised` writes an amount's
cents small and raised; `counters` prints a meter's counter, light digits on dark drum windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from field_sets import _jpeg, _on_paper  # benchmarks/ is on sys.path

HEIGHT = (48, 96)  # px, the tallest digit of a number
SIZE_JITTER = 0.12  # each digit's height differs from the number's by up to this share
BASELINE_JITTER = 0.08  # ...and its baseline by up to this share of the height
# gap between neighbours, as a share of the left digit's ink width (negative: they overlap)
SPACINGS = {"apart": (0.2, 0.5), "close": (0.02, 0.15), "touching": (-0.12, 0.0), "overlapping": (-0.33, -0.12)}
SEPARATORS = (".", ",", "-")
UNDERLINE_GAP = (-0.05, 0.2)  # an underline's distance below the digits' feet, a share of their height
JOINED_SPACING = (0.05, 0.35)  # digits written fast: gaps a share of a digit's width...
JOIN_SHARE = 0.7  # ...and this share of neighbouring digits joined by the pen's stroke from one to the next
LEAN = (0.15, 0.4)  # px per row: italic handwriting leans 8-22 degrees beyond MNIST's own slant
FIELD_MARGIN = (0.08, 0.3)  # a form field's printed box: its distance from the writing, a share of its height...
FIELD_CUT = (-0.06, 0.02)  # ...or, on a side the writing touches, how far the box's side lies inside it
FIELD_LINE = (1, 4)  # px: the printed line's width...
FIELD_GREY = (40, 130)  # ...and its grey level
FIELD_OUTSIDE = (4, 10)  # px of the form kept outside the box when the field is cut out
PRINTED_LINES = ("solid", "dotted", "dashed")  # a form's line to write an amount on ("Amount: ........")...
PRINTED_LINE_GAP = (-0.03, 0.12)  # ...its distance below the digits' feet, a share of their height (touching them)...
PRINTED_LINE_RUN = (0.3, 1.0)  # ...how far it runs on past the writing at each end, a share of the same...
DOT_STEP = (0.06, 0.12)  # ...a dotted line's dots this share of it apart...
DASH_STEP = (0.1, 0.22)  # ...or a dashed one's dashes...
DASH_SHARE = (0.4, 0.7)  # ...each this share of the step long
CENTS_HEIGHT = (0.45, 0.6)  # an amount's cents written small and raised: their height, a share of the units'
COMB_BOX = (0.7, 1.0)  # a comb box's width as a share of its height...
COMB_FILL = (0.55, 0.85)  # ...the digit's height as a share of the box's...
COMB_LINE = (0.02, 0.04)  # ...and the printed lines' width as a share of the box's height
SLASH_LEAN = (20, 50)  # degrees from upright: how far a hand-drawn slash between a date's parts leans...
SLASH_HEIGHT = (0.9, 1.25)  # ...and how high it is, a share of the digits' height (often reaching below them)
DOLLAR_HEIGHT = (0.85, 1.05)  # a dollar sign's S, a share of the digits' height...
DOLLAR_BAR = (0.08, 0.25)  # ...and how far its bar reaches past the S at each end, a share of the S's height
PLUS_SIZE = (0.4, 0.6)  # a plus sign before a number (a phone number's "+49"): its height, a share of the digits'
EURO_HEIGHT = (0.85, 1.0)  # a euro sign after an amount or before it: its C, a share of the digits' height...
EURO_BARS = 0.15  # ...its two bars this share of it above and below its middle
HASH_SIZE = (0.7, 0.9)  # a hash sign before a number or after it ("#125", "125#"): its size, a share of the digits'
# height, its two strokes across at 0.3 and 0.7 of it, the two upright ones leaning forward by an eighth of it
DEGREE_SIZE = (0.2, 0.4)  # a degree sign after a number ("21°"): a ring this share of the digits' height across...
DEGREE_TOP = (-0.05, 0.05)  # ...its top this share of it from theirs
PERCENT_HEIGHT = (0.85, 1.0)  # a percent sign after a number: its height, a share of the digits' (its two rings'
# radius a seventh of it)...
PERCENT_WIDTH = 0.8  # ...and its width, a share of its height
BRACKET_HEIGHT = (1.0, 1.25)  # brackets round an amount ("(125)", an accountant's negative): their height, a share of
# the digits'...
BRACKET_DEPTH = (0.15, 0.25)  # ...and how far each bows, a share of its height
CLOSINGS = ("=", "-", ",-", ".=")  # signs written after an amount on a form or a cheque, so nothing can be added
EQUALS_GAP = (0.12, 0.25)  # the space between an equals sign's two dashes, a share of the digits' height
LABELS = ("Total:", "No.", "Amount", "EUR", "Qty", "Ref.", "Sum", "Tel.", "Nr", "Date:")  # printed before a number
LABEL_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)
LABEL_SIZE = (0.35, 0.6)  # a printed label's capitals, a share of the handwritten digits' height...
LABEL_GAP = (0.3, 1.0)  # ...and its distance to the first digit, a share of their height
JPEG_SHARE = 0.3  # share of the pictures saved as JPEG, as phones and many scanners save them...
JPEG_QUALITY = (40, 90)  # ...at a quality from a messaging app's to a camera's


@dataclass(frozen=True)
class Number:
    """One picture of a number and what is written in it (`text` with its separator, if any)."""

    image: np.ndarray
    digits: str
    text: str
    spacing: str


def _ink(d28: np.ndarray, height: int) -> np.ndarray:
    """The digit's ink (0..1) cut to its bounding box and scaled to `height` px, keeping its aspect."""
    ys, xs = np.nonzero(d28 > 40)
    crop = d28[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255.0
    width = max(2, round(crop.shape[1] * height / crop.shape[0]))
    return np.clip(cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1)


def _jittered_ink(d28: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """The digit's ink (`_ink`) at the number's `height`, give or take SIZE_JITTER."""
    return _ink(d28, max(8, round(height * (1 + rng.uniform(-SIZE_JITTER, SIZE_JITTER)))))


def _separator(kind: str, height: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A hand-drawn dot, comma or dash as ink, and where its top sits (share of the digits' height)."""
    pen = max(3, round(height * rng.uniform(0.07, 0.12)))
    if kind == "-":
        w = round(height * rng.uniform(0.3, 0.5))
        ink = np.zeros((pen + 4, w + pen + 4), np.float32)
        cv2.line(ink, (2 + pen // 2, 2 + pen // 2), (2 + pen // 2 + w, 2 + pen // 2 + int(rng.integers(-2, 3))),
                 1.0, pen, cv2.LINE_AA)  # fmt: skip
        return ink, rng.uniform(0.4, 0.55)
    side = pen + 6 + (round(height * 0.18) if kind == "," else 0)
    ink = np.zeros((side, pen + 6), np.float32)
    cv2.circle(ink, (3 + pen // 2, 3 + pen // 2), max(1, pen // 2 + 1), 1.0, -1, cv2.LINE_AA)
    if kind == ",":
        cv2.line(ink, (3 + pen // 2, 3 + pen // 2), (2, side - 2), 1.0, max(2, pen // 2), cv2.LINE_AA)
    return ink, rng.uniform(0.85, 0.95)


def number(
    digits: list[np.ndarray],
    labels: list[int],
    spacing: str,
    separator: str | None,
    rng: np.random.Generator,
    underline: bool = False,
    joined: float = 0.0,
    lean: float = 0.0,
) -> Number:
    """Write `digits` (MNIST 28x28) as one number at `spacing`, with `separator` after a random digit, a
    line drawn under it by hand when `underline` (touching the digits' feet or a little below them), each
    digit joined to the next by a connecting stroke with probability `joined`, and the writing leaning `lean` px
    per row (italic when positive)."""
    height = int(rng.integers(*HEIGHT))
    inks = [_jittered_ink(d, height, rng) for d in digits]
    after = int(rng.integers(0, len(digits) - 1)) if separator else -1
    lo, hi = JOINED_SPACING if spacing == "joined" else SPACINGS[spacing]
    slope = rng.uniform(-0.03, 0.03)  # a line that rises or falls a little
    placed, x, text = [], 0, ""
    for i, (ink, label) in enumerate(zip(inks, labels)):
        base = height * (1 + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER)) + slope * x
        placed.append((ink, x, round(base - ink.shape[0])))
        text += str(label)
        gap = round(ink.shape[1] * rng.uniform(lo, hi))
        x += ink.shape[1] + gap
        if i == after:
            mark, top = _separator(separator, height, rng)
            x += round(height * rng.uniform(0.1, 0.2)) - min(gap, 0)  # a separator needs room, even in a rush
            placed.append((mark, x, round(height * top + slope * x - mark.shape[0] / 2)))
            x += mark.shape[1] + round(height * rng.uniform(0.1, 0.2))
            text += separator
    margin = round(height * rng.uniform(0.3, 0.8))
    canvas, top = _canvas(placed, margin)
    for a, b in zip(placed, placed[1:]):
        if joined and rng.random() < joined:  # no draw otherwise: the other sets stay as they were
            _join(canvas, (a[0], a[1] + margin, a[2] - top + margin), (b[0], b[1] + margin, b[2] - top + margin), rng)
    if underline:  # under the digits' feet, from their first column to their last
        _underline(canvas, margin, canvas.shape[1] - 2 * margin, canvas.shape[0] - margin, height, rng)
    if lean:
        canvas = _leaned(canvas, lean)
    return Number(_scanned(canvas, rng), "".join(map(str, labels)), text, spacing)


def _leaned(canvas: np.ndarray, lean: float) -> np.ndarray:
    """The ink on `canvas` sheared `lean` px per row about its bottom row (the tops move right when positive), the
    canvas widened to hold it."""
    h, w = canvas.shape
    shift = 0.0 if lean < 0 else lean * (h - 1)  # x' = x - lean * y + shift
    matrix = np.float32([[1, -lean, shift], [0, 1, 0]])
    return cv2.warpAffine(canvas, matrix, (w + int(np.ceil(abs(lean) * (h - 1))), h))


def _join(
    canvas: np.ndarray, a: tuple[np.ndarray, int, int], b: tuple[np.ndarray, int, int], rng: np.random.Generator
) -> None:
    """The stroke a fast hand draws from digit `a` to digit `b` (ink, x, y on `canvas`) without lifting the pen:
    from where `a` ends on its right (its lower or upper half) to where `b` starts on its left (its upper or
    lower half), bowing a little, in a pen a little finer than the digits'."""
    (ink_a, xa, ya), (ink_b, xb, yb) = a, b
    ends = []
    for ink, x, y, side in ((ink_a, xa, ya, np.argmax), (ink_b, xb, yb, np.argmin)):
        half = ink.shape[0] // 2
        band = (0, half) if rng.random() < 0.5 else (half, ink.shape[0])
        rows, cols = np.nonzero(ink[band[0] : band[1]] > 0.5)
        if len(rows) == 0:
            return
        k = side(cols)
        ends.append((x + cols[k], y + band[0] + rows[k]))
    (x0, y0), (x1, y1) = ends
    height = max(ink_a.shape[0], ink_b.shape[0])
    bow = rng.uniform(-0.15, 0.15) * height
    t = np.linspace(0, 1, 20)
    pts = np.stack([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + bow * 4 * t * (1 - t)], axis=1)
    pen = max(2, round(height * rng.uniform(0.05, 0.09)))
    cv2.polylines(canvas, [np.int32(np.round(pts))], False, 1.0, pen, cv2.LINE_AA)


def _underline(canvas: np.ndarray, left: int, width: int, feet: int, height: int, rng: np.random.Generator) -> None:
    """A line drawn by hand under a number whose digits' feet are at row `feet`: from a little before its
    first digit to a little past its last, touching the feet or up to a fifth of a digit's height below
    them, rising or falling a little and bowing a little, in a pen like the digits'."""
    x0 = left - round(height * rng.uniform(0.0, 0.3))
    x1 = min(canvas.shape[1] - 2, left + width + round(height * rng.uniform(0.0, 0.3)))
    y = feet + height * rng.uniform(*UNDERLINE_GAP)
    t = np.linspace(0, 1, 40)
    ys = y + rng.uniform(-0.03, 0.03) * (x1 - x0) * t + rng.uniform(-0.02, 0.02) * height * np.sin(np.pi * t)
    pts = np.stack([x0 + (x1 - x0) * t, np.clip(ys, 1, canvas.shape[0] - 2)], axis=1)
    pen = max(2, round(height * rng.uniform(0.04, 0.09)))
    cv2.polylines(canvas, [np.int32(np.round(pts))], False, 1.0, pen, cv2.LINE_AA)


def _slash(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn slash as ink: a straight stroke SLASH_HEIGHT of the digits' `height` high, leaning forward
    SLASH_LEAN degrees, bowing a little, in a pen like the digits'."""
    h = round(height * rng.uniform(*SLASH_HEIGHT))
    w = max(2, round(h * np.tan(np.radians(rng.uniform(*SLASH_LEAN)))))
    pen = max(2, round(height * rng.uniform(0.06, 0.12)))
    ink = np.zeros((h + 2 * pen, w + 2 * pen), np.float32)
    t = np.linspace(0, 1, 20)
    bow = rng.uniform(-0.05, 0.05) * h * 4 * t * (1 - t)
    pts = np.stack([pen + w * t + bow, pen + h * (1 - t)], axis=1)
    cv2.polylines(ink, [np.int32(np.round(pts))], False, 1.0, pen, cv2.LINE_AA)
    return ink


def _dollar(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn dollar sign as ink: an S of two arcs (DOLLAR_HEIGHT of the digits' `height`), a little
    uneven and leaning, and one upright bar through it reaching DOLLAR_BAR past it, in a pen like the digits'."""
    s = height * rng.uniform(*DOLLAR_HEIGHT)
    r_top, r_bottom = s / 4 * rng.uniform(0.8, 1.0), s / 4 * rng.uniform(0.95, 1.15)
    reach = s * rng.uniform(*DOLLAR_BAR)
    pen = max(2, round(height * rng.uniform(0.06, 0.12)))
    pad = pen + round(reach)
    cx, y_mid = pad + r_bottom * 1.1, pad + 2 * r_top
    upper = np.linspace(-0.2 * np.pi, -1.5 * np.pi, 24)  # from its upper right over the top to the middle
    lower = np.linspace(-0.5 * np.pi, 0.8 * np.pi, 24)  # from the middle round the right to its lower left
    pts = np.concatenate([
        np.stack([cx + r_top * 1.1 * np.cos(upper), y_mid - r_top + r_top * np.sin(upper)], axis=1),
        np.stack([cx + r_bottom * 1.1 * np.cos(lower), y_mid + r_bottom + r_bottom * np.sin(lower)], axis=1),
    ])  # fmt: skip
    lean = np.tan(np.radians(rng.uniform(-5, 20)))
    pts[:, 0] += (y_mid - pts[:, 1]) * lean
    top, bottom = y_mid - 2 * r_top - reach, y_mid + 2 * r_bottom + reach
    bar = np.array([[cx + (y_mid - top) * lean, top], [cx + (y_mid - bottom) * lean, bottom]])
    ink = np.zeros((round(bottom + pad), round(cx + 1.1 * r_bottom + (y_mid - top) * abs(lean) + pad)), np.float32)
    for line in (pts, bar):
        cv2.polylines(ink, [np.int32(np.round(line))], False, 1.0, pen, cv2.LINE_AA)
    return ink


def _plus(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn plus sign as ink: a bar and a stem PLUS_SIZE of the digits' `height` long, each a little askew, in
    a pen like the digits'."""
    size, pen = round(height * rng.uniform(*PLUS_SIZE)), max(2, round(height * rng.uniform(0.06, 0.12)))
    ink = np.zeros((size + 2 * pen, size + 2 * pen), np.float32)
    middle = ink.shape[0] // 2
    cv2.line(ink, (pen, middle + int(rng.integers(-2, 3))), (pen + size, middle), 1.0, pen, cv2.LINE_AA)
    cv2.line(ink, (middle, pen), (middle + int(rng.integers(-3, 4)), pen + size), 1.0, pen, cv2.LINE_AA)
    return ink


def _euro(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn euro sign as ink: a C open to the right, EURO_HEIGHT of the digits' `height`, crossed by two bars
    EURO_BARS above and below its middle that reach from left of it to its middle, in a pen like the digits'."""
    h, pen = round(height * rng.uniform(*EURO_HEIGHT)), max(2, round(height * rng.uniform(0.06, 0.12)))
    r = h / 2
    ink = np.zeros((h + 2 * pen, round(1.3 * r) + 2 * pen), np.float32)
    cx, cy = pen + r, pen + r
    turn = np.linspace(0.25 * np.pi, 1.75 * np.pi, 30)
    arc = np.stack([cx + 0.9 * r * np.cos(turn), cy - r * np.sin(turn)], axis=1)
    cv2.polylines(ink, [np.int32(np.round(arc))], False, 1.0, pen, cv2.LINE_AA)
    for side in (-1, 1):
        row = round(cy + side * EURO_BARS * h)
        cv2.line(ink, (pen // 2, row), (round(cx + 0.3 * r), row), 1.0, max(2, pen * 2 // 3), cv2.LINE_AA)
    return ink


def _hash(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn hash sign as ink: two strokes leaning forward across two flat ones, HASH_SIZE of the digits'
    `height`, in a pen like the digits'."""
    size, pen = round(height * rng.uniform(*HASH_SIZE)), max(2, round(height * rng.uniform(0.06, 0.12)))
    ink = np.zeros((size + 2 * pen, size + 2 * pen), np.float32)
    for at in (0.3, 0.7):
        x = pen + round(at * size)
        cv2.line(ink, (x + size // 8, pen), (x - size // 8, pen + size), 1.0, pen, cv2.LINE_AA)
        cv2.line(ink, (pen, x), (pen + size, x + int(rng.integers(-2, 3))), 1.0, pen, cv2.LINE_AA)
    return ink


def _degree(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn degree sign as ink: a ring DEGREE_SIZE of the digits' `height` across, in a pen a little finer
    than the digits'."""
    size, pen = round(height * rng.uniform(*DEGREE_SIZE)), max(2, round(height * rng.uniform(0.04, 0.08)))
    ink = np.zeros((size + 2 * pen, size + 2 * pen), np.float32)
    middle = ink.shape[0] // 2
    cv2.ellipse(ink, (middle, middle), (size // 2, size // 2), 0, 0, 360, 1.0, pen, cv2.LINE_AA)
    return ink


def _percent(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn percent sign as ink: a slash PERCENT_HEIGHT of the digits' `height` leaning forward, a small ring in
    the upper left corner and one in the lower right, either side of it, in a pen like the digits' (the rings a little
    finer)."""
    h, pen = round(height * rng.uniform(*PERCENT_HEIGHT)), max(2, round(height * rng.uniform(0.06, 0.12)))
    w, r = round(h * PERCENT_WIDTH), max(2, round(h / 7))
    ink = np.zeros((h + 2 * pen, w + 2 * pen), np.float32)
    for cx, cy in ((pen + r, pen + r), (pen + w - r, pen + h - r)):
        cv2.circle(ink, (cx, cy), r, 1.0, max(2, pen * 2 // 3), cv2.LINE_AA)
    cv2.line(ink, (pen + w, pen), (pen, pen + h), 1.0, pen, cv2.LINE_AA)
    return ink


def _bracket(height: int, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn opening bracket as ink: a half ellipse BRACKET_HEIGHT of the digits' `height`, bowing BRACKET_DEPTH
    to the left, in a pen like the digits' (turned round, the closing one)."""
    h, pen = round(height * rng.uniform(*BRACKET_HEIGHT)), max(2, round(height * rng.uniform(0.06, 0.12)))
    depth = max(pen, round(h * rng.uniform(*BRACKET_DEPTH)))
    ink = np.zeros((h + 2 * pen, depth + 2 * pen), np.float32)
    turn = np.linspace(-0.5 * np.pi, 0.5 * np.pi, 20)
    arc = np.stack([pen + depth - depth * np.cos(turn), pen + h / 2 + h / 2 * np.sin(turn)], axis=1)
    cv2.polylines(ink, [np.int32(np.round(arc))], False, 1.0, pen, cv2.LINE_AA)
    return ink


def signed(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers with signs, from MNIST test digits, apart or close; seeded: in turn a phone number of 6 to 10
    digits after a hand-drawn plus sign, an amount of 1 to 5 digits before a hand-drawn euro sign, one after it, one
    after a hand-drawn hash sign, one before it, a temperature of 1 to 5 digits before a degree sign, an amount of 1 to
    5 digits in brackets, and a share of 1 to 5 digits before a percent sign. `text` holds the signs, `digits` only the
    digits."""
    rng = np.random.default_rng(seed + 7)
    draw = {"+": _plus, "€": _euro, "#": _hash, "°": _degree, "(": _bracket, "%": _percent}
    kinds = (("+", True), ("€", False), ("€", True), ("#", True), ("#", False), ("°", False), ("(", True), ("%", False))
    out = []
    for k in range(count):
        spacing = SPACINGS[("apart", "close")[int(rng.integers(2))]]
        height = int(rng.integers(*HEIGHT))
        sign, before = kinds[k % len(kinds)]
        pick = rng.integers(0, len(x), int(rng.integers(6, 11)) if sign == "+" else int(rng.integers(1, 6)))
        inks = [(_jittered_ink(x[i], height, rng), None) for i in pick]
        mark = draw[sign](height, rng)
        raised = sign == "°"
        items = [(mark, round(height * rng.uniform(*DEGREE_TOP)) if raised else round(height / 2 - mark.shape[0] / 2))]
        items = items + inks if before else inks + items
        if sign == "(":
            items.append((mark[:, ::-1].copy(), items[0][1]))  # the closing bracket: the opening one turned round
        placed, x0 = [], 0
        for ink, top in items:
            if top is None:
                top = round(height * (1 + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER))) - ink.shape[0]
                gap = round(ink.shape[1] * rng.uniform(*spacing))
            else:
                gap = round(height * rng.uniform(0.1, 0.25)) if not raised else round(height * rng.uniform(0.0, 0.1))
                x0 += gap if placed else 0
            placed.append((ink, x0, top))
            x0 += ink.shape[1] + gap
        digits = "".join(str(int(y[i])) for i in pick)
        text = f"({digits})" if sign == "(" else sign + digits if before else digits + sign
        out.append(Number(_placed(placed, height, rng), digits, text, sign))
    return out


def marked(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers with marks that are not digits, from MNIST test digits, apart or close; seeded: every
    other one a date (day, month and a 2- or 4-digit year parted by hand-drawn slashes), the rest an amount of
    2 to 6 digits after a hand-drawn dollar sign. `text` holds the marks, `digits` only the digits."""
    rng = np.random.default_rng(seed + 4)
    out = []
    for k in range(count):
        spacing = SPACINGS[("apart", "close")[int(rng.integers(2))]]
        parts = [2, 2, int(rng.choice([2, 4]))] if k % 2 == 0 else [int(rng.integers(2, 7))]
        height = int(rng.integers(*HEIGHT))
        placed, x0, text = [], 0, "" if k % 2 == 0 else "$"
        if k % 2:
            mark = _dollar(height, rng)
            placed.append((mark, x0, round(height / 2 - mark.shape[0] / 2)))
            x0 += mark.shape[1] + round(height * rng.uniform(0.05, 0.25))
        for j, n in enumerate(parts):
            for i in rng.integers(0, len(x), n):
                ink = _jittered_ink(x[i], height, rng)
                placed.append((ink, x0, round(height * (1 + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER)))
                               - ink.shape[0]))  # fmt: skip
                x0 += ink.shape[1] + round(ink.shape[1] * rng.uniform(*spacing))
                text += str(int(y[i]))
            if j < len(parts) - 1:
                mark = _slash(height, rng)
                x0 += round(height * rng.uniform(0.0, 0.15))
                placed.append((mark, x0, round(height * rng.uniform(-0.1, 0.05))))
                x0 += mark.shape[1] + round(height * rng.uniform(0.0, 0.15))
                text += "/"
        out.append(Number(_placed(placed, height, rng), text.replace("/", "").replace("$", ""), text, "marked"))
    return out


def labelled(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers of 2 to 6 digits, apart or close, written after a word a form prints before them or above them
    (LABELS, in one of OpenCV's Hershey fonts, its capitals LABEL_SIZE of the digits' height), from MNIST test
    digits; seeded."""
    rng = np.random.default_rng(seed + 5)
    out = []
    for k in range(count):
        spacing = SPACINGS[("apart", "close")[k % 2]]
        height = int(rng.integers(*HEIGHT))
        word, font = LABELS[int(rng.integers(len(LABELS)))], LABEL_FONTS[int(rng.integers(len(LABEL_FONTS)))]
        scale = height * rng.uniform(*LABEL_SIZE) / cv2.getTextSize("H", font, 1.0, 1)[0][1]
        (w, h), below = cv2.getTextSize(word, font, scale, max(1, round(scale * 1.5)))
        printed = np.zeros((h + below + 4, w + 4), np.uint8)
        cv2.putText(printed, word, (2, h + 2), font, scale, 255, max(1, round(scale * 1.5)), cv2.LINE_AA)
        if rng.random() < 0.5:  # on the digits' baseline, before them
            placed = [(printed.astype(np.float32) / 255, 0, height - h - 2)]
            x0, text = w + 4 + round(height * rng.uniform(*LABEL_GAP)), ""
        else:  # a caption printed above the field, over its left end
            placed = [(printed.astype(np.float32) / 255, 0, -printed.shape[0] - round(height * rng.uniform(0.2, 0.5)))]
            x0, text = round(height * rng.uniform(0.0, 0.5)), ""
        for i in rng.integers(0, len(x), int(rng.integers(2, 7))):
            ink = _jittered_ink(x[i], height, rng)
            placed.append(
                (ink, x0, round(height * (1 + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER))) - ink.shape[0])
            )
            x0 += ink.shape[1] + round(ink.shape[1] * rng.uniform(*spacing))
            text += str(int(y[i]))
        out.append(Number(_placed(placed, height, rng), text, text, "labelled"))
    return out


def closed(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` amounts of 3 to 6 digits, apart, close or written fast, closed as forms and cheques close them so that
    nothing can be added: a hand-drawn "=", "-", ",-" or ".=" after the last digit (CLOSINGS), from MNIST test
    digits; seeded. `text` holds the closing marks, `digits` only the digits."""
    rng = np.random.default_rng(seed + 6)
    out = []
    for k in range(count):
        spacing = ("apart", "close", "joined")[k % 3]
        pick = rng.integers(0, len(x), int(rng.integers(3, 7)))
        height = int(rng.integers(*HEIGHT))
        lo, hi = JOINED_SPACING if spacing == "joined" else SPACINGS[spacing]
        placed, x0, text = [], 0, ""
        for i in pick:
            ink = _jittered_ink(x[i], height, rng)
            placed.append(
                (ink, x0, round(height * (1 + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER))) - ink.shape[0])
            )
            x0 += ink.shape[1] + round(ink.shape[1] * rng.uniform(lo, hi))
            text += str(int(y[i]))
        closing = CLOSINGS[int(rng.integers(len(CLOSINGS)))]
        x0 += round(height * rng.uniform(0.05, 0.2))
        for char in closing:
            if char == "=":  # two dashes, one over the other
                upper, top = _separator("-", height, rng)
                lower, _ = _separator("-", height, rng)
                gap = round(height * rng.uniform(*EQUALS_GAP))
                placed.append((upper, x0, round(height * top - gap / 2 - upper.shape[0])))
                placed.append((lower, x0 + int(rng.integers(-3, 4)), round(height * top + gap / 2)))
                x0 += max(upper.shape[1], lower.shape[1])
            else:
                mark, top = _separator(char, height, rng)
                placed.append((mark, x0, round(height * top - mark.shape[0] / 2)))
                x0 += mark.shape[1] + round(height * rng.uniform(0.05, 0.15))
        out.append(Number(_placed(placed, height, rng), text, text + closing, "closed"))
    return out


COUNTER_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_TRIPLEX)
COUNTER_DRUM = (0.6, 0.85)  # a meter's drum window: its width, a share of its height...
COUNTER_GAP = (0.06, 0.3)  # ...the face between two windows, a share of their height...
COUNTER_DIGIT = (0.5, 0.75)  # ...and the printed digit's height, a share of the window's


def counters(count: int, seed: int = 0, lit: bool = False) -> list[Number]:
    """`count` meters' counters: 4 to 8 printed digits (OpenCV's Hershey fonts, which training never renders), light
    on dark drum windows side by side on a lighter face (`lit`: dark on light drums behind a dark panel), some windows
    framed, the last one red on some meters; photographed (a little turned, lit unevenly, blurred, noisy, some saved
    as JPEG), the counter with the face round it or cut out with a margin of the face a tenth of its height; seeded.
    Printed, not written: a meter's."""
    rng = np.random.default_rng(seed + (7 if lit else 6))
    out = []
    for k in range(count):
        text = "".join(str(int(v)) for v in rng.integers(0, 10, int(rng.integers(4, 9))))
        drum = int(rng.integers(36, 90))
        width, gap = round(drum * rng.uniform(*COUNTER_DRUM)), round(drum * rng.uniform(*COUNTER_GAP))
        face_level, ground = rng.uniform(140, 230), rng.uniform(10, 60)
        face_level, ground, digit = (255 - face_level, 255 - ground, 30) if lit else (face_level, ground, 235)
        margin = drum if k % 2 == 0 else max(4, drum // 10)  # the face round it, or the counter cut out
        w, h = len(text) * (width + gap) - gap + 2 * margin, drum + 2 * margin
        img = np.full((h, w, 3), round(face_level), np.uint8)  # drawn in uint8 (OpenCV's text), then photographed
        font, framed, red = COUNTER_FONTS[int(rng.integers(len(COUNTER_FONTS)))], rng.random() < 0.5, rng.random() < 0.3
        for i, ch in enumerate(text):
            x = margin + i * (width + gap)
            reddened = red and i == len(text) - 1
            colour = (round(ground) - 60 * lit * reddened,) * 2 + (round(ground) + 120 * (not lit) * reddened,)
            cv2.rectangle(img, (x, margin), (x + width - 1, margin + drum - 1), colour, -1)
            if framed:
                cv2.rectangle(
                    img,
                    (x - 2, margin - 2),
                    (x + width + 1, margin + drum + 1),
                    (round((face_level + ground) / 2),) * 3,
                    2,
                )
            scale = cv2.getFontScaleFromHeight(font, round(drum * rng.uniform(*COUNTER_DIGIT)), 2)
            thick = max(2, round(drum / 18))
            (tw, th), _ = cv2.getTextSize(ch, font, scale, thick)
            org = (x + (width - tw) // 2, margin + (drum + th) // 2 + int(rng.integers(-2, 3)))
            cv2.putText(img, ch, org, font, scale, (digit,) * 3, thick, cv2.LINE_AA)
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-3, 3), 1.0)
        img = cv2.warpAffine(img.astype(np.float32), turn, (w, h), borderMode=cv2.BORDER_REPLICATE)
        light = 1 + rng.uniform(-0.15, 0.15) * np.linspace(-1, 1, w)[None, :, None]
        img = cv2.GaussianBlur(img * light, (0, 0), rng.uniform(0.5, 1.5)) + rng.normal(0, 4, (h, w, 1))
        img = np.clip(img, 0, 255).astype(np.uint8)
        if rng.random() < JPEG_SHARE:
            img = cv2.imdecode(
                cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*JPEG_QUALITY))])[1], 1
            )
        out.append(Number(img, text, text, "counter"))
    return out


def _placed(placed: list[tuple[np.ndarray, int, int]], height: int, rng: np.random.Generator) -> np.ndarray:
    """Inks (each with its left and top) drawn on one canvas with a margin of paper, then `_scanned`."""
    return _scanned(_canvas(placed, round(height * rng.uniform(0.3, 0.8)))[0], rng)


def _scanned(canvas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink on uneven paper as a phone or a scanner gives it, a share of the pictures saved as JPEG."""
    img = _on_paper(canvas, rng)
    return _jpeg(img, int(rng.integers(*JPEG_QUALITY))) if rng.random() < JPEG_SHARE else img


def _canvas(placed: list[tuple[np.ndarray, int, int]], margin: int) -> tuple[np.ndarray, int]:
    """Inks (each with its left and top, the leftmost at 0) drawn on one canvas with `margin` px of blank all
    round, and the top the inks' tops are measured from (the highest of them)."""
    top = min(t for _, _, t in placed)
    width = max(px + ink.shape[1] for ink, px, _ in placed)
    bottom = max(t + ink.shape[0] for ink, _, t in placed)
    canvas = np.zeros((bottom - top + 2 * margin, width + 2 * margin), np.float32)
    for ink, px, t in placed:
        region = canvas[t - top + margin : t - top + margin + ink.shape[0], px + margin : px + margin + ink.shape[1]]
        np.maximum(region, ink, out=region)
    return canvas, top


def underlined(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` underlined numbers of 3 to 6 digits, apart or close (a form's amount on its line), from MNIST
    test digits; seeded."""
    rng = np.random.default_rng(seed + 1)
    out = []
    for k in range(count):
        pick = rng.integers(0, len(x), int(rng.integers(3, 7)))
        out.append(number(list(x[pick]), [int(v) for v in y[pick]], ("apart", "close")[k % 2], None, rng, True))
    return out


def joined(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers of 3 to 6 digits written fast, most digits joined to the next by the pen's stroke, from
    MNIST test digits; seeded."""
    rng = np.random.default_rng(seed + 2)
    out = []
    for _ in range(count):
        pick = rng.integers(0, len(x), int(rng.integers(3, 7)))
        out.append(number(list(x[pick]), [int(v) for v in y[pick]], "joined", None, rng, joined=JOIN_SHARE))
    return out


def leaning(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers of 3 to 6 digits written leaning forward (italic, LEAN px per row), close, touching or fast
    (most digits joined), from MNIST test digits; seeded."""
    rng = np.random.default_rng(seed + 3)
    out = []
    for k in range(count):
        pick = rng.integers(0, len(x), int(rng.integers(3, 7)))
        spacing, lean = ("close", "touching", "joined")[k % 3], rng.uniform(*LEAN)
        joins = JOIN_SHARE if spacing == "joined" else 0.0
        out.append(number(list(x[pick]), [int(v) for v in y[pick]], spacing, None, rng, joined=joins, lean=lean))
    return out


def fielded(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers of 3 to 6 digits apart or close written in a form's printed box and cut out with it, from
    MNIST test digits; in every other pair the writing touches the box, each side by chance (written large for the
    field, or the box printed small), and in every other one the box is a table's cell, its lines running on past its
    corners to the picture's edges; seeded."""
    rng = np.random.default_rng(seed + 4)
    out = []
    for k in range(count):
        pick = rng.integers(0, len(x), int(rng.integers(3, 7)))
        n = number(list(x[pick]), [int(v) for v in y[pick]], ("apart", "close")[k % 2], None, rng)
        out.append(Number(_in_box(n.image, rng, touching=k % 4 >= 2, table=k % 2 == 1), n.digits, n.text, n.spacing))
    return out


def _in_box(img: np.ndarray, rng: np.random.Generator, touching: bool, table: bool) -> np.ndarray:
    """`img` (writing on paper) with a printed box drawn round its writing (a table's lines, running on to the edges,
    when `table`) and cut out a little outside the box."""
    paper = int(np.median(img))
    rows, cols = np.nonzero(img < paper - 60)
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    height = bottom - top
    margins = [
        round(height * rng.uniform(*(FIELD_CUT if touching and rng.random() < 0.5 else FIELD_MARGIN))) for _ in range(4)
    ]
    pad = round(height * FIELD_MARGIN[1]) + FIELD_OUTSIDE[1]
    sheet = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = left - margins[0] + pad, top - margins[1] + pad
    x1, y1 = right + margins[2] + pad, bottom + margins[3] + pad
    grey, width = int(rng.integers(*FIELD_GREY)), int(rng.integers(*FIELD_LINE))
    if table:
        for row in (y0, y1):
            cv2.line(sheet, (0, row), (sheet.shape[1] - 1, row), grey, width)
        for column in (x0, x1):
            cv2.line(sheet, (column, 0), (column, sheet.shape[0] - 1), grey, width)
    else:
        cv2.rectangle(sheet, (x0, y0), (x1, y1), grey, width)
    outside = int(rng.integers(*FIELD_OUTSIDE))
    return sheet[y0 - outside : y1 + outside + 1, x0 - outside : x1 + outside + 1]


def on_printed_line(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers of 3 to 6 digits apart or close written on a form's printed line (solid, dotted or dashed in
    turn) that runs on past the writing to the picture's edges, touching the digits' feet or a little below them,
    from MNIST test digits; seeded."""
    rng = np.random.default_rng(seed + 6)
    out = []
    for k in range(count):
        pick = rng.integers(0, len(x), int(rng.integers(3, 7)))
        n = number(list(x[pick]), [int(v) for v in y[pick]], ("apart", "close")[k % 2], None, rng)
        image = _on_line(n.image, rng, PRINTED_LINES[k % len(PRINTED_LINES)])
        out.append(Number(image, n.digits, n.text, n.spacing))
    return out


def _on_line(img: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """`img` (writing on paper) widened with its paper and a `kind` printed line drawn under its writing."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    rows = np.nonzero(gray < int(np.median(gray)) - 60)[0]
    height = rows.max() - rows.min()
    feet = round(np.percentile(rows, 98) + height * rng.uniform(*PRINTED_LINE_GAP))
    run = round(height * rng.uniform(*PRINTED_LINE_RUN))
    sheet = cv2.copyMakeBorder(img, 0, 0, run, run, cv2.BORDER_REPLICATE)
    grey, width = int(rng.integers(*FIELD_GREY)), int(rng.integers(*FIELD_LINE))
    colour = grey if sheet.ndim == 2 else (grey,) * 3
    end = sheet.shape[1] - 1
    if kind == "solid":
        cv2.line(sheet, (0, feet), (end, feet), colour, width)
    elif kind == "dotted":
        radius = max(1, width // 2 + 1)
        for left in range(1, end, max(2, round(height * rng.uniform(*DOT_STEP)))):
            cv2.circle(sheet, (left, feet), radius, colour, -1)
    else:
        step = max(3, round(height * rng.uniform(*DASH_STEP)))
        dash = max(1, round(step * rng.uniform(*DASH_SHARE)))
        for left in range(0, end, step):
            cv2.line(sheet, (left, feet), (left + dash, feet), colour, width)
    return sheet


def raised(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` amounts of 1 to 3 digits and two cents written small (CENTS_HEIGHT of the units) and raised to their
    top, a little apart ("125 50"), from MNIST test digits; seeded."""
    rng = np.random.default_rng(seed + 5)
    out = []
    for _ in range(count):
        pick = rng.integers(0, len(x), int(rng.integers(1, 4)) + 2)
        height = int(rng.integers(*HEIGHT))
        placed, left = [], 0
        for k, i in enumerate(pick):
            cents = k >= len(pick) - 2
            ink = _ink(x[i], round(height * rng.uniform(*CENTS_HEIGHT))) if cents else _jittered_ink(x[i], height, rng)
            left += round(height * rng.uniform(0.0, 0.15)) if k == len(pick) - 2 else 0
            placed.append((ink, left, round(height * rng.uniform(-0.05, 0.1)) if cents else height - ink.shape[0]))
            left += ink.shape[1] + round(ink.shape[1] * rng.uniform(0.1, 0.4))
        digits = "".join(str(int(y[i])) for i in pick)
        out.append(Number(_placed(placed, height, rng), digits, digits, "raised"))
    return out


def numbers(x: np.ndarray, y: np.ndarray, per_cell: int, seed: int = 0) -> list[Number]:
    """`per_cell` numbers for every length (2..8), spacing and with/without a separator, from MNIST test
    digits (`x`, `y`); seeded, so every run measures the same pictures."""
    rng = np.random.default_rng(seed)
    out = []
    for length in range(2, 9):
        for spacing in SPACINGS:
            for with_separator in (False, True):
                for _ in range(per_cell):
                    pick = rng.integers(0, len(x), length)
                    separator = SEPARATORS[rng.integers(len(SEPARATORS))] if with_separator else None
                    out.append(number(list(x[pick]), [int(v) for v in y[pick]], spacing, separator, rng))
    return out


def combed(x: np.ndarray, y: np.ndarray, count: int, seed: int = 0) -> list[Number]:
    """`count` numbers of 3 to 6 digits, one digit to a box of a printed row of comb boxes (closed boxes, or
    the dividers with a line under them), cut out with a margin of paper, from MNIST test digits; seeded."""
    rng = np.random.default_rng(seed + 3)
    out = []
    for _ in range(count):
        pick = rng.integers(0, len(x), int(rng.integers(3, 7)))
        height = int(rng.integers(60, 121))
        width, line = int(height * rng.uniform(*COMB_BOX)), max(2, round(height * rng.uniform(*COMB_LINE)))
        canvas = np.zeros((height + 2 * line, len(pick) * width + line), np.float32)
        for j, d in enumerate(x[pick]):
            fill, room = round(height * rng.uniform(*COMB_FILL)), 0.9 * (width - line)
            ink = _ink(d, fill)
            if ink.shape[1] > room:  # a wide digit is fitted to its box's width instead
                ink = _ink(d, max(2, int(fill * room / ink.shape[1])))
            h, w = ink.shape
            top = line + int(rng.integers(0, height - h + 1))
            left = line + j * width + (width - line - w) // 2
            canvas[top : top + h, left : left + w] = np.maximum(canvas[top : top + h, left : left + w], ink)
        for j in range(len(pick) + 1):
            canvas[:, j * width : j * width + line] = 1
        canvas[-line:] = 1
        if rng.random() < 0.5:  # closed boxes; else open at the top, as many forms print them
            canvas[:line] = 1
        margin = int(height * rng.uniform(0.05, 0.3))
        canvas = cv2.copyMakeBorder(canvas, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)
        text = "".join(str(int(v)) for v in y[pick])
        out.append(Number(_on_paper(canvas, rng), text, text, "combed"))
    return out
