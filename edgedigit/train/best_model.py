"""The run folder's model.keras kept equal to the best model so far by validation accuracy, saved atomically:
after each trial, after the final retrain, and as found again when a search resumes.
Trainer side only; never imported by the device runtime.
"""

from __future__ import annotations

from pathlib import Path

import optuna

from edgedigit import atomic
from edgedigit.train.config import TrainConfig
from edgedigit.train.fit import FitResult


class BestSoFar:
    """Keeps model.keras equal to the best model by validation accuracy, saved atomically."""

    def __init__(self, folder: Path, study: optuna.Study) -> None:
        self.path = folder / "model.keras"
        self.best_val: float | None = None
        self.best_config: TrainConfig | None = None
        self.source = ""
        self.final_history: dict[str, list[float]] | None = None
        self.final_from: int | None = None  # the trial whose configuration the final retrain used
        self.final_epochs: int | None = None  # the epochs --minutes left it (0: no more than its trial ran, so none)
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
