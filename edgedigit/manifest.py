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

from edgedigit.errors import UserError

FORMAT_VERSION = 1
LABELS = [str(d) for d in range(10)]
PREPROCESSING = {
    "size": [28, 28],
    "polarity": "white digit on black background",
    "digit_box": 20,
    "placement": "centre of mass at the image centre",
    "pixels": "raw uint8 0-255; any scaling is inside the model",
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
    """Load the manifest next to `model_path`; a missing or unreadable one is a UserError."""
    path = manifest_path(model_path)
    if not path.is_file():
        raise UserError(f"{model_path} has no manifest {path.name} beside it: export it with `edgedigit export`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read manifest {path} ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise UserError(f"{path} is not an edgedigit manifest of format version {FORMAT_VERSION}")
    for key in ("sha256", "input", "output", "labels"):
        if key not in manifest:
            raise UserError(f"manifest {path} lacks '{key}': re-export the model")
    return manifest


def verify_bytes(model_path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a model whose bytes are not the ones the manifest describes."""
    actual = sha256_file(model_path)
    if actual != manifest["sha256"]:
        raise UserError(
            f"{model_path} does not match its manifest (sha256 {actual[:12]}... != {str(manifest['sha256'])[:12]}...): "
            "the file was changed or truncated; re-export it"
        )
