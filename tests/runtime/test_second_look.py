"""The second look at a doubtful digit: its picture read again shifted 2 px each way and upright, averaged."""

from __future__ import annotations

import numpy as np

from benchmarks.field_sets import DRAWN, drawn, non_digit
from edgedigit.runtime import second_look, slant
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.preprocess import find_digits
from edgedigit.runtime.reader import read_digits


class _Shifted:
    """A classifier stand-in that reads every picture as a sure 3 and keeps what it was given."""

    def __init__(self, deskew: bool = False) -> None:
        self.seen: list[np.ndarray] = []
        self.deskew = deskew

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        self.seen.append(images)
        return np.tile(np.eye(10, dtype=np.float32)[3], (len(images), 1))


def test_only_a_doubtful_reading_is_averaged_with_its_shifted_and_upright_pictures():
    images = [np.zeros((28, 28), np.uint8) for _ in range(3)]
    for row in range(8, 20):  # a stroke leaning right
        images[1][row, 18 - row // 2 : 21 - row // 2] = 255
    probs = np.full((3, 10), 0.01, np.float32)
    probs[0, 7], probs[1, 5], probs[2, 1] = 0.999, 0.5, second_look.SURE  # only the second is doubtful
    stub = _Shifted()
    out = second_look.steadied(images, probs, stub)
    views = len(second_look.SHIFTS) + 1
    assert len(stub.seen) == 1 and stub.seen[0].shape == (views, 28, 28)
    (dx, dy), moved = second_look.SHIFTS[0], stub.seen[0][0]
    assert np.array_equal(moved, np.roll(images[1], (dy, dx), axis=(0, 1))) and not np.array_equal(moved, images[1])
    upright = stub.seen[0][-1]
    assert np.array_equal(upright, slant.deskew(images[1])) and not np.array_equal(upright, images[1])
    assert np.allclose(out[1], (probs[1] + views * np.eye(10)[3]) / (1 + views))
    assert np.array_equal(out[[0, 2]], probs[[0, 2]])
    assert np.array_equal(second_look.steadied([images[0]], probs[[0]], None), probs[[0]])  # no classifier needed


def test_a_model_that_deskews_its_input_gets_the_shifted_pictures_only():
    """Such a model shears every picture upright itself: an upright view would read the picture as it is again."""
    image = np.zeros((28, 28), np.uint8)
    for row in range(8, 20):
        image[row, 18 - row // 2 : 21 - row // 2] = 255
    probs = np.full((1, 10), 0.05, np.float32)
    probs[0, 5] = 0.55
    stub = _Shifted(deskew=True)
    out = second_look.steadied([image], probs, stub)
    assert stub.seen[0].shape == (len(second_look.SHIFTS), 28, 28)
    assert not any(np.array_equal(view, slant.deskew(image)) for view in stub.seen[0])
    n = 1 + len(second_look.SHIFTS)
    assert np.allclose(out[0], (probs[0] + (n - 1) * np.eye(10)[3]) / n)


def test_a_second_look_reads_mnist_no_worse_and_scribbles_less_surely(mnist):
    """With the bundled model: MNIST test digits are read at least as well, and what it reads in scribbles
    (a long pen walk crossing itself) is less sure once shifted."""
    clf = Classifier()
    x, y = mnist.x_test[:3000], mnist.y_test[:3000]
    first = clf.predict_proba(x)
    again = second_look.steadied(list(x), first, clf)
    assert (again.argmax(1) == y).sum() >= (first.argmax(1) == y).sum()  # 2,970 and 2,969 here
    rng = np.random.default_rng(0)
    scribbles = np.array([f[0].image for f in (find_digits(non_digit("scribble", rng)) for _ in range(200)) if f])
    first = clf.predict_proba(scribbles)
    again = second_look.steadied(list(scribbles), first, clf)
    assert again.max(axis=1).mean() <= first.max(axis=1).mean() - 0.005  # 0.393 -> 0.383 here


def test_a_leaning_flagged_one_is_read_as_a_one_more_often_with_the_upright_view(monkeypatch):
    """With the bundled model: European 1s with a long flag, written leaning, read as 1 more often when the
    doubtful ones are also read sheared upright than with the shifts alone."""
    clf = Classifier()
    _, strokes = DRAWN["1 with long flag, leaning"]
    rng = np.random.default_rng(3)
    pictures = [drawn(strokes, rng) for _ in range(300)]
    ones = sum(read_digits(p, clf).digits == [1] for p in pictures)
    views = second_look._views
    monkeypatch.setattr(second_look, "_views", lambda image, upright: views(image, upright=False))  # shifts alone
    without = sum(read_digits(p, clf).digits == [1] for p in pictures)
    assert ones >= without + 5  # 254 and 248 here (244 and 231 with session 15's model)
