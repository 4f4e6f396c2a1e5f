"""The `edgedigit` command line: the application and its shared parts (`app`), the workstation's commands
(`trainer_commands`: train, export) and the device's (`device_commands`: classify, serve, collect, bench,
info).

Heavy modules are imported inside each command, so `classify`, `bench` and `info` never load
TensorFlow or Keras. A `UserError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

# the runtime first, from the shallowest import: CPython 3.11 grows its frame stack in 16 KiB chunks and frees a
# chunk as soon as it empties, and numpy imported three modules deeper ran its typing modules at a chunk's edge
# (about 1,500 mmap/munmap pairs, +25 ms on a cold `classify`: benchmarks/cold_start.py, strace)
import edgedigit.runtime  # noqa: F401

# isort: split
# importing the command modules registers their commands on `app`, in this order in --help: train first
from edgedigit.cli import trainer_commands  # noqa: F401

# isort: split
from edgedigit.cli import device_commands  # noqa: F401
from edgedigit.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point; `python -m edgedigit` gets the same name, so the same completion."""
    app(prog_name="edgedigit")
