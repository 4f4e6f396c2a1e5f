"""Slant normalization: one function shears the trainer's pictures and the device's upright alike."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgedigit.runtime.slant import MAX_SLANT, deskew, slant


def _stroke(top: tuple[int, int], bottom: tuple[int, int]) -> np.ndarray:
    img = np.zeros((28, 28), np.uint8)
    cv2.line(img, top, bottom, 255, 3, cv2.LINE_AA)
    return img


def test_a_leaning_stroke_stands_upright_about_its_centre_of_mass():
    leaning = _stroke((17, 5), (10, 22))  # a 1 written leaning right: x falls as y grows
    before, row = slant(leaning)
    assert before == pytest.approx(-7 / 17, abs=0.05)  # the thick, rounded ends weigh a little
    upright = deskew(leaning)
    after, row_after = slant(upright)
    assert abs(after) < 0.03 and row_after == pytest.approx(row, abs=0.3)

    def ink_columns(img: np.ndarray) -> int:
        return int(np.ptp(np.nonzero(img.max(axis=0) > 128)[0])) + 1

    assert ink_columns(upright) <= 7 < 12 <= ink_columns(leaning)  # one column of strokes now
    assert upright.sum() == pytest.approx(leaning.sum(), rel=0.05)  # sheared, not cut


def test_marks_with_no_slant_to_measure_pass_unchanged_and_a_batch_reads_as_its_pictures():
    blank, dash = np.zeros((28, 28), np.uint8), _stroke((6, 14), (21, 14))
    assert np.array_equal(deskew(blank), blank) and np.array_equal(deskew(dash), dash)
    lying = _stroke((4, 12), (23, 16))  # nearly flat: its slant would be huge, it is clipped
    assert abs(slant(lying)[0]) == MAX_SLANT
    batch = np.stack([blank, dash, lying, _stroke((17, 5), (10, 22))])
    assert np.array_equal(deskew(batch), np.stack([deskew(img) for img in batch]))


def test_mnist_digits_lose_their_slant(mnist):
    digits = mnist.x_test[:500]
    before = np.abs([slant(d)[0] for d in digits])
    after = np.abs([slant(d)[0] for d in deskew(digits)])
    assert before.mean() > 0.15 and after.mean() < 0.03
