"""`edgedigit serve`: the reader over HTTP on the device, with the standard library's threading server.

    POST /api/read       an encoded picture in the body -> the JSON `classify --json` prints for a file
    GET  /api/reading    the camera's latest event (404 without --camera)
    GET  /stream.mjpg    the camera live, with the digit boxes, the reading and the 28x28 crops the model saw
    GET  /api/roi        the region of interest the camera reads; POST {"roi": [x, y, w, h] or null} sets it
    GET  /metrics        plain-text counters (requests, reads, errors, camera frames and events)
    GET  /               a page: the live view (drag on it to set the region), the reading, its confidence, fps

It listens on 127.0.0.1 unless told otherwise, bounds uploads (MAX_UPLOAD, MAX_SETTING), writes nothing
but the --config file (the region, atomically), and gives each failure one JSON line with an HTTP status
instead of a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2

from edgedigit import atomic
from edgedigit.errors import UserError
from edgedigit.runtime.camera import CameraOptions, annotate, parse_roi, stop_on_sigterm
from edgedigit.runtime.camera import run as run_camera
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.decode import MAX_FILE_BYTES, decode_image
from edgedigit.runtime.reader import MIN_CONFIDENCE, read_digits

MAX_UPLOAD = 8 * 1024 * 1024  # bytes: a 12 MP phone JPEG is 3-6 MB; more is refused with 413 unread
VIEW_INTERVAL = 0.1  # s between live-view frames: 10 frames/s to a browser, the camera loop keeps its pace
VIEW_QUALITY = 70  # JPEG quality of the live view
VIEW_WAIT = 5.0  # s a viewer waits for a frame before the stream checks the connection again
MAX_SETTING = 1024  # bytes: a POST /api/roi body is a few dozen
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>edgedigit</title></head>
<body style="font-family: sans-serif"><h1>edgedigit</h1>
<p>Reading: <span id="number" style="font-size: 3em">-</span> <span id="confidence"></span>
 <span id="fps"></span></p>
<p id="status">waiting for the camera</p>
<p>Region: <span id="roi">whole frame</span> <button id="clear">read the whole frame</button>
 <span id="saved"></span></p>
<div id="view" style="position: relative; display: inline-block; cursor: crosshair">
<img id="live" src="/stream.mjpg" alt="live view (with --camera)" draggable="false" style="max-width: 100%">
<div id="box" style="position: absolute; border: 2px dashed #f80; display: none; pointer-events: none"></div>
</div>
<p>Drag on the picture to choose where the digits are; the camera reads only there.</p>
<script>
const $ = (id) => document.getElementById(id);
async function poll() {
  try {
    const r = await fetch('/api/reading');
    const e = await r.json();
    $('status').textContent = r.ok ? 'frame ' + e.frame + ', ' + e.timestamp : e.error;
    if (r.ok) {
      $('number').textContent = e.event === 'cleared' ? '-' : e.number;
      $('confidence').textContent = e.confidence ? '(confidence ' + e.confidence + ')' : '';
      $('fps').textContent = e.fps ? e.fps + ' frames/s' : '';
    }
  } catch (err) { $('status').textContent = 'no connection'; }
}
function showRoi(body) {
  $('roi').textContent = body.roi ? body.roi.join(', ') + ' (x, y, w, h px)' : 'whole frame';
  $('saved').textContent = body.saved ? 'saved to ' + body.saved : (body.error || '');
}
async function setRoi(roi) {
  const r = await fetch('/api/roi', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                     body: JSON.stringify({roi: roi})});
  showRoi(await r.json());
}
let start = null;
function framePoint(ev) {  // a pointer position in the camera frame's pixels
  const img = $('live'), r = img.getBoundingClientRect();
  const sx = img.naturalWidth / r.width, sy = img.naturalHeight / r.height;
  return {x: Math.max(0, (ev.clientX - r.left) * sx), y: Math.max(0, (ev.clientY - r.top) * sy),
          px: ev.clientX - r.left, py: ev.clientY - r.top};
}
$('view').addEventListener('pointerdown', (ev) => { start = framePoint(ev); ev.preventDefault(); });
$('view').addEventListener('pointermove', (ev) => {
  if (!start) return;
  const p = framePoint(ev), box = $('box');
  Object.assign(box.style, {display: 'block', left: Math.min(start.px, p.px) + 'px',
    top: Math.min(start.py, p.py) + 'px', width: Math.abs(p.px - start.px) + 'px',
    height: Math.abs(p.py - start.py) + 'px'});
});
$('view').addEventListener('pointerup', (ev) => {
  if (!start) return;
  const p = framePoint(ev), s = start;
  start = null;
  $('box').style.display = 'none';
  const w = Math.round(Math.abs(p.x - s.x)), h = Math.round(Math.abs(p.y - s.y));
  if (w > 4 && h > 4) setRoi([Math.round(Math.min(s.x, p.x)), Math.round(Math.min(s.y, p.y)), w, h]);
});
$('clear').addEventListener('click', () => setRoi(null));
fetch('/api/roi').then((r) => r.json()).then(showRoi);
setInterval(poll, 1000); poll();
</script></body></html>
"""


@dataclass
class ServerState:
    """What the handlers share: the model (behind a lock: an interpreter runs one call at a time), the
    camera's latest event and the counters /metrics shows."""

    classifier: Classifier
    keep_separators: bool = False
    min_confidence: float = MIN_CONFIDENCE
    camera: bool = False
    latest: dict[str, Any] | None = None
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("requests", "reads", "read_errors", "camera_frames", "camera_events"), 0))  # fmt: skip
    lock: threading.Lock = field(default_factory=threading.Lock)
    view: bytes | None = None  # the latest annotated frame, JPEG, while someone watches
    viewers: int = 0
    view_changed: threading.Condition = field(default_factory=threading.Condition)
    view_at: float = 0.0
    roi: tuple[int, int, int, int] | None = None  # where the camera reads; set from the page
    config: Path | None = None  # where the region is saved (--config), or nowhere

    def region(self) -> tuple[int, int, int, int] | None:
        return self.roi

    def set_roi(self, roi: tuple[int, int, int, int] | None) -> str | None:
        """Save a region to the config file (atomically), then apply it; returns where it was saved."""
        if self.config is not None:
            settings = load_config(self.config)
            settings["roi"] = list(roi) if roi else None
            atomic.write_json(self.config, settings)
        self.roi = roi
        return None if self.config is None else str(self.config)

    def on_frame(self, frame: Any, reading: Any) -> None:
        """Keep the live view, at most every VIEW_INTERVAL and only while someone watches (encoding costs)."""
        self.count("camera_frames")
        now = time.monotonic()
        if self.viewers == 0 or now - self.view_at < VIEW_INTERVAL:
            return
        view = annotate(frame, reading, self.roi)
        ok, jpeg = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, VIEW_QUALITY])
        if ok:
            with self.view_changed:
                self.view, self.view_at = jpeg.tobytes(), now
                self.view_changed.notify_all()

    def count(self, name: str) -> None:
        with self.lock:
            self.counters[name] += 1

    def on_event(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.latest = event
            self.counters["camera_events"] += 1


def handler_for(state: ServerState) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to `state`."""
    model_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "edgedigit"

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            state.count("requests")
            if self.path == "/":
                self._send(200, PAGE.encode(), "text/html; charset=utf-8")
            elif self.path == "/api/reading":
                with state.lock:
                    latest = state.latest
                if latest is None:
                    why = "no camera (start serve with --camera)" if not state.camera else "no reading yet"
                    self._json(404, {"error": why})
                else:
                    self._json(200, latest)
            elif self.path == "/api/roi":
                self._json(200, {"roi": list(state.roi) if state.roi else None, "saved": None})
            elif self.path == "/stream.mjpg":
                self._stream()
            elif self.path == "/metrics":
                with state.lock:
                    lines = [f"edgedigit_{name}_total {value}" for name, value in state.counters.items()]
                self._send(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4")
            else:
                self._json(404, {"error": f"no such page: {self.path}"})

        def do_POST(self) -> None:  # noqa: N802
            state.count("requests")
            limits = {"/api/read": min(MAX_UPLOAD, MAX_FILE_BYTES), "/api/roi": MAX_SETTING}
            if self.path not in limits:
                self._json(404, {"error": f"no such endpoint: {self.path}"})
                return
            data = self._body(limits[self.path])
            if data is None:
                return
            if self.path == "/api/roi":
                self._set_roi(data)
                return
            try:
                img = decode_image(data, "the upload")
                with model_lock:
                    reading = read_digits(img, state.classifier, min_confidence=state.min_confidence,
                                          keep_separators=state.keep_separators)  # fmt: skip
            except UserError as exc:
                state.count("read_errors")
                self._json(400, {"error": str(exc)})
                return
            state.count("reads")
            self._json(200, reading.to_json())

        def _body(self, limit: int) -> bytes | None:
            """The request body, or None after answering 411/413 (a body over `limit` is not read)."""
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._json(411, {"error": "send the body with its Content-Length"})
                return None
            if length > limit:
                self.close_connection = True
                self._json(413, {"error": f"{length} bytes is above the {limit} byte upload limit"})
                return None
            return self.rfile.read(length)

        def _set_roi(self, data: bytes) -> None:
            if not state.camera:
                self._json(404, {"error": "no camera (start serve with --camera)"})
                return
            try:
                body = json.loads(data)
                if not isinstance(body, dict) or "roi" not in body:
                    raise UserError('send {"roi": [x, y, w, h]} or {"roi": null}')
                roi = parse_roi(body["roi"], "roi")
                saved = state.set_roi(roi)
            except (ValueError, UserError) as exc:
                self._json(400, {"error": str(exc)})
                return
            except OSError as exc:
                self._json(500, {"error": f"region not applied: cannot save it to {state.config} ({exc.strerror})"})
                return
            self._json(200, {"roi": list(roi) if roi else None, "saved": saved})

        def _stream(self) -> None:
            """The live view as multipart JPEG, until the viewer goes away."""
            if not state.camera:
                self._json(404, {"error": "no camera (start serve with --camera)"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            with state.lock:
                state.viewers += 1
            sent = None
            try:
                while True:
                    with state.view_changed:
                        state.view_changed.wait_for(lambda last=sent: state.view is not last, timeout=VIEW_WAIT)
                        jpeg = state.view
                    if jpeg is None or jpeg is sent:
                        continue
                    head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                    self.wfile.write(head + jpeg + b"\r\n")
                    sent = jpeg
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with state.lock:
                    state.viewers -= 1

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass  # the counters say what happened; a log line per request would flood a service's journal

    return Handler


def load_config(path: Path) -> dict[str, Any]:
    """serve's settings file (JSON; today the region of interest); none yet is an empty one."""
    try:
        settings = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read --config {path}: {exc}") from None
    if not isinstance(settings, dict):
        raise UserError(f"--config {path} must hold a JSON object")
    return settings


def serve(
    clf: Classifier, host: str, port: int, camera: CameraOptions | None, threads: int | None,
    min_confidence: float, keep_separators: bool, config: Path | None = None,
) -> None:  # fmt: skip
    """Serve until Ctrl-C or SIGTERM; with `camera`, its loop runs in a thread with its own interpreter.
    The region starts as --roi if given, else as the --config file says."""
    state = ServerState(clf, keep_separators, min_confidence, camera is not None)
    state.config = config
    if camera is not None:
        saved = load_config(config).get("roi") if config else None
        state.roi = camera.roi or parse_roi(saved, f"the roi in {config}")
    try:
        server = ThreadingHTTPServer((host, port), handler_for(state))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    server.daemon_threads = True
    if camera is not None:
        cam = Classifier(clf.path, threads=threads)  # its own interpreter: the camera's loop runs in its own thread
        options = replace(camera, min_confidence=min_confidence)
        threading.Thread(
            target=run_camera,
            args=(cam, options),
            kwargs={
                "out": open(os.devnull, "w"),
                "listener": state.on_event,
                "on_frame": state.on_frame,
                "region": state.region,
            },  # fmt: skip
            daemon=True,
        ).start()
    stop_on_sigterm()
    print(f"edgedigit: serving on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print("edgedigit: stopped serving", file=sys.stderr, flush=True)
