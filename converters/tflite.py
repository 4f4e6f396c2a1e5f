"""Keras model -> TFLite bytes, in four modes.

The Keras model takes uint8 pixels; the converter is given a float32-input twin that shares its
layers, so that calibration sees raw 0-255 values. For int8 the input tensor is then uint8 with
scale 1 and zero point 0: the device feeds camera pixels exactly as they are. The file carries only what
an interpreter needs: reshapes with a constant shape, and no tensor names or signatures beyond the input's
and the output's (a 7,240-byte 8 KB-tier model was 2,250 bytes of them).
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.tools import flatbuffer_utils

from edgedigit.errors import UserError
from edgedigit.runtime.classifier import native_stderr_silenced
from edgedigit.train.model import Deskew

MODES = ("int8", "float16", "dynamic", "float32")
INPUT_NAME, OUTPUT_NAME = "pixels", "output"  # the only tensor names an exported file keeps
KEPT_METADATA = {b"min_runtime_version"}  # what an older interpreter checks before it refuses the file


class BatchReshape(keras.layers.Layer):
    """Reshape to `shape` per example with the batch written as -1, so the converter emits one RESHAPE with
    a constant shape (Keras's Reshape and Flatten compute the batch size at run time: three more operators,
    their tensors and buffers, each time). Used only in the export twin; it is never saved."""

    def __init__(self, shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = tuple(shape)

    def call(self, x: Any) -> Any:
        return keras.ops.reshape(x, (-1, *self.target))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], *self.target)


def load_classifier(path: Path) -> keras.Model:
    """Load a `.keras` file safely and check it is a 28x28 -> 10 classifier."""
    if not path.is_file():
        raise UserError(f"no Keras model at {path}")
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for bad files
        raise UserError(f"cannot load {path} as a Keras model ({type(exc).__name__}: {str(exc)[:120]})") from None
    in_shape, out_shape = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
    if in_shape != (28, 28) or out_shape != (10,):
        raise UserError(f"{path} maps {in_shape} -> {out_shape}; edgedigit exports (28, 28) -> (10,) classifiers")
    return model


def normalization(model: keras.Model) -> Deskew | None:
    """The layer that shears (`Deskew`) or moment-normalizes (`MomentNormalize`) the model's pictures first, if
    any: the file leaves it out, the manifest says it, the device runs its function."""
    return next((layer for layer in model.layers if isinstance(layer, Deskew)), None)


def float_input_twin(model: keras.Model, logits: bool = False) -> keras.Model:
    """The same layers behind a float32 input of raw 0-255 pixels (what the converter calibrates on); with
    `logits`, the softmax head is replaced by a linear twin with its weights, so the device gets logits.
    A Deskew or MomentNormalize layer is left out: the device runs the same function before the interpreter."""
    inputs = keras.Input(shape=(28, 28), dtype="float32", name="pixels")
    x = inputs
    *body, head = model.layers
    for layer in body:
        if isinstance(layer, Deskew):
            continue
        if isinstance(layer, keras.layers.Reshape):
            layer = BatchReshape(layer.target_shape, name=layer.name)
        elif isinstance(layer, keras.layers.Flatten):
            layer = BatchReshape((math.prod(x.shape[1:]),), name=layer.name)
        x = layer(x)
    if logits:
        if not isinstance(head, keras.layers.Dense) or head.activation is not keras.activations.softmax:
            raise UserError(f"{model.name} does not end in a softmax Dense layer: its logits cannot be exported")
        linear = keras.layers.Dense(head.units, name="logits")
        x = linear(x)
        linear.set_weights(head.get_weights())
    else:
        x = head(x)
    return keras.Model(inputs, x, name=f"{model.name}_export")


def convert(model: keras.Model, mode: str, calibration: np.ndarray | None = None, logits: bool = False) -> bytes:
    """TFLite flatbuffer bytes for `mode`; int8 needs uint8 calibration images from the training set (raw:
    where the twin leaves a normalizing layer out, its function runs here, as the file's first layer will see them)."""
    if mode not in MODES:
        raise UserError(f"unknown export mode {mode!r}; choose one of {', '.join(MODES)}")
    normalizing = normalization(model)
    if calibration is not None and normalizing is not None:
        calibration = normalizing.function(calibration)
    converter = tf.lite.TFLiteConverter.from_keras_model(float_input_twin(model, logits))
    if mode == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif mode == "int8":
        if calibration is None or len(calibration) == 0:
            raise UserError("int8 export needs calibration images")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: _representative(calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), native_stderr_silenced():
        # the converter prints its SavedModel signature and calibration notes, and its C++ logs its quantization
        # settings ("fully_quantize: 0, inference_type: 6, ...") on fd 2; a failure still raises with its message
        warnings.simplefilter("ignore")
        return slim(converter.convert())


def slim(flatbuffer: bytes) -> bytes:
    """The converted file without the strings an interpreter never reads: tensor names (the input and output
    keep short ones), signature definitions and conversion metadata. Tensors are still found by index."""
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    flatbuffer_utils.strip_strings(model)
    for entry in model.metadata or []:
        if entry.name not in KEPT_METADATA:
            model.buffers[entry.buffer].data = None  # its buffer stays, empty, so buffer indices hold
    model.metadata = [m for m in model.metadata or [] if m.name in KEPT_METADATA] or None
    graph = model.subgraphs[0]
    graph.tensors[graph.inputs[0]].name = INPUT_NAME
    graph.tensors[graph.outputs[0]].name = OUTPUT_NAME
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _representative(images: np.ndarray) -> Iterator[list[np.ndarray]]:
    for img in images:
        yield [img[None].astype(np.float32)]
