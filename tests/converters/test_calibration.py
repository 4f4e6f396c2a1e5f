"""Confidences that mean something (issue 12): the exporter ships logits and a temperature fitted on the
run's validation split; the runtime divides by it before its softmax, so runner-up classes are real
alternatives, not the 0.00 of a saturated int8 softmax."""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np

from edgedigit.converters import calibration
from edgedigit.runtime.classifier import Classifier, load_backend


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, (20000, 10))
    labels = np.array([rng.choice(10, p=p) for p in calibration.soften(logits, 2.5)])  # drawn at T = 2.5
    fitted = calibration.fit_temperature(logits, labels)
    assert abs(fitted - 2.5) < 0.1
    assert calibration.ece(calibration.soften(logits, fitted), labels) < 0.02
    assert calibration.ece(calibration.soften(logits, 1.0), labels) > 0.1  # over-confident at T = 1


def test_a_split_read_without_mistakes_leaves_the_temperature_at_one():
    """Nothing misread, nothing to place T by: the likelihood would grow as T goes to 0, every confidence saturating."""
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (200, 10))
    right = logits.argmax(axis=1)
    assert calibration.fit_temperature(logits, right) < 0.1  # what a fit would give: the search's lower bound
    temperature, why = calibration.temperature_for(logits, right)
    assert temperature == 1.0 and why.startswith("not fitted: the validation split holds 0 misread digits")
    wrong = right.copy()
    wrong[: 4 * calibration.MIN_ERRORS] = (right[: 4 * calibration.MIN_ERRORS] + 1) % 10
    temperature, why = calibration.temperature_for(logits, wrong)
    assert why is None and temperature == calibration.fit_temperature(logits, wrong)


def test_manifest_carries_the_temperature_and_the_runtime_applies_it(small_int8, mnist, tmp_path):
    manifest = json.loads((small_int8 / "model.json").read_text())
    output, confidence = manifest["output"], manifest["confidence"]
    assert output["kind"] == "logits" and output["temperature"] == confidence["temperature"] > 0
    assert "validation split" in confidence["fitted_on"] and confidence["images"] > 0
    assert 0 <= confidence["ece_after"] <= confidence["ece_before"] + 1e-4  # fitted on val, measured on test
    images = mnist.x_test[:200]
    interpreter = load_backend()[0](model_path=str(small_int8 / "model.tflite"))
    interpreter.allocate_tensors()
    detail = interpreter.get_output_details()[0]
    raw = []
    for img in images:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], img[None])
        interpreter.invoke()
        raw.append(interpreter.get_tensor(detail["index"])[0].astype(np.float64))
    scale, zero = detail["quantization"]
    logits = (np.array(raw) - zero) * scale
    probs = Classifier(small_int8).predict_proba(images)
    np.testing.assert_allclose(probs, calibration.soften(logits, output["temperature"]), atol=1e-5)

    hotter = tmp_path / "hotter"  # the same bytes, another temperature: the runtime follows the manifest
    shutil.copytree(small_int8, hotter)
    (hotter / "model.json").write_text(json.dumps({**manifest, "output": {**output, "temperature": 3.0}}))
    softer = Classifier(hotter).predict_proba(images)
    assert (softer.argmax(1) == probs.argmax(1)).all() and softer.max(1).mean() < probs.max(1).mean()


def test_runner_ups_are_real_where_the_float_model_has_them(small_int8, small_model_path, mnist):
    images = mnist.x_test[:500]
    float_probs = keras.models.load_model(small_model_path).predict(images, verbose=0)
    probs = Classifier(small_int8).predict_proba(images)
    second = np.sort(float_probs, axis=1)[:, -2]
    alive = second > 1e-3  # the float model sees a real alternative
    assert alive.sum() > 20
    assert (np.sort(probs, axis=1)[:, -2][alive] > 0).all()  # so does the device: nothing saturates to 0.00


def test_raw_and_calibrated_probabilities_agree_through_calibrate(small_int8, mnist):
    """The number reader decides on the raw softmax and reports calibrated probabilities: the same ones."""
    clf = Classifier(small_int8)
    raw = clf.predict_proba(mnist.x_test[:300], calibrated=False)
    calibrated = clf.predict_proba(mnist.x_test[:300])
    np.testing.assert_allclose(clf.calibrate(raw), calibrated, atol=2e-4)
    assert (raw.argmax(1) == calibrated.argmax(1)).all() and not np.allclose(raw, calibrated, atol=1e-3)
