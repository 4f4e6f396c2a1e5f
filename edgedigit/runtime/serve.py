"""`edgedigit serve`: the reader over HTTP on the device, with the standard library's threading server.

    POST /api/read       an encoded picture in the body -> the JSON `classify --json` prints for a file
    GET  /api/reading    the camera's latest event (404 without --camera)
    GET  /stream.mjpg    the camera live, with the digit boxes, the reading and the 28x28 crops the model saw
    GET  /api/roi        the region of interest the camera reads; POST {"roi": [x, y, w, h] or null} sets it
    GET  /metrics        plain-text counters (requests, reads, errors, camera frames and events)
    GET  /               a page: the live view (drag on it to set the region), the reading, its confidence, fps

It listens on 127.0.0.1 unless told otherwise, bounds uploads (`serve_handler`: MAX_UPLOAD, MAX_SETTING),
writes nothing but the --config file (the region, atomically), and gives each failure one JSON line with an
HTTP status instead of a traceback. This module holds the state the handlers share and starts the server and
the camera's thread; `serve_handler` answers the requests, `serve_page` is the page.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2

from edgedigit import atomic
from edgedigit.errors import UserError
from edgedigit.runtime.camera import CameraOptions, parse_roi, stop_on_sigterm
from edgedigit.runtime.camera import run as run_camera
from edgedigit.runtime.camera_view import annotate
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import MIN_CONFIDENCE
from edgedigit.runtime.serve_handler import handler_for

VIEW_INTERVAL = 0.1  # s between live-view frames: 10 frames/s to a browser, the camera loop keeps its pace
VIEW_QUALITY = 70  # JPEG quality of the live view
CAMERA_STOP_WAIT = 5.0  # s serve waits at its stop for the camera's loop to end (a frame comes every 1/30 s;
# a camera being waited for in service mode sleeps in Python, where exiting is safe)
MAX_CLIENTS = 32  # connections served at once, a thread each (a live view holds one): more are closed unanswered,
# so a flood of connections cannot grow the threads and memory without bound


class BoundedServer(ThreadingHTTPServer):
    """The standard library's threading server with at most MAX_CLIENTS connections (threads) at a time."""

    daemon_threads = True  # a live view's thread never ends by itself: it must not hold the process at exit
    request_queue_size = 64  # the listen backlog (socketserver's is 5): a burst of connections, as a browser opens
    # them, waits for its turn instead of being dropped by the kernel and retried a second later

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:  # a thread that could not start gives its slot back, then fails as it would have
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


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
        server = BoundedServer((host, port), handler_for(state))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    camera_stop, reader = threading.Event(), None
    if camera is not None:
        cam = Classifier(clf.path, threads=threads)  # its own interpreter: the camera's loop runs in its own thread
        options = replace(camera, min_confidence=min_confidence, keep_separators=keep_separators)
        reader = threading.Thread(
            target=run_camera,
            args=(cam, options),
            kwargs={
                "out": open(os.devnull, "w"),
                "listener": state.on_event,
                "on_frame": state.on_frame,
                "region": state.region,
                "stop": camera_stop,
            },  # fmt: skip
            daemon=True,
        )
        reader.start()
    stop_on_sigterm()
    print(f"edgedigit: serving on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        # the camera's loop ends at its next frame and releases the capture: a process that exits while that
        # thread is inside OpenCV or the interpreter aborts (SIGABRT, "terminate called without an active exception")
        camera_stop.set()
        if reader is not None:
            reader.join(timeout=CAMERA_STOP_WAIT)
        print("edgedigit: stopped serving", file=sys.stderr, flush=True)
