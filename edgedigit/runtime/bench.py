"""`edgedigit bench`: latency of preprocessing and inference, batch throughput, per model.

Figures are medians and 99th percentiles over many repetitions in this process, after a warm-up.
Inputs are synthetic and seeded: an MNIST-sized digit and a 640x480 photo-like frame. `digit_28x28` is one digit
preprocessed and read by the model (what a model's size costs); `end_to_end_*` is the whole reader (`read_digits`:
lines, groups, separators, the number), as `classify` runs it.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.preprocess import find_digits
from edgedigit.runtime.reader import read_digits


def synthetic_photo(width: int = 640, height: int = 480, text: str = "7", seed: int = 0) -> np.ndarray:
    """Dark handwriting-like digits on unevenly lit grey paper with sensor noise (BGR uint8)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    paper = 170 + 50 * (xx / width) + 20 * (yy / height)
    img = np.clip(paper + rng.normal(0, 4, (height, width)), 0, 255).astype(np.uint8)
    scale = height / 110
    size, _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, max(2, int(scale * 2.5)))
    org = ((width - size[0]) // 2, (height + size[1]) // 2)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, 40, max(2, int(scale * 2.5)), cv2.LINE_AA)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def synthetic_digit(text: str = "3") -> np.ndarray:
    """A 28x28 white-on-black digit, MNIST-like."""
    img = np.zeros((28, 28), np.uint8)
    cv2.putText(img, text, (7, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    return img


def timeit(fn: Callable[[], Any], repeat: int, warmup: int = 20) -> dict[str, float]:
    """Median, p99 and mean of `fn` in microseconds."""
    for _ in range(warmup):
        fn()
    times = np.empty(repeat)
    for i in range(repeat):
        t = time.perf_counter_ns()
        fn()
        times[i] = time.perf_counter_ns() - t
    times /= 1000.0
    return {"p50_us": round(float(np.median(times)), 1), "p99_us": round(float(np.percentile(times, 99)), 1),
            "mean_us": round(float(times.mean()), 1)}  # fmt: skip


def bench_model(path: Path | None, threads: int | None, repeat: int, batch: int) -> dict[str, Any]:
    """All figures for one model."""
    clf = Classifier(path, threads=threads)
    digit, photo = synthetic_digit(), synthetic_photo()
    crops = np.stack([d.image for d in find_digits(digit)])
    many = np.repeat(crops, batch, axis=0)
    clf.predict_proba(many)
    t0 = time.perf_counter()
    rounds = max(3, repeat // 50)
    for _ in range(rounds):
        clf.predict_proba(many)
    throughput = rounds * batch / (time.perf_counter() - t0)
    return {
        "model": str(clf.path),
        "quantization": clf.manifest.get("quantization"),
        "bytes": clf.path.stat().st_size,
        "inference_1": timeit(lambda: clf.predict_proba(crops), repeat),
        "preprocess_28x28": timeit(lambda: find_digits(digit), repeat),
        "preprocess_640x480": timeit(lambda: find_digits(photo), repeat),
        "digit_28x28": timeit(lambda: clf.predict_proba(np.stack([d.image for d in find_digits(digit)])), repeat),
        "end_to_end_28x28": timeit(lambda: read_digits(digit, clf), repeat),
        "end_to_end_640x480": timeit(lambda: read_digits(photo, clf), repeat),
        f"batch_{batch}_images_per_s": round(throughput, 1),
        "read_640x480": read_digits(photo, clf).number,
    }


def environment(threads: int | None) -> dict[str, Any]:
    return {"machine": platform.machine(), "cpu": cpu_name(), "threads": threads, "opencv_threads": cv2.getNumThreads()}


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":")[0].strip() in ("model name", "Model", "Hardware"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
