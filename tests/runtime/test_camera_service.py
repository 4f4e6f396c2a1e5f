"""`classify --camera URL --service` on a real process against a real MJPEG stream on 127.0.0.1 that
stalls (sends nothing, keeps the connection open), drops, refuses connections, then comes back: the
process notices the stall within --frame-timeout, reopens with backoff, never exits, and goes on reading
(issue 16; time compressed with --frame-timeout 1 --retry-max 0.5)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from benchmarks.photos import photo
from benchmarks.streams import mjpeg
from tests.conftest import ROOT


@pytest.fixture
def stream(mnist):
    jpeg = [cv2.imencode(".jpg", cv2.resize(photo([d], seed=i), (320, 240)))[1].tobytes()
            for i, d in enumerate([mnist.x_test[0], mnist.x_test[1], np.zeros((28, 28), np.uint8)])]  # fmt: skip
    script = [("stall", jpeg[0], 25), ("drop", jpeg[1], 25), ("refuse", None, 0), ("refuse", None, 0),
              ("stream", jpeg[2], 100000)]  # fmt: skip
    with mjpeg(script) as served:
        yield served


def test_a_stalled_dropped_and_refused_stream_is_waited_for_and_read_again(stream):
    stream, handler = stream
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "edgedigit", "classify", "--camera", stream, "--headless", "--service",
           "--frame-timeout", "1", "--retry-max", "0.5", "--stable", "3"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    events: list[dict] = []
    deadline = time.monotonic() + 90
    while not any(e.get("event") == "cleared" for e in events):  # the last act: blank paper after the 2
        assert proc.poll() is None and time.monotonic() < deadline, (events, proc.stderr.read()[-2000:])
        events.append(json.loads(proc.stdout.readline()))
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    err = proc.stderr.read()
    readings = [e["number"] for e in events if e["event"] == "reading"]
    assert readings == ["7", "2"], events
    assert all(e["frame"] > 0 and e["timestamp"] for e in events)
    assert events[-1]["previous"] == "2"
    assert f"camera {stream!r} sent no frame for 1 s; reopening" in err  # the stall, noticed
    assert f"camera {stream!r} dropped; reopening" in err
    assert err.count("back after") == 2  # one line per change of state, not one per try
    assert "Traceback" not in err and handler.served >= 5
