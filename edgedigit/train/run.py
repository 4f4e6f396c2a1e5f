"""`edgedigit train`: a search (or the seed preset) into a run folder, then the final model and report.

Selection uses only the validation split carved from the training images; the test set is
evaluated once, on the chosen model, for the report. The study lives in SQLite inside the run
folder by default, so an interrupted search resumes with the same `--run`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import optuna
from rich.console import Console
from rich.table import Table

from edgedigit import atomic
from edgedigit.errors import UserError
from edgedigit.options import TrainOptions
from edgedigit.sizes import BYTES_PER_KIB, count_params, int8_kib
from edgedigit.train import field_mix, interrupts, report, run_folder, studies, synth
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import Mnist, Split, load_mnist
from edgedigit.train.fit import FitResult, evaluate, fit
from edgedigit.train.progress import Phases, TrainProgress
from edgedigit.train.search import (
    SEED_PRESET,
    Proposer,
    SearchSpace,
    make_objective,
    preset_proposer,
    reference_trial,
)
from edgedigit.versions import versions as library_versions


def train(opts: TrainOptions, console: Console) -> dict[str, Any]:
    """Run the whole job and return the summary (also written to summary.json)."""
    opts.check()
    started = time.monotonic()
    phases = Phases()
    folder = run_folder.prepare_folder(opts)
    opts = run_folder.own_options(opts, folder)
    phases.mark("data")
    data, split, mixed, extra = _training_data(opts, folder, console)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    preset = opts.preset == "seed"
    study = studies.open_study(opts, folder, preset)
    if not preset and not study.trials:
        study.enqueue_trial(reference_trial(opts.budget))
    studies.retry_interrupted(study, alone=opts.storage is None)
    state = _BestSoFar(folder, study)
    n_trials = len(SEED_PRESET) if preset else opts.trials
    remaining = max(0, n_trials - sum(studies.counts(t) for t in study.trials))
    here: list[int] = []  # the trials this process ran (workers on one study each run some)
    propose = _proposer(opts, study, preset)
    teacher = keras.models.load_model(opts.teacher_file, safe_mode=True) if opts.distill_share > 0 else None

    # from here on, a first Ctrl-C or SIGTERM stops the search cleanly and a second one at once
    phases.mark("search")
    with interrupts.deferred() as stop:
        watch = interrupts.StopCallback(stop)
        with TrainProgress(n_trials, console) as bars:
            bars.skip(n_trials - remaining)
            objective = make_objective(
                propose, split, opts.seed,
                callbacks=lambda trial, cfg: [watch, bars.epoch_callback(f"trial {trial.number}", cfg)],
                on_result=state.consider,
                prune=not preset,
                teacher=teacher,  # used by configurations that distil; the seed preset's never do
            )  # fmt: skip
            after_trial = [
                lambda s, t: here.append(t.number),
                lambda s, t: bars.trial_done(t, state.best_val, studies.counts(t)),
                lambda s, t: (
                    (stop.requested or sum(map(studies.counts, s.get_trials(deepcopy=False))) >= n_trials) and s.stop()
                ),
            ]
            study.optimize(
                objective,
                n_trials=remaining if preset else None,  # a search stops when the study holds --trials counted
                timeout=None if preset else opts.timeout,
                callbacks=after_trial,
                gc_after_trial=True,
            )
            if opts.storage is not None:
                studies.wait_for_other_workers(study, stop, console)
                retries = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
                if retries and not stop.requested:  # a dead worker's trial, queued again while we waited
                    study.optimize(objective, n_trials=len(retries), callbacks=after_trial[:2], gc_after_trial=True)
            best_trial, best = studies.study_best(study)  # the study's best, whichever worker trained it
            best = best or state.best_config
            if not preset and best is not None and not stop.requested:
                state.final_from = best_trial
                phases.mark("final")
                final = replace(best, epochs=opts.final_epochs_count)
                callbacks = [watch, bars.epoch_callback("final", final)]
                with contextlib.suppress(interrupts.Interrupted):  # the best trial's model stays
                    state.consider_final(final, fit(final, split, opts.seed, callbacks, teacher=teacher))

        interrupted = stop.requested
        if state.best_config is None:
            if interrupted:
                resume = run_folder.resume_command(opts, folder)
                raise UserError(f"interrupted before any trial finished; resume with: {resume}",
                                exit_code=interrupts.EXIT_CODE)  # fmt: skip
            raise UserError("no trial completed: widen the budget (--max-params/--max-kb) or raise --trials/--timeout")
        summary = _finish(opts, folder, data, split, study, state, started, phases, interrupted, mixed, extra, here)
    if interrupted:  # one line: what was kept and how to go on
        console.print(f"edgedigit: {stop.signal}: search stopped; the best model so far ({state.source}, val "
                      f"{state.best_val:.4f}) is in {folder}; resume with: {run_folder.resume_command(opts, folder)}",
                      highlight=False, soft_wrap=True)  # fmt: skip
        return summary
    _print_result(console, study, summary, folder)
    return summary


def _proposer(opts: TrainOptions, study: optuna.Study, preset: bool) -> Proposer:
    """What proposes each trial's configuration: the seed preset's list in order, or the search space the
    options bound (budget, epochs, augmentation, distillation, deskewing)."""
    if preset:
        return preset_proposer(lambda: study.get_trials(deepcopy=False))
    return SearchSpace(opts.epochs, opts.augment_strength, opts.elastic_strength, budget=opts.budget,
                       distill=opts.distill_share, distill_temperature=opts.distill_temperature,
                       deskew=opts.deskew_on).suggest  # fmt: skip


def _training_data(
    opts: TrainOptions, folder: Path, console: Console
) -> tuple[Mnist, Split, dict[str, Any], tuple[np.ndarray, np.ndarray] | None]:
    """MNIST and the training mix the options ask for (with a sheet of its samples in `folder`), announced on
    the console; returns the data, the split, what went into the mix and the user's own digits."""
    data = load_mnist(opts.data)
    split, mixed, extra = field_mix.training_split(opts, data)
    if opts.fonts > 0 and mixed["fonts_found"] < synth.FEW_FONTS:
        console.print(f"[yellow]only {mixed['fonts_found']} fonts found[/]: font digits lack handwriting styles; "
                      f"for them: apt-get install {synth.FONT_PACKAGES}")  # fmt: skip
    added = slice(mixed["mnist"], None)
    field_mix.sample_sheet(folder / "field_samples.png", split.x_train[added], split.y_train[added])
    console.print(
        f"[bold]edgedigit train[/] run [cyan]{folder}[/]: {mixed['mnist']} MNIST train + "
        f"{mixed['font_digits']} font digits + {mixed['flagged_ones']} flagged 1s + {mixed['box_filled']} box-filled "
        f"+ {mixed['written']} written on paper + {mixed['non_digits']} non-digits"
        + (f" + {mixed['extra_digits']} of your digits x{opts.extra_repeat}" if extra is not None else "")
        + f" / {len(split.y_val)} val images from {data.source}; "
        f"test set ({len(data.y_test)}) kept for the final report"
    )
    return data, split, mixed, extra


def _print_result(console: Console, study: optuna.Study, summary: dict[str, Any], folder: Path) -> None:
    """The search's best trials and the chosen model's figures, once a run has finished."""
    _print_top(console, study)
    if summary.get("preset_comparison"):
        _print_preset(console, summary["preset_comparison"])
    console.print(
        f"best model: val {summary['val_accuracy']:.4f}, test {summary['test_accuracy']:.4f}, "
        f"{summary['params']} params (~{summary['int8_kb']} KiB int8) -> {folder / 'model.keras'}"
    )


class _BestSoFar:
    """Keeps model.keras equal to the best model by validation accuracy, saved atomically."""

    def __init__(self, folder: Path, study: optuna.Study) -> None:
        self.path = folder / "model.keras"
        self.best_val: float | None = None
        self.best_config: TrainConfig | None = None
        self.source = ""
        self.final_history: dict[str, list[float]] | None = None
        self.final_from: int | None = None  # the trial whose configuration the final retrain used
        previous = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
        if previous and self.path.exists():
            best = max(previous, key=lambda t: t.value)
            self.best_val, self.best_config = best.value, TrainConfig.from_dict(best.user_attrs["config"])
            self.source = f"trial {best.number}"

    def consider(self, trial: optuna.Trial, result: FitResult) -> None:
        if self.best_val is None or result.val_accuracy > self.best_val:
            self._save(result, TrainConfig.from_dict(trial.user_attrs["config"]), f"trial {trial.number}")

    def consider_final(self, config: TrainConfig, result: FitResult) -> None:
        self.final_history = result.history
        if self.best_val is None or result.val_accuracy >= self.best_val:
            self._save(result, config, f"final retrain ({config.epochs} epochs)")

    def _save(self, result: FitResult, config: TrainConfig, source: str) -> None:
        with atomic.atomic_path(self.path) as tmp:
            result.model.save(tmp)
        self.best_val, self.best_config, self.source = result.val_accuracy, config, source


def _finish(
    opts: TrainOptions,
    folder: Path,
    data: Mnist,
    split: Split,
    study: optuna.Study,
    state: _BestSoFar,
    started: float,
    phases: Phases,
    interrupted: bool,
    mixed: dict[str, Any],
    extra: tuple[np.ndarray, np.ndarray] | None,
    here: list[int],
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
        "resolved": {
            "augment": opts.augment_strength,
            "elastic": opts.elastic_strength,
            "final_epochs": opts.final_epochs_count,
            "distill": opts.distill_share,
            "deskew": opts.deskew_on,
            "teacher": str(opts.teacher_file) if opts.teacher_file else None,
            "max_params": opts.budget.max_params,
            "max_int8_bytes": opts.budget.max_bytes,
        },  # fmt: skip
        "training_mix": mixed,
        "trial_counts": counts,
        "trials_here": sorted(here),  # the rest of the study's trials ran in other workers (--study)
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "interrupted": interrupted,
        "wall_seconds": round(time.monotonic() - started, 1),
        "phase_seconds": phases.seconds,  # data (load, mix, teacher), search, final training, evaluation
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

    done = sorted((t for t in trials if t.value is not None), key=lambda t: -t.value)[:5]
    curves = {f"trial {t.number}": t.user_attrs.get("history", {}) for t in done}
    if state.final_history:
        curves = {"final": state.final_history, **curves}
    report.plot_curves(folder / "curves.png", curves)
    chosen = (summary["int8_kb"], summary["val_accuracy"])
    max_kb = opts.budget.max_bytes / BYTES_PER_KIB if opts.budget.max_bytes else None
    report.plot_size(folder / "size.png", rows, max_kb, chosen)
    report.write_report(folder / "report.md", summary, rows, report.plot_study(folder, study))
    return summary


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


def _print_top(console: Console, study: optuna.Study, top: int = 8) -> None:
    table = Table(title="top trials by validation accuracy")
    for col in ("#", "val acc", "hidden", "optimizer", "lr", "batch", "dropout", "epochs", "int8 KiB"):
        table.add_column(col, overflow="fold")  # narrow terminals and logs wrap a cell, never cut it
    ranked = sorted((t for t in study.trials if t.value is not None), key=lambda t: -t.value)[:top]
    for t in ranked:
        cfg = TrainConfig.from_dict(t.user_attrs["config"])
        table.add_row(str(t.number), f"{t.value:.4f}", cfg.label, cfg.optimizer, f"{cfg.learning_rate:.3g}",
                      str(cfg.batch_size), f"{cfg.dropout:.2f}", str(t.user_attrs.get("epochs_run")),
                      f"{int8_kib(cfg.hidden, cfg.pool, cfg.crop):.1f}")  # fmt: skip
    console.print(table)


def _print_preset(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="seed study: reported (on the test set it tuned on) vs now (validation, settings applied)")
    for col in ("config", "seed reported", "val accuracy now"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["name"], f"{r['seed_reported']:.4f}", "-" if r["val_accuracy"] is None else f"{r['val_accuracy']:.4f}"
        )
    console.print(table)


def versions() -> dict[str, str]:
    """The libraries a model was trained with, for its summary."""
    import tensorflow as tf

    return library_versions(tensorflow=tf, keras=keras, optuna=optuna, numpy=np)
