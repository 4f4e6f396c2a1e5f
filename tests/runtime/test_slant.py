"""Slant normalization: one function shears the trainer's pictures and the device's upright alike."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgedigit.runtime.slant import MAX_GAIN, MAX_SLANT, deskew, normalize_moments, slant


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


def _ink_box(img: np.ndarray) -> tuple[int, int]:
    """Width and height of the columns and rows holding ink."""
    cols, rows = np.nonzero(img.max(axis=0) > 64)[0], np.nonzero(img.max(axis=1) > 64)[0]
    return int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1


def test_moment_normalization_sizes_by_spread_evens_aspect_and_centres_the_ink():
    small_flat = np.zeros((28, 28), np.uint8)
    cv2.ellipse(small_flat, (9, 20), (6, 3), 0, 0, 360, 255, 2)  # a small flat 0 low on the left
    big_round = np.zeros((28, 28), np.uint8)
    cv2.ellipse(big_round, (14, 14), (9, 9), 0, 0, 360, 255, 2)
    a, b = normalize_moments(small_flat), normalize_moments(big_round)
    for img in (a, b):
        m = cv2.moments(img)
        assert (m["m10"] / m["m00"], m["m01"] / m["m00"]) == pytest.approx((13.5, 13.5), abs=0.3)
    (w0, h0), (wa, ha), (wb, hb) = _ink_box(small_flat), _ink_box(a), _ink_box(b)
    assert wa >= 1.4 * w0 and ha >= 2 * h0  # sized by its spread: the small 0 grows to a standard size
    assert h0 / w0 <= 0.6 and ha / wa > 0.75  # far less flat, though not made round
    assert abs(wa - wb) <= 0.25 * wb and abs(hb - wb) <= 2  # about as big as a round 0 of that size


def test_moment_normalization_keeps_a_1_narrower_than_a_0_and_stands_it_upright():
    one, zero = _stroke((17, 5), (10, 22)), np.zeros((28, 28), np.uint8)
    cv2.ellipse(zero, (14, 14), (6, 9), 0, 0, 360, 255, 2)
    n1, n0 = normalize_moments(one), normalize_moments(zero)
    assert abs(slant(n1)[0]) < 0.05  # upright, as deskew makes it
    assert _ink_box(n1)[0] < _ink_box(n0)[0]  # the aspect is evened out, not erased
    assert _ink_box(n1)[0] <= MAX_GAIN * _ink_box(deskew(one))[0] + 2  # a thin stroke widens MAX_GAIN times at most


def test_moment_normalization_passes_a_blank_and_reads_a_batch_as_its_pictures():
    blank = np.zeros((28, 28), np.uint8)
    assert np.array_equal(normalize_moments(blank), blank)
    batch = np.stack([blank, _stroke((17, 5), (10, 22)), _stroke((6, 14), (21, 14))])
    assert np.array_equal(normalize_moments(batch), np.stack([normalize_moments(img) for img in batch]))
