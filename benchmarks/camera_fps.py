"""Camera-loop throughput at 640x480 on one core: frames/s of `edgedigit classify --camera` over a
generated video of a written number (decode + preprocess + int8 inference + stability logic).

    taskset -c 0 python benchmarks/camera_fps.py [--frames 600] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from edgedigit.runtime.camera import CameraOptions, run
from edgedigit.runtime.classifier import Classifier

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    clf = Classifier(threads=1)
    with tempfile.TemporaryDirectory() as tmp:
        video = number_video(Path(tmp) / "cam.avi", args.frames)
        rates = []
        for _ in range(args.runs):
            out = io.StringIO()
            start = time.perf_counter()
            n = run(clf, CameraOptions(source=video), out=out)
            rates.append(n / (time.perf_counter() - start))
    print(f"readings: {out.getvalue().strip()}")
    print(
        f"camera loop 640x480, 1 thread: median {statistics.median(rates):.0f} frames/s "
        f"(min {min(rates):.0f}, max {max(rates):.0f}) over {args.runs} runs of {args.frames} frames"
    )


def number_video(path: Path, frames: int) -> str:
    """A 640x480 MJPG video of the bundled sample's written number, `frames` long: a camera for benchmarks."""
    frame = letterbox(cv2.imread(str(ROOT / "edgedigit" / "samples" / "number_2026.jpg")), 640, 480)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    for _ in range(frames):
        writer.write(frame)
    writer.release()
    return str(path)


def letterbox(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """`img` scaled to fit width x height without distortion, on paper of its own border colour."""
    scale = min(width / img.shape[1], height / img.shape[0])
    small = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    paper = np.median(np.concatenate([img[0], img[-1]]), axis=0).astype(np.uint8)
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = paper
    y, x = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    frame[y : y + small.shape[0], x : x + small.shape[1]] = small
    return frame


if __name__ == "__main__":
    main()
