"""The TFLite interpreter wrapper used on the device and by the parity check.

Backends, in order: `ai_edge_litert`, `tflite_runtime`, then `tensorflow.lite` as a last
resort. The model is checked against its manifest before it is loaded.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from edgedigit.errors import ModelError, UserError
from edgedigit.runtime.manifest import deskews, normalizes_moments, output_kind, read_manifest, verify_bytes
from edgedigit.runtime.slant import deskew, normalize_moments
from edgedigit.sizes import NUM_CLASSES

BACKENDS = (
    ("ai_edge_litert.interpreter", "ai-edge-litert"),
    ("tflite_runtime.interpreter", "tflite-runtime"),
    ("tensorflow.lite", "tensorflow.lite"),
)
CHUNK = 1024
INPUT_DTYPES = ("uint8", "int8", "float32")  # what `_quantize` can fill from raw pixels
EXP_SAFE = 80.0  # exp() of float32 overflows above ~88.7: logits spanning less than this need no max shift
LOG_FLOOR = 1e-30  # raw probabilities that underflowed to 0, floored before their log
PROB_SLACK = 0.05  # int8 softmax outputs sum to 1 within a few 1/256 steps; logits are far off
RUN_EXPORT = "export-int8"  # the folder `edgedigit export RUN --int8` writes inside a run: --model RUN finds it


def load_backend() -> tuple[Any, str]:
    """The first importable Interpreter class and the backend's name."""
    for module, name in BACKENDS:
        try:
            return importlib.import_module(module).Interpreter, name
        except ImportError:
            continue
    raise UserError("no TFLite interpreter found: pip install 'edgedigit[device]' (ai-edge-litert)")


def default_model_path() -> Path:
    """The int8 model shipped inside the package."""
    return Path(str(resources.files("edgedigit") / "models" / "model.tflite"))


def bundled_models() -> list[Path]:
    """The int8 model shipped inside the package, and its float32 twin when present."""
    float32 = default_model_path().with_name("model_float32.tflite")
    return [default_model_path(), *([float32] if float32.is_file() else [])]


def resolve_model(path: str | Path | None) -> Path:
    """A `.tflite` file, a folder holding `model.tflite`, a training run's folder with its int8 export (`runs/NAME`,
    as `edgedigit export runs/NAME --int8` writes `runs/NAME/export-int8/`), or the bundled default."""
    if path is None:
        return default_model_path()
    p = Path(path).expanduser()
    if p.is_dir():
        if not (p / "model.tflite").is_file():
            exported = p / RUN_EXPORT / "model.tflite"
            if exported.is_file():
                return exported
            if (p / "model.keras").is_file():
                raise ModelError(f"{p} is a training run with no int8 export yet: edgedigit export {p} --int8")
        p = p / "model.tflite"
    if not p.is_file():
        raise ModelError(f"model not found: {p}")
    return p


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a moment: native libraries log there, not to sys.stderr."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass(frozen=True)
class TensorSpec:
    """Index, dtype and affine quantization of one interpreter tensor."""

    index: int
    dtype: np.dtype
    scale: float
    zero_point: int

    @classmethod
    def from_details(cls, d: dict[str, Any]) -> TensorSpec:
        scale, zp = d.get("quantization", (0.0, 0))
        return cls(d["index"], np.dtype(d["dtype"]), float(scale), int(zp))


class Classifier:
    """Classifies batches of MNIST-form uint8 images (N, 28, 28) into 10 class probabilities.

    Args:
        model: an exported model file (`.tflite` with its manifest beside it) or the folder holding
            `model.tflite`; the int8 model bundled with the package unless given.
        threads: the interpreter's threads; the backend's own choice unless given.

    Raises:
        ModelError: the file or the manifest beside it is missing or unreadable, the file is not a TFLite model or
            not the one its manifest describes (sha256), or it does not read one 28x28 picture into ten classes.

    Example:
        >>> import numpy as np
        >>> from edgedigit.runtime import Classifier
        >>> Classifier().predict_proba(np.zeros((2, 28, 28), np.uint8)).shape
        (2, 10)
    """

    def __init__(self, model: str | Path | None = None, threads: int | None = None) -> None:
        self.path = resolve_model(model)
        self.manifest = read_manifest(self.path)
        verify_bytes(self.path, self.manifest)
        interpreter_cls, self.backend = load_backend()
        try:
            with native_stderr_silenced():  # the backend's "Created XNNPACK delegate" INFO line
                self.interpreter = interpreter_cls(model_path=str(self.path), num_threads=threads)
                self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load {self.path} as a TFLite model ({exc})") from None
        self.input = TensorSpec.from_details(self.interpreter.get_input_details()[0])
        self.output = TensorSpec.from_details(self.interpreter.get_output_details()[0])
        self.moments = normalizes_moments(self.manifest)  # trained on moment-normalized pictures (sheared upright too)
        self.deskew = self.moments or deskews(self.manifest)  # the model reads pictures sheared upright
        self._normalize = normalize_moments if self.moments else deskew if self.deskew else None
        kind, self.temperature = output_kind(self.manifest)
        self.logits = kind == "logits"  # then softmax(logits / temperature) here: calibrated, never saturated
        # logits are dequantized and divided by the temperature in one multiply (by 1 for the raw softmax);
        # the softmax skips subtracting the row maximum when no logit can overflow exp() in float32
        divisors = {True: self.temperature if self.logits else 1.0, False: 1.0}
        self._out_scale = {k: (self.output.scale or 1.0) / d for k, d in divisors.items()}
        widest = (self.output.scale or math.inf) * 255 / min(divisors.values())
        self._shift = self.logits and widest >= EXP_SAFE
        self._batch = 1
        self._check_model()

    def _check_model(self) -> None:
        """Refuse a model that does not read one 28x28 picture of raw pixels into ten probabilities, as the
        manifest says: a matching sha256 only proves the file is the one the manifest describes."""
        where = f"{self.path}:"
        inputs, outputs = self.interpreter.get_input_details(), self.interpreter.get_output_details()
        shape_in, shape_out = list(inputs[0]["shape"]), list(outputs[0]["shape"])
        if len(inputs) != 1 or len(shape_in) != 3 or shape_in[1:] != [28, 28]:
            raise ModelError(f"{where} the model reads {[list(i['shape']) for i in inputs]}, not one 28x28 picture")
        if len(outputs) != 1 or len(shape_out) != 2 or shape_out[1] != NUM_CLASSES:
            gives = [list(o["shape"]) for o in outputs]
            raise ModelError(f"{where} the model gives {gives}, not {NUM_CLASSES} classes")
        if self.input.dtype.name not in INPUT_DTYPES:
            raise ModelError(f"{where} the model takes {self.input.dtype.name} pixels; edgedigit feeds {INPUT_DTYPES}")
        for name, spec in (("input", self.input), ("output", self.output)):
            declared = self.manifest[name]
            if (declared["dtype"], declared["zero_point"]) != (spec.dtype.name, spec.zero_point) or not math.isclose(
                declared["scale"], spec.scale, rel_tol=1e-6
            ):
                raise ModelError(f"{where} the model's {name} ({spec.dtype.name}, scale {spec.scale:g}, zero point "
                                 f"{spec.zero_point}) is not the one its manifest declares: re-export it")  # fmt: skip
        probs = self._run(np.zeros((1, 28, 28), np.uint8))[0]  # a blank picture: any model gives probabilities
        if probs.min() < -PROB_SLACK or abs(float(probs.sum()) - 1.0) > PROB_SLACK:
            raise ModelError(f"{where} the model's outputs are not probabilities (they sum to {probs.sum():.3g}): "
                             "export a model that ends in softmax")  # fmt: skip

    @property
    def parity_warning(self) -> str | None:
        """What to tell the user about a model whose export did not pass its accuracy-parity check (None when it
        passed): the CLI prints it, since library code returns rather than prints."""
        parity = self.manifest.get("parity", {})
        if parity.get("passed", False):
            return None
        return f"{self.path} did not pass its accuracy-parity check ({parity.get('reason', 'not checked')})"

    @property
    def backend_version(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"{self.backend} {version(self.backend.split('.')[0])}"
        except PackageNotFoundError:
            return self.backend

    def predict_proba(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Float32 probabilities (N, 10) for uint8 images (N, 28, 28), in chunks to bound memory: calibrated
        (the manifest's temperature applied), or the model's raw softmax, whose scale the number reader's
        segmentation thresholds were tuned on."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        if images.shape[1:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
        if self._normalize is not None:
            images = self._normalize(images)
        if len(images) <= CHUNK:
            return self._run(images, calibrated)
        return np.concatenate([self._run(images[i : i + CHUNK], calibrated) for i in range(0, len(images), CHUNK)])

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Raw softmax outputs (`calibrated=False`) -> the calibrated probabilities predict_proba gives."""
        if not self.logits or self.temperature == 1.0:
            return raw
        z = np.log(np.maximum(raw, LOG_FLOOR)) / self.temperature  # log softmax: the logits up to a shift
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def _run(self, batch: np.ndarray, calibrated: bool = True) -> np.ndarray:
        if len(batch) != self._batch:
            self.interpreter.resize_tensor_input(self.input.index, [len(batch), 28, 28])
            self.interpreter.allocate_tensors()
            self._batch = len(batch)
        self.interpreter.set_tensor(self.input.index, self._quantize(batch))
        self.interpreter.invoke()
        probs = self.interpreter.get_tensor(self.output.index).astype(np.float32)
        if self.output.scale and self.output.zero_point:  # in place: this runs once per camera frame
            probs -= self.output.zero_point
        if self._out_scale[calibrated] != 1.0:
            probs *= self._out_scale[calibrated]
        if self.logits:
            if self._shift:
                probs -= probs.max(axis=1, keepdims=True)
            np.exp(probs, out=probs)
            probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def _quantize(self, batch: np.ndarray) -> np.ndarray:
        """Raw pixels into the input tensor's type (identity for uint8 with scale 1, zero point 0)."""
        spec = self.input
        if batch.dtype == spec.dtype and spec.scale in (0.0, 1.0) and spec.zero_point == 0:
            return batch
        if spec.dtype == np.float32:
            return batch.astype(np.float32)
        if spec.scale and (spec.scale != 1.0 or spec.zero_point != 0):
            info = np.iinfo(spec.dtype)
            q = np.round(batch.astype(np.float32) / spec.scale + spec.zero_point)
            return np.clip(q, info.min, info.max).astype(spec.dtype)
        return batch.astype(spec.dtype)

    def describe(self) -> dict[str, Any]:
        """What `edgedigit info` shows about the loaded model."""
        return {
            "path": str(self.path),
            "backend": self.backend,
            "quantization": self.manifest.get("quantization"),
            "output": "logits, softmax on the device" if self.logits else "probabilities",
            "temperature": self.temperature if self.logits else None,
            "deskew": self.deskew,
            "moments": self.moments,
            "input": {"dtype": self.input.dtype.name, "scale": self.input.scale, "zero_point": self.input.zero_point},
            "metrics": self.manifest.get("metrics", {}),
            "parity_passed": self.manifest.get("parity", {}).get("passed"),
        }
