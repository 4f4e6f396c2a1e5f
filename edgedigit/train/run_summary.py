"""A finished run's record: the chosen model evaluated once on the test set, `summary.json` (options, resolved
values, training mix, phases, versions) and every report file (trials.csv, plots, report.md).
Trainer side only; never imported by the device runtime.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import optuna

from edgedigit import atomic
from edgedigit.options import TrainOptions
from edgedigit.sizes import BYTES_PER_KIB, count_params, int8_kib
from edgedigit.train import report
from edgedigit.train.best_model import BestSoFar
from edgedigit.train.data import Mnist, Split
from edgedigit.train.fit import evaluate
from edgedigit.train.progress import Phases
from edgedigit.train.run_clock import RunClock
from edgedigit.train.search import SEED_PRESET
from edgedigit.versions import versions as library_versions


def finish(
    opts: TrainOptions,
    folder: Path,
    data: Mnist,
    split: Split,
    study: optuna.Study,
    state: BestSoFar,
    started: float,
    phases: Phases,
    interrupted: bool,
    mixed: dict[str, Any],
    extra: tuple[np.ndarray, np.ndarray] | None,
    here: list[int],
    clock: RunClock,
) -> dict[str, Any]:
    """Evaluate the chosen model once on the test set and write every report file."""
    phases.mark("evaluation")
    model = keras.models.load_model(folder / "model.keras", safe_mode=True)
    test_acc, test_pred = evaluate(model, data.x_test, data.y_test)
    if extra is not None:
        mixed = {**mixed, "extra_accuracy": _extra_accuracy(model, extra)}
    trials = study.get_trials(deepcopy=False)
    rows = report.trial_rows(trials)
    report.write_trials_csv(folder / "trials.csv", rows)
    best = state.best_config
    params = count_params(best.hidden, best.pool, best.crop)
    counts = {s.name.lower(): sum(t.state == s for t in trials) for s in optuna.trial.TrialState if s.is_finished()}
    phases.mark(None)
    summary: dict[str, Any] = {
        "run": folder.name,
        "study": study.study_name,
        "model": "model.keras",
        "chosen_from": state.source,
        "final_from_trial": state.final_from,  # the study's best trial, maybe another worker's (--study)
        "val_accuracy": round(float(state.best_val), 6),
        "test_accuracy": round(test_acc, 6),
        "params": params,
        "int8_kb": round(int8_kib(best.hidden, best.pool, best.crop), 1),  # the export measures the file
        "best_config": state.best_config.to_dict(),
        "options": opts.recorded(),
        "resolved": opts.resolved(),
        "training_mix": mixed,
        "trial_counts": counts,
        "trials_here": sorted(here),  # the rest of the study's trials ran in other workers (--study)
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "interrupted": interrupted,
        "wall_seconds": round(time.monotonic() - started, 1),
        "phase_seconds": phases.seconds,  # data (load, mix, teacher), search, final training, evaluation
        # "minutes" when --minutes ended the search to leave the final fit its expected seconds
        "search_stopped_by": clock.stopped_by,
        "final_fit_expected_seconds": round(clock.final_seconds, 1),
        "final_fit_epochs": state.final_epochs,  # below resolved.final_epochs where --minutes cut it; null: none due
        "data": {
            "source": data.source,
            "sha256": data.sha256,
            "train": mixed["mnist"],  # MNIST images; the training mix added to them is listed apart
            "val": len(split.y_val),
            "test": len(data.y_test),
        },  # fmt: skip
        "versions": versions(),
        "model_sha256": hashlib.sha256((folder / "model.keras").read_bytes()).hexdigest(),
    }
    if opts.preset == "seed":
        summary["preset_comparison"] = _preset_comparison(trials)
    cm = report.plot_confusion(folder / "confusion.png", data.y_test, test_pred, f"test set, accuracy {test_acc:.4f}")
    summary["confusion_matrix"] = cm.tolist()
    atomic.write_json(folder / "summary.json", summary)

    _plot(folder, opts, trials, state, rows, summary)
    report.write_report(folder / "report.md", summary, rows, report.plot_study(folder, study))
    return summary


def _plot(
    folder: Path,
    opts: TrainOptions,
    trials: list[optuna.trial.FrozenTrial],
    state: BestSoFar,
    rows: list[dict[str, Any]],
    summary: dict[str, Any],
) -> None:
    """The run's learning curves (the final fit and the five best trials) and its accuracy against size."""
    done = sorted((t for t in trials if t.value is not None), key=lambda t: -t.value)[:5]
    curves = {f"trial {t.number}": t.user_attrs.get("history", {}) for t in done}
    if state.final_history:
        curves = {"final": state.final_history, **curves}
    report.plot_curves(folder / "curves.png", curves)
    chosen = (summary["int8_kb"], summary["val_accuracy"])
    max_kb = opts.budget.max_bytes / BYTES_PER_KIB if opts.budget.max_bytes else None
    report.plot_size(folder / "size.png", rows, max_kb, chosen)


def _extra_accuracy(model: keras.Model, extra: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """The user's own digits read by the bundled model they had (before) and by the new one (after)."""
    from edgedigit.runtime.classifier import Classifier

    x, y = extra
    before = float((Classifier().predict_proba(x).argmax(1) == y).mean())
    after, _ = evaluate(model, x, y)
    return {"before_bundled": round(before, 4), "after": round(after, 4)}


def _preset_comparison(trials: list[optuna.trial.FrozenTrial]) -> list[dict[str, Any]]:
    """The seed's reported accuracies (measured on the test set it tuned on) beside honest validation accuracy."""
    out = []
    for name, _, reported in SEED_PRESET:
        vals = [t.value for t in trials if t.user_attrs.get("preset") == name and t.value is not None]
        out.append({"name": name, "seed_reported": reported, "val_accuracy": round(vals[-1], 4) if vals else None})
    return out


def versions() -> dict[str, str]:
    """The libraries a model was trained with, for its summary."""
    import tensorflow as tf

    return library_versions(tensorflow=tf, keras=keras, optuna=optuna, numpy=np)
