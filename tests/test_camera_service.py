"""`classify --camera URL --service` on a real process against a real MJPEG stream on 127.0.0.1 that
stalls (sends nothing, keeps the connection open), drops, refuses connections, then comes back: the
process notices the stall within --frame-timeout, reopens with backoff, never exits, and goes on reading
(issue 16; time compressed with --frame-timeout 1 --retry-max 0.5)."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest

from benchmarks.photos import photo
from tests.conftest import ROOT


class _Stream(http.server.BaseHTTPRequestHandler):
    """Connection 1: a 7, then silence. 2: a 2, then hang up. 3 and 4: refused (503). Then blank paper."""

    script: list[tuple[str, bytes | None, int]] = []
    served = 0

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        kind, frame, count = self.script[min(type(self).served, len(self.script) - 1)]
        type(self).served += 1
        if kind == "refuse":
            self.send_error(503)
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        try:
            for _ in range(count):
                part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(frame)
                self.wfile.write(part + frame + b"\r\n")
                time.sleep(0.04)
            if kind == "stall":
                time.sleep(120)  # the connection stays open and nothing comes
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stream(mnist):
    jpeg = [cv2.imencode(".jpg", cv2.resize(photo([d], seed=i), (320, 240)))[1].tobytes()
            for i, d in enumerate([mnist.x_test[0], mnist.x_test[1], np.zeros((28, 28), np.uint8)])]  # fmt: skip
    _Stream.script = [("stall", jpeg[0], 25), ("drop", jpeg[1], 25), ("refuse", None, 0), ("refuse", None, 0),
                      ("stream", jpeg[2], 100000)]  # fmt: skip
    _Stream.served = 0
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Stream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cam.mjpg"
    server.shutdown()


def test_a_stalled_dropped_and_refused_stream_is_waited_for_and_read_again(stream):
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
    assert "Traceback" not in err and _Stream.served >= 5
