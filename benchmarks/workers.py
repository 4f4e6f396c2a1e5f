"""Wall time of a search split over two workers on one PostgreSQL study, against one worker alone: each
worker pinned to a core of its own (`taskset`), as if on two machines. Reports trials, duplicates and the
wall time of each setting. Needs a PostgreSQL URL (a fresh database or study names not used before).

    python benchmarks/workers.py --storage postgresql://user:pass@127.0.0.1/db [--trials 8] [--limit 6000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna

ROOT = Path(__file__).resolve().parents[1]


def search(storage: str, study: str, cores: list[int], args: argparse.Namespace, runs: Path) -> float:
    """Start one worker per core at the same instant; the wall time until the last one ends."""
    common = ["--data", args.data, "--limit", str(args.limit), "--trials", str(args.trials), "--epochs",
              str(args.epochs), "--final-epochs", "1", "--timeout", "3000", "--fonts", "0", "--non-digits", "0",
              "--box-fill", "0", "--flag-ones", "0", "--storage", storage, "--study", study,
              "--runs-dir", str(runs)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    workers = [subprocess.Popen(["taskset", "-c", str(core), sys.executable, "-m", "edgedigit", "train", "--run",
                                 f"{study}-{core}", *common], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True) for core in cores]  # fmt: skip
    for w in workers:
        _, err = w.communicate()
        if w.returncode != 0:
            sys.exit(f"worker failed: {err[-2000:]}")
    return time.monotonic() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--storage", required=True)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "mnist" / "mnist.npz"))
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=6000)
    args = ap.parse_args()
    tag = time.strftime("%H%M%S")
    url = args.storage.replace("postgresql://", "postgresql+psycopg2://")
    with tempfile.TemporaryDirectory() as tmp:
        for name, cores in (("one", [0]), ("two", [0, 1])):
            study = f"bench-{name}-{tag}"
            wall = search(args.storage, study, cores, args, Path(tmp))
            trials = optuna.load_study(study_name=study, storage=url).get_trials(deepcopy=False)
            configs = [json.dumps(t.user_attrs.get("config"), sort_keys=True) for t in trials
                       if "duplicate_of" not in t.user_attrs and t.state.is_finished()]  # fmt: skip
            numbers = [t.number for t in trials]
            print(f"{name} worker(s): {wall:.0f} s wall for {len(trials)} trials; "
                  f"{len(configs) - len(set(configs))} duplicated configurations trained, "
                  f"{len(set(range(len(trials))) - set(numbers))} trial numbers lost", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
