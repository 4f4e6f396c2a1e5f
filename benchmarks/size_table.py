"""One accuracy-size table over trained runs, each exported with `edgedigit export RUN --int8`: budget, best
configuration, test accuracy float and int8, the int8 file, 28x28 latency and USPS through the device.

    python benchmarks/size_table.py RUN... [--out size_table.png] [--repeat 2000]

Latency: `edgedigit bench` p50 of preprocess + inference for one 28x28 picture, median of 3 processes.
USPS: the worst of the three crops of benchmarks/field_accuracy.py at the runtime's confidence bar.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from field_accuracy import read_all, tally, usps_crops  # noqa: E402

from edgedigit.runtime.classifier import Classifier  # noqa: E402
from edgedigit.runtime.reader import MIN_CONFIDENCE  # noqa: E402
from edgedigit.train.config import TrainConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def latency_us(model: Path, repeat: int) -> float:
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-m", "edgedigit", "bench", "--model", str(model), "--repeat",
                              str(repeat), "--json"], capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
        runs.append(json.loads(out.stdout)["models"][0]["end_to_end_28x28"]["p50_us"])
    return statistics.median(runs)


def usps_worst(model: Path, usps: Path) -> float:
    data = np.load(usps)
    x, y = data["x"], list(data["y"].astype(int))
    clf = Classifier(model, threads=1, warn=False)
    return min(tally(read_all(clf, pics), y, MIN_CONFIDENCE).right / len(y) for pics in usps_crops(x).values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--usps", type=Path, default=ROOT.parent / "shared" / "usps" / "usps.npz")
    ap.add_argument("--repeat", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=Path("size_table.png"))
    args = ap.parse_args()
    rows = ["| budget | configuration | test, float / int8 | drop | int8 file | 28×28 p50 | USPS, worst crop |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    points = []
    for run in args.runs:
        summary = json.loads((run / "summary.json").read_text())
        parity = json.loads((run / "export-int8" / "parity.json").read_text())
        model = run / "export-int8" / "model.tflite"
        budget = summary["options"].get("max_kb")
        size = model.stat().st_size
        usps, latency = usps_worst(model, args.usps), latency_us(model, args.repeat)
        label = TrainConfig.from_dict(summary["best_config"]).label
        rows.append(f"| {f'--max-kb {budget:g}' if budget else 'none'} | {label} | {parity['float_accuracy']:.2%} / "
                    f"{parity['exported_accuracy']:.2%} | {parity['drop_pp']:+.2f} pp | {size:,} bytes | "
                    f"{latency:.1f} µs | {usps:.2%} |")  # fmt: skip
        points.append((size / 1024, parity["exported_accuracy"], label))
        print(rows[-1], flush=True)
    print("\n".join(rows))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p[0] for p in points], [100 * p[1] for p in points], "o-")
    for kb, acc, label in points:
        ax.annotate(label, (kb, 100 * acc), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xscale="log", xlabel="int8 model file (KiB)", ylabel="MNIST test accuracy, int8 (%)",
           title="Accuracy against size (one seed per budget)")  # fmt: skip
    fig.savefig(args.out, dpi=110, bbox_inches="tight")
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
