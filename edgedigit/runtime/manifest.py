"""The manifest (`model.json`) written beside every exported `.tflite`, and its checks.

It records what the runtime must know to feed the model correctly and to trust it: the input
and output specs, the expected preprocessing, the sha256 of the model bytes and the parity result.
No TensorFlow here: the device reads manifests too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from edgedigit.errors import ModelError

# 3: the model may read deskewed pictures (an older runtime would feed them slanted); 4: or moment-normalized ones
FORMAT_VERSION = 4
READABLE = (1, 2, 3, 4)  # 1: the output is softmax probabilities; 2: it may be logits
OUTPUT_KINDS = ("probabilities", "logits")
LABELS = [str(d) for d in range(10)]
PREPROCESSING = {
    "size": [28, 28],
    "polarity": "white digit on black background",
    "digit_box": 20,
    "placement": "centre of mass at the image centre",
    "pixels": "raw uint8 0-255; any scaling is inside the model",
}


NUMBER = (int, float)
# The fields the runtime reads, with their types: written by converters/export.py, checked on loading.
SCHEMA: dict[str, type | tuple[type, ...]] = {
    "format_version": int,
    "sha256": str,
    "labels": list,
    "quantization": str,
    "input": dict,
    "input.dtype": str,
    "input.shape": list,
    "input.scale": NUMBER,
    "input.zero_point": int,
    "output": dict,
    "output.dtype": str,
    "output.shape": list,
    "output.scale": NUMBER,
    "output.zero_point": int,
    "output.kind": str,
    "output.temperature": NUMBER,
    "preprocessing": dict,
    "preprocessing.deskew": bool,
    "preprocessing.moments": bool,
    "parity": dict,
    "parity.passed": bool,
    "metrics": dict,
}
REQUIRED = ("format_version", "sha256", "labels", "input", "input.dtype", "input.scale", "input.zero_point",
            "output", "output.dtype", "output.scale", "output.zero_point")  # fmt: skip


INPUT_MEANING = "raw pixels, 28x28, white digit on black"
OUTPUT_MEANING = "class probabilities (softmax), index = digit"
LOGITS_MEANING = "class logits, index = digit; probabilities = softmax(logits / output.temperature)"


def tensor_spec(details: dict[str, Any], meaning: str) -> dict[str, Any]:
    """The manifest's record of one interpreter tensor (from `get_input_details()` and the like)."""
    scale, zero_point = details["quantization"]
    return {
        "name": details["name"],
        "shape": [int(v) for v in details["shape_signature"]],
        "dtype": np.dtype(details["dtype"]).name,
        "scale": float(scale),
        "zero_point": int(zero_point),
        "meaning": meaning,
    }


def manifest_path(model_path: Path) -> Path:
    """`model.tflite` -> `model.json` in the same folder."""
    return model_path.with_suffix(".json")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(model_path: Path) -> dict[str, Any]:
    """Load the manifest next to `model_path`; a missing or unreadable one is a ModelError."""
    path = manifest_path(model_path)
    if not path.is_file():
        raise ModelError(f"{model_path} has no manifest {path.name} beside it: export it with `edgedigit export`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read manifest {path} ({exc})") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ModelError(f"{path} is of manifest format {version}, newer than this edgedigit's {FORMAT_VERSION}: "
                         "upgrade edgedigit")  # fmt: skip
    if version not in READABLE or isinstance(version, bool):
        raise ModelError(f"{path} is not an edgedigit manifest of format version {FORMAT_VERSION}")
    for key, kind in SCHEMA.items():
        value = _field(manifest, key)
        if value is _MISSING:
            if key in REQUIRED:
                raise ModelError(f"manifest {path} lacks '{key}': re-export the model")
        elif not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
            got = type(value).__name__
            raise ModelError(f"manifest {path}: '{key}' must be {names}, not {got}: re-export the model")
    if manifest["labels"] != LABELS:
        raise ModelError(f"manifest {path}: labels must be the digits 0-9, got {manifest['labels']!r}")
    kind, temperature = output_kind(manifest)
    if kind not in OUTPUT_KINDS or (version >= 2 and "kind" not in manifest["output"]):
        kinds = ", ".join(OUTPUT_KINDS)
        raise ModelError(f"manifest {path}: 'output.kind' must be one of {kinds}: re-export the model")
    if kind == "logits" and not (isinstance(temperature, NUMBER) and temperature > 0):
        raise ModelError(f"manifest {path}: logits need a positive 'output.temperature': re-export the model")
    return manifest


def deskews(manifest: dict[str, Any]) -> bool:
    """Whether the model reads its pictures sheared upright (`edgedigit.runtime.slant.deskew`) first."""
    return bool(manifest.get("preprocessing", {}).get("deskew", False))


def normalizes_moments(manifest: dict[str, Any]) -> bool:
    """Whether the model reads its pictures moment-normalized (`edgedigit.runtime.slant.normalize_moments`)."""
    return bool(manifest.get("preprocessing", {}).get("moments", False))


def output_kind(manifest: dict[str, Any]) -> tuple[str, float]:
    """What the model's output is ("probabilities" or "logits") and the temperature logits are divided by."""
    output = manifest["output"]
    return output.get("kind", "probabilities"), output.get("temperature", 1.0)


_MISSING = object()


def _field(manifest: dict[str, Any], dotted: str) -> Any:
    """`manifest["a"]["b"]` for "a.b", or _MISSING."""
    value: Any = manifest
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def verify_bytes(model_path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a model whose bytes are not the ones the manifest describes."""
    actual = sha256_file(model_path)
    if actual != manifest["sha256"]:
        raise ModelError(
            f"{model_path} does not match its manifest (sha256 {actual[:12]}... != {str(manifest['sha256'])[:12]}...): "
            "the file was changed or truncated; re-export it"
        )
