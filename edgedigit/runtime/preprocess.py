"""Any image of handwritten digits -> MNIST-form 28x28 crops (white digit on black, 20x20 box,
centre of mass at the centre, strokes about as thick as MNIST's).

Steps: decode with a pixel bound (JPEGs turned by their EXIF orientation) -> grayscale (alpha
composited on paper) -> work at a bounded size (thin strokes widened before a large reduction) -> a
crop (small, or cut tightly round a digit) padded with its paper, so ink touching the frame is kept ->
polarity from the paper level -> background
flattening -> Otsu threshold -> in photos, the ruling of lined or squared paper taken out ->
components (drop specks, squared-paper grids, hairlines and the desk along the border) -> group
into digits left to right -> per digit: stroke-width normalization, aspect-preserving fit into
20x20, centre of mass at (14, 14) in 28x28.
"""

from __future__ import annotations

import functools
import io
import math
import struct
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import imagesize
import numpy as np

from edgedigit.errors import UserError
from edgedigit.runtime import frames, scene

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 64 * 1024 * 1024
MIN_SIDE = 8  # smaller images cannot hold a digit
WORK_SIDE = 256  # larger images are reduced to about this squared before any analysis...
WORK_LONGEST = 4 * WORK_SIDE  # ...and to at most this on their longer side (a long strip stays cheap)
SMALL_SIDE = 28  # pictures smaller than the model's input on both sides (a 16x16 bitmap) are first enlarged...
ENLARGE_TO = 64  # ...by an integer factor to about this on their longer side (cubic), as a user's crop would be
BITMAP_WIDTH = 1.25  # such a picture at most this many times as wide as high is one digit's bitmap (square ones are)
MIN_CONTRAST = 20  # ink must stand this many grey levels above the background (grey pencil on grey paper: ~35)
MAX_HOLES = 6  # more loops than this is squared paper, not a digit...
GRID_SPAN = 0.8  # ...when the ink spans at least this share of the picture's width and of its height
LARGE = 64  # work images with both sides above this may show a desk, ruling, a grid: a photo, not a crop
TARGET_STROKE = 2.4  # MNIST's median stroke width (2 * area / perimeter) in the 28x28 frame
BOLD_INK = 0.4  # dark ink covering more than this share of a picture (a photo's paper is its median, which
# falls in or next to the ink well before the ink covers half: 6 of 141 bold crops covering 40-50% misread)...
BOLD_BORDER = 0.25  # ...and less than this share of its border: a bold digit filling a crop, not a photo
CROP_MARGIN = 0.25  # crops are padded with their paper by this share of their longer side, so ink that
# touches the frame (a cell cut tightly from a form) is analysed like ink well inside it
TIGHT_SIDES = 3  # ink touching this many sides of a picture: a crop cut tightly around a digit, not a photo
TIGHT_SIDE_INK = 0.6  # ink along this much of one side is a bar (of a 7, a 5) in a crop...
TIGHT_SPREAD = 0.25  # ...unless it also covers this much of another side: a desk or a shadow along the edge
TIGHT_RUNS = 2  # ...or crosses one side more often than a digit's strokes do (the lines of ruled paper)
THIN_REDUCTION = 4  # from this reduction on, a 1-2 px pen stroke would fade into the paper: widen it first
POLARITY_DOUBT = 1.25  # ink strays this much further from the paper level than the paper does: its side is clear;
# in a photo where it does not, a plane fitted to the paper's lighting decides...
LIGHTING_CLEAR = 3.0  # ...when, measured from it, one side strays this much further (faint pencil under a lighting
# gradient: 8-15x; a bold digit covering half the picture: under 2x, no verdict)
LIGHTING_FITS = 4  # refits of the paper's lighting plane: each drops the half of the pixels furthest from it
BACKGROUND_SHARE = 2  # the lighting estimate removes ink narrower than 1/BACKGROUND_SHARE of the picture
SPECK_AREA = 0.08  # a component with less ink than this share of the picture's largest is a speck...
SHORT = 0.25  # ...as is one lower than this share of the tallest, unless it has a fair share of ink
FAIR_SHARE = 0.3  # ...(this share of the largest component's ink)
MERGE_OVERLAP = 0.3  # components overlapping horizontally by this share of the narrower are one digit...
KEEP_SHARE = 0.15  # ...and a group with less ink than this share of the inkiest is left out
RULING_FILL = 3  # px across a ruling line that a stroke crossing it is looked for: past the 3 px band ruling marks
RULE_LENGTH = 1.3  # a straight run of ink this many times as long as the ink is high...
RULE_SPAN = 0.8  # ...and across this share of its width is a rule drawn along the writing (an underline, a
# form's printed line)...
RULE_THICKNESS = 0.15  # ...no thicker than this share of the ink's height...
RULE_SLOPE = 0.05  # ...rising or falling by at most this share of its length (a line drawn by hand)...
RULE_STRAIGHT = 0.9  # ...straight: the core of the fitted line is ink in this share of its columns (the bases
# of digits written touching on one line: 0.54 / 0.76 / 0.99 at the 10th / 50th / 90th percentile, ruled lines 1.0)...
RULE_ACROSS = 0.1  # ...with no more than this share of the other ink on its far side (descenders crossing it)...
RULE_DIGITS = 2  # ...with at least this many digits side by side along it (a wide 2's base is no rule: what
RULE_DIGIT_HEIGHT = 0.5  # is left of the 2 is its curve and a tail, and a digit is this share of the tallest)
BOX = 20
FRAME = 28
JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass(frozen=True)
class Digit:
    """One digit in MNIST form, and where it was found (x, y, w, h in the input's pixels)."""

    image: np.ndarray
    box: tuple[int, int, int, int]


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file with bounded memory; every failure is one clear UserError."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise UserError(f"cannot open {p}: {exc.strerror or exc}") from None
    if not p.is_file():
        raise UserError(f"{p} is not a file")
    if size > MAX_FILE_BYTES:
        raise UserError(f"{p} is {size >> 20} MiB, above the {MAX_FILE_BYTES >> 20} MiB limit")
    return decode_image(p.read_bytes(), str(p))


def decode_image(data: bytes, name: str) -> np.ndarray:
    """Decode an encoded picture (a file's bytes, an upload) with bounded memory; `name` goes in errors."""
    if not data:
        raise UserError(f"{name} is empty")
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"{name} is {len(data) >> 20} MiB, above the {MAX_FILE_BYTES >> 20} MiB limit")
    _check_pixels(data, name)
    buf = np.frombuffer(data, dtype=np.uint8)
    # JPEG (phone photos): straight to grayscale, all the pipeline uses (a 12 MP photo then takes 12 MB, not
    # 36), turned by its EXIF orientation, which IMREAD_UNCHANGED ignores. Other formats unchanged, so that
    # alpha and 16-bit depth survive.
    flags = cv2.IMREAD_GRAYSCALE if data[:3] == JPEG_MAGIC else cv2.IMREAD_UNCHANGED
    try:
        img = cv2.imdecode(buf, flags)
    except cv2.error:
        img = None
    if img is None or img.size == 0:
        raise UserError(f"{name} is not a readable image (unknown format or truncated)")
    return img


def _check_pixels(data: bytes, name: str) -> None:
    """Refuse a picture of more than MAX_PIXELS from its header, before a pixel is decoded: a small PNG
    can hold a 20000x20000 blank (a decompression bomb), and OpenCV's own bound is read when cv2 is
    first imported, which may be before this module. `imagesize` reads headers only (132 KB, no C code)."""
    try:
        w, h = imagesize.get(io.BytesIO(data))
    except (OSError, ValueError, struct.error):
        w = h = -1
    if w < 0 or h < 0:
        raise UserError(f"{name} is not a readable image (unknown format or damaged header)")
    if w * h > MAX_PIXELS:
        raise UserError(f"{name} is {w}x{h} pixels, above the {MAX_PIXELS} pixel limit")


def to_gray(img: np.ndarray) -> np.ndarray:
    """8-bit grayscale; transparent pixels become paper (see `_paper_behind`)."""
    if img.dtype != np.uint8:
        img = cv2.normalize(img.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        rgb = img[:, :, :3].astype(np.float32) * alpha + _paper_behind(img) * (1.0 - alpha)
        return cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    if img.shape[2] == 1:
        return img[:, :, 0]
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2GRAY)


def _paper_behind(bgra: np.ndarray) -> float:
    """White, unless the opaque part is a minority of light strokes (white or yellow ink on a transparent
    canvas, as dark-mode drawing apps export it), which would vanish on white: then black."""
    opaque = bgra[:, :, 3] >= 128
    count = np.count_nonzero(opaque)
    if count == 0 or count >= opaque.size // 2:
        return 255.0
    ink = cv2.cvtColor(bgra[:, :, :3], cv2.COLOR_BGR2GRAY)[opaque]
    return 0.0 if ink.mean() > 127 else 255.0


@dataclass(frozen=True)
class Page:
    """A picture ready to be cut into digits: bright ink on black and its binary mask at the work size,
    and how a box there maps back to the input's pixels."""

    ink: np.ndarray
    mask: np.ndarray
    scale: float
    pad: int
    offset: tuple[int, int]
    full: tuple[int, int]  # the input's height and width
    photo: bool  # a photo (pen skips bridged), not a crop
    rules: tuple[tuple[int, int, int, int], ...] = ()  # lines drawn along the writing, taken out (work pixels)
    with_rules: Page | None = None  # the page as it was before they were taken out: a reader may prefer it

    def box(self, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) in the input's pixels of the work-size box (x0, y0, x1, y1)."""
        full_h, full_w = self.full
        bx0, by0 = max(0, int((x0 - self.pad) / self.scale)), max(0, int((y0 - self.pad) / self.scale))
        bx1, by1 = min(full_w, int((x1 - self.pad) / self.scale)), min(full_h, int((y1 - self.pad) / self.scale))
        return (self.offset[0] + bx0, self.offset[1] + by0, bx1 - bx0, by1 - by0)

    @property
    def bitmap(self) -> bool:
        """Whether the input is a bitmap of one digit: smaller than the model's input (a 16x16 bitmap), and no
        wider than a digit's box (a small strip may hold several digits)."""
        height, width = self.full
        return max(height, width) < SMALL_SIDE and width <= BITMAP_WIDTH * height

    def digit(self, x0: int, y0: int, x1: int, y1: int) -> Digit:
        """All the ink in the box, in MNIST form."""
        return Digit(to_mnist(self.ink[y0:y1, x0:x1], self.mask[y0:y1, x0:x1]), self.box(x0, y0, x1, y1))


def prepare(img: np.ndarray, roi: tuple[int, int, int, int] | None = None) -> Page | None:
    """`img` (any dtype/channels) as ink and mask at the work size; None when it holds no ink."""
    if img.size > MAX_PIXELS:
        raise UserError(f"image of {img.size} values is above the {MAX_PIXELS} limit")
    ox, oy = 0, 0
    if roi is not None:
        x, y, w, h = roi
        img = img[y : y + h, x : x + w]
        ox, oy = x, y
        if img.size == 0:
            return None
    gray = to_gray(img)
    if min(gray.shape) < MIN_SIDE:
        return None  # a strip a few pixels high holds no readable digit
    factor = work_reduction(*gray.shape)
    scale = 1.0 / factor
    small = max(gray.shape) < SMALL_SIDE  # a bitmap or a tiny crop, never a photo
    if factor > 1:
        size = (max(MIN_SIDE, gray.shape[1] // factor), max(MIN_SIDE, gray.shape[0] // factor))
        gray = cv2.resize(_widen_ink(gray, factor), size, interpolation=cv2.INTER_AREA)
    elif small:  # thresholds and stroke widths need more pixels than a 16 px bitmap has
        scale = float(-(-ENLARGE_TO // max(gray.shape)))
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    gray = frames.painted_out(gray)  # before the paper is looked for: a crop's frame is not its paper
    photo = not small and min(gray.shape) > LARGE and not _a_crop(gray)
    pad, paper = 0, None
    if not photo:
        gray, pad, paper = _pad_with_paper(gray)
    ink = _ink_image(gray, paper)
    if ink is None:
        return None
    mask = _mask(ink)
    printed = frames.comb(mask)  # a row of comb boxes (before ruling, which would take only its long lines)
    if printed is not None:
        ink, mask = cv2.subtract(ink, ink, mask=printed, dst=ink.copy()), cv2.subtract(mask, printed)
    elif photo:
        ink, mask = _without_ruling(ink, mask)
    page = Page(ink, mask, scale, pad, (ox, oy), img.shape[:2], photo)
    rules = _rules(mask)
    if not rules:
        return page
    taken = np.bitwise_or.reduce(rules)
    boxes = tuple(_box_of(rule) for rule in rules)
    unruled = cv2.subtract(ink, ink, mask=taken, dst=ink.copy()), cv2.subtract(mask, taken)
    return replace(page, ink=unruled[0], mask=unruled[1], rules=boxes, with_rules=page)


def work_reduction(height: int, width: int) -> int:
    """The integer factor (INTER_AREA's fast path) that brings a picture to about WORK_SIDE squared pixels:
    set by the area, not the longer side, so a long number keeps the line height a square picture would
    give (an 8-digit strip reduced by its width lost the gaps between its digits), never longer than
    WORK_LONGEST work pixels."""
    return max(1, -(-math.isqrt(height * width) // WORK_SIDE), -(-max(height, width) // WORK_LONGEST))


def find_digits(img: np.ndarray, roi: tuple[int, int, int, int] | None = None) -> list[Digit]:
    """All digits in `img` (any dtype/channels), left to right, grouped by shape alone (the reader cuts
    numbers with the model's help, `edgedigit.runtime.segment`); empty when there is none."""
    page = prepare(img, roi)
    return [] if page is None else [page.digit(*group) for group in _digit_groups(page.mask, page.photo)]


def _widen_ink(gray: np.ndarray, factor: int) -> np.ndarray:
    """Before a reduction by `factor` >= THIN_REDUCTION, strokes widened to about `factor` px (grey erosion
    for dark ink, dilation for light ink), so a fine pen in a big photo keeps its contrast instead of being
    averaged into the paper. The ink's side is guessed from a sample of the pixels, as `_ink_image` does."""
    if factor < THIN_REDUCTION:
        return gray
    darkest, middle, brightest = _levels(_histogram(gray[::factor, ::factor]), (0.001, 0.5, 0.999))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (factor - 1, factor - 1))
    return cv2.erode(gray, kernel) if middle - darkest > brightest - middle else cv2.dilate(gray, kernel)


def _a_crop(gray: np.ndarray) -> bool:
    """Whether a picture large enough to be a photo is a crop of a digit after all, cut tightly round it or
    filled by a bold one: both judged on one Otsu split, as this runs on every camera frame."""
    bright = _bright_side(gray)
    return _tight_crop(bright) or _bold_crop(bright)


def _bright_side(gray: np.ndarray) -> np.ndarray:
    """An Otsu split of the picture: 1 on its bright side, 0 on its dark side (uint8)."""
    return cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]


def _tight_crop(bright: np.ndarray) -> bool:
    """A digit cut out tightly: its ink (the minority side of the Otsu split `bright`) touches three or four
    sides of the picture, in places or along one side (a bar), not along several, as a desk or a shadow does."""
    mask = bright
    if 2 * cv2.countNonZero(mask) > mask.size:
        mask = 1 - mask
    sides = (mask[0], mask[-1], mask[:, 0], mask[:, -1])
    touching = sum(bool(side.any()) for side in sides)
    most, second = sorted((float(side.mean()) for side in sides), reverse=True)[:2]
    runs = max(int(np.count_nonzero(np.diff(side, prepend=0) == 1)) for side in sides)
    spread = most >= TIGHT_SIDE_INK and second >= TIGHT_SPREAD
    return touching >= TIGHT_SIDES and not spread and runs <= TIGHT_RUNS


def _bold_crop(bright: np.ndarray) -> bool:
    """A bold digit filling most of a crop that has a margin of paper, to be read as a crop: read as a
    photo, whose paper is what covers most of it (its median), its ink would be taken for the paper. Dark
    ink: the dark side of the Otsu split (0 in `bright`) covers most of the picture but little of its border. Bright ink
    (chalk, a white marker on a dark label): the same the other way round, and no dark ink inside the bright,
    since a sheet on a dark desk is also bright within a dark border but holds writing (so a bold bright 0,
    6, 8 or 9, whose loop is dark inside, is still taken for a sheet)."""
    dark_share = 1 - cv2.countNonZero(bright) / bright.size
    border_dark = 1 - float(np.mean(_border(bright)))
    if dark_share > BOLD_INK and border_dark < BOLD_BORDER:
        return True
    if 1 - dark_share <= BOLD_INK or 1 - border_dark >= BOLD_BORDER:
        return False
    n, labels = cv2.connectedComponents(1 - bright, connectivity=8)
    return len(set(labels.take(_border_index(*bright.shape)).tolist()) - {0}) == n - 1  # all dark reaches the edge


def _pad_with_paper(gray: np.ndarray) -> tuple[np.ndarray, int, int]:
    """A crop with a margin of its paper all round (the median of its border: a tight crop's ink touches
    the frame in places, not along most of it); returns the padded crop, the margin's width and the paper
    level. A crop whose border is all paper (MNIST's 28x28) already has its margin and is kept as it is."""
    border = _border(gray)
    paper = _median(border)
    if int(border.max()) - paper < MIN_CONTRAST and paper - int(border.min()) < MIN_CONTRAST:
        return gray, 0, paper
    pad = max(2, int(CROP_MARGIN * max(gray.shape)))
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=paper), pad, paper


def _ink_image(gray: np.ndarray, crop_paper: int | None) -> np.ndarray | None:
    """Ink bright on a flattened black background, or None for a blank image. `crop_paper`: the paper
    level of a crop (its border's, found when padding it); None for a photo."""
    tiny = min(gray.shape) < 48  # too small to estimate lighting: the paper level is subtracted instead
    hist = _histogram(gray)
    # the levels of the negative image come from the same search, so small images need only one
    darkest, brightest, middle, low, hi, neg_low, neg_hi = _levels(hist, (0.001, 0.999, 0.5, 0.1, 0.999), (0.1, 0.999))
    # the paper level: in a photo, what covers most of it (its border may be the desk around the sheet);
    # in a crop, its border, which is the paper it was padded with
    paper = middle if crop_paper is None else crop_paper
    if _dark_ink(gray, paper - darkest, brightest - paper, photo=crop_paper is None):
        gray, paper, low, hi = cv2.bitwise_not(gray), 255 - paper, neg_low, neg_hi
    if tiny:  # the levels shift with the subtracted paper
        gray = _minus(gray, paper)
        low, hi = max(low - paper, 0), max(hi - paper, 0)
    else:
        gray = cv2.subtract(gray, _background(gray))
        low, hi = _levels(_histogram(gray), (0.1, 0.999))
    if hi - low < MIN_CONTRAST:
        return None
    return cv2.convertScaleAbs(gray, alpha=255.0 / max(hi, 1))


def _dark_ink(gray: np.ndarray, below: int, above: int, photo: bool) -> bool:
    """Whether the ink is darker than the paper: the darkest pixels stray further below the paper level
    than the brightest stray above it. In a photo, when the two are within POLARITY_DOUBT of each other
    (faint ink on unevenly lit paper, whose bright corner strays as far as the ink), the strays are
    measured from the lighting instead, a plane fitted to the paper (`_lighting`), when that is clearer.
    A crop's paper level is its border's, which no lighting fit would improve on."""
    if not photo or max(below, above) > POLARITY_DOUBT * max(min(below, above), 1):
        return below > above
    h, w = gray.shape
    small = cv2.resize(gray, (max(2, w // 4), max(2, h // 4)), interpolation=cv2.INTER_AREA).astype(np.float32)
    lo, hi = np.percentile(small - _lighting(small), (0.5, 99.5))
    if max(-lo, hi) > LIGHTING_CLEAR * max(min(-lo, hi), 1):
        return -lo > hi
    return below > above  # a bold digit covering half the picture: the lighting fit is no clearer


def _lighting(gray: np.ndarray) -> np.ndarray:
    """A plane fitted to the paper of a small picture: least squares, refitted on the half of the pixels
    nearest the last fit (LIGHTING_FITS times), so the ink, on one side of it, drops out of the fit."""
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w]
    design = np.stack([np.ones(h * w, np.float32), xx.ravel() / w, yy.ravel() / h], axis=1).astype(np.float32)
    values, keep = gray.ravel(), np.ones(h * w, bool)
    for _ in range(LIGHTING_FITS):
        coef = np.linalg.lstsq(design[keep], values[keep], rcond=None)[0]
        off = np.abs(values - design @ coef)
        keep = off <= np.median(off)
    return (design @ coef).reshape(h, w)


def _background(gray: np.ndarray) -> np.ndarray:
    """The paper's uneven lighting (ink removed by a grey opening), estimated at a quarter of the size."""
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(5, (min(small.shape) // BACKGROUND_SHARE) | 1)
    small = cv2.morphologyEx(small, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _histogram(gray: np.ndarray) -> np.ndarray:
    return np.bincount(gray.ravel(), minlength=256)


def _levels(hist: np.ndarray, fractions: tuple[float, ...], negative: tuple[float, ...] = ()) -> list[int]:
    """Grey levels at quantiles of a 256-bin histogram, then at quantiles of the negative image's.

    One searchsorted on integer pixel counts (np.percentile costs ten times more). With the count
    target t = ceil(f * total), the negative's level is 255 minus the first level whose cumulative
    count reaches total - t + 1: exact, so no second histogram is needed.
    """
    cdf = hist.cumsum()
    total = int(cdf[-1])  # Python numbers: numpy scalars would triple the cost of this small call
    targets = [math.ceil(f * total) for f in fractions]
    targets += [total - math.ceil(f * total) + 1 for f in negative]
    found = cdf.searchsorted(targets).tolist()
    return found[: len(fractions)] + [255 - v for v in found[len(fractions) :]]


def _median(values: np.ndarray) -> int:
    return int(np.partition(values, len(values) // 2)[len(values) // 2])


def _border(gray: np.ndarray) -> np.ndarray:
    return gray.take(_border_index(*gray.shape))


@functools.lru_cache(maxsize=32)
def _border_index(h: int, w: int) -> np.ndarray:
    """Flat indices of the first and last row and column: one gather instead of four slices."""
    rows, cols = np.arange(w), np.arange(h) * w
    index = np.concatenate([rows, rows + (h - 1) * w, cols, cols + w - 1])
    index.flags.writeable = False  # shared by every call through the cache
    return index


def _minus(img: np.ndarray, level: int) -> np.ndarray:
    """img - level, saturated at 0 (cv2.subtract with a scalar costs twice as much on small images)."""
    return np.maximum(img, level) - level


def _mask(ink: np.ndarray) -> np.ndarray:
    _, mask = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
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
        joined = cv2.dilate(mask, _ellipse(k))
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
        if large and _holes(labels[y : y + bh, x : x + bw] == i) > MAX_HOLES:
            continue  # the grid of squared paper: a digit has at most a few loops
        boxes.append([x, y, x + bw, y + bh, ink_area[i], i])
    return labels, boxes


def min_height(mask: np.ndarray) -> float:
    """Ink lower than this is a speck or dust, not writing."""
    side = min(mask.shape)
    return max(4, 0.06 * side) if side > LARGE else 4


def _digit_groups(mask: np.ndarray, bridge: bool = True) -> list[tuple[int, int, int, int]]:
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


def _without_ruling(ink: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lined or squared paper: the ruling is taken out of the ink at its own level, so a darker stroke
    that crosses a line keeps the rest of its ink; and where a stroke brighter than the ruling (in the ink
    image) crosses a line (`_ink_across`), the line's pixels keep the stroke's ink, so a bold stroke is not
    cut in two there (subtracting the line's level took too much of it). A grid's lines, crossing each other,
    are no brighter than the ruling."""
    lines = scene.ruling(mask)
    if lines is None:
        return ink, mask
    level = int(np.median(ink[cv2.bitwise_and(lines, mask) > 0]))  # how bright the ruling's own ink is
    cleaned = cv2.subtract(ink, level, dst=ink.copy(), mask=lines)
    across = _ink_across(ink)
    cv2.copyTo(cv2.max(across, cleaned), cv2.bitwise_and(lines, cv2.compare(across, level, cv2.CMP_GT)), cleaned)
    return cleaned, _mask(cleaned)


def _ink_across(ink: np.ndarray) -> np.ndarray:
    """Per pixel, the lesser of the ink RULING_FILL px above and below it and of that left and right of it:
    on a line a stroke crosses, the stroke's ink; on a line alone, the paper's."""
    kernel = _ends(RULING_FILL)
    return cv2.min(cv2.erode(ink, kernel), cv2.erode(ink, kernel.T))


@functools.lru_cache(maxsize=4)
def _ends(reach: int) -> np.ndarray:
    """A column kernel of the two pixels `reach` above and below its centre: erosion by it is the lesser of them."""
    kernel = np.zeros((2 * reach + 1, 1), np.uint8)
    kernel[[0, -1]] = 1
    return kernel


def _rules(mask: np.ndarray) -> list[np.ndarray]:
    """Lines drawn under or along a number (an underline, a form's printed line), each as a mask of its ink:
    touching the digits, such a line joins the number into one component; apart, it merges them into one
    group by overlapping them all. A rule is a straight, thin run of ink RULE_LENGTH times as long as all the
    ink is high (a number is wider than high, a digit seldom is, so most single digits are never looked at)
    and across RULE_SPAN of its width, with RULE_DIGITS groups of ink side by side once it is gone. Digits
    written touching along a line (the bases of "222") can pass for one: the reader reads both pages."""
    _, _, width, height = cv2.boundingRect(mask)
    if width < RULE_LENGTH * height or height == 0:
        return []  # the common case, checked in one call: one digit, or digits no wider than high
    length = max(int(RULE_LENGTH * height), int(RULE_SPAN * width))
    drift = max(1, round(RULE_SLOPE * length))  # a hand-drawn line wanders this much over `length`
    tall = cv2.getStructuringElement(cv2.MORPH_RECT, (1, 2 * drift + 1))
    band = cv2.dilate(mask, tall)
    if cv2.reduce(band, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).max() < 255 * length:
        return []  # no row holds `length` ink pixels, let alone a run of them (a number on a camera frame)
    wide = np.ones((1, length), np.uint8)
    cores = cv2.erode(band, wide)
    if not cores.any():
        return []
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(cores, wide))
    thin = [i for i in range(1, n) if stats[i, cv2.CC_STAT_HEIGHT] <= RULE_THICKNESS * height + 4 * drift]
    rules = []
    for i in thin:
        fit = _fit_line((labels == i) & (mask > 0))
        if fit is None:
            continue
        ends, thickness = fit
        rule, core = np.zeros_like(mask), np.zeros_like(mask)
        cv2.line(rule, *ends, 255, thickness + 2)  # with its anti-aliased edge
        cv2.line(core, *ends, 255, max(1, thickness - 2))
        if np.count_nonzero(cv2.reduce(core & mask, 0, cv2.REDUCE_MAX)) < RULE_STRAIGHT * (ends[1][0] + 1 - ends[0][0]):
            continue  # ink that bends away from a straight line: digits' strokes written into each other
        rule &= mask
        rest = cv2.subtract(mask, rule)
        ys, xs = np.nonzero(rest)
        (x0, y0), (x1, y1) = ends
        below = (ys - y0) * (x1 - x0) > (y1 - y0) * (xs - x0)
        if min(np.count_nonzero(below), np.count_nonzero(~below)) > RULE_ACROSS * len(ys):
            continue  # the writing lies on both sides: a digit's bar (a wide 4's), not a line under or over it
        if _digits_along(rest) >= RULE_DIGITS:  # each run alone: a flat 0's top and bottom, taken out
            rules.append(rule)  # together, would leave its two sides as two digits
    return rules


def _fit_line(band: np.ndarray) -> tuple[tuple[tuple[int, int], tuple[int, int]], int] | None:
    """The straight line through a run's ink (`band`), fitted where no digit's stroke meets it, and its
    thickness in most of its columns; None when there is no line to fit."""
    counts = np.count_nonzero(band, axis=0)
    if not counts.any():
        return None  # the run lies in the thickened band only
    x0, x1 = int(np.flatnonzero(counts)[0]), int(np.flatnonzero(counts)[-1])
    thickness = int(np.median(counts[x0 : x1 + 1]))
    ys, xs = np.nonzero(band & (counts <= thickness))
    if len(np.unique(xs)) < 2:
        return None  # a run broken into pieces
    slope, offset = np.polyfit(xs, ys, 1)
    return ((x0, round(offset + slope * x0)), (x1, round(offset + slope * x1))), thickness


def _box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1) of a mask's ink."""
    x, y, w, h = cv2.boundingRect(mask)
    return x, y, x + w, y + h


def _digits_along(mask: np.ndarray) -> int:
    """How many groups of ink at least RULE_DIGIT_HEIGHT of the tallest high stand side by side in `mask`."""
    _, boxes = components(mask, bridge=False)
    largest = max((b[4] for b in boxes), default=0)
    groups = [group_box(g) for g in merge_by_overlap([b for b in boxes if b[4] >= SPECK_AREA * largest])]
    tallest = max((y1 - y0 for _, y0, _, y1 in groups), default=0)
    return sum(y1 - y0 >= RULE_DIGIT_HEIGHT * tallest for _, y0, _, y1 in groups)


def _holes(component: np.ndarray) -> int:
    """Number of enclosed background regions (loops) in a boolean component mask."""
    contours, hierarchy = cv2.findContours(component.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return 0 if hierarchy is None else int(np.count_nonzero(hierarchy[0][:, 3] >= 0))


def to_mnist(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One digit crop (ink bright) -> 28x28 uint8 in MNIST form."""
    ink = cv2.copyTo(ink, mask, ink >> 1)  # faint ink outside the mask keeps half its weight
    ink = _minus(ink, _otsu(ink) // 2)
    h, w = ink.shape
    scale = BOX / max(h, w)
    ink = _normalize_stroke(ink, _stroke_width(mask), TARGET_STROKE / scale)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink, (nw, nh), interpolation=interp)
    return _place_by_mass(cv2.normalize(small, None, 255, 0, cv2.NORM_INF))  # brightest pixel -> 255


def _otsu(img: np.ndarray) -> int:
    t, _ = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return int(t)


def _stroke_width(mask: np.ndarray) -> float:
    """2 * area / perimeter of the ink: the width of a long thin stroke."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * cv2.countNonZero(mask) / max(perimeter, 1.0)


def _normalize_stroke(ink: np.ndarray, width: float, target: float) -> np.ndarray:
    """Thicken thin strokes (grey dilation) or thin thick ones (grey erosion) towards `target` px."""
    delta = target - width
    if delta > 1.0:
        k = int(round(delta)) | 1
        return cv2.dilate(ink, _ellipse(k))
    if delta < -1.5 * target:
        k = int(round(-delta / 2)) | 1
        return cv2.erode(ink, _ellipse(k))
    return ink


@functools.lru_cache(maxsize=32)
def _ellipse(k: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def _place_by_mass(small: np.ndarray) -> np.ndarray:
    """Put `small` (at most 20x20) in a 28x28 frame with its centre of mass at (14, 14)."""
    h, w = small.shape
    frame = np.zeros((FRAME, FRAME), np.uint8)
    m = cv2.moments(small)
    cx, cy = (m["m10"] / m["m00"], m["m01"] / m["m00"]) if m["m00"] else (w / 2, h / 2)
    x0 = min(max(round(14 - cx), 0), FRAME - w)
    y0 = min(max(round(14 - cy), 0), FRAME - h)
    frame[y0 : y0 + h, x0 : x0 + w] = small
    return frame
