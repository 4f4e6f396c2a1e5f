"""A number written leaning is read sheared upright, its boxes still where its digits are in the picture; strokes
standing straight and single digits are left as they are (edgedigit.runtime.leaning)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edgedigit.runtime import leaning, preprocess
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import read_digits
from tests.runtime.test_numbers import DIGIT_HEIGHT, DIGIT_TOP, _on_paper, _written


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()  # the bundled int8 model


def _frames(shear: float) -> np.ndarray:
    """Three open frames 60 px high and 24 wide, their sides leaning `shear` px per row (right positive), as a
    mask: pieces of ink that are not one straight stroke, whose upright steps are all on sides leaning so."""
    mask = np.zeros((100, 220), np.uint8)
    for x in (40, 100, 160):
        corners = [(x, 80), (x + 24, 80), (x + 24 + shear * 60, 20), (x + shear * 60, 20)]
        cv2.polylines(mask, [np.int32(np.round(corners))], True, 255, 4)
    return mask


def test_the_slant_of_strokes_is_how_far_they_lean():
    assert leaning.slant(_frames(0.0)) == pytest.approx(0.0, abs=0.02)
    assert leaning.slant(_frames(0.3)) == pytest.approx(0.3, abs=0.05)
    assert leaning.slant(_frames(-0.3)) == pytest.approx(-0.3, abs=0.05)
    assert leaning.slant(np.zeros((20, 20), np.uint8)) == 0.0


def test_a_straight_stroke_does_not_set_the_lean(monkeypatch):
    """A frame standing straight beside two long slashes leaning 0.7 px per row (a date's): the writing stands
    straight, though the slashes have more outline than the frame."""
    mask = _frames(0.0)
    mask[:, 90:] = 0
    for x in (100, 160):
        cv2.line(mask, (x, 85), (x + 49, 15), 255, 4)
    assert leaning.slant(mask) == pytest.approx(0.0, abs=0.02)
    monkeypatch.setattr(leaning, "STRAIGHT", 0.0)
    assert leaning.slant(mask) > 0.5


def test_strokes_standing_straight_or_leaning_as_mnist_does_are_not_sheared():
    assert leaning.shear_of(_frames(0.0)) == 0.0  # printed digits stand straight
    assert leaning.shear_of(_frames(0.2)) == 0.0  # MNIST's writers lean this much
    assert leaning.shear_of(_frames(0.45)) > 0.2
    assert leaning.shear_of(_frames(-0.3)) < -0.3


def _leaning_number(digits: list[np.ndarray], shear: float, seed: int) -> tuple[np.ndarray, list[float]]:
    """MNIST digits written close (a tenth of a width apart, `test_numbers._written`) and sheared `shear` px per row
    (italic when positive), dark on paper, and each digit's middle column as written."""
    canvas, middles = _written(digits, -0.1)
    # x' = x + shear * (bottom - y): the feet stay, the tops move right
    bottom = DIGIT_TOP + DIGIT_HEIGHT
    matrix = np.float32([[1, -shear, shear * bottom], [0, 1, 0]])
    canvas = cv2.warpAffine(canvas, matrix, canvas.shape[::-1])
    # a digit's middle row moves half its height's shear
    return _on_paper(canvas, seed), [m + shear * DIGIT_HEIGHT / 2 for m in middles]


def test_a_number_written_leaning_is_read_upright(mnist, clf, monkeypatch):
    """Four MNIST test digits written close and leaning 0.35 px per row overlap their neighbours' columns; read
    upright they stand apart again."""

    def read_all() -> int:
        read = 0
        for i in range(40):
            digits = mnist.x_test[4 * i : 4 * i + 4]
            picture, _ = _leaning_number(list(digits), 0.35, i)
            read += read_digits(picture, clf).number == "".join(map(str, mnist.y_test[4 * i : 4 * i + 4]))
        return read

    assert (upright := read_all()) >= 35  # 39 of 40 here (40 when the same digits are written upright)
    monkeypatch.setattr(leaning, "UPRIGHT", (-np.inf, np.inf))  # every page read as it stands
    assert read_all() <= upright - 4  # 33 of 40


def test_a_sheared_pages_boxes_are_where_its_digits_are_in_the_picture(mnist):
    for i, shear in enumerate((0.35, -0.35)):
        picture, middles = _leaning_number(list(mnist.x_test[20 + 4 * i : 24 + 4 * i]), shear, i)
        page = preprocess.prepare(picture)
        sheared = leaning.upright(page)
        assert sheared is not None and sheared.shear[0] * shear > 0
        _, _, stats, _ = cv2.connectedComponentsWithStats(sheared.mask)
        boxes = sorted(
            sheared.box(x, y, x + w, y + h) for x, y, w, h, _ in stats[1:].tolist() if h > DIGIT_HEIGHT * page.scale / 2
        )
        assert len(boxes) == 4
        for (x, y, w, h), middle in zip(boxes, middles):
            assert x < middle < x + w
            assert 30 <= y and y + h <= 130  # the digits lie in rows 40-120


def test_a_single_digit_leaning_is_read_as_it_stands(mnist, clf, monkeypatch):
    """One digit on its line is never sheared: the model reads it leaning as MNIST's writers wrote it."""
    calls = []
    monkeypatch.setattr(leaning, "upright", lambda page: calls.append(page))
    picture, _ = _leaning_number([mnist.x_test[0]], 0.4, 0)
    assert read_digits(picture, clf).number == str(mnist.y_test[0])
    assert calls == []
