"""The `edgedigit` Typer application, its root options (`--version`), and what every command shares: one
`edgedigit: error: ...` line for a `UserError` (`friendly`), the options `classify` and `serve` both take,
and the checks and set-up steps several commands need.

Imports no TensorFlow, Keras, Optuna or matplotlib: the device's commands run through it.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from edgedigit.errors import UserError
from edgedigit.runtime import Classifier

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train, quantize and deploy a handwritten-digit reader.",
)


# options that classify and serve share, declared once
ModelOption = Annotated[
    Optional[Path], typer.Option(help="A .tflite with its model.json, or an export folder (default: bundled int8).")
]
ThreadsOption = Annotated[Optional[int], typer.Option(help="Interpreter threads.")]
RoiOption = Annotated[Optional[str], typer.Option(help="Only look inside x,y,w,h (pixels).")]
StableOption = Annotated[int, typer.Option(help="Camera: frames a reading must hold before it counts.")]
MinConfidenceOption = Annotated[
    float, typer.Option(help="Ink the model reads with less confidence is reported as not a digit.")
]
KeepSeparatorsOption = Annotated[
    bool, typer.Option(help="Keep dots, commas and dashes written between digits in the numbers read.")
]


def fail(message: str, code: int = 2) -> None:
    """Print one `edgedigit: error: ...` line to stderr and exit."""
    print(f"edgedigit: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn UserError, an operating-system error on a path and Ctrl-C into a single line and an exit code instead of
    a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            fail(str(exc), exc.exit_code)
        except OSError as exc:  # a path given that cannot be made or written (--out, --runs-dir under a file)
            if exc.errno == errno.EPIPE:
                raise  # stdout closed by `| head`: Click ends quietly
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")
        except KeyboardInterrupt:
            print("edgedigit: interrupted", file=sys.stderr)
            raise typer.Exit(130) from None

    return wrapper


def single_threaded_opencv() -> None:
    """Preprocessing works on images of about 256x256 px, where OpenCV's thread pool costs more than it
    saves (connected components on a 28x28 digit: 9 us with two threads, 4 us with one)."""
    import cv2

    cv2.setNumThreads(1)


def device_model(model: Optional[Path], threads: Optional[int]) -> Classifier:
    """The model `classify` and `serve` read with, loaded; a model whose export failed its accuracy-parity
    check still runs (the user chose it), with one warning line on stderr."""
    clf = Classifier(model, threads=threads)
    if clf.parity_warning:
        print(f"edgedigit: warning: {clf.parity_warning}", file=sys.stderr)
    return clf


def at_least_one(**counts: Optional[int]) -> None:
    """Counts a user sets (`threads=`, `stable=`, ...) must be 1 or more where given: 0 would read nothing, or
    be quietly taken as 1."""
    for name, value in counts.items():
        if value is not None and value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1, got {value}")


def files_or_camera(images: Optional[list[Path]], camera: Optional[str], noun: str, purpose: str) -> None:
    """Exactly one source of pictures: files or --camera."""
    if camera is None and not images:
        raise UserError(f"give {noun} {purpose}, or --camera SOURCE")
    if camera is not None and images:
        raise UserError(f"give {noun} or --camera, not both")


SET_BY_USER = ("COMMANDLINE", "ENVIRONMENT")  # Click's sources of a parameter's value that the user chose


def given(ctx: typer.Context, *names: str) -> list[str]:
    """The options among `names` (parameter names) that the user set on the command line or through the
    environment, as flags (`--max-frames`, `--show/--no-show`), in the order the command declares them. Sources are
    compared by name: Typer may bring Click's ParameterSource vendored or not."""
    return ["/".join(param.opts + param.secondary_opts) for param in ctx.command.params if param.name in names
            and getattr(ctx.get_parameter_source(param.name), "name", None) in SET_BY_USER]  # fmt: skip


def only_with_camera(ctx: typer.Context, camera: Optional[str], *names: str) -> None:
    """Options that act only on a camera's frames must not be given without --camera, where they would be quietly
    ignored (--stable 5 on a file read nothing differently and said nothing)."""
    unused = given(ctx, *names) if camera is None else []
    if unused:
        raise UserError(
            f"{subject(unused, 'acts', 'act')} only on a camera's frames: give --camera too, or leave it out"
        )


def subject(flags: list[str], verb_one: str, verb_many: str) -> str:
    """Options as the subject of a sentence, with the verb agreeing: "--seed picks", "--seed, --trials pick"."""
    return f"{', '.join(flags)} {verb_one if len(flags) == 1 else verb_many}"


TRAIN_MODULES = ("tensorflow", "keras", "optuna", "matplotlib", "rich")  # what train and export import


def needs_training_extras(command: str) -> None:
    """On a device install (edgedigit[device]) the trainer cannot run: say so in one line, exit 2."""
    missing = [m for m in TRAIN_MODULES if not _importable(m)]
    if missing:
        raise UserError(f"edgedigit {command} needs the training extras ({', '.join(missing)} missing): "
                        "pip install 'edgedigit[train]'")  # fmt: skip


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def quiet_tensorflow() -> None:
    """TensorFlow prints its start-up lines (oneDNN, CUDA probing, CPU features) on fd 2 before its log level
    applies: it is imported and its devices listed with fd 2 pointed at /dev/null, once, here."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    from edgedigit.runtime.classifier import native_stderr_silenced

    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()


def _print_version(value: bool) -> None:
    if value:
        from edgedigit import __version__

        print(f"edgedigit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Train (edgedigit train), quantize (edgedigit export) and run (edgedigit classify) a digit reader."""
