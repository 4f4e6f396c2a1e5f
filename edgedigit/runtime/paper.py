"""The paper and the ink of a picture: grey levels read off its histogram, which side of the paper the ink lies
on (darker or brighter), the paper's uneven lighting flattened, and the ink brought to full contrast.
Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from edgedigit.runtime import mnist_form

MIN_CONTRAST = 20  # ink must stand this many grey levels above the background (grey pencil on grey paper: ~35)
POLARITY_DOUBT = 2.0  # ink strays this much further from the paper level than the paper does: its side is clear
# (1.25 took faint grey ink 16 levels under the paper, whose lit corner was 22 above it, for bright ink:
# benchmarks/field_accuracy.py, faint grey on grey); in a photo where it does not, the paper's lighting decides...
LIGHTING_CLEAR = 3.0  # ...when, measured from it, one side strays this much further (faint pencil under a lighting
# gradient: 8-15x; a bold digit covering half the picture: under 2x, no verdict)
LIGHTING_FITS = 4  # refits of the paper's lighting plane: each drops the half of the pixels furthest from it
SHADOW_SHARE = 4  # a hard shadow's edge is followed by a median over 1/SHADOW_SHARE of the picture (at a quarter of
# its size), which a straight edge passes unchanged and strokes narrower than half of it do not...
SHADOW_CLEAR = 1.5  # ...and the ink's side is clear when, measured from it, one side strays this much further: a
# hard shadow over most of a photo is the paper's level, and the lit paper beside it strays above it as far as the
# ink below (benchmarks/photo_scenes.py, a hard shadow: 92.0% with the lighting plane alone, 96.5% with this)
LIT_SHARE = 0.2  # the brightest fifth of a photo lying more than LIT_REGION of its brightest pixels' stray above the
LIT_REGION = 0.5  # paper level, and a fifth of its border as bright, is a region, not ink: the lit paper beside a dark
# shadow over most of the photo (light x 0.4-0.55: it strayed up to 2.2 times as far as the ink, and half the digits
# under it were lost); a bold white digit on black covers a fifth of a photo too, but not of its border
BACKGROUND_SHARE = 2  # the lighting estimate removes ink narrower than 1/BACKGROUND_SHARE of the picture
INK_TOP = 0.999  # the ink's levels: the darkest and the brightest this share of the picture...
INK_LEAST = 8  # ...or its darkest and brightest this many pixels, if fewer: the ink of a small digit in a big
# photo (11 work px high in a 1600x1200 photo, 0.08% of its pixels) sets the polarity, not the paper's lit corner...
PEAK_SHARE = 0.5  # ...and full contrast is at least this share of that ink's level, not the paper's noise
CALC_HIST_FROM = 4096  # pixels: numpy's bincount is faster below (28x28: 3 us against 7), OpenCV's above (640x480:
# 0.2 ms against 0.66)...
FLOAT32_EXACT = 1 << 24  # ...up to the pixels whose counts OpenCV's float32 bins hold exactly


def ink_image(gray: np.ndarray, crop_paper: int | None) -> np.ndarray | None:
    """Ink bright on a flattened black background, or None for a blank image. `crop_paper`: the paper
    level of a crop (its border's, found when padding it); None for a photo."""
    tiny = min(gray.shape) < 48  # too small to estimate lighting: the paper level is subtracted instead
    hist = histogram(gray)
    top = ink_top(gray.size)
    # the levels of the negative image come from the same search, so small images need only one
    extremes = (1 - top, top, 0.5, 0.1, INK_TOP, 1 - LIT_SHARE)
    darkest, brightest, middle, low, hi, lit, neg_low, neg_hi = levels(hist, extremes, (0.1, INK_TOP))
    # the paper level: in a photo, what covers most of it (its border may be the desk around the sheet);
    # in a crop, its border, which is the paper it was padded with
    paper = middle if crop_paper is None else crop_paper
    photo = crop_paper is None
    below, above = paper - darkest, brightest - paper
    if _dark_ink(gray, below, above, photo, photo and _lit_region(gray, paper, below, above, lit)):
        gray, paper, low, hi = cv2.bitwise_not(gray), 255 - paper, neg_low, neg_hi
    if tiny:  # the levels shift with the subtracted paper
        gray = mnist_form.minus(gray, paper)
        low, hi = max(low - paper, 0), max(hi - paper, 0)
    else:
        opened = _opened(gray)
        flat = cv2.subtract(gray, _background(opened, gray.shape))
        low, hi, peak = levels(histogram(flat), (0.1, INK_TOP, top))
        if hi < PEAK_SHARE * peak:  # ink on under INK_TOP of a photo: what rises along its border would be ink
            flat = cv2.subtract(gray, _background(opened, gray.shape, border_plane=True))
            low, hi, peak = levels(histogram(flat), (0.1, INK_TOP, top))
        gray, hi = flat, max(hi, round(PEAK_SHARE * peak))
    if hi - low < MIN_CONTRAST:
        return None
    return cv2.convertScaleAbs(gray, alpha=255.0 / max(hi, 1))


def ink_top(pixels: int) -> float:
    """The quantile of a picture of `pixels` pixels past which its extreme levels lie: INK_TOP, or where only
    INK_LEAST pixels lie beyond it (the ink of a small digit in a big photo is a smaller share of it)."""
    return max(INK_TOP, 1 - INK_LEAST / pixels)


def _lit_region(gray: np.ndarray, paper: int, below: int, above: int, lit: int) -> bool:
    """Whether a photo's bright side is a region, not strokes: it strays further from the `paper` level than the dark
    side, its brightest LIT_SHARE (from `lit` up) lies LIT_REGION of the way up, and it covers LIT_SHARE of the
    picture's border (the lit paper beyond a shadow's edge reaches the frame; a bold white digit does not)."""
    if above <= below or lit - paper <= LIT_REGION * above:
        return False
    lit_border = border(gray) > paper + LIT_REGION * above
    return np.count_nonzero(lit_border) >= LIT_SHARE * lit_border.size


def _dark_ink(gray: np.ndarray, below: int, above: int, photo: bool, lit_region: bool = False) -> bool:
    """Whether the ink is darker than the paper: the darkest pixels stray further below the paper level
    than the brightest stray above it. In a photo, when the two are within POLARITY_DOUBT of each other
    (faint ink on unevenly lit paper, whose bright corner strays as far as the ink), the strays are
    measured from the lighting instead, a plane fitted to the paper (`_lighting`), when that is clearer, or from a
    median that follows a hard shadow's edge (SHADOW_CLEAR).
    A crop's paper level is its border's, which no lighting fit would improve on. A `lit_region` (`_lit_region`:
    the lit paper beside a dark shadow) is no clear verdict however far it strays."""
    if not photo or (max(below, above) > POLARITY_DOUBT * max(min(below, above), 1) and not lit_region):
        return below > above
    h, w = gray.shape
    small = cv2.resize(gray, (max(2, w // 4), max(2, h // 4)), interpolation=cv2.INTER_AREA).astype(np.float32)
    for lighting, clear in ((_lighting, LIGHTING_CLEAR), (_shadowed, SHADOW_CLEAR)):  # the median only if needed
        lo, hi = np.percentile(small - lighting(small), (0.5, 99.5))
        if max(-lo, hi) > clear * max(min(-lo, hi), 1):
            return -lo > hi
    return below > above  # a bold digit covering half the picture: neither fit is clearer


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


def _opened(gray: np.ndarray) -> np.ndarray:
    """The paper's uneven lighting at a quarter of the size: the ink removed by a grey opening whose side is
    1/BACKGROUND_SHARE of the smaller side (at least 5 px)."""
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = _opening_side(small.shape)
    return cv2.morphologyEx(small, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))


def _shadowed(small: np.ndarray) -> np.ndarray:
    """The lighting of a small picture (float32) as a median over 1/SHADOW_SHARE of its smaller side (odd, at least
    3 px): it follows a hard shadow's straight edge, not the strokes."""
    return cv2.medianBlur(small.astype(np.uint8), max(3, (min(small.shape) // SHADOW_SHARE) | 1))


def _opening_side(shape: tuple[int, int]) -> int:
    return max(5, (min(shape) // BACKGROUND_SHARE) | 1)


def _background(opened: np.ndarray, shape: tuple[int, int], border_plane: bool = False) -> np.ndarray:
    """The lighting `_opened` estimated, at the picture's `shape`. With `border_plane`, within half the opening's
    width of the border, where the opening cannot follow lighting that rises towards the border (its window holds
    none of the rise), it is at least the plane that fits it inside (not always: on lined paper the ruling's ends
    faded there and went unfound, photo scenes -2.5 pp)."""
    edge = _opening_side(opened.shape) // 2
    if border_plane and min(opened.shape) > 2 * edge + 1:
        inside = opened[edge:-edge, edge:-edge]
        raised = np.maximum(opened, _plane(inside, edge, opened.shape))
        raised[edge:-edge, edge:-edge] = inside
        opened = raised
    return cv2.resize(opened, shape[::-1], interpolation=cv2.INTER_LINEAR)


def _plane(inner: np.ndarray, offset: int, shape: tuple[int, int]) -> np.ndarray:
    """The least-squares plane through `inner` (a block `offset` pixels in from the corner of a picture of
    `shape`), over the whole picture as uint8. On a full grid the slopes are those of the row and column means."""
    rows, cols = inner.mean(axis=1, dtype=np.float32), inner.mean(axis=0, dtype=np.float32)
    y, x = np.arange(len(rows), dtype=np.float32), np.arange(len(cols), dtype=np.float32)
    slope_y = float(np.dot(y - y.mean(), rows - rows.mean()) / max(float(np.dot(y - y.mean(), y - y.mean())), 1.0))
    slope_x = float(np.dot(x - x.mean(), cols - cols.mean()) / max(float(np.dot(x - x.mean(), x - x.mean())), 1.0))
    yy = (np.arange(shape[0], dtype=np.float32) - offset - y.mean()) * slope_y
    xx = (np.arange(shape[1], dtype=np.float32) - offset - x.mean()) * slope_x
    return np.clip(float(rows.mean()) + yy[:, None] + xx[None, :], 0, 255).astype(np.uint8)


def histogram(gray: np.ndarray) -> np.ndarray:
    """Counts of each of the 256 grey levels of a uint8 picture (OpenCV's counting from CALC_HIST_FROM pixels up to
    FLOAT32_EXACT, numpy's outside that range)."""
    if not CALC_HIST_FROM <= gray.size < FLOAT32_EXACT:
        return np.bincount(gray.ravel(), minlength=256)
    return cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel().astype(np.int64)


def levels(hist: np.ndarray, fractions: tuple[float, ...], negative: tuple[float, ...] = ()) -> list[int]:
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


def median(values: np.ndarray) -> int:
    return int(np.partition(values, len(values) // 2)[len(values) // 2])


def border(gray: np.ndarray) -> np.ndarray:
    return gray.take(border_index(*gray.shape))


@functools.lru_cache(maxsize=32)
def border_index(h: int, w: int) -> np.ndarray:
    """Flat indices of the first and last row and column: one gather instead of four slices."""
    rows, cols = np.arange(w), np.arange(h) * w
    index = np.concatenate([rows, rows + (h - 1) * w, cols, cols + w - 1])
    index.flags.writeable = False  # shared by every call through the cache
    return index
