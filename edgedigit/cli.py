"""The `edgedigit` command line.

Heavy modules are imported inside each command, so `classify`, `bench` and `info` never load
TensorFlow or Keras. A `UserError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from edgedigit.errors import UserError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train, quantize and deploy a handwritten-digit reader.",
)


@app.callback()
def root() -> None:
    """Train (edgedigit train), quantize (edgedigit export) and run (edgedigit classify) a digit reader."""


def fail(message: str, code: int = 2) -> None:
    """Print one `edgedigit: error: ...` line to stderr and exit."""
    print(f"edgedigit: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn UserError and Ctrl-C into a single line and an exit code instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            print("edgedigit: interrupted", file=sys.stderr)
            raise typer.Exit(130) from None

    return wrapper


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@app.command()
@friendly
def train(
    data: Annotated[Optional[Path], typer.Option(help="Keras mnist.npz or folder of IDX files (else $EDGEDIGIT_DATA, else download).")] = None,
    run: Annotated[Optional[str], typer.Option(help="Run name; output goes to RUNS_DIR/RUN (default: a timestamp).")] = None,
    runs_dir: Annotated[Path, typer.Option(help="Folder holding the runs.")] = Path("runs"),
    preset: Annotated[str, typer.Option(help="'search' (Optuna search) or 'seed' (rerun the seed study's configurations).")] = "search",
    trials: Annotated[int, typer.Option(help="Number of search trials.")] = 16,
    timeout: Annotated[Optional[float], typer.Option(help="Stop starting new trials after this many seconds.")] = 900.0,
    epochs: Annotated[int, typer.Option(help="Epochs per search trial.")] = 10,
    final_epochs: Annotated[int, typer.Option(help="Epochs to retrain the best configuration for.")] = 40,
    augment: Annotated[float, typer.Option(help="Strength of random affine distortion while training (0: off).")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed for the split, the sampler and training.")] = 0,
    val_fraction: Annotated[float, typer.Option(help="Fraction of the training images held out for validation.")] = 0.1,
    limit: Annotated[Optional[int], typer.Option(help="Use a stratified subset of this many training images (quick runs).")] = None,
    max_params: Annotated[Optional[int], typer.Option(help="Never train configurations with more parameters.")] = None,
    max_kb: Annotated[Optional[float], typer.Option(help="Never train configurations whose int8 model exceeds this many KiB.")] = None,
    storage: Annotated[Optional[str], typer.Option(help="Optuna storage URL (default: SQLite in the run folder).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue an existing run folder.")] = False,
    force: Annotated[bool, typer.Option(help="Delete an existing run folder and start over.")] = False,
) -> None:
    """Search for the best Keras MLP on MNIST and save it with a report."""
    _quiet_tensorflow()
    from rich.console import Console

    from edgedigit.train_run import TrainOptions, train as run_train

    opts = TrainOptions(
        data=str(data) if data else None, run=run, runs_dir=str(runs_dir), preset=preset, trials=trials,
        timeout=timeout, epochs=epochs, final_epochs=final_epochs, augment=augment, seed=seed,
        val_fraction=val_fraction, limit=limit, max_params=max_params, max_kb=max_kb, storage=storage,
        resume=resume, force=force,
    )  # fmt: skip
    run_train(opts, Console())


def main() -> None:
    """Console-script entry point."""
    app()
