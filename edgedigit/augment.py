"""Random affine distortion of MNIST batches (rotation, scale, shear, shift) for training only.

It runs in the tf.data pipeline, never inside the model, so exported models carry no
training-only ops. One projective transform per image does all four distortions in a single
resampling pass, which is what keeps 30+ augmented epochs affordable on a 2-core CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class AffineRanges:
    """Maximum distortions at strength 1.0; `scaled` multiplies them all."""

    rotation_deg: float = 12.0
    scale: float = 0.12
    shear: float = 0.15
    shift_px: float = 2.5

    def scaled(self, strength: float) -> AffineRanges:
        return AffineRanges(
            self.rotation_deg * strength,
            self.scale * strength,
            self.shear * strength,
            self.shift_px * strength,
        )


def random_affine(images: tf.Tensor, ranges: AffineRanges, seed: int | None = None) -> tf.Tensor:
    """Distort a uint8 batch (N, 28, 28) about the image centre; returns uint8 of the same shape."""
    n = tf.shape(images)[0]
    gen = tf.random.uniform
    angle = gen([n], -1.0, 1.0, seed=seed) * (ranges.rotation_deg * math.pi / 180.0)
    zoom = 1.0 + gen([n], -1.0, 1.0, seed=seed) * ranges.scale
    shear = gen([n], -1.0, 1.0, seed=seed) * ranges.shear
    tx = gen([n], -1.0, 1.0, seed=seed) * ranges.shift_px
    ty = gen([n], -1.0, 1.0, seed=seed) * ranges.shift_px

    # Output->input mapping: inverse of (rotate * shear * zoom), about the centre (13.5, 13.5).
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    a0, a1 = cos, -sin + shear * cos
    b0, b1 = sin, cos + shear * sin
    c = 13.5
    a2 = c - a0 * c - a1 * c - tx
    b2 = c - b0 * c - b1 * c - ty
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)

    batch = tf.cast(images[..., None], tf.float32)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=batch,
        transforms=transforms,
        output_shape=tf.constant([28, 28], tf.int32),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return tf.cast(tf.clip_by_value(tf.round(out[..., 0]), 0.0, 255.0), tf.uint8)
