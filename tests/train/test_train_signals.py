"""Ctrl-C and SIGTERM sent to a real `edgedigit train` process: the search stops cleanly (exit 130, one
line, no traceback, the running trial marked as interrupted, the run folder written from the best finished
trial), and `--resume` with no other option continues the same search, retrying the interrupted trial."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

import pytest

from tests.conftest import ROOT

ARGS = ["--limit", "2000", "--epochs", "4", "--final-epochs", "2", "--timeout", "300",
        "--fonts", "0", "--non-digits", "0", "--box-fill", "0", "--seed", "3"]  # fmt: skip
SIGNAL_TRIALS = 6  # a signal waits for a second process to be refused, then for a trial's start, before it is sent
KILL_TRIALS = 3  # kill -9 needs only one finished trial and one running


def _train(folder, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400"}
    cmd = [sys.executable, "-m", "edgedigit", "train", "--runs-dir", str(folder.parent), "--run", folder.name, *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _training_now(folder) -> int | None:
    """The number of the trial running with its configuration chosen (its fit is under way), if any."""
    with sqlite3.connect(folder / "study.db") as db:
        row = db.execute(
            "SELECT t.number FROM trials t JOIN trial_user_attributes a ON a.trial_id = t.trial_id "
            "WHERE t.state = 'RUNNING' AND a.key = 'config'"
        ).fetchone()
    return None if row is None else row[0]


def _trials(folder) -> list[tuple[int, str, str]]:
    with sqlite3.connect(folder / "study.db") as db:
        rows = db.execute(
            "SELECT t.number, t.state, COALESCE(a.value_json, '') FROM trials t LEFT JOIN trial_user_attributes a "
            "ON a.trial_id = t.trial_id AND a.key = 'interrupted' ORDER BY t.number"
        ).fetchall()
    return rows


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_search_cleanly_and_resume_goes_on(tmp_path, mnist_path, sig):
    folder = tmp_path / "runs" / "sig"
    proc = _train(folder, "--data", str(mnist_path), *ARGS, "--trials", str(SIGNAL_TRIALS))
    deadline = time.monotonic() + 240
    while not (folder / "model.keras").exists():  # the first trial has finished: the second is running
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    time.sleep(1.0)
    if sig == signal.SIGINT:  # meanwhile, a second process on the same run is refused: the folder is locked
        second = _train(folder, "--resume")
        _, second_err = second.communicate(timeout=120)
        assert second.returncode == 2, second_err[-2000:]
        assert f"{folder} is being written by edgedigit train (pid {proc.pid})" in second_err
    # Signal a trial at the start of its fit: not between two trials (a loaded machine widens that gap), and not
    # one already running, which may have passed its last batch (a trial that finished training is kept).
    midway = _training_now(folder)
    while (running := _training_now(folder)) is None or running == midway:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(sig)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=120)
    waited = time.monotonic() - sent
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "Traceback" not in out
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"edgedigit: {signal.Signals(sig).name}: search stopped") and "--resume" in last
    assert f"edgedigit train --run sig --runs-dir {folder.parent} --resume" in last  # works as printed
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["chosen_from"].startswith("trial ")
    trials = _trials(folder)
    assert [state for _, state, _ in trials].count("RUNNING") == 0
    stopped = [(n, why) for n, state, why in trials if why]
    assert len(stopped) == 1 and signal.Signals(sig).name in stopped[0][1]  # the running trial, and why
    print(f"{signal.Signals(sig).name}: exited {waited:.1f} s after the signal")

    resumed = _train(folder, "--resume")  # no other option: the run folder holds them, --data included
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["interrupted"] is False and summary["options"]["limit"] == 2000 and summary["study"] == "sig"
    assert summary["options"]["seed"] == 3 and summary["options"]["epochs"] == 4
    with sqlite3.connect(folder / "study.db") as db:
        params = db.execute(
            "SELECT t.number, p.param_name, p.param_value FROM trials t JOIN trial_params p "
            "ON p.trial_id = t.trial_id WHERE t.state = 'COMPLETE' OR t.number = ?",
            (stopped[0][0],),
        ).fetchall()
    by_trial: dict[int, dict] = {}
    for number, name, value in params:
        by_trial.setdefault(number, {})[name] = value
    interrupted = by_trial[stopped[0][0]]
    assert any(p == interrupted for n, p in by_trial.items() if n > stopped[0][0])  # retried on resume
    counted = [n for n, state, why in _trials(folder) if state in ("COMPLETE", "PRUNED") and not why]
    assert len(counted) == SIGNAL_TRIALS  # the search went on to its trial count; the stopped trial was not counted


def test_kill_9_loses_at_most_the_running_trial_and_resume_retries_it(tmp_path, mnist_path):
    folder = tmp_path / "runs" / "k9"
    proc = _train(folder, "--data", str(mnist_path), *ARGS, "--trials", str(KILL_TRIALS))
    deadline = time.monotonic() + 240
    while not (folder / "model.keras").exists():  # trial 0 has finished: trial 1 is running
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    time.sleep(1.0)
    proc.kill()  # kill -9: no handler runs, nothing is tidied
    proc.communicate(timeout=60)
    assert "RUNNING" in [state for _, state, _ in _trials(folder)]  # left as it was when the process died
    for path in folder.iterdir():  # no half-written artifact (a writer's hidden temporary file may be left)
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.name == "model.keras":
            assert zipfile.ZipFile(path).testzip() is None

    resumed = _train(folder, "--resume")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    trials = _trials(folder)
    killed = [(n, state) for n, state, why in trials if "kill -9" in why]
    assert len(killed) == 1 and killed[0][1] == "FAIL"  # marked as what happened to it, not left RUNNING
    with sqlite3.connect(folder / "study.db") as db:
        params = db.execute("SELECT t.number, p.param_name, p.param_value FROM trials t JOIN trial_params p "
                            "ON p.trial_id = t.trial_id").fetchall()  # fmt: skip
    by_trial: dict[int, dict] = {}
    for number, name, value in params:
        by_trial.setdefault(number, {})[name] = value
    assert any(p == by_trial[killed[0][0]] for n, p in by_trial.items() if n > killed[0][0])  # retried
    counted = [n for n, state, why in trials if state in ("COMPLETE", "PRUNED") and not why]
    summary = json.loads((folder / "summary.json").read_text())
    assert len(counted) == KILL_TRIALS and summary["options"]["trials"] == KILL_TRIALS
    assert summary["options"]["seed"] == 3
