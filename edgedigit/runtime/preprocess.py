"""Any image of handwritten digits -> MNIST-form 28x28 crops (white digit on black, 20x20 box,
centre of mass at the centre, strokes about as thick as MNIST's).

Steps, and the module that does each: grayscale (`decode.to_gray`, alpha composited on paper; files and
uploads are decoded there with a pixel bound) -> work at a bounded size (thin strokes widened before a large
reduction) -> a meter's counter, digits in light or dark windows, made dark digits on paper (`windows`) -> a crop
(small, or cut tightly round a digit) padded with its paper, so ink touching the frame is kept -> in a photo of a
sheet smaller than the desk round it (a sticky note), the desk painted with the sheet's paper
(`scene.sheet_on_desk`) -> polarity from the paper level and, in doubt, its lighting ->
background flattening (`paper`) -> Otsu threshold, in photos held above the paper's noise
(`grouping.ink_mask`) -> a row of comb boxes or the printed box round a form's field taken out (`frames`) -> else,
in photos, the ruling of lined or squared paper taken out (`ruling`) -> a reduced
photo whose writing is small (a page photographed whole, a camera far off) prepared again from its own pixels
round the writing (`grouping.small_writing`) -> everywhere, a line drawn along the writing taken out
(`ruling`) -> components grouped into digits left to right (`grouping`: specks, squared-paper grids,
hairlines and the desk along the border or along one side dropped) -> per digit, the MNIST form
(`mnist_form.to_mnist`). This module holds the page: `prepare`, `find_digits`, and how the kind of picture
(photo, tight or bold crop, bitmap) is judged; the paper's level, the ink's polarity and the flattened
background are `paper`'s.

Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from edgedigit.errors import ImageError
from edgedigit.runtime import decode, frames, grouping, mnist_form, paper, ruling, scene, windows

MIN_SIDE = 8  # smaller images cannot hold a digit
WORK_SIDE = 256  # larger images are reduced to about this squared before any analysis...
WORK_LONGEST = 4 * WORK_SIDE  # ...and to at most this on their longer side (a long strip stays cheap)
SMALL_SIDE = 28  # pictures smaller than the model's input on both sides (a 16x16 bitmap) are first enlarged...
ENLARGE_TO = 64  # ...by an integer factor to about this on their longer side (cubic), as a user's crop would be
BITMAP_WIDTH = 1.25  # such a picture at most this many times as wide as high is one digit's bitmap (square ones are)
BOLD_INK = 0.4  # dark ink covering more than this share of a picture (a photo's paper is its median, which
# falls in or next to the ink well before the ink covers half: 6 of 141 bold crops covering 40-50% misread)...
BOLD_BORDER = 0.25  # ...and less than this share of its border: a bold digit filling a crop, not a photo...
FIELD_INK = 3 * paper.MIN_CONTRAST  # ...unless this many grey levels below that dark side's median lie...
FIELD_SHARE = 0.01  # ...this share of it: writing in a form's tinted field, the tint taken for a bold digit (the 257
# bold crops of field_accuracy.py: none of their dark side 40 levels below its median; tinted fields: 3-9%;
# photo_scenes.py: a form's tinted field round the digit 90.5 -> 99.5%)
CROP_MARGIN = 0.25  # crops are padded with their paper by this share of their longer side, so ink that
# touches the frame (a cell cut tightly from a form) is analysed like ink well inside it
TIGHT_SIDES = 3  # ink touching this many sides of a picture: a crop cut tightly around a digit, not a photo
TIGHT_SIDE_INK = 0.6  # ink along this much of one side is a bar (of a 7, a 5) in a crop...
TIGHT_SPREAD = 0.25  # ...unless it also covers this much of another side: a desk or a shadow along the edge
TIGHT_RUNS = 2  # ...or crosses one side more often than a digit's strokes do (the lines of ruled paper)...
TIGHT_WRITING = 0.25  # ...or lies along the sides only, beside ink this share of the picture high touching none: the
# sheet's edge and the desk beyond it along one side of a photo (read as a 1 beside the digit, 1 in 5 of such photos)
THIN_REDUCTION = 4  # from this reduction on, a 1-2 px pen stroke would fade into the paper: widen it first
WIDEN_BY = 1.5  # ...by this many reduced pixels: a pen that skips leaves gaps the reduction would keep (a 2000 px
# phone photo with a thin pen, benchmarks/field_accuracy.py: 96.0% at 1.0, 97.0% at 1.5; photo_scenes.py unchanged)


@dataclass(frozen=True)
class Digit:
    """One digit in MNIST form, and where it was found (x, y, w, h in the input's pixels)."""

    image: np.ndarray
    box: tuple[int, int, int, int]


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
    shear: tuple[float, float] = (0.0, 0.0)  # a leaning number sheared upright (`leaning`): x' = x + a * y + b
    printed: bool = False  # a meter's counter (`windows`): its digits are printed one size, none written small

    def box(self, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) in the input's pixels of the work-size box (x0, y0, x1, y1)."""
        full_h, full_w = self.full
        a, b = self.shear
        if a:  # the box of the sheared box's corners, as they lay before the shear
            corners = (x0 - a * y0 - b, x0 - a * y1 - b, x1 - a * y0 - b, x1 - a * y1 - b)
            x0, x1 = min(corners), max(corners)
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
        return Digit(mnist_form.to_mnist(self.ink[y0:y1, x0:x1], self.mask[y0:y1, x0:x1]), self.box(x0, y0, x1, y1))


def prepare(img: np.ndarray, roi: tuple[int, int, int, int] | None = None) -> Page | None:
    """`img` (any dtype/channels) as ink and mask at the work size; None when it holds no ink. A reduced photo
    whose writing is small (`grouping.small_writing`) is prepared again from `img`'s pixels round the writing."""
    return _prepare(img, roi, closer=True)


def _prepare(img: np.ndarray, roi: tuple[int, int, int, int] | None, closer: bool) -> Page | None:
    """`prepare`; `closer`: a photo whose writing is small may be looked at again from closer."""
    if img.size > decode.MAX_PIXELS:
        raise ImageError(f"image of {img.size} values is above the {decode.MAX_PIXELS} limit")
    source, ox, oy = img, 0, 0
    if roi is not None:
        x, y, w, h = roi
        img = img[y : y + h, x : x + w]
        ox, oy = x, y
        if img.size == 0:
            return None
    gray = decode.to_gray(img)
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
    photo = not small and min(gray.shape) > grouping.LARGE
    bright = _bright_side(gray) if min(gray.shape) > SMALL_SIDE else None  # a picture in the model's form is no meter
    counter = None if bright is None else windows.counter(gray, bright)
    if counter is not None:  # a meter's counter, its digits in windows, now dark digits on paper
        gray, bright = counter, _bright_side(counter)
    if photo:
        on_desk = scene.sheet_on_desk(gray, bright)  # a blank note is no bold digit filling a crop
        photo = on_desk is not None or not _a_crop(gray, bright)
        gray = gray if on_desk is None else on_desk
    pad, paper_level = 0, None
    if not photo:
        gray, pad, paper_level = _pad_with_paper(gray)
    ink = paper.ink_image(gray, paper_level)
    if ink is None:
        return None
    mask = grouping.ink_mask(ink, photo)
    printed = frames.printed_lines(mask)  # comb boxes, a field's box (before ruling: it would take their long lines)
    if printed is not None:
        ink, mask = cv2.subtract(ink, ink, mask=printed, dst=ink.copy()), cv2.subtract(mask, printed)
    elif photo:
        ink, mask = ruling.without_ruling(ink, mask)
    near = grouping.small_writing(ink, factor) if photo and closer and factor >= grouping.ZOOM_FROM else None
    if near is not None:
        x0, y0, x1, y1 = (v * factor for v in near)
        return _prepare(source, (ox + x0, oy + y0, x1 - x0, y1 - y0), closer=False)
    page = Page(ink, mask, scale, pad, (ox, oy), img.shape[:2], photo, printed=counter is not None)
    rules = ruling.rules(mask)
    if not rules:
        return page
    taken = np.bitwise_or.reduce(rules)
    boxes = tuple(ruling.box_of(rule) for rule in rules)
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
    numbers with the model's help, `edgedigit.runtime.segment`); empty when there is none.

    Args:
        img: the picture, any dtype and channels (grey, BGR, BGRA).
        roi: (x, y, w, h) in `img`'s pixels to look in instead of the whole picture; the whole picture unless given.

    Returns:
        One `Digit` per group of ink: its 28x28 MNIST-form image (what `Classifier.predict_proba` takes) and its
        box in `img`'s pixels.

    Raises:
        ImageError: `img` holds more than `decode.MAX_PIXELS` values.

    Example:
        >>> import numpy as np
        >>> from edgedigit.runtime import find_digits
        >>> page = np.full((60, 100), 255, np.uint8)
        >>> page[15:45, 20:24] = page[15:45, 60:64] = 0  # two dark strokes on white paper
        >>> [(d.image.shape, d.box[0] < 30) for d in find_digits(page)]
        [((28, 28), True), ((28, 28), False)]
    """
    page = prepare(img, roi)
    return (
        [] if page is None else [page.digit(*group) for group in grouping.digit_groups(page.mask, page.photo, page.pad)]
    )


def _widen_ink(gray: np.ndarray, factor: int) -> np.ndarray:
    """Before a reduction by `factor` >= THIN_REDUCTION, strokes widened by about WIDEN_BY times `factor` px (grey
    erosion for dark ink, dilation for light ink), so a fine pen in a big photo keeps its contrast instead of being
    averaged into the paper. The ink's side is guessed from a sample of the pixels, as `paper.ink_image` does."""
    if factor < THIN_REDUCTION:
        return gray
    sample = gray[:: factor // 2, :: factor // 2]  # a small digit's ink in a big photo is a few hundred pixels
    top = paper.ink_top(sample.size)
    darkest, middle, brightest = paper.levels(paper.histogram(sample), (1 - top, 0.5, top))
    side = round(WIDEN_BY * factor) - 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    return cv2.erode(gray, kernel) if middle - darkest > brightest - middle else cv2.dilate(gray, kernel)


def _a_crop(gray: np.ndarray, bright: np.ndarray) -> bool:
    """Whether a picture large enough to be a photo (`gray`) is a crop of a digit after all, cut tightly round it or
    filled by a bold one: both judged on one Otsu split (`bright`), as this runs on every camera frame."""
    return _tight_crop(bright) or _bold_crop(gray, bright)


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
    if touching < TIGHT_SIDES or spread or runs > TIGHT_RUNS:
        return False
    return most < TIGHT_SIDE_INK or not _edge_beside_writing(mask)


def _edge_beside_writing(mask: np.ndarray) -> bool:
    """Whether every component of `mask` that touches the picture's sides lies along one of them (TIGHT_SIDE_INK of
    its length), beside writing TIGHT_WRITING of the picture high that touches none: the edge of a sheet, and the
    desk beyond it, along one side of a photo. A tightly cut digit reaches the sides itself."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    on_sides = set(paper.border(labels).tolist()) - {0}
    along_a_side = scene.along_a_side(labels, n, TIGHT_SIDE_INK)
    along = all(along_a_side[i] for i in on_sides)
    height = mask.shape[0]
    writing = any(stats[i, cv2.CC_STAT_HEIGHT] >= TIGHT_WRITING * height for i in range(1, n) if i not in on_sides)
    return along and writing


def _bold_crop(gray: np.ndarray, bright: np.ndarray) -> bool:
    """A bold digit filling most of a crop that has a margin of paper, to be read as a crop: read as a
    photo, whose paper is what covers most of it (its median), its ink would be taken for the paper. Dark
    ink: the dark side of the Otsu split (0 in `bright`) covers most of the picture but little of its border, and
    holds no ink much darker than itself (FIELD_INK: a form's tinted field with a digit written in it). Bright ink
    (chalk, a white marker on a dark label): the same the other way round, and no dark ink inside the bright,
    since a sheet on a dark desk is also bright within a dark border but holds writing (so a bold bright 0,
    6, 8 or 9, whose loop is dark inside, is still taken for a sheet)."""
    dark_share = 1 - cv2.countNonZero(bright) / bright.size
    border_dark = 1 - float(np.mean(paper.border(bright)))
    if dark_share > BOLD_INK and border_dark < BOLD_BORDER:
        dark = gray[bright == 0]
        return np.count_nonzero(dark < paper.median(dark) - FIELD_INK) < FIELD_SHARE * dark.size
    if 1 - dark_share <= BOLD_INK or 1 - border_dark >= BOLD_BORDER:
        return False
    n, labels = cv2.connectedComponents(1 - bright, connectivity=8)
    return len(set(labels.take(paper.border_index(*bright.shape)).tolist()) - {0}) == n - 1  # all dark reaches the edge


def _pad_with_paper(gray: np.ndarray) -> tuple[np.ndarray, int, int]:
    """A crop with a margin of its paper all round (the median of its border: a tight crop's ink touches
    the frame in places, not along most of it); returns the padded crop, the margin's width and the paper
    level. A crop whose border is all paper (MNIST's 28x28) already has its margin and is kept as it is."""
    border = paper.border(gray)
    level = paper.median(border)
    if int(border.max()) - level < paper.MIN_CONTRAST and level - int(border.min()) < paper.MIN_CONTRAST:
        return gray, 0, level
    pad = max(2, int(CROP_MARGIN * max(gray.shape)))
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=level), pad, level
