"""`edgedigit export`: convert -> write model + manifest -> validate against the float model -> report.

Shaped like Optimum's exporters: the exported model is checked against its reference on the full
MNIST test set, the numbers go into `parity.json` and the manifest, and a failed gate exits
non-zero and marks the manifest so the runtime warns before using the model.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from edgedigit import atomic
from edgedigit.converters import c_array, calibration, parity, tflite
from edgedigit.errors import UserError
from edgedigit.options import ExportOptions, TrainOptions
from edgedigit.runtime.classifier import Classifier, load_backend
from edgedigit.runtime.manifest import (
    FORMAT_VERSION,
    INPUT_MEANING,
    LABELS,
    LOGITS_MEANING,
    PREPROCESSING,
    manifest_path,
    sha256_file,
    tensor_spec,
)
from edgedigit.sizes import BYTES_PER_KIB
from edgedigit.train.data import Mnist, load_mnist, representative_sample, split_train_val
from edgedigit.train.model import MomentNormalize
from edgedigit.versions import versions


@dataclass
class ExportResult:
    model_path: Path
    manifest: dict[str, Any]
    failed: list[str]


def resolve_source(source: str) -> tuple[Path, str]:
    """(path of the .keras file, run name) for a run folder or a .keras file."""
    p = Path(source).expanduser()
    if p.is_dir():
        keras_file = p / "model.keras"
        if not keras_file.is_file():
            raise UserError(f"{p} holds no model.keras: is it a run folder from `edgedigit train`?")
        return keras_file, p.name
    if not p.exists():
        raise UserError(f"{p} does not exist: give a runs/NAME folder or a .keras file")
    if p.suffix != ".keras":
        raise UserError(f"{p} is not a .keras file or a run folder")
    return p, p.stem


def export(opts: ExportOptions, log: Any = print) -> ExportResult:
    """Run the whole export; raises UserError for bad inputs, returns failed gate bounds otherwise."""
    opts.check()
    started = time.monotonic()
    keras_path, run_name = resolve_source(opts.source)
    model = tflite.load_classifier(keras_path)
    out_dir = Path(opts.out) if opts.out else keras_path.parent / f"export-{opts.mode}"
    _check_out(out_dir)  # before the work: a wrong --out is known at once
    data = load_mnist(opts.data)  # int8 calibration, the temperature's validation split, parity

    sample = representative_sample(data, opts.calibration_size, opts.seed) if opts.mode == "int8" else None
    normalizing = tflite.normalization(model)
    flatbuffer = tflite.convert(model, opts.mode, sample, logits=True)
    with atomic.atomic_folder(out_dir) as folder:  # model, manifest and parity report go in place together
        model_path = folder / "model.tflite"
        model_path.write_bytes(flatbuffer)
        manifest = _manifest(model_path, opts, keras_path, run_name, sample, normalizing)
        atomic.write_json(manifest_path(model_path), manifest)  # provisional: temperature 1, parity unchecked
        run_options = _run_options(keras_path)
        exported = Classifier(model_path)  # as the device reads it, at temperature 1 for now
        test_probs = exported.predict_proba(data.x_test)
        manifest["output"]["temperature"], manifest["confidence"] = _temperature(
            exported, test_probs, run_options, keras_path, data, log
        )
        over_budget = _budget_check(model_path, run_options, opts.mode)
        failed: list[str] = over_budget
        if opts.parity:
            report = _parity(model, model_path, test_probs, data, opts)
            failed = parity.check(report, parity.Gate(opts.max_drop_pp, opts.min_agreement)) + over_budget
            report["gate"] = {"max_drop_pp": opts.max_drop_pp, "min_agreement": opts.min_agreement,
                              "passed": not failed, "failed": failed}  # fmt: skip
            report["seconds"] = round(time.monotonic() - started, 1)
            atomic.write_json(folder / "parity.json", report)
            manifest["metrics"] = {
                k: report[k] for k in ("float_accuracy", "exported_accuracy", "drop_pp", "agreement")
            }
            manifest["metrics"]["size_ratio"] = report["size_ratio"]
            manifest["metrics"]["ece"] = manifest["confidence"]["ece_after"]
            manifest["parity"] = {"passed": not failed, "reason": "; ".join(failed) or "within bounds",
                                  "report": "parity.json"}  # fmt: skip
            _print_table(report, failed, log)
        else:
            manifest["parity"] = {"passed": False, "reason": "; ".join(["skipped with --no-parity", *failed])}
            for line in failed:
                log(f"gate: FAIL: {line}")
        atomic.write_json(manifest_path(model_path), manifest)
        if opts.c_array:
            c_array.write_header(model_path, manifest, folder / "model.h")
    model_path = out_dir / "model.tflite"
    log(f"wrote {model_path} ({model_path.stat().st_size} bytes) and {manifest_path(model_path).name} "
        f"in {time.monotonic() - started:.1f} s")  # fmt: skip
    return ExportResult(model_path, manifest, failed)


EXPORT_FILES = {"model.tflite", "model.json", "parity.json", "model.h"}


def _check_out(out_dir: Path) -> None:
    """The export replaces `out_dir` as a whole: refuse a folder that holds anything but an export, or a place
    where no folder can be made (the export is written into a new folder beside it, then swapped in)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir} is a file, not a folder")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryDirectory(dir=out_dir.parent).cleanup()
    except OSError as exc:
        raise UserError(f"--out {out_dir}: no folder can be written there ({exc.strerror or exc})") from None
    others = sorted(p.name for p in out_dir.iterdir() if p.name not in EXPORT_FILES) if out_dir.is_dir() else []
    if others:
        raise UserError(
            f"--out {out_dir} holds other files ({', '.join(others[:3])}): give an export folder or a new one"
        )


def _manifest(
    model_path: Path,
    opts: ExportOptions,
    keras_path: Path,
    run: str,
    sample: np.ndarray | None,
    normalizing: keras.layers.Layer | None,
) -> dict[str, Any]:
    interpreter_cls, _ = load_backend()
    interp = interpreter_cls(model_path=str(model_path))
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    return {
        "format_version": FORMAT_VERSION,
        "model_file": model_path.name,
        "sha256": sha256_file(model_path),
        "bytes": model_path.stat().st_size,
        "quantization": opts.mode,
        "labels": LABELS,
        "input": tensor_spec(inp, INPUT_MEANING),
        "output": {**tensor_spec(out, LOGITS_MEANING), "kind": "logits", "temperature": 1.0},
        "preprocessing": {
            **PREPROCESSING,
            "deskew": normalizing is not None,  # a moment-normalizing model shears pictures upright too
            "moments": isinstance(normalizing, MomentNormalize),
        },
        "calibration": None
        if sample is None
        else {"images": int(len(sample)), "from": "training set, stratified", "seed": opts.seed},
        "source": {"run": run, "keras_file": str(keras_path), "keras_sha256": sha256_file(keras_path)},
        "options": asdict(opts),
        "versions": versions(tensorflow=tf, keras=keras, numpy=np),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "parity": {"passed": False, "reason": "not checked yet"},
    }


def _run_options(keras_path: Path) -> dict[str, Any] | None:
    """The options of the run that trained the model (its summary.json), or None for a bare .keras file."""
    summary = keras_path.parent / "summary.json"
    return json.loads(summary.read_text()).get("options", {}) if summary.is_file() else None


def _budget_check(model_path: Path, run_options: dict[str, Any] | None, mode: str) -> list[str]:
    """The int8 file against the run's --max-kb (which counts the whole file): a failure line, or none."""
    max_kb = (run_options or {}).get("max_kb")
    size = model_path.stat().st_size
    if mode != "int8" or max_kb is None or size <= max_kb * BYTES_PER_KIB:
        return []
    return [f"the int8 file is {size} bytes, over the run's --max-kb {max_kb:g} ({int(max_kb * BYTES_PER_KIB)} bytes)"]


def _temperature(
    exported: Classifier,
    test_probs: np.ndarray,
    run_options: dict[str, Any] | None,
    keras_path: Path,
    data: Mnist,
    log: Any,
) -> tuple[float, dict[str, Any]]:
    """Fit the temperature on the run's validation split, as the exported model reads it (at temperature 1),
    and measure the expected calibration error on the test set before (T = 1) and after; say so when the split
    cannot place it."""
    val_fraction, seed, limit, where = _validation_split(run_options, keras_path)
    split = split_train_val(data, val_fraction, seed, limit)
    val_logits = calibration.log_probs(exported.predict_proba(split.x_val))
    temperature, unfitted = calibration.temperature_for(val_logits, split.y_val)
    if unfitted:
        log(f"temperature {unfitted}")
    test_logits = calibration.log_probs(test_probs)
    y_test = data.y_test.astype(np.int64)
    before = calibration.ece(calibration.soften(test_logits, 1.0), y_test)
    after = calibration.ece(calibration.soften(test_logits, temperature), y_test)
    return round(temperature, 4), {
        "temperature": round(temperature, 4),
        "fitted_on": where,
        "images": len(split.y_val),
        "ece_before": round(before, 5),
        "ece_after": round(after, 5),
        "ece_measured_on": "MNIST test (10k)",
        "method": unfitted or "temperature scaling: softmax(logits / T), T minimising the validation NLL",
    }


def _validation_split(run_options: dict[str, Any] | None, keras_path: Path) -> tuple[float, int, int | None, str]:
    """The validation split the run held out (from the summary.json beside its model), or the default one."""
    if run_options is not None:
        fraction = run_options.get("val_fraction", TrainOptions.val_fraction)
        seed = run_options.get("seed", TrainOptions.seed)
        where = f"the run's validation split ({keras_path.parent / 'summary.json'})"
        return fraction, seed, run_options.get("limit"), where
    defaults = TrainOptions()
    return defaults.val_fraction, defaults.seed, None, "the default validation split (no summary.json beside the model)"


def _parity(
    model: keras.Model, model_path: Path, test_probs: np.ndarray, data: Mnist, opts: ExportOptions
) -> dict[str, Any]:
    """The float model against the exported one's test-set probabilities (at temperature 1: quantization only)."""
    ref = model.predict(data.x_test, batch_size=1024, verbose=0)
    report = parity.compare(data.y_test.astype(np.int64), ref, test_probs)
    float_bytes = len(tflite.convert(model, "float32")) if opts.mode != "float32" else model_path.stat().st_size
    report.update({
        "mode": opts.mode,
        "float32_tflite_bytes": float_bytes,
        "exported_bytes": model_path.stat().st_size,
        "size_ratio": round(model_path.stat().st_size / float_bytes, 4),
        "test_set": "MNIST test (10k), never used for training, selection or calibration",
    })  # fmt: skip
    return report


def _print_table(report: dict[str, Any], failed: list[str], log: Any) -> None:
    rows = [
        ("float accuracy", f"{report['float_accuracy']:.4%}"),
        (f"{report['mode']} accuracy", f"{report['exported_accuracy']:.4%}"),
        ("drop", f"{report['drop_pp']:.3f} pp"),
        ("top-1 agreement", f"{report['agreement']:.4%}"),
        ("prob |diff| mean / max", f"{report['prob_abs_diff_mean']:.5f} / {report['prob_abs_diff_max']:.5f}"),
        (
            "size float32 -> exported",
            f"{report['float32_tflite_bytes']} -> {report['exported_bytes']} bytes ({report['size_ratio']:.1%})",
        ),  # fmt: skip
        ("gate", "PASS" if not failed else "FAIL: " + "; ".join(failed)),
    ]
    width = max(len(k) for k, _ in rows)
    log("\n".join(f"{k:<{width}}  {v}" for k, v in rows))
