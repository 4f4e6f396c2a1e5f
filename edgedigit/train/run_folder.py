"""A run's folder: created and locked for one process (`prepare_folder`), its options stored so that a resumed
run continues the same search (`own_options`), and the command that resumes it.

Trainer side only; never imported by the device runtime.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from edgedigit import atomic
from edgedigit.errors import UserError
from edgedigit.options import TrainOptions, redact


def resume_command(opts: TrainOptions, folder: Path) -> str:
    """The command that continues this run: the run folder holds every other option (options.json)."""
    runs_dir = "" if opts.runs_dir == TrainOptions.runs_dir else f" --runs-dir {opts.runs_dir}"
    storage = "" if opts.storage is None else f" --storage {redact(opts.storage)}"  # the password: the user's
    return f"edgedigit train --run {folder.name}{runs_dir}{storage} --resume"


OPTIONS_FILE = "options.json"
LOCK_FILE = ".lock"
PLACE = ("run", "runs_dir", "resume", "force", "finetune")  # where and how a run goes, not what it is
GROWABLE = ("trials", "timeout")  # a resumed search may be given more of these, never less
# options added since a run may have begun, and the value such a run had without them: a resume keeps it
BEFORE_THEY_EXISTED = {
    "written": 0.0,
    "closed_fours": 0.0,
    "touching_pairs": 0.0,
    "cut_pieces": 0.0,
    "deskew": False,
    "moments": False,
    "int8_grid": False,
    "minutes": 0.0,  # no bound on the whole run
}


def own_options(opts: TrainOptions, folder: Path) -> TrainOptions:
    """A new run stores its options in the run folder; a resumed one takes them back, so it continues the
    same search. An option given with --resume that differs from the stored one is refused (a larger
    --trials or --timeout is taken); a storage URL is compared without its password, which is never stored."""
    path = folder / OPTIONS_FILE
    if opts.resume and path.is_file():
        stored, defaults, taken = {**BEFORE_THEY_EXISTED, **json.loads(path.read_text())}, TrainOptions(), {}
        for key, value in stored.items():
            given = getattr(opts, key)
            shown = redact(given) if key == "storage" else given
            if shown == value:
                continue  # the same (a storage URL keeps the password given now)
            if given == getattr(defaults, key):
                if key == "storage" and value != redact(value):
                    raise UserError(f"this run's study is in {value}: give --storage with its password to resume")
                taken[key] = value
            elif key in GROWABLE and None not in (given, value) and given > value:
                continue
            else:
                raise UserError(f"--{key.replace('_', '-')} {shown} differs from this run's {value!r} ({path}): "
                                "leave it out to resume the same search, or start a new --run")  # fmt: skip
        opts = replace(opts, **taken)
    atomic.write_json(path, {k: v for k, v in opts.recorded().items() if k not in PLACE})
    return opts


def prepare_folder(opts: TrainOptions) -> Path:
    """RUNS_DIR/RUN, created and locked for this process; an existing one only with --resume (kept) or
    --force (emptied), and never one another process is writing."""
    name = opts.run or time.strftime("run-%Y%m%d-%H%M%S")
    folder = Path(opts.runs_dir) / name
    if folder.exists() and any(folder.iterdir()):
        _lock(folder)
        if opts.force:
            shutil.rmtree(folder)
        elif not opts.resume:
            raise UserError(f"{folder} already exists: add --resume to continue it or --force to start over")
    folder.mkdir(parents=True, exist_ok=True)
    _lock(folder)
    return folder


@contextlib.contextmanager
def dropped_on_bad_input(folder: Path, fresh: bool) -> Iterator[None]:
    """The set-up of a run in `folder` (its options, study, data): a folder this process has just made holds
    nothing else yet, so when bad input stops the run there (the data, --extra, --storage), the folder goes, and
    the same command can be given again without --force. A resumed run's folder (`fresh` False) is kept."""
    try:
        yield
    except UserError:
        if fresh:
            lock = _LOCKS.pop(folder.resolve(), None)
            if lock is not None:
                lock.close()
            shutil.rmtree(folder, ignore_errors=True)
        raise


_LOCKS: dict[Path, Any] = {}  # open lock files: held until the process ends


def _lock(folder: Path) -> None:
    """Take the run folder's lock (released by the system when this process ends, however it ends)."""
    if folder.resolve() in _LOCKS and (folder / LOCK_FILE).exists():
        return  # ours already
    path = folder / LOCK_FILE
    lock = open(path, "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise UserError(
            f"{folder} is being written by {holder}: wait for it to finish, or give another --run"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"edgedigit train (pid {os.getpid()})")
    lock.flush()
    _LOCKS[folder.resolve()] = lock
