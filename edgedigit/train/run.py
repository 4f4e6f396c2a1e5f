"""`edgedigit train`: a search (or the seed preset) into a run folder, then the final model and report.

Selection uses only the validation split carved from the training images; the test set is
evaluated once, on the chosen model, for the report. The study lives in SQLite inside the run
folder by default, so an interrupted search resumes with the same `--run`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import optuna
from rich.console import Console
from rich.table import Table

from edgedigit.errors import UserError
from edgedigit.options import TrainOptions
from edgedigit.sizes import int8_kib
from edgedigit.train import field_mix, interrupts, run_folder, run_summary, studies, synth
from edgedigit.train.best_model import BestSoFar
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import Mnist, Split, load_mnist
from edgedigit.train.fit import fit, limit_step_threads
from edgedigit.train.progress import Phases, TrainProgress
from edgedigit.train.run_clock import RunClock
from edgedigit.train.search import (
    SEED_PRESET,
    Proposer,
    SearchSpace,
    make_objective,
    preset_proposer,
    reference_trial,
)


def train(opts: TrainOptions, console: Console) -> dict[str, Any]:
    """Run the whole job and return the summary (also written to summary.json)."""
    opts.check()
    limit_step_threads()  # before a teacher is loaded: TensorFlow takes it only before its first op
    started = time.monotonic()
    phases = Phases()
    folder = run_folder.prepare_folder(opts)
    with run_folder.dropped_on_bad_input(folder, fresh=not opts.resume):
        opts = run_folder.own_options(opts, folder)
        phases.mark("data")
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        preset = opts.preset == "seed"
        study = studies.open_study(opts, folder, preset)  # before the data: a bad --storage fails in seconds
        data, split, mixed, extra = _training_data(opts, folder, console)
    if not preset and not study.trials:
        study.enqueue_trial(reference_trial(opts.budget))
    studies.retry_interrupted(study, alone=opts.storage is None)
    state = BestSoFar(folder, study)
    n_trials = len(SEED_PRESET) if preset else opts.trials
    remaining = max(0, n_trials - sum(studies.counts(t) for t in study.trials))
    here: list[int] = []  # the trials this process ran (workers on one study each run some)
    propose = _proposer(opts, study, preset)
    teacher = keras.models.load_model(opts.teacher_file, safe_mode=True) if opts.distill_share > 0 else None

    # from here on, a first Ctrl-C or SIGTERM stops the search cleanly and a second one at once
    phases.mark("search")
    small = len(split.y_val) if opts.budget.small else None  # study_best's tie rule, for the final fit's choice
    clock = RunClock.start(started, opts.run_minutes, None if preset else opts.timeout, opts.final_epochs_count)
    clock.expect_final(_trial(study, studies.study_best(study, small)[0]))  # a resumed search's best so far
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
                deadline=None if preset else clock.search_deadline,
                int8_grid=opts.int8_grid_on,
            )  # fmt: skip
            after_trial = [
                lambda s, t: here.append(t.number),
                lambda s, t: bars.trial_done(t, state.best_val, studies.counts(t)),
                lambda s, t: (
                    (stop.requested or sum(map(studies.counts, s.get_trials(deepcopy=False))) >= n_trials) and s.stop()
                ),
            ]
            if not preset:  # --minutes: the search ends in time for the final fit of the trial it would retrain
                after_trial.append(lambda s, t: clock.after_trial(s, _trial(s, studies.study_best(s, small)[0])))
            _search(study, objective, after_trial, opts, remaining, stop, console)
            if not preset and not stop.requested:
                _final_fit(opts, study, state, split, small, phases, teacher, clock,
                           lambda cfg: [watch, bars.epoch_callback("final", cfg)])  # fmt: skip

        interrupted = stop.requested
        if state.best_config is None:
            raise _nothing_trained(opts, folder, interrupted)
        summary = run_summary.finish(
            opts, folder, data, split, study, state, started, phases, interrupted, mixed, extra, here, clock
        )
    if interrupted:  # one line: what was kept and how to go on
        console.print(f"edgedigit: {stop.signal}: search stopped; the best model so far ({state.source}, val "
                      f"{state.best_val:.4f}) is in {folder}; resume with: {run_folder.resume_command(opts, folder)}",
                      highlight=False, soft_wrap=True)  # fmt: skip
        return summary
    _print_result(console, study, summary, folder)
    return summary


def _search(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    after_trial: list[Callable[[optuna.Study, optuna.trial.FrozenTrial], Any]],
    opts: TrainOptions,
    remaining: int,
    stop: interrupts.Stop,
    console: Console,
) -> None:
    """The trials this process runs: the seed preset's remaining ones, or a search until the study holds --trials
    counted, --timeout or --minutes; on a shared study, then the trials other workers left running, and a dead
    worker's trial queued again meanwhile."""
    preset = opts.preset == "seed"
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


def _final_fit(
    opts: TrainOptions,
    study: optuna.Study,
    state: BestSoFar,
    split: Split,
    small: int | None,
    phases: Phases,
    teacher: keras.Model | None,
    clock: RunClock,
    callbacks: Callable[[TrainConfig], list[keras.callbacks.Callback]],
) -> None:
    """The study's best configuration (whichever worker trained it; under a small budget the largest of those tied
    with it) trained again for the final epochs, or as many as --minutes leaves (none when that is no more than its
    trial ran: the trial's model is that already); kept if it validates at least as well. Interrupted, the best
    trial stays."""
    best_trial, best = studies.study_best(study, small)
    best = best or state.best_config
    if best is None:
        return
    clock.expect_final(_trial(study, best_trial))
    state.final_epochs = clock.final_epochs_in_time()
    if not state.final_epochs:
        return
    state.final_from = best_trial
    phases.mark("final")
    final = replace(best, epochs=state.final_epochs)
    with contextlib.suppress(interrupts.Interrupted):
        result = fit(final, split, opts.seed, callbacks(final), teacher=teacher, int8_grid=opts.int8_grid_on)
        state.consider_final(final, result)


def _nothing_trained(opts: TrainOptions, folder: Path, interrupted: bool) -> UserError:
    """The one line for a run that ends without any model: interrupted (and how to resume), or no trial completed."""
    if interrupted:
        resume = run_folder.resume_command(opts, folder)
        exit_code = interrupts.EXIT_CODE
        return UserError(f"interrupted before any trial finished; resume with: {resume}", exit_code=exit_code)
    return UserError("no trial completed: widen the budget (--max-params/--max-kb) or raise --trials/--timeout")


def _trial(study: optuna.Study, number: int | None) -> optuna.trial.FrozenTrial | None:
    return None if number is None else study.get_trials(deepcopy=False)[number]


def _proposer(opts: TrainOptions, study: optuna.Study, preset: bool) -> Proposer:
    """What proposes each trial's configuration: the seed preset's list in order, or the search space the
    options bound (budget, epochs, augmentation, distillation, deskewing or moment normalization)."""
    if preset:
        return preset_proposer(lambda: study.get_trials(deepcopy=False))
    return SearchSpace(opts.epochs, opts.augment_strength, opts.elastic_strength, budget=opts.budget,
                       distill=opts.distill_share, distill_temperature=opts.distill_temperature,
                       deskew=opts.deskew_on, moments=opts.moments_on).suggest  # fmt: skip


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
