"""The camera loop: frames from any cv2.VideoCapture source -> stable readings as JSON lines.

A reading is printed once it has been the same for `stable` consecutive frames and differs from
the last one printed, so a service log holds changes, not a line per frame; when a printed reading has
been gone for `stable` frames, a `cleared` event says so. Frames are read in a thread of their own, so
a source that stops sending without closing (a locked-up USB camera, a stalled stream) is noticed after
`frame_timeout` seconds. A live source that drops or stalls is reopened: a few tries, or in service
mode forever, with a backoff that doubles up to `retry_max` seconds and one log line per change of
state. A video file ends the loop when it ends. Under systemd the loop tells it when it is ready and
pings its watchdog (runtime/systemd.py); SIGTERM stops it like Ctrl-C, cleanly. `picam` sources are the
Pi camera module through picamera2 (runtime/picam.py); anything else goes to cv2.VideoCapture.
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np

from edgedigit.errors import CameraError, UserError
from edgedigit.runtime import picam
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import MIN_CONFIDENCE, Reading, read_digits
from edgedigit.runtime.systemd import Notifier

FRAME_TIMEOUT = 10.0  # s without a frame from a live source: it has stalled, reopen it
RETRY_FIRST = 0.5  # s before the first try to reopen a lost source; doubled after each failed try...
RETRY_MAX = 30.0  # ...up to this: a camera plugged back in is found within half a minute
CLOSE_WAIT = 2.0  # s to let the reading thread finish its read before the capture is released


@dataclass(frozen=True)
class CameraOptions:
    source: str = "0"
    roi: tuple[int, int, int, int] | None = None
    max_frames: int | None = None
    stable: int = 3
    min_confidence: float = MIN_CONFIDENCE
    show: bool = False
    reconnect_tries: int = 5  # outside service mode
    service: bool = False  # never give up on the source (a systemd service)
    frame_timeout: float = FRAME_TIMEOUT
    retry_max: float = RETRY_MAX
    mqtt: str | None = None  # mqtt://host[:port]/topic: events are published there too


def parse_roi(text: str | list[Any] | None, what: str = "--roi") -> tuple[int, int, int, int] | None:
    """'x,y,w,h' (or a list of four numbers, as serve's page sends) -> four ints, x,y >= 0 and w,h > 0."""
    if text is None or text == "":
        return None
    values = text.split(",") if isinstance(text, str) else text
    try:
        x, y, w, h = (int(v) for v in values)
    except (ValueError, TypeError):
        raise UserError(f"{what} must be x,y,w,h in pixels, got {text!r}") from None
    if min(x, y) < 0 or min(w, h) <= 0:
        raise UserError(f"{what} needs x,y >= 0 and w,h > 0, got {text!r}")
    return x, y, w, h


def open_source(source: str) -> cv2.VideoCapture | picam.PicamCapture:
    """A camera index, device path, video file, stream URL, GStreamer pipeline or picam[:N], opened."""
    if picam.is_picam(source):
        return picam.PicamCapture(source)
    target: int | str = int(source) if source.isdigit() else source
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


def _is_file(source: str) -> bool:
    return not source.isdigit() and Path(source).is_file()


class _Frames:
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


def run(
    classifier: Classifier,
    opts: CameraOptions,
    out: TextIO = sys.stdout,
    clock: Callable[[], float] = time.monotonic,
    listener: Callable[[dict[str, Any]], None] | None = None,
    on_frame: Callable[[np.ndarray, Reading], None] | None = None,
    region: Callable[[], tuple[int, int, int, int] | None] | None = None,
) -> int:
    """Read frames until the source ends, `max_frames`, or Ctrl-C; returns the number of frames read.
    Each event goes to `out` as a JSON line, to the MQTT broker if asked, and to `listener` if given;
    `on_frame` sees every frame with its reading (a live view); `region`, if given, is asked for the region
    of interest at each frame (one a user drags on serve's page) instead of `opts.roi`."""
    live = not _is_file(opts.source)
    systemd = Notifier()
    systemd.ready()  # ready even while a missing camera is waited for: the unit is up and doing its job
    stop_on_sigterm()
    frames_in: _Frames | None = None
    broker = None
    if opts.mqtt:
        from edgedigit.runtime.mqtt import Publisher

        broker = Publisher(opts.mqtt, opts.source)

    def emit(event: dict[str, Any]) -> None:
        _emit(out, event)
        if broker is not None:
            broker.publish(event)
        if listener is not None:
            listener(event)

    recent: deque[str | None] = deque(maxlen=opts.stable)
    last_printed: str | None = None
    count, started = 0, clock()
    try:
        frames_in = _Frames(_first_open(opts, systemd))
        while opts.max_frames is None or count < opts.max_frames:
            systemd.ping()
            got = frames_in.next(opts.frame_timeout if live else None)
            if got is None or not got[0]:
                if not live:
                    break
                stalled = got is None
                frames_in.close(stalled=stalled)
                why = f"sent no frame for {opts.frame_timeout:g} s" if stalled else "dropped"
                frames_in = _Frames(_open(opts, why, systemd))
                continue
            frame = got[1]
            count += 1
            roi = opts.roi if region is None else region()
            reading = read_digits(frame, classifier, top_k=1, roi=roi, min_confidence=opts.min_confidence)
            key = reading.number if (reading.confidence or 0.0) >= opts.min_confidence else None
            recent.append(key)
            fps = count / max(clock() - started, 1e-6)
            steady = len(recent) == opts.stable and len(set(recent)) == 1
            if steady and key is not None and key != last_printed:
                emit(_event(reading, fps, count))
                last_printed = key
            elif steady and key is None and last_printed is not None:
                emit({"event": "cleared", "frame": count, "timestamp": _now(), "previous": last_printed})
                last_printed = None
            if on_frame is not None:
                on_frame(frame, reading)
            if opts.show and _show(frame, reading, roi):
                break
    except KeyboardInterrupt:
        pass
    finally:
        systemd.stopping()
        if frames_in is not None:
            frames_in.close()
        if broker is not None:
            broker.close()
        if opts.show:
            with contextlib.suppress(cv2.error):  # a build without a GUI has no windows to close
                cv2.destroyAllWindows()
    return count


def stop_on_sigterm() -> None:
    """Make SIGTERM (systemctl stop) end the process the way Ctrl-C does, through its `finally` blocks: the
    capture released, MQTT told offline, the server closed. Only the main thread can install it."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _emit(out: TextIO, event: dict[str, Any]) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _event(reading: Reading, fps: float, frame: int) -> dict[str, Any]:
    return {
        "event": "reading",
        "frame": frame,
        "timestamp": _now(),
        "number": reading.number,
        "confidence": round(reading.confidence or 0.0, 4),
        "digits": reading.to_json()["digits"],
        "fps": round(fps, 1),
    }


def _first_open(opts: CameraOptions, systemd: Notifier) -> cv2.VideoCapture | picam.PicamCapture:
    """The source at start: missing is an error, except in service mode, where it is waited for."""
    try:
        return open_source(opts.source)
    except UserError:
        if not opts.service:
            raise
        return _open(opts, "is not there", systemd)


def _open(opts: CameraOptions, why: str, systemd: Notifier) -> cv2.VideoCapture | picam.PicamCapture:
    """The source (re)opened after it `why`: a few tries a second apart, or in service mode until it comes
    back, waiting RETRY_FIRST, then twice as long each time up to `retry_max`; one line when it is lost
    and one when it is back, not one per try."""
    print(f"edgedigit: camera {opts.source!r} {why}; reopening", file=sys.stderr, flush=True)
    lost, delay, tries = time.monotonic(), RETRY_FIRST, 0
    while True:
        try:
            cap = open_source(opts.source)
        except UserError:
            tries += 1
            if not opts.service and tries >= opts.reconnect_tries:
                raise CameraError(f"camera {opts.source!r} {why} and did not come back after {tries} tries") from None
            systemd.sleep(delay)
            delay = min(delay * 2, opts.retry_max)
            continue
        print(f"edgedigit: camera {opts.source!r} back after {time.monotonic() - lost:.1f} s", file=sys.stderr,
              flush=True)  # fmt: skip
        return cap


INSET_ZOOM = 3  # the model's 28x28 inputs are drawn 84x84 in the top-right corner


def annotate(frame: np.ndarray, reading: Reading, roi: tuple[int, int, int, int] | None) -> np.ndarray:
    """A copy of `frame` with the ROI, the digit boxes, the reading and, in the top-right corner, the 28x28
    crops the model saw: what `--show` and `edgedigit serve`'s live view display."""
    view = frame.copy() if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if roi:
        x, y, w, h = roi
        cv2.rectangle(view, (x, y), (x + w, y + h), (255, 128, 0), 1)
    for x, y, w, h in reading.boxes:
        cv2.rectangle(view, (x, y), (x + w, y + h), (0, 200, 0), 2)
    label = f"{reading.number} ({reading.confidence:.2f})" if reading.number else "no digit"
    cv2.putText(view, label, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 255), 2)
    side = 28 * INSET_ZOOM
    for i, crop in enumerate(reading.crops):
        x0 = view.shape[1] - (i + 1) * (side + 4)
        if x0 < 0 or view.shape[0] < side + 4:
            break
        big = cv2.resize(crop, (side, side), interpolation=cv2.INTER_NEAREST)
        view[4 : 4 + side, x0 : x0 + side] = big[..., None]
    return view


def _show(frame: np.ndarray, reading: Reading, roi: tuple[int, int, int, int] | None) -> bool:
    """The annotated frame in a window; True when q or Esc was pressed."""
    try:
        cv2.imshow("edgedigit", annotate(frame, reading, roi))
        return (cv2.waitKey(1) & 0xFF) in (ord("q"), 27)
    except cv2.error:
        raise UserError("--show needs an OpenCV build with GUI support (opencv-python, not -headless)") from None
