"""`--minutes` bounds a whole run: the search stops in time for the final fit of the trial it would retrain, timed by
that trial's own epochs, a trial still training stops at the moment the bound leaves it, and a final fit that no
longer fits (a costlier trial became the best as the search ended) gets the epochs that do."""

from __future__ import annotations

import time

import optuna
import pytest

from edgedigit.options import RUN_MINUTES, TrainOptions
from edgedigit.train.run_clock import FINAL_SLACK, REPORT_SECONDS, RunClock


def _trial(seconds: float, epochs_run: int) -> optuna.trial.FrozenTrial:
    return optuna.trial.create_trial(value=0.9, user_attrs={"seconds": seconds, "epochs_run": epochs_run})


def test_the_final_fit_is_timed_by_its_trials_epochs_and_moves_the_searchs_end():
    now = time.monotonic()
    clock = RunClock(end=now + 1800, search_end=now + 780, final_epochs=50)
    assert clock.search_deadline() == now + 780  # nothing timed yet: --timeout ends the search
    clock.expect_final(_trial(seconds=200.0, epochs_run=10))  # 20 s an epoch
    assert clock.final_seconds == pytest.approx(FINAL_SLACK * 20 * 50)
    assert clock.search_deadline() == pytest.approx(now + 1800 - FINAL_SLACK * 1000 - REPORT_SECONDS)
    clock.expect_final(_trial(seconds=40.0, epochs_run=10))  # a faster network became the best: more search
    assert clock.search_deadline() == now + 780
    clock.expect_final(None)  # nothing completed (a resumed search's first look): the estimate stays
    assert clock.final_seconds == pytest.approx(FINAL_SLACK * 4 * 50)
    unbounded = RunClock(end=None, search_end=None, final_epochs=50)
    unbounded.expect_final(_trial(seconds=200.0, epochs_run=10))
    assert unbounded.search_deadline() is None and not unbounded.search_over()


def test_a_final_fit_that_no_longer_fits_gets_the_epochs_that_do():
    """Session 33's seed-1 default run: trial 4 (22 s an epoch) became the best at 736 s, its 50 epochs expected to
    take 1,165 s, and the run ended at 30 min 48 s. Now the final fit gets what is left."""
    now = time.monotonic()
    clock = RunClock(end=now + REPORT_SECONDS + 1034, search_end=None, final_epochs=50)
    clock.expect_final(_trial(seconds=222.0, epochs_run=10))
    assert clock.final_epochs_in_time() == int(1034 / (FINAL_SLACK * 22.2)) == 44  # not 50
    clock.expect_final(_trial(seconds=173.0, epochs_run=10))  # the cheaper trial 0 would have had all its 50
    assert clock.final_epochs_in_time() == 50
    short = RunClock(end=now + REPORT_SECONDS + 200, search_end=None, final_epochs=50)
    short.expect_final(_trial(seconds=222.0, epochs_run=10))  # 8 epochs fit: no more than the trial ran
    assert short.final_epochs_in_time() == 0
    asked = RunClock(end=None, search_end=None, final_epochs=2)  # no bound: --final-epochs as asked, however few
    asked.expect_final(_trial(seconds=222.0, epochs_run=10))
    assert asked.final_epochs_in_time() == 2


def test_the_search_stops_when_the_final_fit_would_end_past_the_runs_minutes():
    """A real Optuna loop with the callback run.py installs: trials of 0.05 s that time a final fit of 0.5 s, in a
    run whose end leaves the search about 0.4 s: it stops after a few trials, of the hundred asked, and says why."""
    clock = RunClock(end=time.monotonic() + REPORT_SECONDS + 0.5 + 0.4, search_end=None, final_epochs=1)

    def objective(trial: optuna.Trial) -> float:
        time.sleep(0.05)
        trial.set_user_attr("seconds", 0.5 / FINAL_SLACK)
        trial.set_user_attr("epochs_run", 1)
        return 0.5

    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=100, callbacks=[lambda s, t: clock.after_trial(s, t)])
    assert 2 <= len(study.trials) < 50 and clock.stopped_by == "minutes"
    assert clock.final_seconds == pytest.approx(0.5)


def test_the_default_bounds_a_search_but_not_a_small_budget_nor_the_seed_preset():
    assert TrainOptions().run_minutes == RUN_MINUTES == 30 and TrainOptions(max_kb=700).run_minutes == RUN_MINUTES
    assert TrainOptions(max_kb=32).run_minutes is None and TrainOptions(max_params=50_000).run_minutes is None
    assert TrainOptions(preset="seed").run_minutes is None
    assert TrainOptions(minutes=12).run_minutes == 12 and TrainOptions(max_kb=8, minutes=40).run_minutes == 40
    assert TrainOptions(minutes=0).run_minutes is None  # 0: no bound


def test_the_report_says_when_the_minutes_ended_the_search():
    from edgedigit.train.report import _bounded

    summary = {"search_stopped_by": "minutes", "resolved": {"minutes": 30.0}, "final_fit_expected_seconds": 948.2}
    assert _bounded(summary) == "; the search ended early for --minutes 30, leaving the final fit its expected 948 s"
    assert _bounded({**summary, "search_stopped_by": None}) == ""
    summary = {**summary, "resolved": {"minutes": 30.0, "final_epochs": 50}, "final_fit_epochs": 44}
    assert _bounded(summary) == ("; the search ended early for --minutes 30, leaving the final fit its expected 948 s; "
                                 "the final fit cut to 44 of 50 epochs to end within --minutes 30")  # fmt: skip
    assert _bounded({**summary, "final_fit_epochs": 50}).endswith("its expected 948 s")
    assert _bounded({**summary, "final_fit_epochs": 0}).endswith("the final fit left out to end within --minutes 30")


def test_the_report_says_why_a_run_has_no_final_retrain():
    from edgedigit.train.report import _why

    summary = {"chosen_from": "trial 4", "val_accuracy": 0.991, "test_accuracy": 0.9921, "final_from_trial": None}
    assert _why({**summary, "final_fit_epochs": 0}).endswith("no more epochs than its trial ran, so none was made.")
    assert _why({**summary, "final_fit_epochs": None}).endswith("(the search was stopped before a final retrain).")
