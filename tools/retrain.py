"""Retrain a run's best configuration from scratch on today's training mix, into a new run folder.

    python tools/retrain.py runs/SOURCE runs/NEW [--seed 1] [--data ../shared/mnist/mnist.npz] [--set cut_pieces=0]

The training mix changes more often than the architecture a search found for a budget: this trains the
source run's configuration (its summary.json's best_config: layers, learning rate, all its epochs) on the
mix the current `edgedigit train` defaults build (or with `--set` options changed, to measure one), as a search's
final retrain would, without searching
again (the bundled model was made so). summary.json records the options, the mix and the source, so
`edgedigit export` fits the temperature on this run's own validation split.
"""

from __future__ import annotations

import argparse
import ast
import json
import time
from dataclasses import replace
from pathlib import Path

from edgedigit.options import TrainOptions
from edgedigit.train import field_mix
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import load_mnist
from edgedigit.train.finetune import inherited_int8_grid, write_fitted_run
from edgedigit.train.fit import evaluate, fit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="a run folder of `edgedigit train` (its summary.json)")
    ap.add_argument("out", type=Path, help="the new run folder (created; must not hold a model yet)")
    ap.add_argument("--seed", type=int, default=TrainOptions.seed, help="the split's, the mix's and the fit's seed")
    ap.add_argument("--data", default=None, help="mnist.npz (default: Keras's download)")
    ap.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                    help="a training option other than its default, as train's (e.g. touching_pairs=0)")  # fmt: skip
    args = ap.parse_args()
    if (args.out / "model.keras").exists():
        raise SystemExit(f"{args.out} already holds a model: pick a new folder")
    started = time.monotonic()
    source_summary = json.loads((args.source / "summary.json").read_text())
    config = TrainConfig.from_dict(source_summary["best_config"])
    changed = dict(_option(text) for text in args.set)
    opts = TrainOptions(data=args.data, run=args.out.name, runs_dir=str(args.out.parent), seed=args.seed, **changed)
    opts.check()
    moments = config.moments if opts.moments is None else opts.moments  # the source's unless --set
    deskew = (config.deskew and not moments) if opts.deskew is None else opts.deskew  # moments shears upright itself
    config = replace(config, deskew=deskew, moments=moments)
    data = load_mnist(opts.data)
    split, mixed, _ = field_mix.training_split(opts, data)
    print(f"{args.source} -> {args.out}: {config.hidden}, {config.epochs} epochs, seed {opts.seed}; mix {mixed}")
    int8_grid = inherited_int8_grid(opts, source_summary)  # the source's unless --set
    result = fit(config, split, opts.seed, int8_grid=int8_grid)
    args.out.mkdir(parents=True, exist_ok=True)
    test_acc, _ = evaluate(result.model, data.x_test, data.y_test)
    chosen_from = f"{args.source}'s best configuration retrained from scratch (tools/retrain.py)"
    write_fitted_run(args.out, result, config, opts, mixed, test_acc, chosen_from, started, int8_grid)
    print(f"MNIST val {result.val_accuracy:.4f}, test {test_acc:.4f} -> {args.out / 'model.keras'}")


def _option(text: str) -> tuple[str, object]:
    """A --set OPTION=VALUE as train's option name and value: VALUE read as a Python literal (0.1, 3, True,
    None), else kept as text (a path); a default's type would make bool("False") true and fail on None."""
    name, sep, value = text.partition("=")
    if not sep or not hasattr(TrainOptions, name):
        raise SystemExit(f"--set {text!r}: expected OPTION=VALUE with one of TrainOptions' fields")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


if __name__ == "__main__":
    main()
