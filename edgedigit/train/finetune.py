"""`edgedigit train --finetune RUN [--extra DIGITS]`: a few epochs from RUN's model on MNIST plus the
field mix (plus the user's own digits), into a new run folder; minutes, not a full search. Without
--extra it carries a trained model over to a new training mix (the bundled model took `--written` so).

The user's digits are read by RUN's model before and by the new model after, both figures in
summary.json. Selection is on MNIST validation only; the test set is read once, for the summary.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
from rich.console import Console

from edgedigit import atomic
from edgedigit.errors import UserError
from edgedigit.options import TrainOptions
from edgedigit.sizes import count_params
from edgedigit.train import bundled, field_mix
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import load_mnist
from edgedigit.train.fit import FitResult, evaluate, fit, limit_step_threads
from edgedigit.train.progress import TrainProgress
from edgedigit.train.run_folder import dropped_on_bad_input, prepare_folder
from edgedigit.train.run_summary import versions

CHECK_IMAGES = 1000  # validation pictures the bundled model, rebuilt in Keras, must read as its int8 file does
LR_SHARE = 0.1  # fine-tuning starts at a tenth of the run's learning rate: nudge the model, do not retrain it


def write_fitted_run(
    folder: Path,
    result: FitResult,
    config: TrainConfig,
    opts: TrainOptions,
    mixed: dict[str, Any],
    test_acc: float,
    chosen_from: str,
    started: float,
    int8_grid: bool,
) -> dict[str, Any]:
    """Save a model trained outside a search (a fine-tune, a retrain) and its summary.json in `folder`,
    atomically; returns the summary. `started`: the run's time.monotonic() at its start; `int8_grid`: whether
    `fit` rounded its weights to the int8 grid."""
    with atomic.atomic_path(folder / "model.keras") as tmp:
        result.model.save(tmp)
    summary = {
        "run": folder.name,
        "model": "model.keras",
        "chosen_from": chosen_from,
        "val_accuracy": round(result.val_accuracy, 6),
        "test_accuracy": round(test_acc, 6),
        "params": count_params(config.hidden, config.pool, config.crop),
        "best_config": config.to_dict(),
        "options": opts.recorded(),
        "resolved": {
            "augment": config.augment,
            "elastic": config.elastic,
            "learning_rate": config.learning_rate,
            "int8_grid": int8_grid,
        },
        "training_mix": mixed,
        "wall_seconds": round(time.monotonic() - started, 1),
        "versions": versions(),
        "model_sha256": hashlib.sha256((folder / "model.keras").read_bytes()).hexdigest(),
    }
    atomic.write_json(folder / "summary.json", summary)
    return summary


def inherited_int8_grid(opts: TrainOptions, source_summary: dict[str, Any]) -> bool:
    """--int8-grid / --no-int8-grid as given; unset: as the source run's weights were (a run from before the
    option: as trained), so a model made for its int8 file stays on that file's grid."""
    if opts.int8_grid is not None:
        return opts.int8_grid
    return bool(source_summary.get("resolved", {}).get("int8_grid", False))


def finetune(opts: TrainOptions, console: Console) -> dict[str, Any]:
    """Fine-tune the model of run `opts.finetune` (or the bundled model: `--finetune bundled`) and write model.keras
    and summary.json to a new run."""
    source = Path(opts.finetune).expanduser()
    shipped = opts.finetune == bundled.NAME and not source.exists()
    if not shipped and (not (source / "model.keras").is_file() or not (source / "summary.json").is_file()):
        raise UserError(f"--finetune {source}: not a run folder of `edgedigit train` (model.keras, summary.json), "
                        f"nor `{bundled.NAME}` (the model edgedigit ships)")  # fmt: skip
    opts.check()
    limit_step_threads()  # before the models below are loaded: TensorFlow takes it only before its first op
    started = time.monotonic()
    folder = prepare_folder(opts)
    with dropped_on_bad_input(folder, fresh=not opts.resume):
        source_summary = bundled.summary() if shipped else json.loads((source / "summary.json").read_text())
        base = TrainConfig.from_dict(source_summary["best_config"])
        int8_grid = inherited_int8_grid(opts, source_summary)
        name = "the bundled model" if shipped else str(source)
        if opts.deskew is not None and opts.deskew != base.deskew:
            raise UserError(f"--finetune {name}: its model reads pictures "
                            f"{'deskewed' if base.deskew else 'as they are'}; a fine-tune keeps that (leave --deskew "
                            "/ --no-deskew out)")  # fmt: skip
        if opts.moments is not None and opts.moments != base.moments:
            raise UserError(f"--finetune {name}: its model reads pictures {'' if base.moments else 'not '}"
                            "moment-normalized; a fine-tune keeps that (leave --moments / --no-moments "
                            "out)")  # fmt: skip
        config = replace(base, epochs=opts.epochs, learning_rate=base.learning_rate * LR_SHARE,
                         distill=opts.distill_share, distill_temperature=opts.distill_temperature,
                         augment=base.augment if opts.augment is None else opts.augment,
                         elastic=base.elastic if opts.elastic is None else opts.elastic)  # fmt: skip
        teacher = keras.models.load_model(opts.teacher_file, safe_mode=True) if opts.distill_share > 0 else None
        data = load_mnist(opts.data)
        split, mixed, extra = field_mix.training_split(opts, data)
        model = (
            bundled.keras_model(source_summary, split.x_val[:CHECK_IMAGES])
            if shipped
            else keras.models.load_model(source / "model.keras", safe_mode=True)
        )
    before = evaluate(model, *extra)[0] if extra is not None else None
    yours = f"{len(extra[1])} of your digits (x{opts.extra_repeat}) read {before:.1%} before; " if extra else ""
    console.print(
        f"[bold]edgedigit train --finetune[/] {name} -> [cyan]{folder}[/]: {yours}{mixed['written']} written "
        f"on paper; {opts.epochs} epochs at lr {config.learning_rate:.3g}"
    )
    with TrainProgress(1, console) as bars:
        callbacks = [bars.epoch_callback("fine-tune", config)]
        result = fit(config, split, opts.seed, callbacks, model, teacher, int8_grid=int8_grid)
    after = evaluate(result.model, *extra)[0] if extra is not None else None
    test_acc, _ = evaluate(result.model, data.x_test, data.y_test)
    if extra is not None:
        mixed = {**mixed, "extra_accuracy": {"before": round(before, 4), "after": round(after, 4)}}
    chosen_from = f"fine-tuned from {name} ({opts.epochs} epochs, best validation epoch kept)"
    summary = write_fitted_run(folder, result, config, opts, mixed, test_acc, chosen_from, started, int8_grid)
    yours = f"your digits: {before:.1%} -> {after:.1%}; " if extra is not None else ""
    console.print(f"{yours}MNIST val {result.val_accuracy:.4f}, test {test_acc:.4f} -> {folder / 'model.keras'}")
    return summary
