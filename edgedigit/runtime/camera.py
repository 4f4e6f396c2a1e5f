"""The camera loop: frames from any cv2.VideoCapture source -> stable readings as JSON lines.

A reading is printed once it has been the same for `stable` consecutive frames and differs from
the last one printed, so a service log holds changes, not a line per frame. Live sources that
drop are reopened; a video file ends the loop when it ends.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np

from edgedigit.errors import UserError
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import Reading, read_digits


@dataclass(frozen=True)
class CameraOptions:
    source: str = "0"
    roi: tuple[int, int, int, int] | None = None
    max_frames: int | None = None
    stable: int = 3
    min_confidence: float = 0.6
    show: bool = False
    reconnect_tries: int = 5
    reconnect_delay: float = 1.0


def parse_roi(text: str | None) -> tuple[int, int, int, int] | None:
    """'x,y,w,h' -> a tuple of four non-negative ints (w, h positive)."""
    if not text:
        return None
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise UserError(f"--roi must be x,y,w,h in pixels, got {text!r}") from None
    if min(x, y) < 0 or min(w, h) <= 0:
        raise UserError(f"--roi needs x,y >= 0 and w,h > 0, got {text!r}")
    return x, y, w, h


def open_source(source: str) -> cv2.VideoCapture:
    """A camera index, device path, video file, stream URL or GStreamer pipeline, opened."""
    target: int | str = int(source) if source.isdigit() else source
    cap = cv2.VideoCapture(target)
    if not cap.isOpened():
        cap.release()
        raise UserError(f"cannot open camera source {source!r} (no such camera, file or stream)")
    return cap


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


def run(
    classifier: Classifier, opts: CameraOptions, out: TextIO = sys.stdout, clock: Callable[[], float] = time.monotonic
) -> int:
    """Read frames until the source ends, `max_frames`, or Ctrl-C; returns the number of frames read."""
    cap = open_source(opts.source)
    recent: deque[str | None] = deque(maxlen=opts.stable)
    last_printed: str | None = None
    frames, started = 0, clock()
    try:
        while opts.max_frames is None or frames < opts.max_frames:
            ok, frame = cap.read()
            if not ok:
                if _is_file(opts.source):
                    break
                cap = _reconnect(cap, opts)
                continue
            frames += 1
            reading = read_digits(frame, classifier, top_k=1, roi=opts.roi)
            key = reading.number if (reading.confidence or 0.0) >= opts.min_confidence else None
            recent.append(key)
            fps = frames / max(clock() - started, 1e-6)
            if len(recent) == opts.stable and len(set(recent)) == 1 and key is not None and key != last_printed:
                out.write(json.dumps(_event(reading, fps)) + "\n")
                out.flush()
                last_printed = key
            if opts.show and _show(frame, reading, opts.roi):
                break
    except KeyboardInterrupt:
        pass
    finally:
        cap.release()
        if opts.show:
            with contextlib.suppress(cv2.error):  # a build without a GUI has no windows to close
                cv2.destroyAllWindows()
    return frames


def _event(reading: Reading, fps: float) -> dict[str, Any]:
    return {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "number": reading.number,
        "confidence": round(reading.confidence or 0.0, 4),
        "digits": reading.to_json()["digits"],
        "fps": round(fps, 1),
    }


def _reconnect(cap: cv2.VideoCapture, opts: CameraOptions) -> cv2.VideoCapture:
    cap.release()
    for attempt in range(1, opts.reconnect_tries + 1):
        print(
            f"edgedigit: camera {opts.source!r} dropped, reconnecting ({attempt}/{opts.reconnect_tries})",
            file=sys.stderr,
        )
        time.sleep(opts.reconnect_delay)
        try:
            return open_source(opts.source)
        except UserError:
            continue
    raise UserError(f"camera {opts.source!r} stopped and did not come back after {opts.reconnect_tries} tries")


INSET_ZOOM = 3  # the model's 28x28 inputs are drawn 84x84 in the top-right corner


def _show(frame: np.ndarray, reading: Reading, roi: tuple[int, int, int, int] | None) -> bool:
    """Draw the ROI, the digit boxes, the crops the model saw and the reading; True when q or Esc was pressed."""
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
    try:
        cv2.imshow("edgedigit", view)
        return (cv2.waitKey(1) & 0xFF) in (ord("q"), 27)
    except cv2.error:
        raise UserError("--show needs an OpenCV build with GUI support (opencv-python, not -headless)") from None
