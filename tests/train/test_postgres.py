"""Two `edgedigit train` workers started at the same instant on one study in a real PostgreSQL server
(started here on 127.0.0.1, fresh database), and an unrelated run on the same server (issue 14): no trial
number lost or repeated, no configuration trained twice, both workers' trials present, each worker's final
model retrained from the study's best trial, the other run in a study of its own, no password in any file."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest

from tests.conftest import ROOT

ARGS = ["--limit", "2000", "--trials", "6", "--epochs", "2", "--final-epochs", "3", "--timeout", "300",
        "--fonts", "0", "--non-digits", "0", "--box-fill", "0", "--flag-ones", "0", "--seed", "3"]  # fmt: skip
PASSWORD = "s3cret-Pg"


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of our own on 127.0.0.1 (as the `postgres` user when we are root); its URL. Its
    folder is made in the system's temp dir: pytest's own is private to us, and `postgres` must enter it."""
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run installs it)")
    bin_dir = Path(initdb[-1]).parent
    home = Path(tempfile.mkdtemp(prefix="edgedigit-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: PostgreSQL refuses to start as root")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(home, "postgres")
    (home / "pw").write_text(PASSWORD)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = home / "data"
    subprocess.run([*as_user, bin_dir / "initdb", "-D", data, "-U", "edgedigit", f"--pwfile={home / 'pw'}",
                    "--auth=scram-sha-256"], check=True, capture_output=True, timeout=120)  # fmt: skip
    server = f"-h 127.0.0.1 -p {port} -k {home}"
    subprocess.run([*as_user, bin_dir / "pg_ctl", "-D", data, "-l", home / "log", "-w", "-o", server, "start"],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    yield f"postgresql://edgedigit:{PASSWORD}@127.0.0.1:{port}/postgres"
    subprocess.run([*as_user, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def _train(runs: Path, run: str, data: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    cmd = [sys.executable, "-m", "edgedigit", "train", "--runs-dir", str(runs), "--run", run, "--data", str(data),
           *args]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_workers_share_one_study_and_another_run_keeps_its_own(tmp_path, postgres, mnist_path):
    runs = tmp_path / "runs"
    shared = [*ARGS, "--storage", postgres, "--study", "shared"]
    workers = [_train(runs, name, mnist_path, *shared) for name in ("w1", "w2")]  # the same instant
    for w in workers:
        out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err[-3000:]
    storage = postgres.replace("postgresql://", "postgresql+psycopg2://")
    trials = optuna.load_study(study_name="shared", storage=storage).get_trials(deepcopy=False)
    assert [t.number for t in trials] == list(range(len(trials)))  # none lost, none repeated
    assert all(t.state.is_finished() for t in trials)
    trained = [t for t in trials if "duplicate_of" not in t.user_attrs and "config" in t.user_attrs]
    configs = [json.dumps(t.user_attrs["config"], sort_keys=True) for t in trained]
    assert len(configs) == len(set(configs)) >= 6  # no configuration trained twice
    best = max((t for t in trials if t.value is not None), key=lambda t: t.value)
    summaries = [json.loads((runs / name / "summary.json").read_text()) for name in ("w1", "w2")]
    here = [set(s["trials_here"]) for s in summaries]
    assert all(here) and not here[0] & here[1] and here[0] | here[1] == {t.number for t in trials}
    for s in summaries:
        assert s["study"] == "shared" and s["final_from_trial"] == best.number
        assert s["val_accuracy"] >= best.value - 0.02  # the final retrain of the best, or a trial as good
    for path in runs.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path

    other = _train(runs, "other", mnist_path, *ARGS[:2], "--trials", "2", "--epochs", "1", "--final-epochs", "1",
                   "--max-kb", "40", "--storage", postgres)  # fmt: skip
    out, err = other.communicate(timeout=600)
    assert other.returncode == 0, err[-3000:]
    summary = json.loads((runs / "other" / "summary.json").read_text())
    assert summary["study"] == "other" and summary["trial_counts"]["complete"] >= 1
    assert len(optuna.load_study(study_name="shared", storage=storage).trials) == len(trials)  # untouched
    assert PASSWORD not in out + err
    print(f"two workers: {len(trials)} trials, {[len(h) for h in here]} each")


def test_a_worker_killed_mid_trial_loses_only_that_trial_which_the_other_retries(tmp_path, postgres, mnist_path):
    """kill -9 on one of two workers: its running trial stops sending heartbeats; once it has been silent
    for the grace period the other worker marks it failed, runs its configuration again, and goes on. With 6
    trials the survivor has usually finished its own before then, so this is `run._search`'s path: wait for the
    other workers' trials, then run the retry queued meanwhile (without that step the test fails)."""
    from edgedigit.train.studies import GRACE

    runs = tmp_path / "runs"
    args = ["--limit", "6000", "--trials", "6", "--epochs", "3", "--final-epochs", "1", "--timeout", "600",
            "--fonts", "0", "--non-digits", "0", "--box-fill", "0", "--flag-ones", "0", "--seed", "5",
            "--storage", postgres, "--study", "killed"]  # fmt: skip
    survivor, victim = (_train(runs, name, mnist_path, *args) for name in ("survivor", "victim"))
    storage = postgres.replace("postgresql://", "postgresql+psycopg2://")
    deadline = time.monotonic() + 240
    while True:  # wait until the victim is training a trial of its own, its configuration fully chosen
        assert time.monotonic() < deadline and victim.poll() is None
        try:
            running = optuna.load_study(study_name="killed", storage=storage).get_trials(
                deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))  # fmt: skip
        except KeyError:  # the study is not created yet
            running = []
        if len(running) == 2 and all("params" in t.user_attrs for t in running):  # both training, all chosen
            break
        time.sleep(0.5)
    victim.kill()  # kill -9: no goodbye, its trial stays RUNNING in the database
    killed_at = time.monotonic()
    out, err = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, err[-3000:]
    assert time.monotonic() - killed_at > GRACE  # the search outlived the grace period, so it could notice
    trials = optuna.load_study(study_name="killed", storage=storage).get_trials(deepcopy=False)
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]
    assert len(failed) == 1  # the victim's trial, and only it
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == failed[0].number]
    assert len(retries) == 1 and retries[0].params == failed[0].params and retries[0].state.is_finished()
