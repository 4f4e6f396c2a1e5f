"""Random distortion of MNIST batches (affine and elastic) for training only.

It runs in the tf.data pipeline, never inside the model, so exported models carry no
training-only ops. Each output pixel is traced back through a random affine map (rotation,
scale, shear, shift) plus a smooth random displacement field (elastic distortion, as in Simard
et al. 2003) and sampled bilinearly, all in one pass, which keeps 50 augmented epochs
affordable on a 2-core CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf

SIDE = 28
FIELD_GRID = 4  # the elastic field is random on a 4x4 grid, upsampled smoothly to 28x28


@dataclass(frozen=True)
class Distortion:
    """Maximum affine distortions at strength 1.0 (`scaled` multiplies them) and the elastic amplitude.

    `elastic_px` is the standard deviation, in pixels, of the smooth displacement field.
    """

    rotation_deg: float = 12.0
    scale: float = 0.12
    shear: float = 0.15
    shift_px: float = 2.5
    elastic_px: float = 0.0

    def scaled(self, strength: float) -> Distortion:
        return Distortion(
            self.rotation_deg * strength,
            self.scale * strength,
            self.shear * strength,
            self.shift_px * strength,
            self.elastic_px,
        )


def random_distort(images: tf.Tensor, d: Distortion, seed: int | None = None) -> tf.Tensor:
    """Distort a uint8 batch (N, 28, 28) about the image centre; returns uint8 of the same shape."""
    n = tf.shape(images)[0]
    gen = tf.random.uniform
    angle = gen([n], -1.0, 1.0, seed=seed) * (d.rotation_deg * math.pi / 180.0)
    zoom = 1.0 + gen([n], -1.0, 1.0, seed=seed) * d.scale
    shear = gen([n], -1.0, 1.0, seed=seed) * d.shear
    tx = gen([n], -1.0, 1.0, seed=seed) * d.shift_px
    ty = gen([n], -1.0, 1.0, seed=seed) * d.shift_px

    # Output -> input mapping: inverse of (rotate * shear * zoom) about the centre, then the shift.
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    c = (SIDE - 1) / 2.0
    yy, xx = tf.meshgrid(tf.range(SIDE, dtype=tf.float32) - c, tf.range(SIDE, dtype=tf.float32) - c, indexing="ij")

    def per_image(v: tf.Tensor) -> tf.Tensor:
        return v[:, None, None]

    src_x = per_image(cos) * xx + per_image(-sin + shear * cos) * yy + c - per_image(tx)
    src_y = per_image(sin) * xx + per_image(cos + shear * sin) * yy + c - per_image(ty)
    if d.elastic_px > 0:
        coarse = tf.random.normal([n, FIELD_GRID, FIELD_GRID, 2], stddev=d.elastic_px, seed=seed)
        field = tf.image.resize(coarse, [SIDE, SIDE], method="bicubic")
        src_x += field[..., 0]
        src_y += field[..., 1]
    return _bilinear(images, src_x, src_y)


def _bilinear(images: tf.Tensor, src_x: tf.Tensor, src_y: tf.Tensor) -> tf.Tensor:
    """Sample each image at (src_x, src_y) per output pixel; outside the image is black."""
    n = tf.shape(images)[0]
    padded_side = SIDE + 3  # one black row/column before, two after: every 2x2 neighbourhood is in range
    flat = tf.reshape(tf.pad(tf.cast(images, tf.float32), [[0, 0], [1, 2], [1, 2]]), [-1])
    src_x, src_y = tf.clip_by_value(src_x, -1.0, float(SIDE)), tf.clip_by_value(src_y, -1.0, float(SIDE))
    x0, y0 = tf.floor(src_x), tf.floor(src_y)
    wx, wy = src_x - x0, src_y - y0
    xi, yi = tf.cast(x0, tf.int32) + 1, tf.cast(y0, tf.int32) + 1
    idx = tf.range(n)[:, None, None] * padded_side * padded_side + yi * padded_side + xi
    top = tf.gather(flat, idx) * (1.0 - wx) + tf.gather(flat, idx + 1) * wx
    bottom = tf.gather(flat, idx + padded_side) * (1.0 - wx) + tf.gather(flat, idx + padded_side + 1) * wx
    out = top * (1.0 - wy) + bottom * wy
    return tf.cast(tf.clip_by_value(tf.round(out), 0.0, 255.0), tf.uint8)
