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
from edgedigit.options import ELASTIC_PX, ExportOptions, TrainOptions
from edgedigit.runtime import Classifier
from edgedigit.runtime.camera import FRAME_TIMEOUT, RETRY_MAX
from edgedigit.runtime.reader import MIN_CONFIDENCE

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


def _single_threaded_opencv() -> None:
    """Preprocessing works on images of about 256x256 px, where OpenCV's thread pool costs more than it
    saves (connected components on a 28x28 digit: 9 us with two threads, 4 us with one)."""
    import cv2

    cv2.setNumThreads(1)


def _device_model(model: Optional[Path], threads: Optional[int]) -> Classifier:
    """The model `classify` and `serve` read with, loaded; a model whose export failed its accuracy-parity
    check still runs (the user chose it), with one warning line on stderr."""
    clf = Classifier(model, threads=threads)
    if clf.parity_warning:
        print(f"edgedigit: warning: {clf.parity_warning}", file=sys.stderr)
    return clf


def _files_or_camera(images: Optional[list[Path]], camera: Optional[str], noun: str, purpose: str) -> None:
    """Exactly one source of pictures: files or --camera."""
    if camera is None and not images:
        raise UserError(f"give {noun} {purpose}, or --camera SOURCE")
    if camera is not None and images:
        raise UserError(f"give {noun} or --camera, not both")


TRAIN_MODULES = ("tensorflow", "keras", "optuna", "matplotlib", "rich")  # what train and export import


def _needs_training_extras(command: str) -> None:
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


def _quiet_tensorflow() -> None:
    """TensorFlow prints its start-up lines (oneDNN, CUDA probing, CPU features) on fd 2 before its log level
    applies: it is imported and its devices listed with fd 2 pointed at /dev/null, once, here."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    from edgedigit.runtime.classifier import native_stderr_silenced

    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()


@app.command()
@friendly
def train(
    data: Annotated[
        Optional[Path],
        typer.Option(help="Keras mnist.npz or folder of IDX files (else $EDGEDIGIT_DATA, else download)."),
    ] = None,
    run: Annotated[
        Optional[str], typer.Option(help="Run name; output goes to RUNS_DIR/RUN (default: a timestamp).")
    ] = None,
    runs_dir: Annotated[Path, typer.Option(help="Folder holding the runs.")] = Path(TrainOptions.runs_dir),
    preset: Annotated[
        str, typer.Option(help="'search' (Optuna search) or 'seed' (rerun the seed study's configurations).")
    ] = TrainOptions.preset,
    trials: Annotated[int, typer.Option(help="Number of search trials.")] = TrainOptions.trials,
    timeout: Annotated[
        Optional[float], typer.Option(help="Stop starting new trials after this many seconds.")
    ] = TrainOptions.timeout,
    epochs: Annotated[int, typer.Option(help="Epochs per search trial.")] = TrainOptions.epochs,
    final_epochs: Annotated[
        Optional[int],
        typer.Option(
            help="Epochs to retrain the best configuration for (default 50, or 150 under a 100k-parameter or "
            "100 KB budget)."
        ),
    ] = TrainOptions.final_epochs,
    augment: Annotated[
        Optional[float],
        typer.Option(
            help="Random affine distortion strength (0: off; default 0.6, or 0 under a 16k-parameter or 16 KB budget)."
        ),
    ] = None,
    elastic: Annotated[
        Optional[float],
        typer.Option(
            help="Elastic distortion: pixels of smooth random displacement (0: off; default "
            f"{ELASTIC_PX:g}, or 0 under a 16k-parameter or 16 KB budget)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the split, the sampler and training.")] = TrainOptions.seed,
    val_fraction: Annotated[
        float, typer.Option(help="Fraction of the training images held out for validation.")
    ] = TrainOptions.val_fraction,
    limit: Annotated[
        Optional[int], typer.Option(help="Use a stratified subset of this many training images (quick runs).")
    ] = None,
    max_params: Annotated[Optional[int], typer.Option(help="Never train configurations with more parameters.")] = None,
    max_kb: Annotated[
        Optional[float], typer.Option(help="Never train configurations whose int8 model exceeds this many KiB.")
    ] = None,
    storage: Annotated[
        Optional[str], typer.Option(help="Optuna storage URL (default: SQLite in the run folder).")
    ] = None,
    study: Annotated[
        Optional[str], typer.Option(help="Optuna study name (default: the run's): workers sharing --storage join it.")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue an existing run folder.")] = False,
    force: Annotated[bool, typer.Option(help="Delete an existing run folder and start over.")] = False,
    fonts: Annotated[
        float,
        typer.Option(help="Digits rendered from installed fonts, as a share of the MNIST training images (0: off)."),
    ] = TrainOptions.fonts,
    flag_ones: Annotated[
        float, typer.Option(help="Share of the training 1s added again with a European flag (and foot) (0: off).")
    ] = TrainOptions.flag_ones,
    closed_fours: Annotated[
        float,
        typer.Option(help="Share of the training 4s tried again with a closed top, square to rounded (0: off)."),
    ] = TrainOptions.closed_fours,
    touching_pairs: Annotated[
        float,
        typer.Option(
            help="Two digits written into each other, read as one group and trained towards 'unsure', as a share "
            "of the training images (0: off)."
        ),
    ] = TrainOptions.touching_pairs,
    cut_pieces: Annotated[
        float,
        typer.Option(
            help="The number reader's cut pieces of two or three digits written touching, as a share of the "
            "training images: a piece that is one digit keeps its label, one of two is trained towards 'unsure' "
            "(0: off)."
        ),
    ] = TrainOptions.cut_pieces,
    non_digits: Annotated[
        float,
        typer.Option(help="Non-digit pictures trained towards 'unsure', as a share of the training part (0: off)."),
    ] = TrainOptions.non_digits,
    box_fill: Annotated[
        float,
        typer.Option(
            help="MNIST digits stretched to fill a square bitmap, as a share of the training images; font digits, "
            "flagged 1s and closed 4s at 5x that share of theirs (0: off)."
        ),
    ] = TrainOptions.box_fill,
    written: Annotated[
        float,
        typer.Option(
            help="MNIST digits written on paper (pen, light, crop, JPEG) and read back as the device reads them, "
            "as a share of the training images (0: off)."
        ),
    ] = TrainOptions.written,
    extra: Annotated[
        Optional[Path], typer.Option(help="Your own labelled digits: a folder of 0/ ... 9/ (see edgedigit collect).")
    ] = None,
    extra_repeat: Annotated[
        int, typer.Option(help="How many times each of your own digits counts in training.")
    ] = TrainOptions.extra_repeat,
    finetune: Annotated[
        Optional[Path],
        typer.Option(
            help="Fine-tune this run's model for --epochs epochs on the training mix and any --extra digits, "
            "instead of searching."
        ),
    ] = None,
    teacher: Annotated[
        Optional[Path],
        typer.Option(
            help="Distil from this trained model (a run folder or a .keras file): its softened "
            "probabilities join the training targets."
        ),
    ] = None,
    distill: Annotated[
        Optional[float],
        typer.Option(help="Share of the teacher's probabilities in each target (default 0.7 with --teacher)."),
    ] = None,
    distill_temperature: Annotated[
        float, typer.Option(help="Temperature that softens the teacher's probabilities.")
    ] = TrainOptions.distill_temperature,
    deskew: Annotated[
        Optional[bool],
        typer.Option(
            "--deskew/--no-deskew",
            help="Shear every picture upright before the model reads it, in training and (as the exported manifest "
            "says) on the device (default: on under a 100k-parameter or 100 KB budget, else off).",
        ),
    ] = None,
) -> None:
    """Search for the best Keras MLP on MNIST (plus font digits, flagged 1s, non-digits) and save it with a report."""
    _needs_training_extras("train")
    _quiet_tensorflow()
    from rich.console import Console

    from edgedigit.train.run import train as run_train

    opts = TrainOptions(
        data=str(data) if data else None, run=run, runs_dir=str(runs_dir), preset=preset, trials=trials,
        timeout=timeout, epochs=epochs, final_epochs=final_epochs, augment=augment, elastic=elastic,
        seed=seed,
        val_fraction=val_fraction, limit=limit, max_params=max_params, max_kb=max_kb, storage=storage, study=study,
        resume=resume, force=force, fonts=fonts, flag_ones=flag_ones, non_digits=non_digits, box_fill=box_fill,
        written=written, closed_fours=closed_fours, touching_pairs=touching_pairs, cut_pieces=cut_pieces,
        extra=str(extra) if extra else None, extra_repeat=extra_repeat, finetune=str(finetune) if finetune else None,
        teacher=str(teacher) if teacher else None, distill=distill, distill_temperature=distill_temperature,
        deskew=deskew,
    )  # fmt: skip
    if finetune is not None:
        from edgedigit.train.finetune import finetune as run_finetune

        run_finetune(opts, Console())
        return
    if run_train(opts, Console()).get("interrupted"):
        raise typer.Exit(130)  # stopped by Ctrl-C or SIGTERM; the run folder holds the best model so far


@app.command()
@friendly
def export(
    source: Annotated[str, typer.Argument(help="A runs/NAME folder or a .keras file.")],
    int8: Annotated[bool, typer.Option("--int8", help="Full-integer int8 (uint8 input), the default.")] = False,
    float16: Annotated[bool, typer.Option("--float16", help="float16 weights.")] = False,
    dynamic: Annotated[bool, typer.Option("--dynamic", help="int8 weights, float activations.")] = False,
    float32: Annotated[bool, typer.Option("--float32", help="No quantization.")] = False,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: export-MODE beside the model).")] = None,
    data: Annotated[
        Optional[Path], typer.Option(help="MNIST for calibration and parity (else $EDGEDIGIT_DATA, else download).")
    ] = None,
    calibration_size: Annotated[
        int, typer.Option(help="Training images used to calibrate int8.")
    ] = ExportOptions.calibration_size,
    seed: Annotated[int, typer.Option(help="Seed for picking calibration images.")] = ExportOptions.seed,
    max_drop: Annotated[
        float, typer.Option(help="Fail if accuracy drops by more than this many percentage points.")
    ] = ExportOptions.max_drop_pp,
    min_agreement: Annotated[
        float, typer.Option(help="Fail if top-1 agreement with the float model is below this percentage.")
    ] = ExportOptions.min_agreement * 100,
    parity: Annotated[
        bool, typer.Option("--parity/--no-parity", help="Check accuracy parity on the MNIST test set.")
    ] = True,
    c_array: Annotated[
        bool, typer.Option("--c-array", help="Also write model.h, the model as a C array for TensorFlow Lite Micro.")
    ] = False,
) -> None:
    """Convert a trained model to TFLite and prove its accuracy against the float model."""
    modes = [
        name for name, on in (("int8", int8), ("float16", float16), ("dynamic", dynamic), ("float32", float32)) if on
    ]
    if len(modes) > 1:
        raise UserError(f"choose one mode, got {' and '.join('--' + m for m in modes)}")
    _needs_training_extras("export")
    _quiet_tensorflow()
    from edgedigit.converters.export import export as run_export

    opts = ExportOptions(
        source=source, mode=modes[0] if modes else "int8", out=str(out) if out else None,
        data=str(data) if data else None, calibration_size=calibration_size, seed=seed, max_drop_pp=max_drop,
        min_agreement=min_agreement / 100.0, parity=parity, c_array=c_array,
    )  # fmt: skip
    result = run_export(opts)
    if result.failed:
        fail(
            "export gate failed: "
            + "; ".join(result.failed)
            + f" (manifest {result.model_path.with_suffix('.json')} marked as not passing)",
            1,
        )


@app.command()
@friendly
def classify(
    images: Annotated[Optional[list[Path]], typer.Argument(help="Image files to read.")] = None,
    model: ModelOption = None,
    top_k: Annotated[int, typer.Option(help="How many classes to list per digit.")] = 3,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    threads: ThreadsOption = None,
    camera: Annotated[
        Optional[str], typer.Option(help="Read from a camera index, device, video file, URL or GStreamer pipeline.")
    ] = None,
    headless: Annotated[
        bool, typer.Option(help="Camera: print JSON lines of stable readings (the default without --show).")
    ] = False,
    show: Annotated[bool, typer.Option(help="Camera: open a preview window.")] = False,
    roi: RoiOption = None,
    max_frames: Annotated[Optional[int], typer.Option(help="Camera: stop after this many frames.")] = None,
    stable: StableOption = 3,
    min_confidence: MinConfidenceOption = MIN_CONFIDENCE,
    keep_separators: KeepSeparatorsOption = False,
    service: Annotated[
        bool, typer.Option(help="Camera: never exit when the camera is missing, lost or stalled; wait for it.")
    ] = False,
    frame_timeout: Annotated[
        float, typer.Option(help="Camera: seconds without a frame before a live source counts as stalled.")
    ] = FRAME_TIMEOUT,
    retry_max: Annotated[
        float, typer.Option(help="Camera: longest wait between tries to reopen a lost source (seconds).")
    ] = RETRY_MAX,
    mqtt: Annotated[
        Optional[str], typer.Option(help="Camera: also publish readings to mqtt://host[:port]/topic (edgedigit[mqtt]).")
    ] = None,
) -> None:
    """Read digits from image files or a camera (no TensorFlow needed)."""
    from edgedigit.runtime.camera import CameraOptions, parse_roi

    _single_threaded_opencv()
    region = parse_roi(roi)
    if top_k < 1 or top_k > 10:
        raise UserError("--top-k must be between 1 and 10")
    _files_or_camera(images, camera, "image files", "to classify")
    if show and headless:
        raise UserError("--show and --headless contradict each other: pick one")
    if not 0.0 <= min_confidence <= 1.0:
        raise UserError("--min-confidence must be between 0 and 1")
    if frame_timeout <= 0 or retry_max <= 0:
        raise UserError("--frame-timeout and --retry-max must be positive (seconds)")
    if mqtt is not None:
        from edgedigit.runtime.mqtt import parse_url

        if camera is None:
            raise UserError("--mqtt publishes camera readings: give --camera too")
        parse_url(mqtt)
    clf = _device_model(model, threads)
    if camera is not None:
        from edgedigit.runtime.camera import run as run_camera

        run_camera(
            clf,
            CameraOptions(
                source=camera, roi=region, max_frames=max_frames, stable=max(1, stable), show=show,
                min_confidence=min_confidence, service=service, frame_timeout=frame_timeout, retry_max=retry_max,
                mqtt=mqtt,
            ),
        )  # fmt: skip
        return
    from edgedigit.runtime.classify_files import classify_files

    raise typer.Exit(classify_files(images, clf, top_k, json_out, region, min_confidence, keep_separators))


@app.command()
@friendly
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (another than 127.0.0.1 opens it to the network).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free one, printed).")] = 8080,
    model: ModelOption = None,
    camera: Annotated[
        Optional[str], typer.Option(help="Also read this camera; GET /api/reading gives its latest event.")
    ] = None,
    roi: RoiOption = None,
    stable: StableOption = 3,
    threads: ThreadsOption = None,
    min_confidence: MinConfidenceOption = MIN_CONFIDENCE,
    keep_separators: KeepSeparatorsOption = False,
    config: Annotated[
        Optional[Path],
        typer.Option(help="JSON file that keeps the region dragged on the page (read at start; --roi wins)."),
    ] = None,
) -> None:
    """Serve the reader over HTTP: POST /api/read, GET /api/reading, GET /metrics, and a page (no TensorFlow)."""
    from edgedigit.runtime.camera import CameraOptions, parse_roi
    from edgedigit.runtime.serve import serve as run_server

    _single_threaded_opencv()
    if not 0 <= port <= 65535:
        raise UserError("--port must be between 0 and 65535")
    if not 0.0 <= min_confidence <= 1.0:
        raise UserError("--min-confidence must be between 0 and 1")
    options = (
        None
        if camera is None
        else CameraOptions(source=camera, roi=parse_roi(roi), stable=max(1, stable), service=True)
    )
    run_server(_device_model(model, threads), host, port, options, threads, min_confidence, keep_separators, config)


@app.command()
@friendly
def collect(
    images: Annotated[Optional[list[Path]], typer.Argument(help="Pictures of your digits.")] = None,
    label: Annotated[str, typer.Option(help="The digit(s) every picture shows, left to right: 7, or 2026.")] = "",
    out: Annotated[Path, typer.Option(help="Folder of 0/ ... 9/ to add to (for train --extra).")] = Path("my-digits"),
    camera: Annotated[Optional[str], typer.Option(help="Take the digits from this camera source instead.")] = None,
    count: Annotated[int, typer.Option(help="Camera: how many digits to save.")] = 20,
) -> None:
    """Save your own labelled digits, as the model sees them, to teach it your handwriting (train --extra)."""
    from edgedigit.runtime.collect import collect_file, collect_frames, parse_label

    _single_threaded_opencv()
    digits = parse_label(label)
    _files_or_camera(images, camera, "pictures", "to collect from")
    if count < 1:
        raise UserError("--count must be at least 1")
    if camera is not None:
        from edgedigit.runtime.camera import frames

        saved = collect_frames(frames(camera), digits, out, count)
        print(f"saved {len(saved)} digit(s) labelled {label} from {camera} into {out}")
        if len(saved) < count:
            fail(f"{camera} ended after {len(saved)} of the {count} digits asked for", 1)
        return
    failed = 0
    for path in images:
        try:
            saved = collect_file(path, digits, out)
        except UserError as exc:
            failed += 1
            print(f"edgedigit: error: {exc}", file=sys.stderr, flush=True)
            continue
        print(f"{path}: saved " + ", ".join(str(s.path) for s in saved), flush=True)
    raise typer.Exit(1 if failed else 0)


@app.command()
@friendly
def bench(
    model: Annotated[
        Optional[list[Path]], typer.Option(help="Model(s) to measure (default: the bundled int8 and float32).")
    ] = None,
    threads: Annotated[Optional[int], typer.Option(help="Interpreter threads.")] = 1,
    repeat: Annotated[int, typer.Option(help="Timed repetitions per figure.")] = 500,
    batch: Annotated[int, typer.Option(help="Batch size for the throughput figure.")] = 256,
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Latency of preprocessing and inference, and batch throughput, for each model."""
    import json

    from edgedigit.runtime.bench import bench_model, environment
    from edgedigit.runtime.classifier import bundled_models

    if repeat < 1 or batch < 1:
        raise UserError("--repeat and --batch must be at least 1")
    _single_threaded_opencv()
    results = {
        "environment": environment(threads),
        "models": [bench_model(m, threads, repeat, batch) for m in (model or bundled_models())],
    }
    if json_out:
        print(json.dumps(results, indent=2))
        return
    env = results["environment"]
    print(f"{env['cpu']} ({env['machine']}), interpreter threads {threads}")
    keys = ["inference_1", "preprocess_28x28", "preprocess_640x480", "end_to_end_28x28", "end_to_end_640x480"]
    print(f"{'figure (us, p50 / p99)':<26}" + "".join(f"{r['quantization']:>22}" for r in results["models"]))
    for key in keys:
        print(
            f"{key:<26}" + "".join(f"{r[key]['p50_us']:>12.1f} / {r[key]['p99_us']:<7.1f}" for r in results["models"])
        )
    tput = f"batch_{batch}_images_per_s"
    print(f"{tput:<26}" + "".join(f"{r[tput]:>22.0f}" for r in results["models"]))
    print(f"{'size (bytes)':<26}" + "".join(f"{r['bytes']:>22}" for r in results["models"]))


@app.command()
@friendly
def info(
    model: Annotated[Optional[Path], typer.Option(help="Model to describe (default: bundled int8).")] = None,
) -> None:
    """Backend, model, manifest metrics, versions, CPU and the camera sources found."""
    import json
    import platform

    import cv2
    import numpy as np

    from edgedigit import __version__
    from edgedigit.runtime.bench import cpu_name
    from edgedigit.runtime.camera import camera_sources
    from edgedigit.versions import versions

    clf = Classifier(model)
    out = {
        "edgedigit": __version__,
        "model": clf.describe(),
        "versions": {**versions(numpy=np, opencv=cv2), "backend": clf.backend_version},
        "cpu": {"name": cpu_name(), "machine": platform.machine(), "cores": os.cpu_count()},
        "cameras": camera_sources(),
    }  # fmt: skip
    print(json.dumps(out, indent=2))


def main() -> None:
    """Console-script entry point; `python -m edgedigit` gets the same name, so the same completion."""
    app(prog_name="edgedigit")
