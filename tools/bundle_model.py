"""Copy a training run's int8 and float32 exports into the package as its bundled default models.

    edgedigit export runs/NAME --int8    --data ../shared/mnist/mnist.npz
    edgedigit export runs/NAME --float32 --data ../shared/mnist/mnist.npz
    python tools/bundle_model.py runs/NAME

The float32 twin is renamed model_float32.* so both fit in one folder; its manifest is updated to
match, and the run's summary.json goes along as training_summary.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

MODELS = Path(__file__).resolve().parents[1] / "edgedigit" / "models"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path, help="a run folder holding export-int8/ and export-float32/")
    run = ap.parse_args().run
    int8, float32 = run / "export-int8", run / "export-float32"
    for folder in (int8, float32):
        if not (folder / "model.json").is_file():
            raise SystemExit(f"{folder} holds no export: run `edgedigit export {run} --{folder.name[7:]}` first")
    for name in ("model.tflite", "model.json", "parity.json"):
        shutil.copyfile(int8 / name, MODELS / name)
    shutil.copyfile(float32 / "model.tflite", MODELS / "model_float32.tflite")
    manifest = json.loads((float32 / "model.json").read_text())
    manifest["model_file"] = "model_float32.tflite"
    manifest["parity"]["report"] = None  # the float32 parity report stays in the run folder
    (MODELS / "model_float32.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.copyfile(run / "summary.json", MODELS / "training_summary.json")
    print(f"bundled {run} into {MODELS}")


if __name__ == "__main__":
    main()
