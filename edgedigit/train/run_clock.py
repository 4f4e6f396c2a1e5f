"""The whole run's time (`edgedigit train --minutes`): the search ends early enough that the final fit of the
configuration it would retrain, timed by that configuration's own trial, still ends within it; and where a trial that
became the best at the search's end costs more than it left (a bigger network), the final fit gets the epochs that
fit, not the run more minutes.

`--timeout` bounds the search alone, so a run's length followed the network chosen and the machine: the default
run took 23 to 29 minutes on the project's 2-core machine (BENCHMARKS.md), and a slower machine would pass the 30
that issue 12 asks for. With a whole-run bound a slower machine searches less instead of finishing late.

Trainer side only: it imports Optuna, never TensorFlow, and the device runtime never imports it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import optuna

FINAL_SLACK = 1.05  # a final-fit epoch may take this much longer than an epoch of its configuration's trial; the
# trial's first epoch, which builds and traces the model, makes its mean the higher of the two as a rule (session
# 32's default run: 17.0 s a trial epoch, 16.1 s a final-fit epoch, 512-512 at batch 128)
REPORT_SECONDS = 30.0  # what follows the final fit: test evaluation, summary, report and its plots (seconds here)


@dataclass
class RunClock:
    """When this process's run must end (`end`, a `time.monotonic()` value; None: no bound), when `--timeout` ends
    its search (`search_end`), and the final fit's expected seconds, from the trial it would retrain."""

    end: float | None
    search_end: float | None
    final_epochs: int
    stopped_by: str | None = None  # "minutes" when the bound ended the search before --timeout or --trials did
    per_epoch: float = 0.0  # seconds an epoch of the trial the final fit would retrain (0: none timed yet)...
    trial_epochs: int = 0  # ...and the epochs it ran

    @classmethod
    def start(cls, started: float, minutes: float | None, timeout: float | None, final_epochs: int) -> RunClock:
        """The clock of a run that began at `started` (its data built since), its search beginning now."""
        end = None if minutes is None else started + 60.0 * minutes
        return cls(end, None if timeout is None else time.monotonic() + timeout, final_epochs)

    def expect_final(self, trial: optuna.trial.FrozenTrial | None) -> None:
        """Time the final fit from `trial`, the one it would retrain: its seconds per epoch run, FINAL_SLACK more."""
        if trial is None or not trial.user_attrs.get("epochs_run"):
            return
        self.trial_epochs = trial.user_attrs["epochs_run"]
        self.per_epoch = trial.user_attrs["seconds"] / self.trial_epochs

    @property
    def final_seconds(self) -> float:
        """The final fit's expected seconds: `final_epochs` of the timed trial's epochs, FINAL_SLACK more."""
        return FINAL_SLACK * self.per_epoch * self.final_epochs

    def final_epochs_in_time(self) -> int:
        """The final fit's epochs: all of `final_epochs`, or as many as the time left before `end` holds, timed as
        `expect_final` times them; 0 when that is no more than its trial ran (the trial's model is such a fit
        already). The search ends by the best trial's estimate after each trial, so only a trial that becomes the
        best as the search ends, and costs more an epoch than the one before it, leaves less."""
        if self.end is None or not self.per_epoch:
            return self.final_epochs
        fits = int((self.end - time.monotonic() - REPORT_SECONDS) / (FINAL_SLACK * self.per_epoch))
        if fits >= self.final_epochs:
            return self.final_epochs
        return fits if fits > self.trial_epochs else 0

    def search_deadline(self) -> float | None:
        """When a trial still training must stop and no other may start: `--timeout`'s end, or the latest moment
        that leaves the final fit and the report their time before `end`, whichever comes first."""
        ends = [t for t in (self.search_end, self.latest_search_end()) if t is not None]
        return min(ends) if ends else None

    def latest_search_end(self) -> float | None:
        """The latest moment the search may go on to, for the final fit and the report to end by `end`."""
        return None if self.end is None else self.end - self.final_seconds - REPORT_SECONDS

    def after_trial(self, study: optuna.Study, final_trial: optuna.trial.FrozenTrial | None) -> None:
        """An Optuna callback's work after each trial: time the final fit from `final_trial` (the one it would now
        retrain) and stop the `study` when the search must end to leave the final fit its time."""
        self.expect_final(final_trial)
        if self.search_over():
            study.stop()

    def search_over(self) -> bool:
        """Whether the search must stop now to leave the final fit its time (and say so in `stopped_by`)."""
        latest = self.latest_search_end()
        if latest is not None and time.monotonic() >= latest:
            self.stopped_by = "minutes"
            return True
        return False
