"""The exported model as a C header, for TensorFlow Lite Micro on microcontrollers (`export --c-array`).

The bytes are those of model.tflite, 16-byte aligned as TFLM asks; macros carry what the firmware needs to
feed and read the model the way edgedigit's runtime does (raw uint8 pixels in; dequantized logits out,
divided by the temperature before the softmax).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgedigit import atomic

BYTES_PER_LINE = 12  # as `xxd -i` lays them out


def write_header(model_path: Path, manifest: dict[str, Any], target: Path) -> None:
    """model.h beside model.tflite: `edgedigit_model[]`, its length, and the input/output conventions."""
    data = model_path.read_bytes()
    rows = (", ".join(f"0x{b:02x}" for b in data[i : i + BYTES_PER_LINE]) for i in range(0, len(data), BYTES_PER_LINE))
    out = manifest["output"]
    lines = [
        f"/* edgedigit {manifest['quantization']} digit model, {len(data)} bytes, sha256 {manifest['sha256']}.",
        " * Input: one 28x28 picture of raw pixels, white digit on black, centred as edgedigit's preprocessing",
        f" * leaves it ({manifest['input']['dtype']}). Output: 10 {out.get('kind', 'probabilities')}, index = digit;",
        " * probabilities = softmax((q - OUTPUT_ZERO_POINT) * OUTPUT_SCALE / TEMPERATURE). */",
        "#ifndef EDGEDIGIT_MODEL_H",
        "#define EDGEDIGIT_MODEL_H",
        "",
        f"#define EDGEDIGIT_OUTPUT_SCALE {out['scale']!r}f",
        f"#define EDGEDIGIT_OUTPUT_ZERO_POINT {out['zero_point']}",
        f"#define EDGEDIGIT_TEMPERATURE {float(out.get('temperature', 1.0))!r}f",
        "",
        "static const unsigned char edgedigit_model[] __attribute__((aligned(16))) = {",
        *(f"  {row}," for row in rows),
        "};",
        f"static const unsigned int edgedigit_model_len = {len(data)};",
        "",
        "#endif /* EDGEDIGIT_MODEL_H */",
        "",
    ]
    atomic.write_text(target, "\n".join(lines))
