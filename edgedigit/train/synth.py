"""Training pictures MNIST lacks: digits in printed and handwriting fonts, European 1s with a flag and a
foot, 4s with a closed top, MNIST digits written on paper as users photograph and crop them, and pictures
that are not digits (letters, strokes, blots, textures, two digits written into each other), and the pieces
the number reader cuts from digits written touching, labelled by the digits whose ink they hold.

Every picture is drawn large, dark on light, and turned into the model's 28x28 input by the device's own
`preprocess.find_digits` (or `segment.cuts`), so the trainer sees exactly what the device would. Trainer side
only: it uses Pillow (a matplotlib dependency) for fonts, and must never be imported by the device runtime.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from edgedigit.runtime import segment
from edgedigit.runtime.mnist_form import ellipse
from edgedigit.runtime.preprocess import find_digits, prepare

CANVAS = 112  # px: pictures are drawn at four times the model's input, then preprocessed like a user's
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
# Debian packages with handwriting-style digits (European 1s, closed 4s, straight-tailed 9s); the trainer
# works without them (matplotlib's DejaVu fonts are always there) but learns fewer styles
FONT_PACKAGES = ("fonts-dkg-handwriting fonts-breip fonts-bwht fonts-femkeklaver fonts-humor-sans "
                 "fonts-ecolier-court fonts-comic-neue fonts-freefont-ttf fonts-liberation")  # fmt: skip
FEW_FONTS = 20  # matplotlib alone brings about a dozen usable fonts; the Debian packages above bring ~90
# letters no one can tell from a digit by shape alone stay out of the non-digit pictures
DIGIT_LIKE = set("OoQDIlijJSsZzBbgqGTUuAe")
LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in DIGIT_LIKE]
SYMBOL_FONTS = ("cmex", "cmsy", "cmmi", "STIXSize", "STIXNonUni", "DejaVuMath")  # matplotlib's maths fonts
# draw symbols or old-style figures in place of digits
FLAG_FOOT = 0.35  # share of flagged 1s that also get a foot
FLAG_LENGTH = (0.2, 0.6)  # a flag's length in the 1's heights: a short tick to a long European flag
FLAG_ANGLE = (25, 60)  # degrees below the horizontal, from the 1's top down to its left
UPRIGHT = 0.5  # share of flagged 1s first stood upright: a box-filled upright 1 keeps a vertical stem, a 7 never
# 4s given a closed top (`closed_fours`): the stroke from the first stroke's top to the stem's top
TOP_BAND = 0.3  # share of the 4's height, from its top, in which the two open strokes' tops are looked for
CLOSING_BOW = (0.0, 0.35)  # the closing stroke bows up by this share of the gap: square to rounded tops
CLOSING_TILT = 0.1  # ...and its middle sits up to this share of the height higher or lower
BAR_PAST_STEM = 0.5  # pen widths the bar must reach right of the stem: closed without it, a 4 is a 9
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
# MNIST digits written on paper (`written`): how users' pictures differ from MNIST's own 28x28 frames
WRITTEN_SIDE = (24, 121)  # px: from a form's small cell to a digit in a phone photo
BOLDER, FINER = 0.3, 0.25  # shares of digits drawn with a bolder (dilated) or a finer (eroded) pen...
PEN_CHANGE = (0.5, 2.5)  # ...by this many MNIST pixels
BLURRED, BLUR = 0.3, (0.25, 0.75)  # share out of focus, and its Gaussian sigma in MNIST pixels
TIGHT = 0.4  # share cut tight (0-2 px of paper round the ink); the others keep a margin up to a third of a side
PAPER, PEN = (150, 250), (0, 110)  # grey levels of the paper and of the ink
UNEVEN_LIGHT = 0.12  # the light falls off by up to this share across the picture, in x and in y
NOISE = (1, 6)  # grey levels of sensor noise
JPEG_SHARE, JPEG_QUALITY = 0.3, (30, 90)
INVERTED = 0.15  # share written light on dark (a whiteboard photo inverted, a chalk board)


def font_files() -> list[Path]:
    """TrueType/OpenType fonts that draw ten distinct digits: the system's and matplotlib's own."""
    found: set[Path] = set()
    for d in FONT_DIRS:
        root = Path(d).expanduser()
        if root.is_dir():
            found.update(p for p in root.rglob("*") if p.suffix.lower() in (".ttf", ".otf"))
    try:
        import matplotlib

        found.update((Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("*.ttf"))
    except ImportError:
        pass
    return [p for p in sorted(found) if not p.name.startswith(SYMBOL_FONTS) and _draws_digits(str(p))]


@functools.cache
def _draws_digits(path: str) -> bool:
    """False for symbol fonts and fonts without digit glyphs (they draw the same box for every digit)."""
    try:
        shapes = {_glyph(path, c, 40, 0).tobytes() for c in "0178"}
    except (OSError, ValueError):
        return False
    return len(shapes) == 4 and all(len(s) for s in shapes)


def _glyph(path: str, text: str, size: int, stroke: int) -> np.ndarray:
    """`text` in the font at `size` px as 0..255 ink on black, cropped to its ink."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(path, size)
    img = Image.new("L", (size * 3, size * 3), 0)
    ImageDraw.Draw(img).text((size // 2, size // 2), text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    a = np.asarray(img)
    ys, xs = np.nonzero(a > 64)
    return a[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(ys) else a[:0, :0]


def _to_input(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Ink (0..1 or 0..255 on black) -> dark on light paper with a margin -> the device's 28x28 input, or
    None when the device would not see exactly one digit-sized group in it."""
    m = max(4, int(0.2 * max(ink.shape)))
    found = find_digits(_paper(cv2.copyMakeBorder(ink, m, m, m, m, cv2.BORDER_CONSTANT, value=0), rng))
    return found[0].image if len(found) == 1 else None


def _warp(ink: np.ndarray, rng: np.random.Generator, slant: float = 0.3, turn: float = 8.0) -> np.ndarray:
    """Random slant (shear) and rotation, on a canvas large enough to keep all the ink."""
    h, w = ink.shape
    pad = max(h, w) // 2
    ink = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    c = (ink.shape[1] / 2, ink.shape[0] / 2)
    m = cv2.getRotationMatrix2D(c, rng.uniform(-turn, turn), 1.0)
    shear = rng.uniform(-slant, slant)
    m[0, 1] += shear
    m[0, 2] -= shear * c[1]
    return cv2.warpAffine(ink, m, ink.shape[::-1], flags=cv2.INTER_LINEAR)


def font_digits(n: int, rng: np.random.Generator, fonts: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """`n` digits in random fonts, weights, slants and proportions, as 28x28 inputs with their labels."""
    images, labels = [], []
    for _ in range(n * 2):  # a few renderings are dropped (two groups, a dot on an i-like stroke)
        if len(images) == n or not fonts:
            break
        label = int(rng.integers(10))
        size = int(rng.integers(60, 100))
        glyph = _glyph(str(fonts[rng.integers(len(fonts))]), str(label), size, int(rng.integers(0, 4)))
        if glyph.size == 0:
            continue
        aspect = rng.uniform(0.75, 1.25)
        glyph = cv2.resize(glyph, (max(2, int(glyph.shape[1] * aspect)), glyph.shape[0]))
        x = _to_input(_warp(glyph, rng), rng)
        if x is not None:
            images.append(x)
            labels.append(label)
    return _stack(images), np.array(labels, np.int64)


def flagged_ones(ones: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST 1s given the flag (and sometimes the foot) with which most of the world writes a 1."""
    out = []
    for one in ones:
        big = cv2.resize(_upright(one) if rng.random() < UPRIGHT else one, (CANVAS, CANVAS),
                         interpolation=cv2.INTER_CUBIC)  # fmt: skip
        mask = big > 128
        ys, xs = np.nonzero(mask)
        if len(ys) < 20:
            continue
        top, bottom = ys.min(), ys.max()
        height = bottom - top
        tx = int(xs[ys <= top + 2].mean())
        width = max(3, int(round(mask.sum() / max(height, 1))))  # the pen: ink area over the stroke's length
        length, angle = rng.uniform(*FLAG_LENGTH) * height, np.deg2rad(rng.uniform(*FLAG_ANGLE))
        end = (int(tx - length * np.cos(angle)), int(top + length * np.sin(angle)))
        cv2.line(big, (tx, int(top)), end, 255, width, cv2.LINE_AA)
        if rng.random() < FLAG_FOOT:
            bx, half = int(xs[ys >= bottom - 2].mean()), int(rng.uniform(0.15, 0.3) * height)
            cv2.line(big, (bx - half, int(bottom)), (bx + half, int(bottom)), 255, width, cv2.LINE_AA)
        x = _to_input(big, rng)
        if x is not None:
            out.append(x)
    return _stack(out)


def closed_fours(fours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST 4s (nearly all open at the top) given the closed top many people write, square to rounded.
    Only 4s whose bar reaches right past the stem are closed: that bar is what tells a closed 4 from a 9."""
    out = []
    for four in fours:
        big = cv2.resize(_upright(four), (CANVAS, CANVAS), interpolation=cv2.INTER_CUBIC)
        tops = _open_tops(big > 128)
        if tops is None:
            continue
        left, right, width, height = tops
        bow = rng.uniform(*CLOSING_BOW) * (right[0] - left[0]) + rng.uniform(-CLOSING_TILT, CLOSING_TILT) * height
        middle = (left + right) / 2 - np.array([0.0, bow], np.float32)
        t = np.linspace(0, 1, 16, dtype=np.float32)[:, None]
        curve = (1 - t) ** 2 * left + 2 * t * (1 - t) * middle + t**2 * right  # a quadratic Bezier
        cv2.polylines(big, [np.int32(np.round(curve))], False, 255, width, cv2.LINE_AA)
        x = _to_input(big, rng)
        if x is not None:
            out.append(x)
    return _stack(out)


def _open_tops(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """The tops (x, y) of an open 4's first stroke and of its stem, its pen width and its height; None when
    its top is not two strokes apart or its bar does not reach past the stem."""
    ys, xs = np.nonzero(mask)
    if len(ys) < 20:
        return None
    top, height = ys.min(), ys.max() - ys.min()
    band = mask[top : top + int(TOP_BAND * height) + 1]
    cols = np.flatnonzero(band.any(axis=0))
    gaps = np.flatnonzero(np.diff(cols) > 1)
    if len(gaps) == 0:
        return None
    width = max(3, int(round(2 * np.percentile(cv2.distanceTransform(np.uint8(mask), cv2.DIST_L2, 3)[mask], 90))))
    stem = cols[gaps[-1] + 1 :]
    below = mask[top + int(TOP_BAND * height) :]
    if not below[:, min(mask.shape[1] - 1, stem.max() + int(BAR_PAST_STEM * width)) :].any():
        return None

    def highest(columns: np.ndarray) -> np.ndarray:
        row = np.flatnonzero(band[:, columns].any(axis=1))[0]
        return np.array([columns[band[row, columns]].mean(), top + row], np.float32)

    return highest(cols[: gaps[0] + 1]), highest(stem), width, height


def _upright(d: np.ndarray) -> np.ndarray:
    """A 28x28 digit sheared so that its ink's main axis stands vertical (second-order moments)."""
    m = cv2.moments(d)
    if abs(m["mu02"]) < 1e-2:
        return d
    skew = m["mu11"] / m["mu02"]
    shear = np.float32([[1, skew, -0.5 * 28 * skew], [0, 1, 0]])
    return cv2.warpAffine(d, shear, (28, 28), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def box_filled(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Digits stretched to fill a small square box, as bitmap collections and form cells store them (a 1
    becomes a bold bar as wide as it is tall): 12 to 40 px, often binarized, either polarity."""
    out, kept = [], []
    for d, label in zip(images, labels):
        ys, xs = np.nonzero(d > 30)
        if len(ys) < 5:
            continue
        side = int(rng.integers(12, 41))
        box = cv2.resize(
            d[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], (side, side), interpolation=cv2.INTER_AREA
        )
        if rng.random() < 0.5:
            box = np.where(box > rng.integers(60, 160), 255, 0).astype(np.uint8)
        margin = int(rng.integers(0, 4))
        box = cv2.copyMakeBorder(box, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)
        found = find_digits(255 - box if rng.random() < 0.5 else box)
        if len(found) == 1:
            out.append(found[0].image)
            kept.append(label)
    return _stack(out), np.array(kept, np.int64)


def written(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits written on paper the way users' pictures come — 24 to 120 px, a bolder or finer pen, out
    of focus, cut tight or with a margin, on unevenly lit noisy paper, some JPEG-compressed or inverted — and
    read back by the device's `find_digits`, so the model learns the device's view of a digit, not only
    MNIST's own frames (benchmarks/field_accuracy.py: USPS +0.25 pp at every crop)."""
    out, kept = [], []
    for d, label in zip(images, labels):
        x = _written(d, rng)
        if x is not None:
            out.append(x)
            kept.append(label)
    return _stack(out), np.array(kept, np.int64)


def _written(d: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    side = int(rng.integers(*WRITTEN_SIDE))
    ink = cv2.resize(d, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    pen, px = rng.random(), side / 28  # px: one MNIST pixel at this size
    if pen < BOLDER + FINER:
        k = ellipse(max(1, round(px * rng.uniform(*PEN_CHANGE))))
        ink = cv2.dilate(ink, k) if pen < BOLDER else cv2.erode(ink, k)
    if rng.random() < BLURRED:
        ink = cv2.GaussianBlur(ink, (0, 0), px * rng.uniform(*BLUR))
    ys, xs = np.nonzero(ink > 0.2)
    if len(ys) < 5:
        return None
    m = int(rng.integers(0, 3)) if rng.random() < TIGHT else int(rng.integers(3, side // 3 + 4))
    ink = cv2.copyMakeBorder(ink, m, m, m, m, cv2.BORDER_CONSTANT, value=0)
    ink = ink[ys.min() : ys.max() + 1 + 2 * m, xs.min() : xs.max() + 1 + 2 * m]
    h, w = ink.shape
    light = 1 + rng.uniform(-UNEVEN_LIGHT, UNEVEN_LIGHT) * np.linspace(-1, 1, w)[None, :]
    light = light + rng.uniform(-UNEVEN_LIGHT, UNEVEN_LIGHT) * np.linspace(-1, 1, h)[:, None]
    paper, pen_level = rng.uniform(*PAPER), rng.uniform(*PEN)
    img = (paper * (1 - ink) + pen_level * ink) * light + rng.normal(0, rng.uniform(*NOISE), ink.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < JPEG_SHARE:
        _, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*JPEG_QUALITY))])
        img = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    found = find_digits(255 - img if rng.random() < INVERTED else img)
    return found[0].image if len(found) == 1 else None


def non_digits(n: int, rng: np.random.Generator, fonts: list[Path]) -> np.ndarray:
    """`n` 28x28 inputs of things that are not digits: letters, curves, blots, textures."""
    out: list[np.ndarray] = []
    makers = [_curves, _blot, _texture] + ([_letter] if fonts else [])
    for i in range(n * 3):  # some pictures give the device nothing to read, which teaches nothing
        if len(out) >= n:
            break
        found = find_digits(_paper(makers[i % len(makers)](rng, fonts), rng))
        out.extend(d.image for d in found[: n - len(out)])
    return _stack(out)


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
        x = _to_input(canvas, rng)
        if x is not None:
            out.append(x)
    return _stack(out)


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
    return _stack(digits), np.array(digit_labels, np.int64), _stack(merged)


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
    return _paper(canvas, rng), owner


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
    labels, found = segment.lines(page)
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
        for group in (g for g in line.groups if g.box[2] - g.box[0] > segment.SPLIT_WIDTH * line.height):
            # cut as the reader cuts a group read whole with doubt, deep (written into each other) or not
            cut = segment.cuts(page, labels, line, group, float(rng.choice([1.0, segment.DEEP_DOUBT / 2])))
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


def _paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink (0..1, or 0..255 as uint8) written with a dark pen on light, slightly noisy paper."""
    ink = ink.astype(np.float32) / (255.0 if ink.dtype == np.uint8 else 1.0)
    paper, pen = rng.uniform(170, 245), rng.uniform(0, 90)
    return np.clip(paper * (1 - ink) + pen * ink + rng.normal(0, 2, ink.shape), 0, 255).astype(np.uint8)


def _letter(rng: np.random.Generator, fonts: list[Path]) -> np.ndarray:
    glyph = _glyph(str(fonts[rng.integers(len(fonts))]), LETTERS[rng.integers(len(LETTERS))], 80,
                   int(rng.integers(0, 3)))  # fmt: skip
    return cv2.copyMakeBorder(_warp(glyph, rng), 16, 16, 16, 16, cv2.BORDER_CONSTANT) if glyph.size else glyph


def _curves(rng: np.random.Generator, _: list[Path]) -> np.ndarray:
    """Three or four random quadratic curves: a scribble or a doodle (one or two strokes could be a 1 or a 7)."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    for _ in range(int(rng.integers(3, 5))):
        p = rng.uniform(15, CANVAS - 15, (3, 2))
        t = np.linspace(0, 1, 30)[:, None]
        pts = (1 - t) ** 2 * p[0] + 2 * (1 - t) * t * p[1] + t**2 * p[2]
        cv2.polylines(canvas, [np.int32(pts)], False, 255, int(rng.integers(3, 10)), cv2.LINE_AA)
    return canvas


def _blot(rng: np.random.Generator, _: list[Path]) -> np.ndarray:
    """A filled irregular blot: spilt ink, a thumb print, a hole punch."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
    radii = rng.uniform(10, 35, 9)
    pts = np.stack([CANVAS / 2 + radii * np.cos(angles), CANVAS / 2 + radii * np.sin(angles)], 1)
    cv2.fillPoly(canvas, [np.int32(pts)], 255, cv2.LINE_AA)
    return canvas


def _texture(rng: np.random.Generator, _: list[Path]) -> np.ndarray:
    """Blurred, thresholded noise: paper fibres, a fabric, a patterned surface."""
    noise = cv2.GaussianBlur(rng.random((CANVAS, CANVAS)).astype(np.float32), (0, 0), rng.uniform(1.5, 5))
    return ((noise > np.quantile(noise, rng.uniform(0.6, 0.85))) * 255).astype(np.uint8)


def _stack(images: list[np.ndarray]) -> np.ndarray:
    return np.stack(images).astype(np.uint8) if images else np.zeros((0, 28, 28), np.uint8)
