"""`edgedigit export`: every mode converts, the manifest matches the file, the gate can fail."""

from __future__ import annotations

import json
import shutil

import cv2
import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from edgedigit.cli import app
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.manifest import sha256_file

runner = CliRunner()


def test_int8_export_is_uint8_in_and_matches_its_manifest(small_int8):
    model, manifest = small_int8 / "model.tflite", json.loads((small_int8 / "model.json").read_text())
    assert manifest["sha256"] == sha256_file(model) and manifest["bytes"] == model.stat().st_size
    assert manifest["quantization"] == "int8"
    assert manifest["input"]["dtype"] == "uint8" and manifest["input"]["shape"] == [-1, 28, 28]
    assert (manifest["input"]["scale"], manifest["input"]["zero_point"]) == (1.0, 0)  # raw pixels, no scaling
    assert manifest["output"]["dtype"] == "uint8" and manifest["output"]["shape"] == [-1, 10]
    assert manifest["calibration"]["from"].startswith("training set")
    clf = Classifier(model)
    assert clf.input.dtype == np.uint8 and clf.output.dtype == np.uint8


def test_parity_report_numbers_are_consistent(small_int8, mnist):
    report = json.loads((small_int8 / "parity.json").read_text())
    assert report["images"] == 10000
    assert report["drop_pp"] == pytest.approx((report["float_accuracy"] - report["exported_accuracy"]) * 100, abs=1e-3)
    assert 0.9 < report["exported_accuracy"] < 1.0 and report["agreement"] > 0.98
    assert report["size_ratio"] == pytest.approx(report["exported_bytes"] / report["float32_tflite_bytes"], abs=1e-4)
    assert report["size_ratio"] < 0.3
    assert set(report["per_class_accuracy"]) == {str(d) for d in range(10)}
    # recompute the exported accuracy independently through the runtime
    probs = Classifier(small_int8).predict_proba(mnist.x_test)
    assert float((probs.argmax(1) == mnist.y_test).mean()) == pytest.approx(report["exported_accuracy"], abs=1e-6)
    manifest = json.loads((small_int8 / "model.json").read_text())
    assert manifest["parity"]["passed"] is True and manifest["metrics"]["drop_pp"] == report["drop_pp"]


@pytest.mark.parametrize("mode", ["float16", "dynamic", "float32"])
def test_other_modes_convert_and_agree(tmp_path, small_model_path, mnist_path, mode):
    out = tmp_path / mode
    result = runner.invoke(
        app, ["export", str(small_model_path), f"--{mode}", "--out", str(out), "--data", str(mnist_path)]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "model.json").read_text())
    assert manifest["quantization"] == mode and manifest["input"]["dtype"] == "float32"
    assert manifest["parity"]["passed"] and manifest["metrics"]["agreement"] >= 0.995


def test_calibration_never_sees_test_images(tmp_path, small_model_path, mnist, monkeypatch):
    """Every image handed to the converter for calibration is a training image; the temperature is fitted
    on the validation split, never on the test set."""
    from edgedigit.converters import tflite
    from edgedigit.converters.export import ExportOptions, export

    seen = []
    real_convert = tflite.convert

    def spy(model, mode, calibration=None, logits=False):
        if calibration is not None:
            seen.append(calibration)
        return real_convert(model, mode, calibration, logits)

    monkeypatch.setattr(tflite, "convert", spy)
    from edgedigit.converters import calibration as confidence

    fitted_on = []
    real_fit = confidence.temperature_for
    monkeypatch.setattr(confidence, "temperature_for", lambda z, y: fitted_on.append(len(y)) or real_fit(z, y))
    export(ExportOptions(source=str(small_model_path), out=str(tmp_path), data=mnist.source, parity=False,
                         calibration_size=300), log=lambda *_: None)  # fmt: skip
    assert len(seen) == 1 and 290 <= len(seen[0]) <= 310
    assert len(fitted_on) == 1 and 5990 <= fitted_on[0] <= 6000  # the default validation split: 10% of train
    train_keys = {im.tobytes() for im in mnist.x_train}
    test_only = {im.tobytes() for im in mnist.x_test} - train_keys
    assert all(im.tobytes() in train_keys for im in seen[0])
    assert not any(im.tobytes() in test_only for im in seen[0])


def test_a_missed_gate_fails_loudly_and_marks_the_manifest(tmp_path, small_model_path, mnist_path):
    out = tmp_path / "gated"
    args = [
        "export",
        str(small_model_path),
        "--int8",
        "--out",
        str(out),
        "--data",
        str(mnist_path),
        "--min-agreement",
        "100",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--min-agreement 100" in result.stderr and "export gate failed" in result.stderr
    manifest = json.loads((out / "model.json").read_text())
    assert manifest["parity"]["passed"] is False
    assert json.loads((out / "parity.json").read_text())["gate"]["passed"] is False


def test_runtime_warns_about_a_model_that_failed_parity(tmp_path, small_model_path, mnist_path, mnist, capsys):
    """The classifier says why (it does not print: library code returns); `classify` prints it as one warning
    line and still reads with the model the user chose."""
    out = tmp_path / "gated"
    runner.invoke(
        app, ["export", str(small_model_path), "--out", str(out), "--data", str(mnist_path), "--min-agreement", "100"]
    )
    capsys.readouterr()
    assert "did not pass its accuracy-parity check" in Classifier(out).parity_warning
    assert capsys.readouterr().err == ""
    assert Classifier().parity_warning is None  # the bundled model passed
    picture = tmp_path / "digit.png"
    cv2.imwrite(str(picture), 255 - mnist.x_test[0])
    result = runner.invoke(app, ["classify", str(picture), "--model", str(out)])
    warnings = [line for line in result.stderr.splitlines() if line.startswith("edgedigit: warning:")]
    assert result.exit_code == 0 and len(warnings) == 1 and "accuracy-parity" in warnings[0], result.stderr
    assert result.stdout.startswith(f"{picture}: ")


def test_no_parity_skips_only_when_asked(tmp_path, small_model_path, mnist_path):
    out = tmp_path / "skip"
    out.mkdir()
    (out / "parity.json").write_text('{"passed": true}')  # left by an earlier export into the same folder
    result = runner.invoke(
        app, ["export", str(small_model_path), "--out", str(out), "--data", str(mnist_path), "--no-parity"]
    )
    assert result.exit_code == 0
    assert not (out / "parity.json").exists()
    assert json.loads((out / "model.json").read_text())["parity"] == {
        "passed": False,
        "reason": "skipped with --no-parity",
    }


def test_export_from_a_run_folder_defaults_next_to_the_model(tmp_path, small_model_path, mnist_path):
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "model.keras").write_bytes(small_model_path.read_bytes())
    result = runner.invoke(app, ["export", str(run), "--float32", "--data", str(mnist_path), "--no-parity"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((run / "export-float32" / "model.json").read_text())
    assert manifest["source"]["run"] == "r1" and manifest["source"]["keras_sha256"] == sha256_file(run / "model.keras")


def _not_a_classifier(path):
    import keras

    keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(3)]).save(path)


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "does not exist"),
        (lambda p: (p / "empty_run").mkdir(), "holds no model.keras"),
        (lambda p: (p / "bad.keras").write_bytes(b"definitely not a zip"), "cannot load"),
        (lambda p: _not_a_classifier(p / "three.keras"), "edgedigit exports (28, 28) -> (10,)"),
        (lambda p: (p / "model.h5").write_bytes(b"x"), "not a .keras file"),
    ],
)
def test_bad_sources_give_one_line_and_exit_2(tmp_path, mnist_path, setup, message):
    setup(tmp_path)
    names = {"does not exist": "missing", "holds no model.keras": "empty_run", "cannot load": "bad.keras",
             "edgedigit exports (28, 28) -> (10,)": "three.keras", "not a .keras file": "model.h5"}  # fmt: skip
    result = runner.invoke(app, ["export", str(tmp_path / names[message]), "--data", str(mnist_path)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--int8", "--float16"], "choose one mode"),
        (["--min-agreement", "120"], "--min-agreement must be a percentage above 0 and at most 100, got 120"),
        (["--max-drop", "-1"], "--max-drop must be 0 or more (percentage points), got -1.0"),
        (["--float32", "--calibration-size", "50"], "--calibration-size picks the images int8 is calibrated on"),
        (["--float16", "--seed", "3"], "--seed picks the images int8 is calibrated on: --float16 has none"),
        (["--no-parity", "--max-drop", "0.1"], "--max-drop bounds the parity check: leave --no-parity out"),
    ],
)
def test_impossible_options_are_usage_errors_before_any_work(small_model_path, tmp_path, args, message):
    result = runner.invoke(app, ["export", str(small_model_path), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "out").exists()  # refused before converting: a gate no model can pass is not run


def test_an_out_folder_that_cannot_be_made_is_one_line_before_any_work(small_model_path, tmp_path, mnist_path):
    (tmp_path / "a-file").write_text("not a folder")
    out = tmp_path / "a-file" / "export"
    result = runner.invoke(app, ["export", str(small_model_path), "--out", str(out), "--data", str(mnist_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"edgedigit: error: --out {out}: no folder can be written there (File exists)"
    assert "float accuracy" not in result.stdout  # refused before converting


def test_an_export_replaces_its_folder_whole_or_not_at_all(tmp_path, small_model_path, mnist_path, monkeypatch):
    from edgedigit.converters import export as exporter

    out = tmp_path / "exp"
    args = ["export", str(small_model_path), "--out", str(out), "--data", str(mnist_path)]
    assert runner.invoke(app, [*args, "--int8", "--calibration-size", "50"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"model.tflite", "model.json", "parity.json"}

    def broken(*_a, **_k):
        raise RuntimeError("killed half way through the parity check")

    monkeypatch.setattr(exporter, "_parity", broken)
    with pytest.raises(RuntimeError):
        runner.invoke(app, [*args, "--float16"], catch_exceptions=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the int8 export, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["exp"]  # no temporary folder left beside it

    monkeypatch.undo()
    assert runner.invoke(app, [*args, "--float16"]).exit_code == 0
    manifest = json.loads((out / "model.json").read_text())
    assert manifest["quantization"] == "float16" and manifest["sha256"] == sha256_file(out / "model.tflite")
    report = json.loads((out / "parity.json").read_text())
    assert report["exported_accuracy"] == manifest["metrics"]["exported_accuracy"]

    (out / "notes.txt").write_text("mine")
    refused = runner.invoke(app, [*args, "--float32"])
    assert refused.exit_code == 2 and "holds other files (notes.txt)" in refused.stderr
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("max_kb, passes", [(200, True), (50, False)])
def test_the_int8_file_is_held_to_the_runs_max_kb(tmp_path, small_model_path, mnist_path, max_kb, passes):
    """--max-kb bounds the exported file, flatbuffer overhead included, checked on the real file."""
    from edgedigit.sizes import int8_file_bytes

    run = tmp_path / "run"
    run.mkdir()
    shutil.copyfile(small_model_path, run / "model.keras")
    (run / "summary.json").write_text(json.dumps({"options": {"max_kb": max_kb, "val_fraction": 0.1, "seed": 0}}))
    result = runner.invoke(app, ["export", str(run), "--int8", "--data", str(mnist_path)])
    size = (run / "export-int8" / "model.tflite").stat().st_size
    assert size <= int8_file_bytes([128]) < 200 * 1024  # the estimate the search uses is an upper bound
    manifest = json.loads((run / "export-int8" / "model.json").read_text())
    assert (result.exit_code == 0) == passes and manifest["parity"]["passed"] == passes
    if not passes:
        assert f"the int8 file is {size} bytes, over the run's --max-kb 50 (51200 bytes)" in result.stderr


def test_an_int8_file_holds_no_names_or_run_time_shapes_and_reads_as_the_keras_model(mnist):
    """The 8 KB tier's widest 10x10 model fits in 8 KB: the file keeps only the input's and output's names, no
    signatures, and its reshapes have constant shapes (no SHAPE operators); a batch still reads as in Keras."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    from edgedigit.converters import tflite
    from edgedigit.runtime.classifier import load_backend
    from edgedigit.sizes import int8_file_bytes
    from edgedigit.train.config import TrainConfig
    from edgedigit.train.model import build_model

    model = build_model(TrainConfig(hidden=(34,), pool=2, crop=4, dropout=0), seed=0)
    blob = tflite.convert(model, "int8", mnist.x_train[:200], logits=True)
    assert len(blob) <= int8_file_bytes([34], 2, 4) <= 8 * 1024
    parsed = flatbuffer_utils.convert_bytearray_to_object(bytearray(blob))
    graph = parsed.subgraphs[0]
    assert {t.name for t in graph.tensors} - {None} == {b"pixels", b"output"} and not parsed.signatureDefs
    operators = {parsed.operatorCodes[op.opcodeIndex].builtinCode for op in graph.operators}
    assert schema.BuiltinOperator.SHAPE not in operators
    interpreter = load_backend()[0](model_content=blob)
    interpreter.resize_tensor_input(0, [50, 28, 28])
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], mnist.x_test[:50])
    interpreter.invoke()
    read = interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).argmax(axis=1)
    assert np.mean(read == model.predict(mnist.x_test[:50], verbose=0).argmax(axis=1)) >= 0.9


def test_a_model_on_the_int8_grid_is_exported_with_its_weights_exactly(mnist):
    """`snap_to_int8_grid` rounds a kernel to the grid the converter quantizes it to, so the int8 file's weights,
    dequantized, are the float model's (a kernel off the grid is not: the test would see its rounding)."""
    from tensorflow.lite.tools import flatbuffer_utils

    from edgedigit.converters import tflite
    from edgedigit.train.config import TrainConfig
    from edgedigit.train.model import build_model, snap_to_int8_grid

    model = build_model(TrainConfig(hidden=(34,), pool=2, crop=4, dropout=0), seed=0)

    def exported_error() -> float:
        parsed = flatbuffer_utils.convert_bytearray_to_object(
            bytearray(tflite.convert(model, "int8", mnist.x_train[:200], logits=True))
        )
        graph, worst = parsed.subgraphs[0], 0.0
        kernels = [layer.get_weights()[0].T for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        for tensor in graph.tensors:
            shape = tuple(tensor.shape)
            match = [k for k in kernels if k.shape == shape]
            if len(shape) == 2 and match and tensor.type == 9:  # INT8 weights, (out, in)
                data = parsed.buffers[tensor.buffer].data.view(np.int8).reshape(shape).astype(np.float64)
                scale = np.asarray(tensor.quantization.scale)[:, None]
                worst = max(worst, float(np.abs(data * scale - match[0]).max() / np.abs(match[0]).max()))
        return worst

    assert exported_error() > 1e-3  # as built: each weight rounded by up to half a step
    snap_to_int8_grid(model)
    assert exported_error() < 1e-5


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler here to check model.h with")
def test_c_array_header_compiles_and_holds_the_model(tmp_path, small_model_path, mnist_path):
    import re
    import subprocess

    out = tmp_path / "int8"
    result = runner.invoke(app, ["export", str(small_model_path), "--int8", "--c-array", "--out", str(out),
                                 "--data", str(mnist_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    header = (out / "model.h").read_text()
    data = bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", header.split("= {")[1]))
    assert data == (out / "model.tflite").read_bytes()
    manifest = json.loads((out / "model.json").read_text())
    assert f"edgedigit_model_len = {len(data)};" in header and manifest["options"]["c_array"] is True
    assert f"#define EDGEDIGIT_TEMPERATURE {manifest['output']['temperature']!r}f" in header
    user = tmp_path / "firmware.c"  # what a TFLM firmware does with it: take the bytes and their length
    user.write_text('#include "model.h"\nconst unsigned char *model(unsigned int *n) '
                    "{ *n = edgedigit_model_len; return edgedigit_model; }\n")  # fmt: skip
    compiled = subprocess.run(["cc", "-c", "-Wall", "-Werror", "-I", str(out), str(user), "-o", str(tmp_path / "f.o")],
                              capture_output=True, text=True)  # fmt: skip
    assert compiled.returncode == 0, compiled.stderr


@pytest.mark.parametrize("normalization", ["deskew", "moments"])
def test_a_normalizing_model_is_exported_without_it_and_the_device_normalizes_as_trained(
    tmp_path, mnist, mnist_path, normalization
):
    """The Deskew (or MomentNormalize) layer stays out of the file; the manifest says it, and the classifier
    runs the trainer's own function on each picture: the int8 model then reads as the Keras one. Read without
    it, the same file agrees with the Keras model far less."""
    from edgedigit.converters.export import ExportOptions, export
    from edgedigit.runtime.manifest import FORMAT_VERSION
    from edgedigit.train.config import TrainConfig
    from edgedigit.train.data import split_train_val
    from edgedigit.train.fit import fit

    config = TrainConfig(hidden=(64,), dropout=0.0, epochs=4, learning_rate=3e-3, augment=0.0, **{normalization: True})
    model = fit(config, split_train_val(mnist, 0.1, seed=0, limit=10000), seed=0).model
    model.save(tmp_path / "upright.keras")
    result = export(ExportOptions(source=str(tmp_path / "upright.keras"), out=str(tmp_path / "int8"),
                                  data=str(mnist_path)), log=lambda *_: None)  # fmt: skip
    manifest = result.manifest
    moments = normalization == "moments"
    assert manifest["preprocessing"]["deskew"] is True and manifest["preprocessing"]["moments"] is moments
    assert manifest["format_version"] == FORMAT_VERSION == 4
    assert manifest["parity"]["passed"] and manifest["metrics"]["agreement"] >= 0.995
    keras_read = model.predict(mnist.x_test, verbose=0).argmax(1)
    clf = Classifier(result.model_path)
    assert clf.deskew and clf.moments is moments and clf.describe()["moments"] is moments
    assert np.mean(clf.predict_proba(mnist.x_test).argmax(1) == keras_read) >= 0.995
    (tmp_path / "int8" / "model.json").write_text(
        json.dumps({**manifest, "preprocessing": {**manifest["preprocessing"], "deskew": False, "moments": False}})
    )
    unnormalized = Classifier(result.model_path).predict_proba(mnist.x_test).argmax(1)
    assert np.mean(unnormalized == keras_read) < 0.9  # 0.80 when measured for deskewing
