"""A stand-in for picamera2 with the API surface edgedigit uses (global_camera_info, create_video_configuration,
configure, start, capture_array, stop, close), so `--camera picam` is tested on machines without a Pi camera.

Frames come from `Picamera2.scenes` (grey pictures, each shown for `Picamera2.hold` frames), delivered as a
YUV420 buffer the way libcamera lays it out: height rows of luma, then height/2 rows of packed chroma.
`fail_at` makes capture_array raise at that frame count (an unplugged camera), once per listed count.
"""

from __future__ import annotations

import numpy as np


class Picamera2:
    cameras: list[dict] = [{"Model": "fake imx708", "Num": 0}]
    scenes: list[np.ndarray] = []
    hold = 10
    fail_at: list[int] = []
    calls: list[tuple] = []  # what edgedigit asked for, in order
    captured = 0

    @staticmethod
    def global_camera_info() -> list[dict]:
        return list(Picamera2.cameras)

    def __init__(self, camera_num: int = 0) -> None:
        if camera_num >= len(Picamera2.cameras):
            raise IndexError("list index out of range")
        Picamera2.calls.append(("open", camera_num))
        self.size, self.format, self.running = (640, 480), "XBGR8888", False

    def create_video_configuration(self, main: dict | None = None, **kwargs) -> dict:
        return {"main": dict(main or {}), **kwargs}

    def configure(self, config: dict) -> None:
        self.size, self.format = tuple(config["main"]["size"]), config["main"]["format"]
        Picamera2.calls.append(("configure", self.size, self.format))

    def start(self) -> None:
        self.running = True
        Picamera2.calls.append(("start",))

    def capture_array(self, name: str = "main") -> np.ndarray:
        assert self.running and name == "main"
        Picamera2.captured += 1
        if Picamera2.captured in Picamera2.fail_at:
            raise RuntimeError("fake: camera unplugged")
        w, h = self.size
        scene = Picamera2.scenes[(Picamera2.captured // Picamera2.hold) % len(Picamera2.scenes)]
        assert scene.shape == (h, w) and self.format == "YUV420"
        return np.concatenate([scene, np.full((h // 2, w), 128, np.uint8)])

    def stop(self) -> None:
        self.running = False
        Picamera2.calls.append(("stop",))

    def close(self) -> None:
        Picamera2.calls.append(("close",))
