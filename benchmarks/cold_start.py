"""Cold-process cost of `edgedigit classify one.jpg`: wall time and peak RSS, median over runs.

    python benchmarks/cold_start.py [--runs 7] [IMAGE]

Each run is a fresh interpreter (`python -m edgedigit classify IMAGE`), as a user or a service would start it.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?", default=str(ROOT / "edgedigit" / "samples" / "digit_7.jpg"))
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    walls = []
    for _ in range(args.runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "edgedigit", "classify", args.image], capture_output=True, check=True
        )
        walls.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child's peak
    print(f"output: {out.stdout.decode().strip()}")
    print(
        f"cold classify: wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f}) "
        f"over {args.runs} runs; peak RSS {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
