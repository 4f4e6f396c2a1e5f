"""The model shipped with edgedigit as a Keras model the trainer can fine-tune (`train --finetune bundled`): built
from its configuration (`models/training_summary.json`) and given the weights of its float32 twin
(`models/model_float32.tflite`), then checked against that file, so a user can teach it their handwriting in
minutes without first training a run of their own. The package carries no Keras file (it would add megabytes to
every device install); the float32 twin holds the same weights.

Trainer side: it uses TensorFlow's flatbuffer tools and never runs on the device.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

from edgedigit.errors import ModelError
from edgedigit.runtime.classifier import Classifier, default_model_path
from edgedigit.train.config import TrainConfig
from edgedigit.train.model import build_model

NAME = "bundled"  # `--finetune bundled` (a run folder of that name, if there is one, wins)
TWIN = "model_float32.tflite"
SUMMARY = "training_summary.json"
CHECK_IMAGES = 32  # random pictures both the rebuilt model and the float32 file read, to prove they are one model
MAX_DIFFERENCE = 1e-4  # ...their probabilities agree to this (float32 rounding of the same sums in another order)


def models_folder() -> Path:
    """Where the bundled models and their training summary are installed."""
    return default_model_path().parent


def summary() -> dict[str, Any]:
    """The bundled model's summary.json, as its training run wrote it."""
    path = models_folder() / SUMMARY
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read the bundled model's training summary {path} ({exc}): reinstall edgedigit"
        ) from None


def keras_model(source_summary: dict[str, Any]) -> keras.Model:
    """The bundled model rebuilt in Keras with the float32 twin's weights, checked to read as that file does."""
    twin = models_folder() / TWIN
    if not twin.is_file():
        raise ModelError(f"{twin} is missing: this install carries no float32 model to fine-tune; reinstall edgedigit")
    model = build_model(TrainConfig.from_dict(source_summary["best_config"]))
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    weights = fully_connected_weights(twin.read_bytes())
    if [w.shape for w, _ in weights] != [layer.kernel.shape[::-1] for layer in dense]:
        raise ModelError(f"{twin} does not hold the layers its training summary describes: reinstall edgedigit")
    for layer, (kernel, bias) in zip(dense, weights):
        layer.set_weights([kernel.T, bias])  # TFLite keeps a kernel as (outputs, inputs)
    _check(model, twin)
    return model


def fully_connected_weights(flatbuffer: bytes) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) of each FULLY_CONNECTED operator of a float32 TFLite file, in the order they run."""
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    graph = model.subgraphs[0]

    def constant(index: int) -> np.ndarray:
        tensor = graph.tensors[index]
        return np.frombuffer(bytes(model.buffers[tensor.buffer].data), np.float32).reshape(tensor.shape)

    codes = [max(code.builtinCode, code.deprecatedBuiltinCode) for code in model.operatorCodes]
    return [(constant(op.inputs[1]), constant(op.inputs[2])) for op in graph.operators
            if codes[op.opcodeIndex] == schema.BuiltinOperator.FULLY_CONNECTED]  # fmt: skip


def _check(model: keras.Model, twin: Path) -> None:
    """The rebuilt model and the float32 file give the same probabilities for the same pictures."""
    images = np.random.default_rng(0).integers(0, 256, (CHECK_IMAGES, 28, 28), dtype=np.uint8)
    expected = Classifier(twin).predict_proba(images, calibrated=False)
    got = np.asarray(model(images, training=False))
    if float(np.abs(got - expected).max()) > MAX_DIFFERENCE:
        raise ModelError(f"the Keras model rebuilt from {twin} does not read as the file does: reinstall edgedigit")
