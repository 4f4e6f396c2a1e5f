"""The Raspberry Pi camera module through picamera2 (libcamera), as a capture with OpenCV's read/release.

On Raspberry Pi OS the camera module is driven by libcamera, which `cv2.VideoCapture(0)` does not open.
picamera2 comes from apt (`python3-picamera2`); a venv sees it only when made with
`--system-site-packages`, which device/install.sh does on a Pi. Frames are asked for as YUV420 and only
the luma plane is kept: the reader works on grey, so no colour conversion is spent per frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgedigit.errors import CameraError

PREFIX = "picam"
SIZE = (640, 480)  # enough pixels for a line of digits; 640 is 64-aligned, so the luma rows carry no padding
INSTALL_HINT = (
    "--camera picam needs picamera2: sudo apt install python3-picamera2, in a venv made with "
    "--system-site-packages (device/install.sh does both on a Pi)"
)


def is_picam(source: str) -> bool:
    """`picam` or `picam:N` (the Nth camera module)."""
    return source == PREFIX or source.startswith(PREFIX + ":")


def _number(source: str) -> int:
    text = source.partition(":")[2] or "0"
    if not text.isdigit():
        raise CameraError(f"--camera {source!r}: write picam or picam:N with N a camera number")
    return int(text)


def _picamera2() -> Any:
    try:
        from picamera2 import Picamera2
    except ImportError:
        raise CameraError(INSTALL_HINT) from None
    return Picamera2


def cameras() -> list[str]:
    """The camera modules libcamera sees, as `picam:N` sources; none where picamera2 is not installed."""
    try:
        from picamera2 import Picamera2
    except ImportError:
        return []
    return [f"{PREFIX}:{i}" for i, _ in enumerate(Picamera2.global_camera_info())]


class PicamCapture:
    """`read()` -> (ok, grey frame) and `release()`, like cv2.VideoCapture, over a started Picamera2."""

    def __init__(self, source: str, size: tuple[int, int] = SIZE) -> None:
        picamera2, number = _picamera2(), _number(source)
        if number >= len(picamera2.global_camera_info()):
            raise CameraError(f"cannot open camera source {source!r} (libcamera sees no camera {number})")
        self.camera = picamera2(camera_num=number)
        self.camera.configure(self.camera.create_video_configuration(main={"size": size, "format": "YUV420"}))
        self.camera.start()
        self.height = size[1]

    def isOpened(self) -> bool:  # OpenCV's name, so the camera loop treats both captures alike
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        """The next frame's luma plane; (False, None) when the camera has gone (unplugged, libcamera error)."""
        try:
            frame = self.camera.capture_array("main")
        except (RuntimeError, OSError):
            return False, None
        return True, np.ascontiguousarray(frame[: self.height])

    def release(self) -> None:
        try:
            self.camera.stop()
        finally:
            self.camera.close()
