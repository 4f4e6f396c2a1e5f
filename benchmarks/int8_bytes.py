"""How many bytes an int8 export of an MLP takes, against `edgedigit.sizes.int8_file_bytes`'s estimate.

Exports untrained MLPs of many shapes (every input view the search can pick) exactly as `edgedigit export
--int8` does and fits the estimate's constants by least squares; the estimate must bound every file from
above, since `--max-kb` is checked against the real file at export. Run:

    .venv/bin/python benchmarks/int8_bytes.py
"""

from __future__ import annotations

import argparse
import itertools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from edgedigit.converters import tflite  # noqa: E402
from edgedigit.sizes import CROPS, NUM_CLASSES, POOLS, count_params, int8_file_bytes  # noqa: E402
from edgedigit.train.config import TrainConfig  # noqa: E402
from edgedigit.train.model import build_model  # noqa: E402

SHAPES = ((16,), (26,), (64,), (200,), (40, 16), (114, 32), (79, 39, 16), (300, 100), (64, 64, 64, 64))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    rng = np.random.default_rng(0)
    calibration = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    rows = []
    for hidden, pool, crop in itertools.product(SHAPES, POOLS, CROPS):
        model = build_model(TrainConfig(hidden=hidden, pool=pool, crop=crop, dropout=0))
        for layer in model.layers:  # distinct weights and biases: the converter stores equal buffers once, as
            if layer.weights:  # it would an untrained model's zero biases and its equally seeded layers
                layer.set_weights([rng.normal(0, 0.1, w.shape) for w in layer.get_weights()])
        size = len(tflite.convert(model, "int8", calibration, logits=True))
        units = sum(hidden) + NUM_CLASSES
        weights = count_params(hidden, pool, crop) - units
        rows.append((hidden, pool, crop, weights, units, len(hidden) + 1, size, int8_file_bytes(hidden, pool, crop)))
    # bytes = weights + a * units + b * layers + c + d * pooled + e * cropped
    design = np.array([[u, n, 1, p > 1, c > 0] for _, p, c, _, u, n, _, _ in rows], float)
    residual = np.array([size - w for _, _, _, w, _, _, size, _ in rows], float)
    fit, *_ = np.linalg.lstsq(design, residual, rcond=None)
    a, b, c, d, e = fit
    print(f"fit: bytes = weights + {a:.1f} * units + {b:.1f} * layers + {c:.0f} + {d:.0f} * pooled + {e:.0f} * cropped")
    print("| hidden | pool | crop | file bytes | estimate | slack |\n|---|---|---|---|---|---|")
    for hidden, pool, crop, _, _, _, size, estimate in rows:
        print(f"| {'-'.join(map(str, hidden))} | {pool} | {crop} | {size} | {estimate} | {estimate - size} |")
    print(f"smallest slack: {min(r[7] - r[6] for r in rows)} bytes (must be >= 0)")


if __name__ == "__main__":
    main()
