"""One accuracy-size table over trained runs, each exported with `edgedigit export RUN --int8`: per budget
(runs of one budget with different seeds pooled) the configurations, test accuracy of the int8 models (mean
and range), float -> int8 drop and agreement, the int8 files, 28x28 latency and USPS through the device.

    python benchmarks/size_table.py RUN[=ROW]... [--out size_table.png] [--json edgedigit/train/size_table.json]

A RUN is a run folder exported with `edgedigit export RUN --int8` (its summary.json and export-int8/), or a folder
holding model.tflite, parity.json and training_summary.json (edgedigit/models, the bundled model). Runs are pooled
into rows by their --max-kb, or by the ROW named after `=` (a retrained bundled configuration has no budget).
Latency: `edgedigit bench` p50 of preprocess + inference for one 28x28 picture, median of 3 processes.
USPS: the worst of the three crops of benchmarks/field_accuracy.py at the runtime's confidence bar.
`--json` writes the rows where every run's report.md shows them next to its own (edgedigit.train.report).
"""

from __future__ import annotations

import argparse
import datetime
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

from edgedigit import atomic  # noqa: E402
from edgedigit.runtime.classifier import Classifier  # noqa: E402
from edgedigit.runtime.reader import MIN_CONFIDENCE  # noqa: E402
from edgedigit.train.config import TrainConfig  # noqa: E402
from edgedigit.train.report import SIZE_TABLE_HEADER, size_table_row  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def latency_us(model: Path, repeat: int) -> float:
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-m", "edgedigit", "bench", "--model", str(model), "--repeat",
                              str(repeat), "--json"], capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
        runs.append(json.loads(out.stdout)["models"][0]["digit_28x28"]["p50_us"])
    return statistics.median(runs)


def usps_worst(model: Path, usps: Path) -> float:
    data = np.load(usps)
    x, y = data["x"], list(data["y"].astype(int))
    clf = Classifier(model, threads=1)
    return min(tally(read_all(clf, pics), y, MIN_CONFIDENCE).right / len(y) for pics in usps_crops(x).values())


def run_figures(run: Path, usps: Path, row: str | None) -> dict:
    """One exported run: its configuration, float and int8 test accuracy, agreement, file and USPS."""
    exported = run if (run / "model.tflite").is_file() else run / "export-int8"
    summary_file = run / "summary.json" if (run / "summary.json").is_file() else run / "training_summary.json"
    summary = json.loads(summary_file.read_text())
    parity = json.loads((exported / "parity.json").read_text())
    model = exported / "model.tflite"
    budget = summary["options"].get("max_kb")
    return {
        "row": row or (f"--max-kb {budget:g}" if budget else "none"),
        "seed": summary["options"].get("seed"),
        "label": TrainConfig.from_dict(summary["best_config"]).label,
        "float": parity["float_accuracy"],
        "int8": parity["exported_accuracy"],
        "agreement": parity["agreement"],
        "bytes": model.stat().st_size,
        "usps": usps_worst(model, usps),
        "model": model,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="RUN or RUN=ROW: runs of one budget (or ROW) are pooled")
    ap.add_argument("--usps", type=Path, default=ROOT.parent / "shared" / "usps" / "usps.npz")
    ap.add_argument("--repeat", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=Path("size_table.png"))
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here (the reports' copy: "
                    "edgedigit/train/size_table.json)")  # fmt: skip
    args = ap.parse_args()
    groups: dict[str, list[dict]] = {}
    for spec in args.runs:
        run, _, row = spec.partition("=")
        figures = run_figures(Path(run), args.usps, row or None)
        groups.setdefault(figures["row"], []).append(figures)
        print(run, {k: v for k, v in figures.items() if k != "model"}, flush=True)
    records = []
    for name, runs in groups.items():
        int8 = [r["int8"] for r in runs]
        drop = statistics.mean(r["float"] - r["int8"] for r in runs)
        sizes = sorted({r["bytes"] for r in runs})
        latency = latency_us(runs[0]["model"], args.repeat)
        records.append({"budget": name, "seeds": len(runs), "configurations": [r["label"] for r in runs],
                        "int8_mean": statistics.mean(int8), "int8_min": min(int8), "int8_max": max(int8),
                        "drop_pp": 100 * drop, "agreement_worst": min(r["agreement"] for r in runs), "bytes": sizes,
                        "p50_us": latency, "usps_worst": statistics.mean(r["usps"] for r in runs)})  # fmt: skip
    print("\n".join([*SIZE_TABLE_HEADER, *map(size_table_row, records)]))
    if args.json is not None:
        command = "python benchmarks/size_table.py " + " ".join(args.runs)
        table = {"command": command, "measured": datetime.date.today().isoformat(), "rows": records}
        atomic.write_text(args.json, json.dumps(table, indent=1) + "\n")
        print(f"rows: {args.json}")
    fig, ax = plt.subplots(figsize=(6, 4))
    xs, means = [max(r["bytes"]) / 1024 for r in records], [100 * r["int8_mean"] for r in records]
    spread = [[100 * (r["int8_mean"] - r["int8_min"]) for r in records],
              [100 * (r["int8_max"] - r["int8_mean"]) for r in records]]  # fmt: skip
    ax.errorbar(xs, means, yerr=spread, fmt="o-", capsize=3)
    for x, mean, r in zip(xs, means, records):
        ax.annotate(r["budget"], (x, mean), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xscale="log", xlabel="int8 model file (KiB)", ylabel="MNIST test accuracy, int8 (%)",
           title="Accuracy against size (mean and range over seeds)")  # fmt: skip
    fig.savefig(args.out, dpi=110, bbox_inches="tight")
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
