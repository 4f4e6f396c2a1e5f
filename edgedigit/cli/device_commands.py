"""`classify`, `serve`, `collect`, `bench` and `info`: the commands that run on the device. They never import
TensorFlow, Keras, Optuna or matplotlib (tests/runtime/test_device_path.py); heavier runtime parts load inside each
command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from edgedigit.cli.app import (
    KeepSeparatorsOption,
    MinConfidenceOption,
    ModelOption,
    RoiOption,
    StableOption,
    ThreadsOption,
    app,
    at_least_one,
    device_model,
    fail,
    files_or_camera,
    friendly,
    given,
    only_with_camera,
    single_threaded_opencv,
)
from edgedigit.errors import UserError
from edgedigit.runtime import Classifier
from edgedigit.runtime.camera import FRAME_TIMEOUT, RETRY_MAX
from edgedigit.runtime.reader import MIN_CONFIDENCE

# classify's options that act only on a camera's frames (a usage error without --camera, where they did nothing)
CAMERA_ONLY = ("headless", "show", "max_frames", "stable", "service", "frame_timeout", "retry_max", "mqtt")


@app.command()
@friendly
def classify(
    ctx: typer.Context,
    images: Annotated[
        Optional[list[Path]], typer.Argument(help="Image files to read (a folder: its picture files).")
    ] = None,
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

    single_threaded_opencv()
    region = parse_roi(roi)
    if top_k < 1 or top_k > 10:
        raise UserError("--top-k must be between 1 and 10")
    at_least_one(threads=threads, stable=stable, max_frames=max_frames)
    files_or_camera(images, camera, "image files", "to classify")
    only_with_camera(ctx, camera, *CAMERA_ONLY)
    if camera is not None and given(ctx, "top_k"):
        raise UserError("--top-k lists alternatives for files: a camera reports each digit's best reading")
    if show and headless:
        raise UserError("--show and --headless contradict each other: pick one")
    if not 0.0 <= min_confidence <= 1.0:
        raise UserError("--min-confidence must be between 0 and 1")
    if frame_timeout <= 0 or retry_max <= 0:
        raise UserError("--frame-timeout and --retry-max must be positive (seconds)")
    if mqtt is not None:
        from edgedigit.runtime.mqtt import parse_url

        parse_url(mqtt)
    clf = device_model(model, threads)
    if camera is not None:
        from edgedigit.runtime.camera import run as run_camera

        run_camera(
            clf,
            CameraOptions(
                source=camera, roi=region, max_frames=max_frames, stable=stable, show=show,
                min_confidence=min_confidence, keep_separators=keep_separators, service=service,
                frame_timeout=frame_timeout, retry_max=retry_max, mqtt=mqtt,
            ),
        )  # fmt: skip
        return
    from edgedigit.runtime.classify_files import classify_files

    raise typer.Exit(classify_files(images, clf, top_k, json_out, region, min_confidence, keep_separators))


@app.command()
@friendly
def serve(
    ctx: typer.Context,
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

    single_threaded_opencv()
    if not 0 <= port <= 65535:
        raise UserError("--port must be between 0 and 65535")
    at_least_one(threads=threads, stable=stable)
    only_with_camera(ctx, camera, "roi", "stable", "config")
    if not 0.0 <= min_confidence <= 1.0:
        raise UserError("--min-confidence must be between 0 and 1")
    options = None if camera is None else CameraOptions(source=camera, roi=parse_roi(roi), stable=stable, service=True)
    run_server(device_model(model, threads), host, port, options, threads, min_confidence, keep_separators, config)


@app.command()
@friendly
def collect(
    ctx: typer.Context,
    images: Annotated[
        Optional[list[Path]], typer.Argument(help="Pictures of your digits (a folder: its picture files).")
    ] = None,
    label: Annotated[str, typer.Option(help="The digit(s) every picture shows, left to right: 7, or 2026.")] = "",
    out: Annotated[Path, typer.Option(help="Folder of 0/ ... 9/ to add to (for train --extra).")] = Path("my-digits"),
    camera: Annotated[Optional[str], typer.Option(help="Take the digits from this camera source instead.")] = None,
    count: Annotated[int, typer.Option(help="Camera: how many digits to save.")] = 20,
) -> None:
    """Save your own labelled digits, as the model sees them, to teach it your handwriting (train --extra)."""
    from edgedigit.runtime.collect import collect_file, collect_frames, parse_label
    from edgedigit.runtime.decode import picture_files

    single_threaded_opencv()
    digits = parse_label(label)
    files_or_camera(images, camera, "pictures", "to collect from")
    only_with_camera(ctx, camera, "count")
    if count < 1:
        raise UserError("--count must be at least 1")
    if camera is not None:
        from edgedigit.runtime.camera_sources import frames

        saved = collect_frames(frames(camera), digits, out, count)
        print(f"saved {len(saved)} digit(s) labelled {label} from {camera} into {out}")
        if len(saved) < count:
            fail(f"{camera} ended after {len(saved)} of the {count} digits asked for", 1)
        return
    failed = 0
    for path in picture_files(images):
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

    at_least_one(threads=threads, repeat=repeat, batch=batch)
    single_threaded_opencv()
    results = {
        "environment": environment(threads),
        "models": [bench_model(m, threads, repeat, batch) for m in (model or bundled_models())],
    }
    if json_out:
        print(json.dumps(results, indent=2))
        return
    env = results["environment"]
    print(f"{env['cpu']} ({env['machine']}), interpreter threads {threads}")
    keys = [
        "inference_1",
        "preprocess_28x28",
        "preprocess_640x480",
        "digit_28x28",
        "end_to_end_28x28",
        "end_to_end_640x480",
    ]
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
    from edgedigit.runtime.camera_sources import camera_sources
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
