"""Seconds per training epoch on the default training mix, for a configuration and several
`steps_per_execution` settings, alternated so that a machine's drift falls on each alike.

    python benchmarks/epoch_time.py --data ../shared/mnist/mnist.npz --hidden 338,874 --batch 32 \
        --steps 1,16 --rounds 3

Each round builds a fresh model with the same seed for each setting and times `--epochs` epochs of
`fit`'s own pipeline (affine + elastic distortion as the default search uses). It also checks that every
setting ends with the same weights as the first: steps per execution change how often Python is entered,
never what is computed.

`--step-threads N` gives TensorFlow's ops N threads (0: TensorFlow's own choice, every core) instead of the
product's `fit.step_threads()`; the setting holds for a whole process, so compare it across runs:

    for t in 0 1 0 1 0 1; do python benchmarks/epoch_time.py --data ../shared/mnist/mnist.npz --steps 16 \
        --rounds 1 --step-threads $t; done
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from edgedigit.options import TrainOptions  # noqa: E402
from edgedigit.train import field_mix  # noqa: E402
from edgedigit.train.config import TrainConfig  # noqa: E402
from edgedigit.train.data import load_mnist  # noqa: E402
from edgedigit.train.fit import fit  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--hidden", default="338,874")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", default="1,16", help="steps_per_execution settings to compare")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--step-threads", type=int, help="threads for TensorFlow's ops (0: its own choice)")
    args = ap.parse_args()
    if args.step_threads is not None:  # set and taken now, before fit() would set the product's number
        tf.config.threading.set_intra_op_parallelism_threads(args.step_threads)
        tf.constant(0.0).numpy()

    opts = TrainOptions(data=args.data)
    data = load_mnist(args.data)
    split, _, _ = field_mix.training_split(opts, data)
    base = TrainConfig(hidden=tuple(int(u) for u in args.hidden.split(",")), batch_size=args.batch,
                       epochs=args.epochs, augment=opts.augment_strength, elastic=opts.elastic_strength,
                       dropout=0.2)  # fmt: skip
    settings = [int(s) for s in args.steps.split(",")]
    times: dict[int, list[float]] = {s: [] for s in settings}
    weights: dict[int, list[np.ndarray]] = {}
    for _ in range(args.rounds):
        for s in settings:
            start = time.perf_counter()
            result = fit(base, split, seed=0, steps_per_execution=s)
            times[s].append((time.perf_counter() - start) / args.epochs)
            weights.setdefault(s, result.model.get_weights())
    threads = tf.config.threading.get_intra_op_parallelism_threads() or "TensorFlow's choice of"
    print(
        f"{len(split.x_train)} training images, {base.label}, batch {args.batch}, {args.epochs} epochs a fit, "
        f"{threads} threads for the steps"
    )
    for s in settings:
        same = all(np.array_equal(a, b) for a, b in zip(weights[s], weights[settings[0]]))
        runs = ", ".join(f"{t:.1f}" for t in times[s])
        print(
            f"steps_per_execution {s}: {statistics.median(times[s]):.1f} s an epoch (median; {runs}); "
            f"weights {'identical to' if same else 'DIFFERENT from'} {settings[0]}'s"
        )


if __name__ == "__main__":
    main()
