"""Camera-loop frames/s of `edgedigit serve --camera` pinned to one core, with and without one viewer on
the live view (/stream.mjpg, 10 annotated JPEGs a second): the frame counter of /metrics over a window.
The camera is a generated 640x480 MJPG video of a written number, read as fast as the loop goes.

    python benchmarks/serve_fps.py [--frames 3000] [--seconds 6] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.camera_fps import number_video  # noqa: E402

WARMUP = 2.0  # s after start before counting: model load, first frames


def frames_counted(url: str) -> int:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        counters = dict(line.split() for line in response.read().decode().splitlines())
    return int(counters["edgedigit_camera_frames_total"])


def watch(url: str, stop: threading.Event, got: list[int]) -> None:
    """One viewer: read the multipart live view until told to stop."""
    with urllib.request.urlopen(url + "/stream.mjpg", timeout=30) as response:
        while not stop.is_set():
            chunk = response.read(65536)
            if not chunk:
                return
            got[0] += chunk.count(b"--frame")


def one_run(video: str, seconds: float, viewer: bool) -> tuple[float, int]:
    cmd = ["taskset", "-c", "0", sys.executable, "-m", "edgedigit", "serve", "--port", "0", "--camera", video,
           "--threads", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    try:
        url = proc.stdout.readline().split()[-1]
        stop, views = threading.Event(), [0]
        if viewer:
            threading.Thread(target=watch, args=(url, stop, views), daemon=True).start()
        time.sleep(WARMUP)
        first, start = frames_counted(url), time.monotonic()
        views[0] = 0
        time.sleep(seconds)
        rate = (frames_counted(url) - first) / (time.monotonic() - start)
        stop.set()
        return rate, round(views[0] / seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = number_video(Path(tmp) / "cam.avi", args.frames)
        results: dict[bool, list[tuple[float, int]]] = {False: [], True: []}
        for _ in range(args.runs):
            for viewer in (False, True):
                results[viewer].append(one_run(video, args.seconds, viewer))
    for viewer, runs in results.items():
        rates = [r for r, _ in runs]
        views = statistics.median(v for _, v in runs)
        who = f"one viewer ({views:.0f} views/s)" if viewer else "no viewer"
        print(f"serve --camera, one core, {who}: median {statistics.median(rates):.0f} frames/s "
              f"(min {min(rates):.0f}, max {max(rates):.0f}) over {len(rates)} runs")  # fmt: skip


if __name__ == "__main__":
    main()
