"""The camera loop: frames from any cv2.VideoCapture source -> stable readings as JSON lines.

A reading is printed once it has been the same for `stable` consecutive frames and differs from
the last one printed, so a service log holds changes, not a line per frame; when a printed reading has
been gone for `stable` frames, a `cleared` event says so. Frames are read in a thread of their own, so
a source that stops sending without closing (a locked-up USB camera, a stalled stream) is noticed after
`frame_timeout` seconds. A live source that drops or stalls is reopened: a few tries, or in service
mode forever, with a backoff that doubles up to `retry_max` seconds and one log line per change of
state. A video file ends the loop when it ends. Under systemd the loop tells it when it is ready and
pings its watchdog (runtime/systemd.py); SIGTERM stops it like Ctrl-C, cleanly. `picam` sources are the
Pi camera module through picamera2 (runtime/picam.py); anything else goes to cv2.VideoCapture (sources and their
threaded reads: runtime/camera_sources.py; `--show`'s window: runtime/camera_view.py).
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import cv2
import numpy as np

from edgedigit.errors import CameraError, UserError
from edgedigit.runtime import picam
from edgedigit.runtime.camera_sources import Frames, is_file, open_source
from edgedigit.runtime.camera_view import show
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import MIN_CONFIDENCE, Reading, read_digits
from edgedigit.runtime.systemd import Notifier

FRAME_TIMEOUT = 10.0  # s without a frame from a live source: it has stalled, reopen it
RETRY_FIRST = 0.5  # s before the first try to reopen a lost source; doubled after each failed try...
RETRY_MAX = 30.0  # ...up to this: a camera plugged back in is found within half a minute
READING, CLEARED = "reading", "cleared"  # the events `Steady` reports
Listener = Callable[[dict[str, Any]], None]  # takes each event


@dataclass(frozen=True)
class CameraOptions:
    source: str = "0"
    roi: tuple[int, int, int, int] | None = None
    max_frames: int | None = None
    stable: int = 3
    min_confidence: float = MIN_CONFIDENCE
    keep_separators: bool = False  # a decimal point or comma stays in the number reported (a meter's "0123.4")
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


def roi_outside(roi: tuple[int, int, int, int] | None, shape: tuple[int, ...], where: str) -> str | None:
    """What to say when a region of interest lies wholly outside a picture of `shape` (`where` names the picture),
    so that nothing could be read; None when it reaches into it (a region partly outside is cut to the picture)."""
    if roi is None:
        return None
    height, width = shape[:2]
    if roi[0] < width and roi[1] < height:
        return None
    return f"--roi {','.join(map(str, roi))} lies outside {where} ({width}x{height} pixels)"


def run(
    classifier: Classifier,
    opts: CameraOptions,
    out: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
    listener: Listener | None = None,
    on_frame: Callable[[np.ndarray, Reading], None] | None = None,
    region: Callable[[], tuple[int, int, int, int] | None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Read frames until the source ends, `max_frames`, Ctrl-C or `stop` is set; returns the number of frames read.
    Each event goes to `out` as a JSON line (standard output as it is at the call, unless given), to the MQTT
    broker if asked, and to `listener` if given; `on_frame` sees every frame with its reading (a live view);
    `region`, if given, is asked for the region of interest at each frame (one a user drags on serve's page)
    instead of `opts.roi`; `stop` ends the loop of a thread (serve's) at its next frame, with the capture released."""
    live = not is_file(opts.source)
    systemd = Notifier()
    systemd.ready()  # ready even while a missing camera is waited for: the unit is up and doing its job
    stop_on_sigterm()
    frames_in: Frames | None = None
    broker = _broker(opts)
    emit = _emitter(sys.stdout if out is None else out, broker, listener)
    steady = Steady(opts.stable)
    count, started, warned = 0, clock(), None
    try:
        frames_in = Frames(_first_open(opts, systemd))
        while (opts.max_frames is None or count < opts.max_frames) and not (stop is not None and stop.is_set()):
            systemd.ping()
            got = frames_in.next(opts.frame_timeout if live else None)
            if got is None or not got[0]:
                if not live:
                    break
                frames_in = _reopen(frames_in, got is None, opts, systemd)
                continue
            frame = got[1]
            count += 1
            roi = opts.roi if region is None else region()
            warned = _warn_once(roi_outside(roi, frame.shape, "the camera's frames"), warned)
            reading = read_digits(frame, classifier, top_k=1, roi=roi, min_confidence=opts.min_confidence,
                                  keep_separators=opts.keep_separators)  # fmt: skip
            change = steady.update(reading.number if (reading.confidence or 0.0) >= opts.min_confidence else None)
            if change == READING:
                emit(_event(reading, count / max(clock() - started, 1e-6), count))
            elif change == CLEARED:
                emit({"event": "cleared", "frame": count, "timestamp": _now(), "previous": steady.previous})
            if on_frame is not None:
                on_frame(frame, reading)
            if opts.show and show(frame, reading, roi):
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


class Steady:
    """Which readings a camera reports: a number once it has been read the same for `frames` frames in a row and
    differs from the last one reported, and the end of a reported number once nothing has been read for as long.
    A flickering frame or two neither reports a new number nor clears the old one."""

    def __init__(self, frames: int) -> None:
        self._recent: deque[str | None] = deque(maxlen=frames)
        self.shown: str | None = None  # the number last reported, until it is cleared
        self.previous: str | None = None  # the number reported before the last change (what CLEARED took away)

    def update(self, number: str | None) -> str | None:
        """This frame's number (None: nothing read surely enough) -> READING when it has just become the steady
        reading, CLEARED when the steady reading has just become nothing, else None."""
        self._recent.append(number)
        if len(self._recent) < (self._recent.maxlen or 1) or len(set(self._recent)) > 1 or number == self.shown:
            return None
        self.previous, self.shown = self.shown, number
        return READING if number is not None else CLEARED


def _broker(opts: CameraOptions) -> Any:
    """The MQTT publisher for `opts.mqtt`, if one is asked for (paho-mqtt is imported only then)."""
    if not opts.mqtt:
        return None
    from edgedigit.runtime.mqtt import Publisher

    return Publisher(opts.mqtt, opts.source)


def _emitter(out: TextIO, broker: Any, listener: Listener | None) -> Listener:
    """Where each event goes: `out` as a JSON line, the broker, the listener."""

    def emit(event: dict[str, Any]) -> None:
        _emit(out, event)
        if broker is not None:
            broker.publish(event)
        if listener is not None:
            listener(event)

    return emit


def _reopen(frames_in: Frames, stalled: bool, opts: CameraOptions, systemd: Notifier) -> Frames:
    """A live source that stalled (no frame for `frame_timeout`) or dropped, closed and opened again."""
    frames_in.close(stalled=stalled)
    why = f"sent no frame for {opts.frame_timeout:g} s" if stalled else "dropped"
    return Frames(_open(opts, why, systemd))


def _warn_once(warning: str | None, warned: str | None) -> str | None:
    """A warning line on stderr when it is new (not at every frame); returns the one now in force."""
    if warning is not None and warning != warned:
        print(f"edgedigit: warning: {warning}: nothing is read", file=sys.stderr, flush=True)
    return warning


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
