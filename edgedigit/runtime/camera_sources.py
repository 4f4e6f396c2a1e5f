"""Camera sources: a camera index, device path, video file, stream URL, GStreamer pipeline or Pi camera module
opened as one capture, the sources this machine has, and frames read in a thread of their own so that a source
that stops sending without closing is noticed (`Frames.next` waits at most a timeout).
Device code: numpy and OpenCV (picamera2 on a Pi); it never imports TensorFlow, Keras, Optuna or matplotlib.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from edgedigit.errors import CameraError
from edgedigit.runtime import picam
from edgedigit.runtime.decode import opencv_silenced

CLOSE_WAIT = 2.0  # s to let the reading thread finish its read before the capture is released


def open_source(source: str) -> cv2.VideoCapture | picam.PicamCapture:
    """A camera index, device path, video file, stream URL, GStreamer pipeline or picam[:N], opened."""
    if picam.is_picam(source):
        return picam.PicamCapture(source)
    target: int | str = int(source) if source.isdigit() else source
    with opencv_silenced():  # a missing camera gets the one error below (a service retries it quietly)
        cap = cv2.VideoCapture(target)
    if not cap.isOpened():
        cap.release()
        raise CameraError(f"cannot open camera source {source!r} (no such camera, file or stream)")
    return cap


def camera_sources() -> list[str]:
    """Sources found on this machine: V4L2 devices (USB cameras; on a Pi also codec nodes) and Pi camera
    modules; a file, stream URL or pipeline works too but cannot be listed."""
    return sorted(str(p) for p in Path("/dev").glob("video*")) + picam.cameras()


def frames(source: str) -> Iterator[np.ndarray]:
    """Frames from a source until it ends or stops delivering (no reconnecting: for short captures)."""
    cap = open_source(source)
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield frame
    finally:
        cap.release()


def is_file(source: str) -> bool:
    return not source.isdigit() and Path(source).is_file()


class Frames:
    """`cap.read()` in a daemon thread of its own: `next` waits at most `timeout` seconds for a frame. A
    stalled read cannot be interrupted, so a stalled capture is left to its thread, never released under it."""

    def __init__(self, cap: cv2.VideoCapture | picam.PicamCapture) -> None:
        self.cap = cap
        self.ready: queue.Queue[tuple[bool, np.ndarray | None]] = queue.Queue(maxsize=1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        while not self.stop.is_set():
            ok, frame = self.cap.read()
            self.ready.put((ok, frame))
            if not ok:
                return

    def next(self, timeout: float) -> tuple[bool, np.ndarray | None] | None:
        """(ok, frame), or None when no frame came within `timeout` seconds."""
        try:
            return self.ready.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self, stalled: bool = False) -> None:
        """Stop the pump and release the capture, unless its read is stuck: releasing a capture while
        another thread reads it crashes OpenCV, so a stalled one is left to its thread."""
        self.stop.set()
        with contextlib.suppress(queue.Empty):
            self.ready.get_nowait()  # let a pump blocked on a full queue see the stop
        if not stalled:
            self.thread.join(timeout=CLOSE_WAIT)
        if not self.thread.is_alive():
            self.cap.release()
