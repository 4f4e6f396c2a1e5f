"""`edgedigit train`: a search (or the seed preset) into a run folder, then the final model and report.

Selection uses only the validation split carved from the training images; the test set is
evaluated once, on the chosen model, for the report. The study lives in SQLite inside the run
folder by default, so an interrupted search resumes with the same `--run`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import optuna
import sqlalchemy.exc
from rich.console import Console
from rich.table import Table

from edgedigit import atomic
from edgedigit.errors import UserError
from edgedigit.options import TrainOptions, redact
from edgedigit.sizes import BYTES_PER_KIB, count_params, int8_kib
from edgedigit.train import field_mix, interrupts, report, synth
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import Mnist, Split, load_mnist
from edgedigit.train.fit import FitResult, evaluate, fit
from edgedigit.train.progress import Phases, TrainProgress
from edgedigit.train.search import (
    DUPLICATE,
    INTERRUPTED,
    NOT_TRAINED,
    SEED_PRESET,
    Proposer,
    SearchSpace,
    make_objective,
    preset_proposer,
    reference_trial,
)
from edgedigit.versions import versions as library_versions

LEGACY_STUDY = "edgedigit"  # the one study name runs used before studies were named after their run
HEARTBEAT = 10  # s between a running trial's heartbeats in the study database
GRACE = 3 * HEARTBEAT  # s without a heartbeat before other workers take a trial for dead and retry it once
OPEN_TRIES = 5  # workers started together race to create the tables and the study: the losers try again
OPEN_WAIT = 1.0  # s between those tries
# what losing that race raises: a table or study created by another worker between our check and our insert
RACES = (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError, optuna.exceptions.DuplicatedStudyError)
KILLED = "the process ended without a word (kill -9, power loss)"  # why a trial left RUNNING was stopped


def train(opts: TrainOptions, console: Console) -> dict[str, Any]:
    """Run the whole job and return the summary (also written to summary.json)."""
    opts.check()
    started = time.monotonic()
    phases = Phases()
    folder = prepare_folder(opts)
    opts = own_options(opts, folder)
    phases.mark("data")
    data, split, mixed, extra = _training_data(opts, folder, console)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    preset = opts.preset == "seed"
    study = _open_study(opts, folder, preset)
    if not preset and not study.trials:
        study.enqueue_trial(reference_trial(opts.budget))
    _retry_interrupted(study, alone=opts.storage is None)
    state = _BestSoFar(folder, study)
    n_trials = len(SEED_PRESET) if preset else opts.trials
    remaining = max(0, n_trials - sum(_counts(t) for t in study.trials))
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
                lambda s, t: bars.trial_done(t, state.best_val, _counts(t)),
                lambda s, t: (
                    (stop.requested or sum(map(_counts, s.get_trials(deepcopy=False))) >= n_trials) and s.stop()
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
                _wait_for_other_workers(study, stop, console)
                retries = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
                if retries and not stop.requested:  # a dead worker's trial, queued again while we waited
                    study.optimize(objective, n_trials=len(retries), callbacks=after_trial[:2], gc_after_trial=True)
            best_trial, best = _study_best(study)  # the study's best, whichever worker trained it
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
                raise UserError(f"interrupted before any trial finished; resume with: {_resume_command(opts, folder)}",
                                exit_code=interrupts.EXIT_CODE)  # fmt: skip
            raise UserError("no trial completed: widen the budget (--max-params/--max-kb) or raise --trials/--timeout")
        summary = _finish(opts, folder, data, split, study, state, started, phases, interrupted, mixed, extra, here)
    if interrupted:  # one line: what was kept and how to go on
        console.print(f"edgedigit: {stop.signal}: search stopped; the best model so far ({state.source}, val "
                      f"{state.best_val:.4f}) is in {folder}; resume with: {_resume_command(opts, folder)}",
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


def _study_name(opts: TrainOptions, folder: Path, storage: optuna.storages.BaseStorage) -> str:
    """--study, else the run's name; a run resumed from before studies were named keeps its old study."""
    if opts.study:
        return opts.study
    if opts.resume:
        names = optuna.get_all_study_names(storage)
        if folder.name not in names and LEGACY_STUDY in names:
            return LEGACY_STUDY
    return folder.name


def _open_study(opts: TrainOptions, folder: Path, preset: bool) -> optuna.Study:
    """The run's study (or --study) in the run's own SQLite file or --storage, with heartbeats so a killed
    worker's trial is taken for dead and retried once, and a sampler that does not replay what was tried."""
    url = _driver(opts.storage) if opts.storage else f"sqlite:///{(folder / 'study.db').resolve()}"
    pruner = optuna.pruners.NopPruner() if preset else optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=3)
    for attempt in range(OPEN_TRIES):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna; they are what we need
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                storage = optuna.storages.RDBStorage(
                    url, heartbeat_interval=HEARTBEAT, grace_period=GRACE,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
                    engine_kwargs={"pool_pre_ping": True} if opts.storage else None,
                )  # fmt: skip
            study = optuna.create_study(study_name=_study_name(opts, folder, storage), storage=storage,
                                        direction="maximize", pruner=pruner, load_if_exists=True)  # fmt: skip
            break
        except Exception as exc:  # noqa: BLE001 - storage back ends raise their own error types
            if attempt + 1 < OPEN_TRIES and isinstance(exc, RACES):
                time.sleep(OPEN_WAIT)  # another worker created the same tables or study a moment ago
                continue
            detail = redact(f"{url} ({type(exc).__name__}: {str(exc)[:100]})")  # the password stays out
            raise UserError(f"cannot open Optuna storage {detail}") from None
    study.set_user_attr("options", opts.recorded())
    study.sampler = optuna.samplers.TPESampler(seed=_sampler_seed(opts, len(study.trials)),
                                               constant_liar=opts.storage is not None)  # fmt: skip
    return study


def _driver(url: str) -> str:
    """postgresql:// (the URL the README shows) with the driver the postgres extra installs; others as given."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url.removeprefix(scheme)
    return url


def _sampler_seed(opts: TrainOptions, tried: int) -> int:
    """--seed for a new run, so a seed repeats a search; a resumed run or a worker joining a shared study
    draws new configurations rather than replaying the first ones (each worker its own stream)."""
    if tried == 0 and opts.storage is None:
        return opts.seed
    worker = f"{socket.gethostname()}:{os.getpid()}" if opts.storage else ""
    return int.from_bytes(hashlib.sha256(f"{opts.seed}:{tried}:{worker}".encode()).digest()[:4], "big")


def _wait_for_other_workers(study: optuna.Study, stop: interrupts.Stop, console: Console) -> None:
    """On a shared study, other workers may still be training a trial when this one stops: wait until they
    finish (or their heartbeat goes stale), so the final model comes from the study's true best."""
    said = False
    while not stop.requested:
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if not running:
            return
        if not said:
            console.print(f"waiting for {len(running)} trial(s) other workers are still running", highlight=False)
            said = True
        time.sleep(HEARTBEAT)
        optuna.storages.fail_stale_trials(study)  # a killed worker's trial, silent for GRACE seconds


def _study_best(study: optuna.Study) -> tuple[int | None, TrainConfig | None]:
    """The study's best completed trial and its configuration, whichever worker ran it."""
    done = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)) if t.value]
    if not done:
        return None, None
    best = max(done, key=lambda t: t.value)
    return best.number, TrainConfig.from_dict(best.user_attrs["config"])


def _counts(trial: optuna.trial.FrozenTrial) -> bool:
    """Whether a trial counts towards --trials: completed or pruned; not stopped by a signal or killed (it is
    retried), not a configuration another trial already has, not a proposal over the budget (nothing trained)."""
    attrs = trial.user_attrs
    done = trial.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return done and not {INTERRUPTED, DUPLICATE, NOT_TRAINED} & attrs.keys()


def _retry_interrupted(study: optuna.Study, alone: bool) -> None:
    """Queue again, once each, the configurations of trials a signal stopped (a resumed search). With the
    run's own study file (`alone`: the run lock keeps every other process out), a trial still RUNNING was
    killed: it is marked so and retried too; on shared storage the heartbeat finds such trials."""
    if alone:
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            study._storage.set_trial_user_attr(t._trial_id, INTERRUPTED, KILLED)
            study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
    retried = list(study.user_attrs.get("retried", []))
    for t in study.get_trials(deepcopy=False):
        if INTERRUPTED in t.user_attrs and t.number not in retried:
            study.enqueue_trial(t.params, skip_if_exists=False)
            retried.append(t.number)
    if retried != study.user_attrs.get("retried", []):
        study.set_user_attr("retried", retried)


def _resume_command(opts: TrainOptions, folder: Path) -> str:
    """The command that continues this run: the run folder holds every other option (options.json)."""
    runs_dir = "" if opts.runs_dir == TrainOptions.runs_dir else f" --runs-dir {opts.runs_dir}"
    storage = "" if opts.storage is None else f" --storage {redact(opts.storage)}"  # the password: the user's
    return f"edgedigit train --run {folder.name}{runs_dir}{storage} --resume"


OPTIONS_FILE = "options.json"
LOCK_FILE = ".lock"
PLACE = ("run", "runs_dir", "resume", "force", "finetune")  # where and how a run goes, not what it is
GROWABLE = ("trials", "timeout")  # a resumed search may be given more of these, never less
# options added since a run may have begun, and the value such a run had without them: a resume keeps it
BEFORE_THEY_EXISTED = {"written": 0.0, "closed_fours": 0.0, "touching_pairs": 0.0, "cut_pieces": 0.0, "deskew": False}


def own_options(opts: TrainOptions, folder: Path) -> TrainOptions:
    """A new run stores its options in the run folder; a resumed one takes them back, so it continues the
    same search. An option given with --resume that differs from the stored one is refused (a larger
    --trials or --timeout is taken); a storage URL is compared without its password, which is never stored."""
    path = folder / OPTIONS_FILE
    if opts.resume and path.is_file():
        stored, defaults, taken = {**BEFORE_THEY_EXISTED, **json.loads(path.read_text())}, TrainOptions(), {}
        for key, value in stored.items():
            given = getattr(opts, key)
            shown = redact(given) if key == "storage" else given
            if shown == value:
                continue  # the same (a storage URL keeps the password given now)
            if given == getattr(defaults, key):
                if key == "storage" and value != redact(value):
                    raise UserError(f"this run's study is in {value}: give --storage with its password to resume")
                taken[key] = value
            elif key in GROWABLE and None not in (given, value) and given > value:
                continue
            else:
                raise UserError(f"--{key.replace('_', '-')} {shown} differs from this run's {value!r} ({path}): "
                                "leave it out to resume the same search, or start a new --run")  # fmt: skip
        opts = replace(opts, **taken)
    atomic.write_json(path, {k: v for k, v in opts.recorded().items() if k not in PLACE})
    return opts


def prepare_folder(opts: TrainOptions) -> Path:
    """RUNS_DIR/RUN, created and locked for this process; an existing one only with --resume (kept) or
    --force (emptied), and never one another process is writing."""
    name = opts.run or time.strftime("run-%Y%m%d-%H%M%S")
    folder = Path(opts.runs_dir) / name
    if folder.exists() and any(folder.iterdir()):
        _lock(folder)
        if opts.force:
            shutil.rmtree(folder)
        elif not opts.resume:
            raise UserError(f"{folder} already exists: add --resume to continue it or --force to start over")
    folder.mkdir(parents=True, exist_ok=True)
    _lock(folder)
    return folder


_LOCKS: dict[Path, Any] = {}  # open lock files: held until the process ends


def _lock(folder: Path) -> None:
    """Take the run folder's lock (released by the system when this process ends, however it ends)."""
    if folder.resolve() in _LOCKS and (folder / LOCK_FILE).exists():
        return  # ours already
    path = folder / LOCK_FILE
    lock = open(path, "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise UserError(
            f"{folder} is being written by {holder}: wait for it to finish, or give another --run"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"edgedigit train (pid {os.getpid()})")
    lock.flush()
    _LOCKS[folder.resolve()] = lock


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
