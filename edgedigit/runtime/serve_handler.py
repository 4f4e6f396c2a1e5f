"""The HTTP API of `edgedigit serve`, one request handler over the server's shared state: the routes the
`serve` module lists, uploads bounded before they are read (MAX_UPLOAD, MAX_SETTING), and every failure one
JSON line with an HTTP status.
Device code: the standard library's http.server; it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import json
import threading
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from edgedigit.errors import UserError
from edgedigit.runtime.camera import parse_roi
from edgedigit.runtime.decode import MAX_FILE_BYTES, decode_image
from edgedigit.runtime.reader import read_digits
from edgedigit.runtime.serve_page import PAGE

if TYPE_CHECKING:
    from edgedigit.runtime.serve import ServerState

MAX_UPLOAD = 8 * 1024 * 1024  # bytes: a 12 MP phone JPEG is 3-6 MB; more is refused with 413 unread
VIEW_WAIT = 5.0  # s a viewer waits for a frame before the stream checks the connection again
MAX_SETTING = 1024  # bytes: a POST /api/roi body is a few dozen
REQUEST_TIMEOUT = 30.0  # s a client may stall mid-request before its connection (and thread) is dropped
GONE = (BrokenPipeError, ConnectionResetError, TimeoutError)  # the client went away or stalled: no one to answer


def _route(target: str) -> str:
    """The path a request asks for, without its query (`/api/reading?t=1`, as a script busting a cache sends)."""
    return urlsplit(target).path


def picture_in(data: bytes, content_type: str) -> bytes:
    """The picture a POST carries: its body, or the first file of a multipart/form-data upload (what an HTML form
    and `curl -F file=@photo.jpg` send), parsed by the standard library's email package."""
    if not content_type.lower().startswith("multipart/form-data"):
        return data
    head = f"Content-Type: {content_type}\r\n\r\n".encode("ascii", "replace")
    form = BytesParser(policy=policy.HTTP).parsebytes(head + data)
    if form.is_multipart():
        for part in form.iter_parts():
            if part.get_filename() is not None:
                return part.get_payload(decode=True) or b""
    raise UserError("the form holds no file: send the picture as a file field (curl -F file=@photo.jpg) or as the body")


def handler_for(state: ServerState) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to `state`, with its own lock on the model."""
    return type("BoundHandler", (Handler,), {"state": state, "model_lock": threading.Lock()})


class Handler(BaseHTTPRequestHandler):
    """The HTTP API and page over one `ServerState` (`handler_for` binds it)."""

    server_version = "edgedigit"
    timeout = REQUEST_TIMEOUT  # StreamRequestHandler sets it on the socket
    state: ClassVar[ServerState]
    model_lock: ClassVar[threading.Lock]  # an interpreter runs one call at a time

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.state.count("requests")
        route = _route(self.path)
        if route == "/":
            self._send(200, PAGE.encode(), "text/html; charset=utf-8")
        elif route == "/api/reading":
            with self.state.lock:
                latest = self.state.latest
            if latest is None:
                why = "no camera (start serve with --camera)" if not self.state.camera else "no reading yet"
                self._json(404, {"error": why})
            else:
                self._json(200, latest)
        elif route == "/api/roi":
            self._json(200, {"roi": list(self.state.roi) if self.state.roi else None, "saved": None})
        elif route == "/stream.mjpg":
            self._stream()
        elif route == "/metrics":
            with self.state.lock:
                lines = [f"edgedigit_{name}_total {value}" for name, value in self.state.counters.items()]
            self._send(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4")
        else:
            self._json(404, {"error": f"no such page: {self.path}"})

    def do_POST(self) -> None:  # noqa: N802
        self.state.count("requests")
        limits = {"/api/read": min(MAX_UPLOAD, MAX_FILE_BYTES), "/api/roi": MAX_SETTING}
        route = _route(self.path)
        if route not in limits:
            self._json(404, {"error": f"no such endpoint: {self.path}"})
            return
        data = self._body(limits[route])
        if data is None:
            return
        if route == "/api/roi":
            self._set_roi(data)
            return
        try:
            img = decode_image(picture_in(data, self.headers.get("Content-Type", "")), "the upload")
            with self.model_lock:
                reading = read_digits(img, self.state.classifier, min_confidence=self.state.min_confidence,
                                      keep_separators=self.state.keep_separators)  # fmt: skip
        except UserError as exc:
            self.state.count("read_errors")
            self._json(400, {"error": str(exc)})
            return
        self.state.count("reads")
        self._json(200, reading.to_json())

    def _body(self, limit: int) -> bytes | None:
        """The request body, or None after answering 411/413 (a body over `limit` is not read), or after a
        client that sent less than it promised went away or stalled (nothing is answered then)."""
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if length < 0:  # rfile.read(-1) would read until the client closes, however much it sends
            self.close_connection = True
            self._json(411, {"error": "send the body with its Content-Length (a size in bytes)"})
            return None
        if length > limit:
            self.close_connection = True
            self._json(413, {"error": f"{length} bytes is above the {limit} byte upload limit"})
            return None
        try:
            data = self.rfile.read(length)
        except GONE:
            data = b""
        if len(data) < length:
            self.close_connection = True
            return None
        return data

    def _set_roi(self, data: bytes) -> None:
        if not self.state.camera:
            self._json(404, {"error": "no camera (start serve with --camera)"})
            return
        try:
            body = json.loads(data)
            if not isinstance(body, dict) or "roi" not in body:
                raise UserError('send {"roi": [x, y, w, h]} or {"roi": null}')
            roi = parse_roi(body["roi"], "roi")
            saved = self.state.set_roi(roi)
        except (ValueError, UserError) as exc:
            self._json(400, {"error": str(exc)})
            return
        except OSError as exc:
            self._json(500, {"error": f"region not applied: cannot save it to {self.state.config} ({exc.strerror})"})
            return
        self._json(200, {"roi": list(roi) if roi else None, "saved": saved})

    def _stream(self) -> None:
        """The live view as multipart JPEG, until the viewer goes away."""
        if not self.state.camera:
            self._json(404, {"error": "no camera (start serve with --camera)"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        with self.state.lock:
            self.state.viewers += 1
        sent = None
        try:
            while True:
                with self.state.view_changed:
                    self.state.view_changed.wait_for(lambda last=sent: self.state.view is not last, timeout=VIEW_WAIT)
                    jpeg = self.state.view
                if jpeg is None or jpeg is sent:
                    continue
                head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                self.wfile.write(head + jpeg + b"\r\n")
                sent = jpeg
        except GONE:
            pass
        finally:
            with self.state.lock:
                self.state.viewers -= 1

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server answers itself (an unsupported method, a malformed request line) as one JSON error, like
        every other failure, instead of its HTML page; no body to a HEAD request, and the connection closed."""
        self.close_connection = True
        body = json.dumps({"error": message or self.responses.get(code, ("error",))[0]}).encode()
        try:
            self.send_response(code, message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except GONE:
            pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except GONE:
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass  # the counters say what happened; a log line per request would flood a service's journal
