"""28x28 preprocess + int8 inference latency against the model's size, with untrained MLPs.

    python benchmarks/latency_vs_size.py [--hidden 256-256 512-256 ...] [--model PATH ...] [--runs 3]

Why: one image at a time is memory-bound. In a hot loop the int8 weights stay in L2; interleaved
with preprocessing they do not, and the slowdown grows with the weights' size (by 5-8 us from 123 KB to 743 KB,
on top of about 21 us that any work between two inferences costs: BENCHMARKS.md, session 30). Weights do not change
the cost of a forward pass, so untrained models give the same latency as trained ones of that shape.
Each model is timed in a fresh process, as `edgedigit bench` times its end-to-end 28x28 figure; the median of
`--runs` p50s is printed. Needs TensorFlow to build and convert the models (not the device path).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from edgedigit.converters import tflite
from edgedigit.runtime.classifier import load_backend
from edgedigit.runtime.manifest import FORMAT_VERSION, INPUT_MEANING, LABELS, LOGITS_MEANING, sha256_file, tensor_spec
from edgedigit.train.config import TrainConfig
from edgedigit.train.model import build_model

TIMER = """
import sys
import cv2
from edgedigit.runtime.bench import synthetic_digit, timeit
from edgedigit.runtime.reader import read_digits
from edgedigit.runtime.classifier import Classifier
cv2.setNumThreads(1)  # as `edgedigit bench` and `classify` run it
clf, digit = Classifier(sys.argv[1], threads=1), synthetic_digit()
print(timeit(lambda: read_digits(digit, clf), 3000)["p50_us"])
"""


def untrained(hidden: tuple[int, ...], folder: Path) -> Path:
    """An int8 TFLite model of this shape with a minimal manifest, so the runtime accepts it."""
    rng = np.random.default_rng(0)
    calibration = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    path = folder / "-".join(map(str, hidden)) / "model.tflite"
    path.parent.mkdir(parents=True)
    model = build_model(TrainConfig(hidden=hidden), seed=0)
    path.write_bytes(tflite.convert(model, "int8", calibration, logits=True))  # as `edgedigit export` makes it
    interpreter = load_backend()[0](model_path=str(path))
    manifest = {"format_version": FORMAT_VERSION, "sha256": sha256_file(path), "labels": LABELS,
                "input": tensor_spec(interpreter.get_input_details()[0], INPUT_MEANING),
                "output": {**tensor_spec(interpreter.get_output_details()[0], LOGITS_MEANING), "kind": "logits",
                           "temperature": 1.0},
                "quantization": "int8", "parity": {"passed": True}}  # fmt: skip
    path.with_suffix(".json").write_text(json.dumps(manifest))
    return path


def p50(model: Path, runs: int) -> float:
    """Median over `runs` fresh processes of the end-to-end 28x28 p50, in microseconds."""
    cmd = [sys.executable, "-c", TIMER, str(model)]
    return statistics.median(float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
                             for _ in range(runs))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", nargs="*", default=["256-128", "512-256", "600-300", "700-350", "800-400",
                                                    "900-400", "983-404-246"])  # fmt: skip
    ap.add_argument("--model", nargs="*", default=[], help="trained .tflite models to time as well")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = [untrained(tuple(int(u) for u in h.split("-")), Path(tmp)) for h in args.hidden]
        named = [(f"784-{h}-10 (untrained)", m) for h, m in zip(args.hidden, models)]
        named += [(m, Path(m)) for m in args.model]
        print(f"{'model':48s} {'bytes':>11s}  p50 us, 28x28 end to end")
        for name, model in named:
            print(f"{name:48s} {model.stat().st_size:>11,} {p50(model, args.runs):8.1f}")


if __name__ == "__main__":
    main()
