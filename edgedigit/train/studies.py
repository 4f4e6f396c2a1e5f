"""The search's Optuna study: opened in the run's own SQLite file or a shared --storage (workers racing to create
it retry), with heartbeats so a killed worker's trial is retried once, a sampler seeded so a seed repeats a
search, and which trials count towards --trials.

Trainer side only; never imported by the device runtime.
"""

from __future__ import annotations

import hashlib
import math
import os
import socket
import time
import warnings
from pathlib import Path

import optuna
import sqlalchemy.exc
from rich.console import Console

from edgedigit.errors import UserError
from edgedigit.options import TrainOptions, redact
from edgedigit.train import interrupts
from edgedigit.train.config import TrainConfig
from edgedigit.train.search import DUPLICATE, INTERRUPTED, NOT_TRAINED

LEGACY_STUDY = "edgedigit"  # the one study name runs used before studies were named after their run
HEARTBEAT = 10  # s between a running trial's heartbeats in the study database
GRACE = 3 * HEARTBEAT  # s without a heartbeat before other workers take a trial for dead and retry it once
# a small budget's final fit takes the largest network within this many standard errors of the best trial's
# validation accuracy: at --max-kb 8, seed 0, the best trial's 21 units (val 0.9762) made 97.76% MNIST test int8
# after 150 epochs, the 34 units 0.6 standard errors behind it (0.9750) 98.35%; no 32 KB run's choice changes
TIE_ERRORS = 1.0
OPEN_TRIES = 5  # workers started together race to create the tables and the study: the losers try again
OPEN_WAIT = 1.0  # s between those tries
# what losing that race raises: a table or study created by another worker between our check and our insert
RACES = (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError, optuna.exceptions.DuplicatedStudyError)
KILLED = "the process ended without a word (kill -9, power loss)"  # why a trial left RUNNING was stopped


def _study_name(opts: TrainOptions, folder: Path, storage: optuna.storages.BaseStorage) -> str:
    """--study, else the run's name; a run resumed from before studies were named keeps its old study."""
    if opts.study:
        return opts.study
    if opts.resume:
        names = optuna.get_all_study_names(storage)
        if folder.name not in names and LEGACY_STUDY in names:
            return LEGACY_STUDY
    return folder.name


def open_study(opts: TrainOptions, folder: Path, preset: bool) -> optuna.Study:
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
    study.sampler = optuna.samplers.TPESampler(seed=sampler_seed(opts, len(study.trials)),
                                               constant_liar=opts.storage is not None)  # fmt: skip
    return study


def _driver(url: str) -> str:
    """postgresql:// (the URL the README shows) with the driver the postgres extra installs; others as given."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url.removeprefix(scheme)
    return url


def sampler_seed(opts: TrainOptions, tried: int) -> int:
    """--seed for a new run, so a seed repeats a search; a resumed run or a worker joining a shared study
    draws new configurations rather than replaying the first ones (each worker its own stream)."""
    if tried == 0 and opts.storage is None:
        return opts.seed
    worker = f"{socket.gethostname()}:{os.getpid()}" if opts.storage else ""
    return int.from_bytes(hashlib.sha256(f"{opts.seed}:{tried}:{worker}".encode()).digest()[:4], "big")


def wait_for_other_workers(study: optuna.Study, stop: interrupts.Stop, console: Console) -> None:
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


def study_best(study: optuna.Study, val_count: int | None = None) -> tuple[int | None, TrainConfig | None]:
    """The study's best completed trial and its configuration, whichever worker ran it.

    With `val_count` (the validation images each trial was scored on), the trial with the most parameters among
    those whose validation accuracy lies within TIE_ERRORS standard errors of the best: what a small budget's
    final fit retrains for SMALL_FINAL_EPOCHS, where a trial's few epochs favour narrow nets that learn fast
    but stop learning first."""
    done = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)) if t.value]
    if not done:
        return None, None
    best = max(done, key=lambda t: t.value)
    if val_count:
        tied = best.value - TIE_ERRORS * math.sqrt(best.value * (1 - best.value) / val_count)
        best = max((t for t in done if t.value >= tied), key=lambda t: (t.user_attrs.get("params", 0), t.value))
    return best.number, TrainConfig.from_dict(best.user_attrs["config"])


def counts(trial: optuna.trial.FrozenTrial) -> bool:
    """Whether a trial counts towards --trials: completed or pruned; not stopped by a signal or killed (it is
    retried), not a configuration another trial already has, not a proposal over the budget (nothing trained)."""
    attrs = trial.user_attrs
    done = trial.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return done and not {INTERRUPTED, DUPLICATE, NOT_TRAINED} & attrs.keys()


def retry_interrupted(study: optuna.Study, alone: bool) -> None:
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
