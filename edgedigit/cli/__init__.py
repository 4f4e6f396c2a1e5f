"""The `edgedigit` command line: the application and its shared parts (`app`), the workstation's commands
(`trainer_commands`: train, export) and the device's (`device_commands`: classify, serve, collect, bench,
info).

Heavy modules are imported inside each command, so `classify`, `bench` and `info` never load
TensorFlow or Keras. A `UserError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

# importing the command modules registers their commands on `app`, in this order in --help: train first
from edgedigit.cli import trainer_commands  # noqa: F401

# isort: split
from edgedigit.cli import device_commands  # noqa: F401
from edgedigit.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point; `python -m edgedigit` gets the same name, so the same completion."""
    app(prog_name="edgedigit")
