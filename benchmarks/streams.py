"""A real MJPEG stream on 127.0.0.1 for camera tests: a script of acts, one per connection."""

from __future__ import annotations

import contextlib
import http.server
import socketserver
import threading
import time
from collections.abc import Iterator

FRAME_GAP = 0.04  # s between frames: 25 frames/s, a webcam's pace


class _Stream(http.server.BaseHTTPRequestHandler):
    """Connection n plays act n (the last act for every later one): ("stall" | "drop" | "stream", jpeg,
    frames) sends the frames, then stays silent with the connection open, hangs up, or (stream) goes on
    sending; ("refuse", None, 0) answers 503."""

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
                time.sleep(FRAME_GAP)
            if kind == "stall":
                time.sleep(120)  # the connection stays open and nothing comes
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def mjpeg(script: list[tuple[str, bytes | None, int]]) -> Iterator[tuple[str, type[_Stream]]]:
    """Serve `script`; yields the stream's URL and the handler class (its `served` counts connections)."""
    handler = type("Stream", (_Stream,), {"script": script, "served": 0})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cam.mjpg", handler
    finally:
        server.shutdown()
        server.server_close()
