"""Slant normalization (deskewing): one function for the trainer's pictures and the device's.

A digit written leaning is sheared upright about its centre of mass, by the slant its second-order
moments give (mu11 / mu02: how far x moves per row of y). The trainer calls it on every batch a model
made with `deskew` sees; the classifier calls it on every picture it feeds such a model, as the model's
manifest says. Only numpy and OpenCV: the device imports this.
"""

from __future__ import annotations

import cv2
import numpy as np

SIDE = 28
MAX_SLANT = 1.0  # 45 degrees: beyond that a shape is a stroke lying down (a dash), not a leaning digit
MIN_SPREAD = 1.0  # mu02 per unit of ink under one pixel squared: a flat mark has no slant to measure


def slant(image: np.ndarray) -> tuple[float, float]:
    """A 28x28 picture's slant (x shift per row of y, clipped to MAX_SLANT; 0 for a blank or flat mark) and
    its centre-of-mass row."""
    m = cv2.moments(image)
    mass = m["m00"]
    if mass <= 0:
        return 0.0, (SIDE - 1) / 2
    if m["mu02"] <= MIN_SPREAD * mass:
        return 0.0, m["m01"] / mass
    return max(-MAX_SLANT, min(MAX_SLANT, m["mu11"] / m["mu02"])), m["m01"] / mass  # np.clip: 5 us a scalar


def deskew(images: np.ndarray) -> np.ndarray:
    """Uint8 pictures (N, 28, 28), or one (28, 28), sheared upright about their centre of mass."""
    images = np.asarray(images)
    single = images.ndim == 2
    batch = images[None] if single else images
    out = np.empty_like(batch)
    for i, image in enumerate(batch):
        s, row = slant(image)
        if s == 0.0:
            out[i] = image
            continue
        # WARP_INVERSE_MAP: output (x, y) samples input (x + s * (y - row), y): rows shift about the centre
        shear = np.array([[1.0, s, -s * row], [0.0, 1.0, 0.0]], np.float32)
        cv2.warpAffine(image, shear, (SIDE, SIDE), dst=out[i], flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return out[0] if single else out
