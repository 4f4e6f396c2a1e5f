"""Distillation from a small CNN (issue 12), as measured in session 10: train the teacher on a run's own
training mix, then refit a run's best MLP configuration with and without it. Trainer side: TensorFlow.

    python benchmarks/cnn_teacher.py teacher --out runs/cnn-teacher.keras [--epochs 8] [--written 0.8]
    python benchmarks/cnn_teacher.py student --config runs/kb32/summary.json --teacher runs/cnn-teacher.keras \
        --epochs 60 [--distill 0.7] [--seed 0] [--written 0] [--out runs/kb32-distilled.keras]

Both print the MNIST test accuracy (float); export a saved student with `edgedigit export FILE --int8`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from edgedigit.options import DISTILL_TEMPERATURE, TrainOptions  # noqa: E402
from edgedigit.train import field_mix  # noqa: E402
from edgedigit.train.config import TrainConfig  # noqa: E402
from edgedigit.train.data import load_mnist  # noqa: E402
from edgedigit.train.fit import evaluate, fit  # noqa: E402

TEACHER_LR = 2e-3  # Adam, cosine over the teacher's epochs
DISTORTION = {"augment": 0.6, "elastic": 0.5}  # the bundled model's own distortion


def cnn() -> keras.Sequential:
    """2x conv32, 2x conv64, dense 256, on raw uint8 28x28 pixels like the MLPs."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28), dtype="uint8", name="pixels"),
            layers.Rescaling(1 / 255),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ],
        name="cnn_teacher",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("teacher", "student"))
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/mnist/mnist.npz"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--written", type=float, default=TrainOptions.written)
    ap.add_argument("--config", help="student: a run's summary.json, whose best_config is refitted")
    ap.add_argument("--teacher", help="student: the teacher's .keras file (leave out for the labels alone)")
    ap.add_argument("--distill", type=float, default=0.7)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    started = time.monotonic()
    data = load_mnist(args.data)
    split, _, _ = field_mix.training_split(TrainOptions(data=args.data, seed=args.seed, written=args.written), data)
    if args.what == "teacher":
        base = TrainConfig(hidden=(16,), **DISTORTION)  # only the training settings are used: the model is the CNN
        config = replace(base, epochs=args.epochs, learning_rate=TEACHER_LR, optimizer="adam", schedule="cosine")
        result = fit(config, split, args.seed, model=cnn())
    else:
        base = TrainConfig.from_dict(json.loads(Path(args.config).read_text())["best_config"])
        share = args.distill if args.teacher else 0.0
        config = replace(base, epochs=args.epochs, distill=share, distill_temperature=DISTILL_TEMPERATURE)
        teacher = keras.models.load_model(args.teacher, safe_mode=True) if args.teacher else None
        result = fit(config, split, args.seed, teacher=teacher)
    accuracy, _ = evaluate(result.model, data.x_test, data.y_test)
    result.model.save(args.out)
    print(f"{args.what}: val {result.val_accuracy:.4f}, MNIST test {accuracy:.4f} (float), "
          f"{time.monotonic() - started:.0f} s -> {args.out}")  # fmt: skip


if __name__ == "__main__":
    main()
