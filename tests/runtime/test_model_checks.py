"""The runtime checks what it loads (issue 15): a model whose sha256 matches its manifest is still refused,
with one line and exit 2, when it does not read one 28x28 picture into ten probabilities, and a manifest
whose fields have the wrong types or a newer format is refused before anything is loaded."""

from __future__ import annotations

import json
import shutil

import keras
import pytest
from typer.testing import CliRunner

from edgedigit.cli import app
from edgedigit.converters import tflite
from edgedigit.runtime.classifier import load_backend
from edgedigit.runtime.manifest import FORMAT_VERSION, INPUT_MEANING, LABELS, OUTPUT_MEANING, sha256_file, tensor_spec
from tests.conftest import write_image

runner = CliRunner()


def _export(folder, outputs: int, activation: str | None, version: int = FORMAT_VERSION):
    """A float32 model 28x28 -> `outputs` with a manifest that matches its bytes, as a tampered export
    (format 1 manifests had no output kind: their outputs were probabilities)."""
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(outputs, activation)])
    folder.mkdir()
    path = folder / "model.tflite"
    path.write_bytes(tflite.convert(model, "float32"))
    interpreter = load_backend()[0](model_path=str(path))
    manifest = {
        "format_version": version, "sha256": sha256_file(path), "labels": LABELS, "quantization": "float32",
        "input": tensor_spec(interpreter.get_input_details()[0], INPUT_MEANING),
        "output": tensor_spec(interpreter.get_output_details()[0], OUTPUT_MEANING),
        "parity": {"passed": True},
    }  # fmt: skip
    if version >= 2:
        manifest["output"]["kind"] = "probabilities"
    (folder / "model.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def digit(tmp_path_factory, mnist):
    return write_image(tmp_path_factory.mktemp("img") / "seven.png", mnist.x_test[0])


def _classify(model, digit):
    result = runner.invoke(app, ["classify", str(digit), "--model", str(model)])
    return result.exit_code, result.stderr.strip()


@pytest.mark.parametrize("version", [1, FORMAT_VERSION])
def test_a_good_float_model_is_accepted(tmp_path, digit, version):
    code, err = _classify(_export(tmp_path / "ok", 10, "softmax", version), digit)
    assert code == 0, err


@pytest.mark.parametrize(
    ("outputs", "activation", "message"),
    [(1000, "softmax", "not 10 classes"), (10, None, "not probabilities")],
)
def test_a_model_that_is_not_a_digit_classifier_is_refused(tmp_path, digit, outputs, activation, message):
    code, err = _classify(_export(tmp_path / "bad", outputs, activation), digit)
    assert code == 2 and message in err and len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["input"].update(scale="1.0"), "'input.scale' must be int or float, not str"),
        (lambda m: m.update(labels=None), "'labels' must be list, not NoneType"),
        (lambda m: m["parity"].update(passed="yes"), "'parity.passed' must be bool, not str"),
        (lambda m: m.update(format_version=FORMAT_VERSION + 1), "newer than this edgedigit's"),
        (lambda m: m["output"].update(scale=0.5), "is not the one its manifest declares"),
        (lambda m: m["output"].pop("kind"), "'output.kind' must be one of probabilities, logits"),
        (lambda m: m["output"].update(temperature=0), "logits need a positive 'output.temperature'"),
        (lambda m: m["output"].update(temperature="1.2"), "'output.temperature' must be int or float, not str"),
    ],
)
def test_a_manifest_with_wrong_fields_is_refused(tmp_path, digit, small_int8, edit, message):
    folder = tmp_path / "export"
    shutil.copytree(small_int8, folder)
    manifest = json.loads((folder / "model.json").read_text())
    edit(manifest)
    (folder / "model.json").write_text(json.dumps(manifest))
    code, err = _classify(folder, digit)
    assert code == 2 and message in err and len(err.splitlines()) == 1, err
