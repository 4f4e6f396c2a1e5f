"""A meter's counter, light printed digits in dark windows on a lighter face, is read as a number; pictures that
only look like it (dark writing, a bold dark 0, white writing on its dark ground, a tinted field) are left as they
are (edgedigit.runtime.windows)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.photos import photo, tinted
from edgedigit.runtime import preprocess, windows
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import read_digits


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()  # the bundled int8 model


def _turned(gray: np.ndarray) -> np.ndarray | None:
    return windows.turned(gray, preprocess._bright_side(gray))


def test_a_window_is_turned_inside_out_and_its_frame_and_ground_become_the_face():
    """Two windows whose frames join them into one dark component, enclosing a strip of the face between them, a
    white 7 in each: the dark ground, the frames and that strip become the face's level, the 7s dark ink."""
    face = np.full((120, 260), 200, np.uint8)
    cv2.line(face, (56, 27), (194, 27), 90, 3)  # the frames' top and bottom, one line across both windows
    cv2.line(face, (56, 93), (194, 93), 90, 3)
    for x in (60, 132):
        cv2.line(face, (x - 3, 27), (x - 3, 93), 90, 3)  # each window's sides
        cv2.line(face, (x + 62, 27), (x + 62, 93), 90, 3)
        cv2.rectangle(face, (x, 30), (x + 59, 90), 25, -1)
        cv2.putText(face, "7", (x + 15, 78), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 235, 5, cv2.LINE_AA)
    assert (face[60, 125:127] == 200).all()  # the strip of face between the two windows' sides
    out = _turned(face)
    assert out is not None
    assert out[35, 65] > 180 and out[35, 137] > 180 and out[60, 122] > 180  # the ground, a frame: paper now
    assert (out[40:80, 125:127] > 180).all()  # the enclosed strip of face: paper, not a dark divider read as a 1
    for x in (60, 132):
        inner = (slice(36, 85), slice(x + 4, x + 56))  # inside the window, away from its rim
        seven, ink = face[inner] > 130, out[inner] < 110
        assert seven.sum() > 300 and np.mean(seven == ink) > 0.98  # the 7, and only it, is ink


@pytest.mark.parametrize("kind", ["dark writing", "bold dark 0", "bold dark 00", "white on black", "tinted field"])
def test_what_only_looks_like_a_window_is_left_alone(mnist, kind):
    """Dark digits on paper, a bold dark 0 filling its crop (one light hole in it), two bold dark 0s side by side
    (their outlines round), a white digit on its dark ground (which meets the border all round), digits in a form's
    tinted field (darker still than it)."""
    digit = mnist.x_test[int(np.flatnonzero(mnist.y_test == 3)[0])]
    if kind == "dark writing":
        gray = cv2.cvtColor(photo([digit], seed=1), cv2.COLOR_BGR2GRAY)
    elif kind == "bold dark 0":  # boxy, filling its crop: one light hole (a window must hold digits side by side)
        gray = np.full((120, 100), 220, np.uint8)
        cv2.rectangle(gray, (20, 20), (80, 100), 30, 16)
    elif kind == "bold dark 00":  # two ovals written with a marker: round outlines
        gray = np.full((120, 200), 220, np.uint8)
        for x in (50, 150):
            cv2.ellipse(gray, (x, 60), (38, 52), 0, 0, 360, 30, 22)
    elif kind == "white on black":
        gray = cv2.resize(digit, (112, 112), interpolation=cv2.INTER_CUBIC)
    else:
        gray = cv2.cvtColor(tinted([digit], seed=3), cv2.COLOR_BGR2GRAY)
    assert _turned(gray) is None


@pytest.mark.parametrize(("lit", "least", "most_before"), [(False, 18, 5), (True, 16, 8)])
def test_meters_counters_are_read(clf, monkeypatch, lit, least, most_before):
    """`number_sets.counters` (4 to 8 printed digits on dark drums, photographed with the meter's face or cut out with
    a little of it): 19 of 20 read here, and 1 without turning the windows (the face taken for the paper, each window
    for a blot of ink). Dark digits on light drums behind a dark panel (`lit`): 18 of 20 here, 3 with the panel left
    (taken for the paper, the drums for bright ink)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))  # as the scripts run
    from number_sets import counters

    meters = counters(20, seed=7, lit=lit)
    right = sum(read_digits(m.image, clf).number == m.digits for m in meters)
    monkeypatch.setattr(windows, "counter", lambda gray, bright: None)
    before = sum(read_digits(m.image, clf).number == m.digits for m in meters)
    assert right >= least and before <= most_before, (right, before)
