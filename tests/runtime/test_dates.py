"""A date's slashes: read as 1s by the model, taken out of the number only where they part it as a date."""

from __future__ import annotations

import math

import cv2
import numpy as np

from edgedigit.runtime import dates
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import read_digits
from tests.conftest import ROOT


def _stroke(lean_degrees: float) -> np.ndarray:
    """A 28x28 picture of one straight stroke 20 px high, leaning forward this far."""
    img = np.zeros((28, 28), np.uint8)
    dx = 10 * np.tan(np.radians(lean_degrees))
    cv2.line(img, (round(14 - dx), 24), (round(14 + dx), 4), 255, 2, cv2.LINE_AA)
    return img


def test_two_leaning_strokes_are_slashes_only_where_they_part_a_date():
    slash, upright, ring = _stroke(35), _stroke(3), cv2.circle(np.zeros((28, 28), np.uint8), (14, 14), 8, 255, 3)
    # 1/23/45, read as 1 1 2 3 1 4 5 (a ring stands in for every digit but the 1s)
    images = [upright, slash, ring, ring, slash, ring, ring]
    assert dates.slashes(images, [1, 1, 2, 3, 1, 4, 5]) == (1, 4)
    assert dates.slashes(images, [1, 1, 2, 3, 7, 4, 5]) is None  # the second read as a 7: no date
    upright_second = images[:4] + [upright] + images[5:]
    assert dates.slashes(upright_second, [1, 1, 2, 3, 1, 4, 5]) is None  # an upright 1 is a 1
    assert dates.slashes([slash, slash, ring, ring, ring], [1, 1, 2, 3, 4]) is None  # no day before the first
    assert dates.slashes(images + [ring], [1, 1, 2, 3, 1, 4, 5, 6]) is None  # a year of three digits
    assert dates.slashes([ring, slash, ring, slash, ring, ring, ring, ring], [2, 1, 3, 1, 4, 5, 6, 7]) == (1, 3)
    assert dates.slashes([ring, slash, ring, ring, ring, ring], [2, 1, 3, 4, 5, 6]) is None  # one slash
    year_first = [ring] * 4 + [slash, ring, slash, ring, ring]  # 2026/5/12
    assert dates.slashes(year_first, [2, 0, 2, 6, 1, 5, 1, 1, 2]) == (4, 6)


def test_a_slash_drawn_20_degrees_from_upright_is_a_slash():
    """A slash drawn leaning 20 degrees, the least `number_sets` draws, measures a little less on a 28x28 crop's
    moments: the bar (`dates.SLASH_LEAN`, 18 degrees) leaves it room."""
    slash = np.zeros((28, 28), np.uint8)
    dx = 10 * math.tan(math.radians(19))  # drawn to a sixteenth of a pixel: the lean a 20 degree slash may measure
    cv2.line(slash, (round((14 - dx) * 16), 24 * 16), (round((14 + dx) * 16), 4 * 16), 255, 2, cv2.LINE_AA, 4)
    assert math.tan(math.radians(18)) < dates._slash_lean(slash) < math.tan(math.radians(20))
    ring = cv2.circle(np.zeros((28, 28), np.uint8), (14, 14), 8, 255, 3)
    images = [ring, slash, ring, ring, slash, ring, ring]  # 1/23/45 (rings for the other digits)
    assert dates.slashes(images, [1, 1, 2, 3, 1, 4, 5]) == (1, 4)


def test_a_date_written_with_slashes_is_read_with_them_as_separators(mnist, monkeypatch):
    """Dates drawn by hand from MNIST digits (benchmarks/number_sets.marked): the slashes are separators, left
    out of the number and kept with --keep-separators; taken as 1s, no date read right."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from number_sets import marked

    clf = Classifier()
    written = [n for n in marked(mnist.x_test, mnist.y_test, 40) if "/" in n.text]
    kept = [read_digits(n.image, clf, keep_separators=True) for n in written]
    right = [n for n, r in zip(written, kept) if r.number == n.text]
    assert len(right) >= 12  # 14 of 20 here
    plain = read_digits(right[0].image, clf)
    assert plain.number == right[0].digits and [s[1] for s in plain.separators] == ["/", "/"]
    assert [e["char"] for e in plain.to_json()["digits"] if e["kind"] == "separator"] == ["/", "/"]
    monkeypatch.setattr(dates, "slashes", lambda images, digits: None)
    assert sum(read_digits(n.image, clf).number == n.digits for n in written) <= 2  # 0 of 20
