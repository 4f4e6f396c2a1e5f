"""Cold-process cost of `edgedigit classify one.jpg`: wall time and peak RSS, median over runs.

    python benchmarks/cold_start.py [--runs 7] [IMAGE | --phone]

Each run is a fresh interpreter (`python -m edgedigit classify IMAGE`), as a user or a service would start it.
`--phone` writes a 4000x3000 JPEG of the number 2026 on unevenly lit paper (a 12 MP phone photo) and reads that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHONE = """
import sys, cv2
from edgedigit.runtime.bench import synthetic_photo
cv2.imwrite(sys.argv[1], synthetic_photo(4000, 3000, "2026"), [cv2.IMWRITE_JPEG_QUALITY, 92])
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?", default=str(ROOT / "edgedigit" / "samples" / "digit_7.jpg"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--phone", action="store_true", help="read a synthetic 12 MP phone photo instead")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.phone:  # made in another process: a child forked from a large parent would count its pages
            args.image = str(Path(tmp) / "phone.jpg")
            subprocess.run([sys.executable, "-c", PHONE, args.image], check=True)
        measure(args.image, args.runs)


def measure(image: str, runs: int) -> None:
    """Wall time of each run, and the peak RSS of each classify process alone (wait4 on its pid)."""
    walls, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "edgedigit", "classify", image], stdout=subprocess.PIPE)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        walls.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"classify failed on {image}")
        peaks.append(usage.ru_maxrss / 1024)
    print(f"output: {out.decode().strip()}")
    print(
        f"cold classify: wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f}) "
        f"over {runs} runs; peak RSS {max(peaks):.0f} MB"
    )


if __name__ == "__main__":
    main()
