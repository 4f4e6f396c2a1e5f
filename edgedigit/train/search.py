"""The Optuna search over MLP configurations, and the seed study's preset configurations.

Each trial proposes a `TrainConfig`, trains it with `training.fit`, reports validation accuracy
every epoch so hopeless trials are pruned, and stores its config and curves as user attributes,
so that the study database alone is enough to write every report and to resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import optuna

from edgedigit.sizes import Budget, count_params
from edgedigit.train.config import TrainConfig
from edgedigit.train.data import Split
from edgedigit.train.fit import FitResult, fit
from edgedigit.train.interrupts import Interrupted

MIN_UNITS = 16
REFERENCE_POOL = 2  # a small budget's first trial reads 14x14 averages: 4x the hidden units of 28x28, little lost
# ...of the central 20x20 (10x10): as accurate as 14x14 of all of it at 32 KB (98.4 / 98.3%, 30 epochs, no
# distortion) with twice the units left, and 97.1 against 96.3% at 8 KB
REFERENCE_CROP = 4
MAX_UNITS = 1024


def _seed_config(
    hidden: tuple[int, ...],
    batch_size: int = 64,
    lr: float = 0.01,
    momentum: float = 0.0,
    decay: float = 0.0,
    dropout: float = 0.0,
) -> TrainConfig:
    """A seed-notebook configuration: plain SGD, 20 epochs, no augmentation, Keras-2 style `decay`."""
    return TrainConfig(
        hidden, dropout=dropout, optimizer="sgd", learning_rate=lr, momentum=momentum,
        schedule="inverse_time" if decay else "constant", lr_decay=decay, batch_size=batch_size, epochs=20, augment=0,
    )  # fmt: skip


# The seed notebook's configurations, now with their settings really applied, and the test
# accuracies it reported (it validated on the test set).
SEED_PRESET: list[tuple[str, TrainConfig, float]] = [
    ("32-32 sgd bs64", _seed_config((32, 32)), 0.937),
    ("64-64 sgd bs64", _seed_config((64, 64)), 0.9425),
    ("32-32 lr.01 m.9 decay1e-6 bs64", _seed_config((32, 32), momentum=0.9, decay=1e-6), 0.9354),
    ("32-32 lr.01 m.9 decay1e-6 bs128", _seed_config((32, 32), 128, momentum=0.9, decay=1e-6), 0.9253),
    ("32-32 lr.01 m.9 decay1e-6 bs32", _seed_config((32, 32), 32, momentum=0.9, decay=1e-6), 0.95),
    ("32-32-32 lr.01 m.9 bs64", _seed_config((32, 32, 32), momentum=0.9, decay=1e-6), 0.9596),
    ("128-128 dropout.5 lr.01 m.9 bs64", _seed_config((128, 128), momentum=0.9, decay=1e-6, dropout=0.5), 0.9452),
    ("32-32 lr.09 m.9 bs32", _seed_config((32, 32), 32, lr=0.09, momentum=0.9), 0.956),
]


@dataclass(frozen=True)
class SearchSpace:
    """What the search varies; the rest of the recipe (epochs, augmentation, schedule) is fixed."""

    epochs: int
    augment: float
    elastic: float = 0.0
    budget: Budget = Budget()
    max_layers: int = 4
    distill: float = 0.0
    distill_temperature: float = 1.0
    deskew: bool = False
    moments: bool = False

    def suggest(self, trial: optuna.Trial) -> TrainConfig | None:
        """A configuration within the budget, or None when this depth cannot fit it."""
        pools, crops = usable_pools(self.budget), self.budget.crops
        pool = trial.suggest_categorical("pool", list(pools)) if len(pools) > 1 else pools[0]
        crop = trial.suggest_categorical("crop", list(crops)) if len(crops) > 1 else crops[0]
        n_layers = trial.suggest_int("n_layers", 1, self.max_layers)
        hidden: list[int] = []
        for i in range(n_layers):
            cap = widest(self.budget, hidden, n_layers - i - 1, pool, crop)
            if cap < MIN_UNITS:
                return None
            hidden.append(trial.suggest_int(f"units_{i}", MIN_UNITS, cap, log=True))
        optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        if optimizer == "sgd":
            lr = trial.suggest_float("lr_sgd", 1e-3, 0.3, log=True)
            momentum = trial.suggest_float("momentum", 0.0, 0.95)
        else:
            lr = trial.suggest_float("lr_adam", 1e-4, 3e-3, log=True)
            momentum = 0.0
        return TrainConfig(
            hidden=tuple(hidden),
            pool=pool,
            crop=crop,
            dropout=trial.suggest_float("dropout", 0.0, 0.5),
            optimizer=optimizer,
            learning_rate=lr,
            momentum=momentum,
            weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            batch_size=trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
            schedule="cosine",
            epochs=self.epochs,
            augment=self.augment,
            elastic=self.elastic,
            distill=self.distill,
            distill_temperature=self.distill_temperature,
            deskew=self.deskew,
            moments=self.moments,
        )


def usable_pools(budget: Budget) -> tuple[int, ...]:
    """The input downsamplings the budget allows searching at which a MIN_UNITS-wide layer fits (the
    coarsest one when none does: the options check refuses such a budget before a search starts)."""
    return tuple(p for p in budget.pools if budget.fits([MIN_UNITS], p)) or (max(budget.pools),)


def widest(budget: Budget, chosen: list[int], layers_after: int, pool: int = 1, crop: int = 0) -> int:
    """The widest next layer that still leaves room for the remaining layers at minimum width (0: none)."""
    if not budget.bounded:
        return MAX_UNITS
    best = 0
    lo, hi = 1, MAX_UNITS
    while lo <= hi:
        mid = (lo + hi) // 2
        if budget.fits([*chosen, mid, *([MIN_UNITS] * layers_after)], pool, crop):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return best


# The best configuration this project's searches found when trained to the end: the bundled model's (session 15's
# search). On the default training mix, 50 epochs, weights on the int8 grid, it validated at 0.9937 and 0.9938 (seeds
# 0 and 1, session 31), where the recipe's 784-512-512-10 validated at 0.9925-0.9935 (default runs of sessions 26, 27
# and 32). A default search on a 2-core machine ends before its sampler's trials pass the first one in 3 of its last
# 4 runs, so the first trial is what a default run retrains.
BEST_KNOWN = {"n_layers": 4, "units_0": 445, "units_1": 358, "units_2": 518, "units_3": 16, "optimizer": "adam",
              "lr_adam": 1.33e-3, "dropout": 0.08, "weight_decay": 1.55e-6, "batch_size": 128}  # fmt: skip
BEST_KNOWN_HIDDEN = [BEST_KNOWN[f"units_{i}"] for i in range(BEST_KNOWN["n_layers"])]


def reference_trial(budget: Budget) -> dict[str, object]:
    """A known-good point tried first, so even a short search has one to beat: BEST_KNOWN where the budget fits it,
    else the recipe's 784-512-512-10 (Adam, dropout 0.25), or under a tight budget the widest single hidden layer
    that fits (on 10x10 averages of the input's central 20x20 where the budget is small enough for the search to
    downsample)."""
    if budget.fits(BEST_KNOWN_HIDDEN):
        return dict(BEST_KNOWN)
    if budget.fits([512, 512]):
        return {"n_layers": 2, "units_0": 512, "units_1": 512, "optimizer": "adam", "lr_adam": 1e-3,
                "dropout": 0.25, "weight_decay": 1e-5, "batch_size": 128}  # fmt: skip
    pools = usable_pools(budget)
    pool = REFERENCE_POOL if REFERENCE_POOL in pools else max(pools)
    crop = REFERENCE_CROP if REFERENCE_CROP in budget.crops else 0
    width = max(MIN_UNITS, widest(budget, [], 0, pool, crop))
    choice = ({"pool": pool} if len(pools) > 1 else {}) | ({"crop": crop} if len(budget.crops) > 1 else {})
    return {**choice, "n_layers": 1, "units_0": width, "optimizer": "adam", "lr_adam": 1e-3, "dropout": 0.0,
            "weight_decay": 1e-6, "batch_size": 64}  # fmt: skip


class PruningCallback(keras.callbacks.Callback):
    """Reports validation accuracy to Optuna each epoch and stops hopeless trials."""

    def __init__(self, trial: optuna.Trial) -> None:
        super().__init__()
        self.trial = trial

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.trial.report(float((logs or {}).get("val_accuracy", 0.0)), step=epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at epoch {epoch + 1}")


class OutOfTime(Exception):
    """Raised inside a trial's training when the search's time (`--timeout`, or `--minutes` less the final fit's) is
    up."""


class Deadline(keras.callbacks.Callback):
    """Stops a trial still training when the search's time is up, so `--timeout` bounds the search (give or take
    an epoch) instead of only when its last trial may start: session 23's default run searched for 1,201 s of
    a 900 s timeout, its last trial started just before the end. `at` gives the moment (a `time.monotonic()` value,
    None for none), asked after every epoch: a run's `--minutes` move it as the search finds its best trial."""

    def __init__(self, at: Callable[[], float | None]) -> None:
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        at = self.at()
        if at is not None and time.monotonic() >= at and epoch + 1 < self.params["epochs"]:
            raise OutOfTime(f"the search's time ran out after epoch {epoch + 1}")


Proposer = Callable[[optuna.Trial], TrainConfig | None]
OnResult = Callable[[optuna.Trial, FitResult], None]


INTERRUPTED = "interrupted"  # user attribute of a trial stopped by a signal or the timeout: retried once on --resume
DUPLICATE = "duplicate_of"  # user attribute of a trial whose configuration another trial has: not trained
NOT_TRAINED = "over_budget"  # user attribute of a proposal no network of its depth fits the budget with


def make_objective(
    propose: Proposer,
    split: Split,
    seed: int,
    callbacks: Callable[[optuna.Trial, TrainConfig], list[keras.callbacks.Callback]],
    on_result: OnResult,
    prune: bool,
    teacher: keras.Model | None = None,
    deadline: Callable[[], float | None] | None = None,
    int8_grid: bool = False,
) -> Callable[[optuna.Trial], float]:
    """The function Optuna calls per trial; every trial records its config, size and time. A trial still
    training at the moment `deadline` gives (a `time.monotonic()` value) is stopped and retried on --resume.
    `int8_grid`: each trial's model is rounded to its int8 export's grid (`fit`) and validated so."""

    def objective(trial: optuna.Trial) -> float:
        config = propose(trial)
        if config is None:
            trial.set_user_attr("note", "over the budget at this depth: not trained")
            trial.set_user_attr(NOT_TRAINED, True)
            raise optuna.TrialPruned("over budget")
        trial.set_user_attr("config", config.to_dict())
        twin = same_config(trial)
        if twin is not None:  # workers sharing a study, or an enqueued configuration queued twice
            trial.set_user_attr(DUPLICATE, twin)
            raise optuna.TrialPruned(f"the configuration of trial {twin}: not trained twice")
        trial.set_user_attr("params", count_params(config.hidden, config.pool, config.crop))
        extra = [PruningCallback(trial)] if prune else []
        extra += [Deadline(deadline)] if deadline is not None else []
        start = time.monotonic()
        history: dict[str, list[float]] = {}
        recorder = HistoryRecorder(history)
        try:
            result = fit(
                config, split, seed, [recorder, *extra, *callbacks(trial, config)], teacher=teacher, int8_grid=int8_grid
            )
        except Interrupted as exc:  # Ctrl-C or SIGTERM: the trial did not fail, it was stopped
            trial.set_user_attr(INTERRUPTED, f"{exc} during epoch {len(history.get('loss', [])) + 1}")
            raise optuna.TrialPruned(f"interrupted by {exc}") from None
        except OutOfTime as exc:
            trial.set_user_attr(INTERRUPTED, str(exc))
            raise optuna.TrialPruned(str(exc)) from None
        finally:
            trial.set_user_attr("seconds", round(time.monotonic() - start, 1))
            trial.set_user_attr("history", history)
            trial.set_user_attr("epochs_run", len(history.get("loss", [])))
        on_result(trial, result)
        return result.val_accuracy

    return objective


def same_config(trial: optuna.Trial) -> int | None:
    """The number of an earlier live trial (running or finished, not stopped, not itself a duplicate) with
    this trial's configuration, if any: what every worker on a study checks before training."""
    config = trial.user_attrs["config"]
    states = (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    for other in trial.study.get_trials(deepcopy=False, states=states):
        attrs = other.user_attrs
        if other.number < trial.number and INTERRUPTED not in attrs and DUPLICATE not in attrs:
            if attrs.get("config") == config:
                return other.number
    return None


class HistoryRecorder(keras.callbacks.Callback):
    """Keeps the per-epoch logs in a dict the caller owns, so pruned trials keep their curves."""

    def __init__(self, history: dict[str, list[float]]) -> None:
        super().__init__()
        self.history = history

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(round(float(value), 6))


def preset_proposer(study_trials: Callable[[], list[optuna.trial.FrozenTrial]]) -> Proposer:
    """Proposes the first seed configuration that has no completed trial yet (so resuming works)."""

    def propose(trial: optuna.Trial) -> TrainConfig | None:
        done = {t.user_attrs.get("preset") for t in study_trials() if t.state == optuna.trial.TrialState.COMPLETE}
        for name, config, _ in SEED_PRESET:
            if name not in done:
                trial.set_user_attr("preset", name)
                return config
        raise optuna.TrialPruned("all preset configurations done")

    return propose
