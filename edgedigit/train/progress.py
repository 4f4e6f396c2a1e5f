"""Rich progress bars for a long search: one bar for trials, one for the epochs of the current run."""

from __future__ import annotations

import keras
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edgedigit.train.config import TrainConfig


class TrainProgress:
    """Context manager owning the bars; `epoch_callback` gives a Keras callback that moves them."""

    def __init__(self, total_trials: int | None, console: Console) -> None:
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
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def trial_done(self, best: float | None) -> None:
        self.progress.update(self.trials, advance=1, stats=f"best val {best:.4f}" if best is not None else "")

    def epoch_callback(self, title: str, config: TrainConfig) -> keras.callbacks.Callback:
        self.progress.reset(self.epochs, total=config.epochs, visible=True, description=title, stats=config.label)
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
