import numpy as np
import pytest
import tensorflow as tf

from edgedigit.train.augment import SIDE, Distortion, _bilinear, random_distort
from edgedigit.train.fit import make_dataset


def test_zero_distortion_is_the_identity(mnist):
    x = mnist.x_train[:64]
    out = random_distort(tf.constant(x), Distortion().scaled(0.0)).numpy()
    assert out.dtype == np.uint8 and np.array_equal(out, x)


def test_sampling_shifts_exactly_and_fills_black_outside():
    img = np.arange(SIDE * SIDE, dtype=np.float32).reshape(1, SIDE, SIDE) % 200 + 50
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    out = _bilinear(tf.constant(img.astype(np.uint8)), tf.constant(xx[None] + 1), tf.constant(yy[None])).numpy()[0]
    assert np.array_equal(out[:, :-1], img[0, :, 1:].astype(np.uint8))  # every pixel comes from its right neighbour
    assert not out[:, -1].any()  # ...and the last column from outside the image
    half = _bilinear(tf.constant(img.astype(np.uint8)), tf.constant(xx[None] + 0.5), tf.constant(yy[None])).numpy()[0]
    assert np.abs(half[:, :-1].astype(float) - (img[0, :, :-1] + img[0, :, 1:]) / 2).max() <= 0.5


@pytest.mark.parametrize("elastic", [1.0, 2.0])
def test_elastic_distortion_moves_ink_but_keeps_it(mnist, elastic):
    x = mnist.x_train[:256]
    out = random_distort(tf.constant(x), Distortion(elastic_px=elastic).scaled(0.0), seed=3).numpy()
    changed = (out != x).mean()
    assert changed > 0.05  # the digits really are warped
    ink_ratio = out.astype(float).sum() / x.astype(float).sum()
    assert 0.85 < ink_ratio < 1.15  # a smooth warp moves strokes, it does not erase or invent them


def test_training_pipeline_applies_elastic_only_when_asked(mnist):
    x, y = mnist.x_train[:128], mnist.y_train[:128]
    plain = next(iter(make_dataset(x, y, 128, shuffle_seed=None)))[0].numpy()
    warped = next(iter(make_dataset(x, y, 128, shuffle_seed=None, elastic=1.5)))[0].numpy()
    assert np.array_equal(plain, x)
    assert warped.shape == x.shape and warped.dtype == np.uint8 and (warped != x).mean() > 0.05
