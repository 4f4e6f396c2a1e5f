"""One digit's ink -> the 28x28 picture the model reads, in MNIST's form: strokes brought to MNIST's width, the ink
fitted into a 20x20 box keeping its aspect, its centre of mass at the frame's centre.

Device code: numpy and OpenCV only; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

TARGET_STROKE = 2.4  # MNIST's median stroke width (2 * area / perimeter) in the 28x28 frame
THICKEN_BELOW = 1.0  # px: a stroke this much thinner than the target is thickened
THIN_ABOVE = 2.0  # a stroke this many times the target is thinned (2.5 left bold pens' 3s unread:
# benchmarks/field_accuracy.py, white on black bold 96.3 -> 97.3%, thick pens +0.3 pp, 16x16 bitmaps of a bold pen
# 93.7 -> 94.7%, USPS unchanged, letters read 6.0 -> 6.7%; eroding the whole excess read bold bitmaps at 89.3%)
BOX = 20
FRAME = 28


def minus(img: np.ndarray, level: int) -> np.ndarray:
    """img - level, saturated at 0 (cv2.subtract with a scalar costs twice as much on small images)."""
    return np.maximum(img, level) - level


def to_mnist(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One digit crop (ink bright) -> 28x28 uint8 in MNIST form."""
    ink = cv2.copyTo(ink, mask, ink >> 1)  # faint ink outside the mask keeps half its weight
    ink = minus(ink, _otsu(ink) // 2)
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
    if delta > THICKEN_BELOW:
        k = int(round(delta)) | 1
        return cv2.dilate(ink, ellipse(k))
    if width > THIN_ABOVE * target:
        k = int(round(-delta / 2)) | 1  # half the excess: erosion eats a bold digit's narrow parts first
        return cv2.erode(ink, ellipse(k))
    return ink


@functools.lru_cache(maxsize=32)
def ellipse(k: int) -> np.ndarray:
    """A round pen of side `k` px, for grey dilation and erosion (cached: the same few sizes recur)."""
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
