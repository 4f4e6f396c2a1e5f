"""`--camera picam` through picamera2, driven by a stand-in module with picamera2's API (tests/fakes): the
source asks for 640x480 YUV420 and reads the luma plane, reads digits, is reopened when the camera drops,
and says how to install picamera2 where it is missing. Not a real Pi camera: see the README."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from benchmarks.photos import photo
from edgedigit.errors import UserError
from edgedigit.runtime import picam
from edgedigit.runtime.camera import CameraOptions, run
from edgedigit.runtime.classifier import Classifier
from tests.conftest import ROOT


@pytest.fixture
def fake(monkeypatch, mnist):
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "fakes"))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    import picamera2

    grey = [cv2.cvtColor(cv2.resize(photo([d], seed=i), (640, 480)), cv2.COLOR_BGR2GRAY)
            for i, d in enumerate([np.zeros((28, 28), np.uint8), mnist.x_test[0], mnist.x_test[1]])]  # fmt: skip
    camera = picamera2.Picamera2
    for name, value in (("scenes", grey), ("calls", []), ("captured", 0), ("fail_at", []), ("hold", 10)):
        monkeypatch.setattr(camera, name, value)
    yield camera
    sys.modules.pop("picamera2", None)


def test_picam_reads_digits_from_the_luma_plane(fake):
    out, shapes = io.StringIO(), []
    frames = run(Classifier(), CameraOptions(source="picam", max_frames=30, stable=3), out=out,
                 on_frame=lambda frame, reading: shapes.append(frame.shape))  # fmt: skip
    assert frames == 30 and set(shapes) == {(480, 640)}
    assert [json.loads(line)["number"] for line in out.getvalue().splitlines()] == ["7", "2"]
    assert fake.calls[:3] == [("open", 0), ("configure", (640, 480), "YUV420"), ("start",)]
    assert fake.calls[-2:] == [("stop",), ("close",)]
    assert picam.cameras() == ["picam:0"]


def test_a_dropped_picam_is_reopened(fake, capsys):
    fake.fail_at = [15]
    out = io.StringIO()
    run(Classifier(), CameraOptions(source="picam:0", max_frames=28, stable=3, retry_max=0.1), out=out)
    assert [json.loads(line)["number"] for line in out.getvalue().splitlines()] == ["7", "2"]
    assert [c for c in fake.calls if c[0] == "open"] == [("open", 0), ("open", 0)]
    err = capsys.readouterr().err
    assert "camera 'picam:0' dropped; reopening" in err and err.count("back after") == 1


def test_a_camera_number_libcamera_does_not_see_is_one_clear_error(fake):
    with pytest.raises(UserError, match="libcamera sees no camera 1"):
        run(Classifier(), CameraOptions(source="picam:1", max_frames=1))
    with pytest.raises(UserError, match="picam or picam:N"):
        picam.PicamCapture("picam:front")


def test_without_picamera2_the_cli_says_how_to_install_it():
    probe = subprocess.run([sys.executable, "-c", "import picamera2"], capture_output=True, cwd=ROOT)
    if probe.returncode == 0:
        pytest.skip("picamera2 is installed here: the missing-module message cannot be seen")
    cmd = [sys.executable, "-m", "edgedigit", "classify", "--camera", "picam", "--headless", "--max-frames", "1"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "apt install python3-picamera2" in result.stderr
