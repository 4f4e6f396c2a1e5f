"""USPS accuracy of the whole device pipeline: each digit is written as a PNG and read back through
`read_image` -> `find_digits` -> the TFLite model, exactly as `edgedigit classify` reads a user's file.

    python benchmarks/usps_accuracy.py [--usps ../shared/usps/usps.npz] [--model PATH] [--plain]

USPS is never used for training: it only measures how the pipeline copes with digits that are not
MNIST. `--plain` also reports the naive baseline (resize 16x16 -> 28x28, no MNIST normalization).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.decode import read_image
from edgedigit.runtime.reader import read_digits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--usps", default="../shared/usps/usps.npz")
    ap.add_argument("--model", default=None)
    ap.add_argument("--plain", action="store_true")
    args = ap.parse_args()
    data = np.load(args.usps)
    x, y = data["x"], data["y"].astype(int)
    clf = Classifier(args.model, threads=1)
    pred = np.full(len(y), -1)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, img in enumerate(x):
            path = Path(tmp) / f"{i}.png"
            cv2.imwrite(str(path), img)
            reading = read_digits(read_image(path), clf, top_k=1)
            if len(reading.digits) == 1:
                pred[i] = reading.digits[0]
    secs = time.perf_counter() - start
    acc = float((pred == y).mean())
    print(f"model {clf.path} ({clf.manifest.get('quantization')})")
    print(
        f"USPS through the file pipeline: {acc:.4%} of {len(y)} "
        f"(no digit: {(pred == -1).sum()}, per image {secs / len(y) * 1e3:.2f} ms)"
    )
    for split, name in ((0, "train part"), (1, "test part")):
        m = data["split"] == split
        print(f"  {name}: {(pred[m] == y[m]).mean():.4%} of {m.sum()}")
    per_class = [(pred[y == c] == c).mean() for c in range(10)]
    print("  per class: " + " ".join(f"{c}:{a:.3f}" for c, a in enumerate(per_class)))
    if args.plain:
        plain = np.stack([cv2.resize(img, (28, 28), interpolation=cv2.INTER_LINEAR) for img in x])
        print(f"naive resize baseline: {(clf.predict_proba(plain).argmax(1) == y).mean():.4%}")


if __name__ == "__main__":
    main()
