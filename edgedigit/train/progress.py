"""Progress of a long search: in a terminal, rich bars (trials; epochs of the current run); elsewhere (nohup,
CI, systemd, a pipe) one plain line per finished trial and per phase, so a log shows where the search is."""

from __future__ import annotations

import time

import keras
import optuna
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edgedigit.train.config import TrainConfig


class TrainProgress:
    """Context manager owning the bars; `epoch_callback` gives a Keras callback that moves them."""

    def __init__(self, total_trials: int | None, console: Console) -> None:
        self.console, self.total, self.done = console, total_trials, 0
        self.plain = not console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[stats]}"),
            console=console,
            transient=False,
        )
        self.trials = self.progress.add_task("trials", total=total_trials, stats="")
        self.epochs = self.progress.add_task("epochs", total=1, stats="", visible=False)

    def __enter__(self) -> TrainProgress:
        if not self.plain:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.plain:
            self.progress.stop()

    def skip(self, finished: int) -> None:
        """Trials a resumed search had finished before."""
        self.done = finished
        self.progress.update(self.trials, completed=finished)

    def trial_done(self, trial: optuna.trial.FrozenTrial, best: float | None, counted: bool = True) -> None:
        """One finished trial; `counted` is False for one that does not count towards --trials (a duplicate,
        a proposal over the budget, an interrupted one): shown, not advanced."""
        self.done += counted
        stats = f"best val {best:.4f}" if best is not None else ""
        self.progress.update(self.trials, advance=int(counted), stats=stats)
        if self.plain:
            config = trial.user_attrs.get("config", {})
            label = TrainConfig.from_dict(config).label if config.get("hidden") else "not trained"
            value = f"val {trial.value:.4f}" if trial.value is not None else trial.state.name.lower()
            best_text = f"best {best:.4f}" if best is not None else "no best yet"
            seconds = trial.user_attrs.get("seconds", 0)
            tally = f"{self.done}/{self.total} trials" + ("" if counted else ", this one not counted")
            line = f"trial {trial.number} {value} ({label}, {seconds} s); {best_text}; {tally}"
            self.console.print(line, highlight=False, soft_wrap=True)

    def epoch_callback(self, title: str, config: TrainConfig) -> keras.callbacks.Callback:
        self.progress.reset(self.epochs, total=config.epochs, visible=True, description=title, stats=config.label)
        if self.plain and not title.startswith("trial"):  # a phase of its own: the final retrain
            self.console.print(f"{title}: {config.label}, {config.epochs} epochs", highlight=False, soft_wrap=True)
        return _EpochBar(self.progress, self.epochs, config.label)


class _EpochBar(keras.callbacks.Callback):
    def __init__(self, progress: Progress, task: int, label: str) -> None:
        super().__init__()
        self.progress, self.task, self.label = progress, task, label

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        stats = (
            f"{self.label}  loss {logs.get('loss', 0):.4f}  acc {logs.get('accuracy', 0):.4f}"
            f"  val_acc {logs.get('val_accuracy', 0):.4f}"
        )
        self.progress.update(self.task, advance=1, stats=stats)


class Phases:
    """Wall seconds spent in each phase of a run (data, search, final training, evaluation), so a report
    can say where the time went. `mark(name)` ends the phase running and starts `name`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._name: str | None = None
        self._since = time.monotonic()

    def mark(self, name: str | None) -> None:
        now = time.monotonic()
        if self._name is not None:
            self.seconds[self._name] = round(self.seconds.get(self._name, 0.0) + now - self._since, 1)
        self._name, self._since = name, now
