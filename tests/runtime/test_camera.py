"""`edgedigit classify --camera` driven by a generated video file as the camera."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest

from benchmarks.photos import photo
from edgedigit.runtime.camera import CameraOptions, run
from edgedigit.runtime.classifier import Classifier


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist):
    """12 frames of a blank page, 15 of a written 7, 15 of a written 2 (640x480, MJPG)."""
    path = tmp_path_factory.mktemp("cam") / "cam.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    assert writer.isOpened()
    blank = cv2.resize(photo([np.zeros((28, 28), np.uint8)], seed=0), (640, 480))
    seven = cv2.resize(photo([mnist.x_test[0]], seed=1), (640, 480))
    two = cv2.resize(photo([mnist.x_test[1]], seed=2), (640, 480))
    for frame in [blank] * 12 + [seven] * 15 + [two] * 15:
        writer.write(frame)
    writer.release()
    return path


def test_headless_prints_each_stable_reading_once(video):
    out = io.StringIO()
    frames = run(Classifier(), CameraOptions(source=str(video), stable=3), out=out)
    assert frames == 42
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["number"] for e in events] == ["7", "2"]
    for e in events:
        assert set(e) >= {"timestamp", "number", "confidence", "fps"} and e["fps"] > 0 and e["confidence"] >= 0.6


def test_max_frames_and_roi(video):
    out = io.StringIO()
    frames = run(Classifier(), CameraOptions(source=str(video), max_frames=20, roi=(0, 0, 100, 100)), out=out)
    assert frames == 20
    assert out.getvalue() == ""  # nothing but paper in the top-left corner


def test_a_region_outside_the_frames_is_said_once_not_silently_read_as_nothing(video, capsys):
    out = io.StringIO()
    frames = run(Classifier(), CameraOptions(source=str(video), max_frames=20, roi=(700, 0, 50, 50)), out=out)
    assert frames == 20 and out.getvalue() == ""  # a camera keeps running (a service must not die of it)
    warnings = capsys.readouterr().err.splitlines()
    assert warnings == ["edgedigit: warning: --roi 700,0,50,50 lies outside the camera's frames (640x480 pixels): "
                        "nothing is read"]  # fmt: skip


def test_show_draws_the_crops_the_model_saw_and_stops_on_q(video, monkeypatch):
    import edgedigit.runtime.camera as camera

    shown = []
    monkeypatch.setattr(camera.cv2, "imshow", lambda name, img: shown.append(img.copy()))
    monkeypatch.setattr(camera.cv2, "waitKey", lambda ms: ord("q") if len(shown) == 20 else -1)
    monkeypatch.setattr(camera.cv2, "destroyAllWindows", lambda: None)
    clf = Classifier()
    frames = run(clf, CameraOptions(source=str(video), show=True), out=io.StringIO())
    assert frames == 20 and len(shown) == 20  # q on the 20th frame ends the loop

    cap = cv2.VideoCapture(str(video))
    decoded = [cap.read()[1] for _ in range(20)]
    first, last = camera.read_digits(decoded[0], clf), camera.read_digits(decoded[-1], clf)
    assert first.crops == [] and last.number == "7" and len(last.crops) == 1
    inset = shown[-1][4 : 4 + 84, 640 - 88 : 640 - 4]
    expected = cv2.resize(last.crops[0], (84, 84), interpolation=cv2.INTER_NEAREST)
    assert all(np.array_equal(inset[..., c], expected) for c in range(3))  # the 28x28 input, drawn 3x
    assert not np.array_equal(shown[0][4 : 4 + 84, 640 - 88 : 640 - 4], inset)  # blank paper: no inset


def test_show_without_a_gui_is_one_clear_error(video, monkeypatch):
    import edgedigit.runtime.camera as camera
    from edgedigit.errors import UserError

    def no_gui(*_):
        raise cv2.error("The function is not implemented. Rebuild the library with GTK+ support")

    monkeypatch.setattr(camera.cv2, "imshow", no_gui)
    with pytest.raises(UserError, match="GUI support"):
        run(Classifier(), CameraOptions(source=str(video), show=True), out=io.StringIO())


def test_a_reading_is_reported_once_it_holds_and_cleared_once_it_has_gone():
    from edgedigit.runtime.camera import CLEARED, READING, Steady

    steady = Steady(3)
    frames = [None, "7", "7", "1", "7", "7", "7", "7", None, "7", None, None, None, "2", "2", "2", None, None, None]
    events = [(i, change, steady.previous) for i, n in enumerate(frames) if (change := steady.update(n))]
    # "7" holds from frame 4 to 6; a flicker of None or "1" neither reports nor clears; None holds from 10 to 12
    assert events == [(6, READING, None), (12, CLEARED, "7"), (15, READING, None), (18, CLEARED, "2")]
