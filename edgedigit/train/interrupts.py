"""Ctrl-C and SIGTERM during `edgedigit train`: the first stops the search cleanly, the second at once.

While the search runs, a first SIGINT or SIGTERM only raises a flag; `StopCallback` turns it into
`Interrupted` at the end of the running call into TensorFlow (`model.STEPS_PER_EXECUTION` batches), the
objective records the running trial as pruned with the reason, and the run folder is written from the best
finished trial before the process exits 130. A second signal exits at once (every artifact is written
atomically, so nothing is left half-written).
Trainer side only: it imports Keras.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType

import keras

EXIT_CODE = 130  # 128 + SIGINT, what shells report for Ctrl-C
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """Raised inside training when a stop was asked for; carries the signal's name."""


class Stop:
    """The stop flag the signal handler raises and the training loop reads."""

    def __init__(self) -> None:
        self.signal: str | None = None

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signal is not None:  # the second one: the user means it
            print(f"edgedigit: {signal.Signals(signum).name} again: stopping now", file=sys.stderr, flush=True)
            os._exit(EXIT_CODE)
        self.signal = signal.Signals(signum).name

    def check(self) -> None:
        if self.signal is not None:
            raise Interrupted(self.signal)


class StopCallback(keras.callbacks.Callback):
    """Raises `Interrupted` at the first batch end Keras reports after a stop was asked for (every
    `model.STEPS_PER_EXECUTION` training batches)."""

    def __init__(self, stop: Stop) -> None:
        super().__init__()
        self.stop = stop

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.stop.check()

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.stop.check()


@contextlib.contextmanager
def deferred() -> Iterator[Stop]:
    """Within the block, SIGINT and SIGTERM raise the flag of the `Stop` yielded instead of stopping the
    process; the previous handlers come back afterwards."""
    stop = Stop()
    previous = {s: signal.signal(s, stop.handle) for s in SIGNALS}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
