"""`edgedigit serve`'s page in a real headless Chromium, driven over the DevTools protocol (issue 16): the
reading and fps appear in the DOM, the live view shows the box drawn round the digit, and dragging a
rectangle on the picture sets the camera's region of interest, which is saved to --config and read back
by the next start. The screenshot is kept in test-artifacts/serve-page.png."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.photos import photo
from benchmarks.streams import mjpeg
from tests.conftest import ROOT

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here: .ci/run installs Debian's chromium")


class DevTools:
    """The DevTools protocol over a page's websocket: call(method, params) -> result; events are skipped."""

    def __init__(self, url: str) -> None:
        import websocket

        self.ws, self.next_id = websocket.create_connection(url, timeout=30), 0

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def js(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")


def _browser(profile: Path) -> tuple[subprocess.Popen, DevTools]:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
           f"--user-data-dir={profile}", "--window-size=900,1000", "about:blank"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = ""
    while "DevTools listening on" not in line:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, "Chromium exited before its DevTools port opened"
    port = re.search(r"ws://127\.0\.0\.1:(\d+)/", line).group(1)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
        page = next(t for t in json.load(response) if t["type"] == "page")
    return proc, DevTools(page["webSocketDebuggerUrl"])


def _serve(camera: str | None, config: Path | None) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "edgedigit", "serve", "--port", "0"]
    cmd += ["--camera", camera, "--config", str(config)] if camera else []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    line = proc.stdout.readline()
    assert line.startswith("edgedigit: serving on "), proc.stderr.read()
    return proc, line.split()[-1]


@contextlib.contextmanager
def _page_of(tmp_path: Path, camera: str | None, config: Path | None) -> Iterator[tuple[DevTools, str]]:
    """`serve` started (with `camera` and `config`, if given) and its page open in a fresh headless Chromium; both
    stopped after."""
    server, url = _serve(camera, config)
    browser, page = _browser(tmp_path / "profile")
    try:
        page.call("Page.enable")
        page.call("Page.navigate", url=url + "/")
        yield page, url
    finally:
        browser.kill()
        browser.wait(timeout=10)
        server.terminate()
        server.wait(timeout=10)


def _wait(check, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def test_page_shows_the_reading_and_a_dragged_region_is_applied_and_saved(tmp_path, mnist):
    seven = cv2.imencode(".jpg", cv2.resize(photo([mnist.x_test[0]], seed=2), (320, 240)))[1].tobytes()
    config = tmp_path / "serve.json"
    with mjpeg([("stream", seven, 100000)]) as (camera, _):
        with _page_of(tmp_path, camera, config) as (page, url):
            _wait(lambda: page.js("document.getElementById('number').textContent") == "7", "the reading 7 in the DOM")
            assert "frames/s" in page.js("document.getElementById('fps').textContent")
            _wait(lambda: page.js("document.getElementById('live').naturalWidth") == 320, "the live view")
            ARTIFACTS.mkdir(exist_ok=True)
            shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
            (ARTIFACTS / "serve-page.png").write_bytes(shot)
            picture = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_COLOR)
            green = (picture[..., 1] > 150) & (picture[..., 0] < 80) & (picture[..., 2] < 80)
            assert green.sum() > 50  # the live view with the box round the 7, as the browser drew it

            # drag from the picture's (20, 10) to (300, 230) in frame pixels; the page shows it at its own scale
            left, top, width = page.js("(() => { const r = document.getElementById('live')"
                                       ".getBoundingClientRect(); return [r.left, r.top, r.width]; })()")  # fmt: skip
            scale = width / 320
            for kind, (x, y) in (("mousePressed", (20, 10)), ("mouseMoved", (160, 120)), ("mouseReleased", (300, 230))):
                page.call("Input.dispatchMouseEvent", type=kind, x=left + x * scale, y=top + y * scale,
                          button="left", buttons=0 if kind == "mouseReleased" else 1, clickCount=1)  # fmt: skip
            roi = _wait(lambda: json.load(urllib.request.urlopen(url + "/api/roi", timeout=30))["roi"], "the roi")
            assert [abs(a - b) <= 2 for a, b in zip(roi, [20, 10, 280, 220])] == [True] * 4, roi
            assert json.loads(config.read_text())["roi"] == roi
            _wait(lambda: "saved to" in page.js("document.getElementById('saved').textContent"), "the page's note")

        server, url = _serve(camera, config)  # the next start reads the region it was left with
        try:
            with urllib.request.urlopen(url + "/api/roi", timeout=30) as response:
                assert json.load(response)["roi"] == roi
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_a_picture_chosen_on_the_page_is_read(tmp_path, mnist):
    """A Pi with no screen and a phone: the page's picture field sends the file (on a phone, a photo just taken) to
    POST /api/read and shows the number read, with no camera on the server."""
    picture = tmp_path / "two.jpg"
    cv2.imwrite(str(picture), photo([mnist.x_test[1]], seed=4))  # a 2
    with _page_of(tmp_path, None, None) as (page, url):
        _wait(lambda: page.js("document.readyState") == "complete", "the page")
        document = page.call("DOM.getDocument")["root"]["nodeId"]
        field = page.call("DOM.querySelector", nodeId=document, selector="#picture")["nodeId"]
        page.call("DOM.setFileInputFiles", files=[str(picture)], nodeId=field)
        picked = lambda: page.js("document.getElementById('picked').textContent")  # noqa: E731
        shown = _wait(lambda: (text := picked()).startswith("2 ") and text, "the number read from the picture")
        assert 0.4 <= float(re.fullmatch(r"2 \(confidence ([\d.]+)\)", shown).group(1)) <= 1.0, shown
        metrics = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
        assert "edgedigit_reads_total 1\n" in metrics
