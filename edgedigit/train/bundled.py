"""The model shipped with edgedigit as a Keras model the trainer can fine-tune (`train --finetune bundled`): built
from its configuration (`models/training_summary.json`) and given the weights of its int8 file (`models/model.tflite`,
which every install carries), then checked against that file, so a user can teach it their handwriting in minutes
without first training a run of their own. The package carries no Keras file (it would add megabytes to every
device install). The bundled model was trained with its weights on the int8 grid (`--int8-grid`), so the int8 file
holds its float kernels exactly; only its biases are rounded, by half a step of their int32 scale.

Trainer side: it uses TensorFlow's flatbuffer tools and never runs on the device.
"""

from __future__ import annotations

import json
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
SUMMARY = "training_summary.json"
STORED = {schema.TensorType.FLOAT32: np.float32, schema.TensorType.INT8: np.int8, schema.TensorType.INT32: np.int32}
CHECK_AGREEMENT = 0.99  # the rebuilt model and the int8 file read this share of the check pictures alike (the
# bundled export's own float/int8 agreement is 99.93% on MNIST test); fewer means they are not one model


def summary() -> dict[str, Any]:
    """The bundled model's summary.json, as its training run wrote it."""
    path = default_model_path().with_name(SUMMARY)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read the bundled model's training summary {path} ({exc}): reinstall edgedigit"
        ) from None


def keras_model(source_summary: dict[str, Any], check: np.ndarray) -> keras.Model:
    """The bundled model rebuilt in Keras with its int8 file's weights, checked to read the uint8 pictures `check`
    (N, 28, 28) as that file does."""
    path = default_model_path()
    model = build_model(TrainConfig.from_dict(source_summary["best_config"]))
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    weights = fully_connected_weights(path.read_bytes())
    if [w.shape for w, _ in weights] != [layer.kernel.shape[::-1] for layer in dense]:
        raise ModelError(f"{path} does not hold the layers its training summary describes: reinstall edgedigit")
    for layer, (kernel, bias) in zip(dense, weights):
        layer.set_weights([kernel.T, bias])  # TFLite keeps a kernel as (outputs, inputs)
    expected = Classifier(path).predict_proba(check).argmax(axis=1)
    agreement = float(np.mean(np.asarray(model(check, training=False)).argmax(axis=1) == expected))
    if agreement < CHECK_AGREEMENT:
        raise ModelError(f"the Keras model rebuilt from {path} reads {agreement:.1%} of {len(check)} pictures as the "
                         "file does: reinstall edgedigit")  # fmt: skip
    return model


def fully_connected_weights(flatbuffer: bytes) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) of each FULLY_CONNECTED operator of a TFLite file, in the order they run, as float32: an
    int8 file's weights and int32 biases dequantized with their per-unit scales."""
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    graph = model.subgraphs[0]

    def constant(index: int) -> np.ndarray:
        tensor = graph.tensors[index]
        raw = np.frombuffer(bytes(model.buffers[tensor.buffer].data), STORED[tensor.type]).reshape(tensor.shape)
        if tensor.type == schema.TensorType.FLOAT32:
            return raw
        per_unit = (-1, *[1] * (raw.ndim - 1))  # one scale and zero point per output unit (axis 0)
        scale = np.asarray(tensor.quantization.scale, np.float64).reshape(per_unit)
        zero = np.asarray(tensor.quantization.zeroPoint, np.float64).reshape(per_unit)
        return ((raw - zero) * scale).astype(np.float32)

    codes = [max(code.builtinCode, code.deprecatedBuiltinCode) for code in model.operatorCodes]
    return [(constant(op.inputs[1]), constant(op.inputs[2])) for op in graph.operators
            if codes[op.opcodeIndex] == schema.BuiltinOperator.FULLY_CONNECTED]  # fmt: skip
