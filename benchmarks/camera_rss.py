"""RSS of the camera service while it reads a live stream: `classify --camera URL --headless --service`
against a local 25 frames/s 640x480 MJPEG stream (benchmarks/streams.py), sampled from /proc every 2 s.

    python benchmarks/camera_rss.py [--data ../shared/mnist/mnist.npz] [--seconds 16]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.photos import photo  # noqa: E402
from benchmarks.streams import mjpeg  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "mnist" / "mnist.npz"))
    ap.add_argument("--seconds", type=int, default=16)
    args = ap.parse_args()
    digit = np.load(args.data)["x_test"][0]
    jpeg = cv2.imencode(".jpg", cv2.resize(photo([digit]), (640, 480)))[1].tobytes()
    with mjpeg([("stream", jpeg, 10**6)]) as (url, _):
        cmd = [sys.executable, "-m", "edgedigit", "classify", "--camera", url, "--headless", "--service"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        rss = []
        for _ in range(args.seconds // 2):
            time.sleep(2)
            status = Path(f"/proc/{proc.pid}/status").read_text().splitlines()
            rss.append(int(next(line for line in status if line.startswith("VmRSS")).split()[1]) / 1024)
        proc.kill()
    print(f"camera service RSS over {args.seconds} s, MB: {[round(r) for r in rss]}; max {max(rss):.0f}")


if __name__ == "__main__":
    main()
