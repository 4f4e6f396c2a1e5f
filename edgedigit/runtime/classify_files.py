"""`edgedigit classify IMAGE...`: one line (or JSON object) per file; a bad file never stops the rest. A folder
stands for the picture files in it (by name, not its subfolders)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2

from edgedigit.errors import UserError
from edgedigit.runtime.camera import roi_outside
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.decode import picture_files, read_image
from edgedigit.runtime.reader import read_digits, shown


def classify_files(
    paths: list[Path],
    clf: Classifier,
    top_k: int,
    as_json: bool,
    roi: tuple[int, int, int, int] | None,
    min_confidence: float,
    keep_separators: bool = False,
) -> int:
    """Classify each file; returns the exit code: 0 all read, 1 some failed."""
    failed = 0
    for path in picture_files(paths):
        try:
            image = read_image(path)
            outside = roi_outside(roi, image.shape, "the picture")
            if outside:  # the option could not be applied: that file's error, not a silent "no digit"
                raise UserError(f"{path}: {outside}")
            reading = read_digits(
                image, clf, top_k=top_k, roi=roi, min_confidence=min_confidence, keep_separators=keep_separators
            )
        except (UserError, cv2.error) as exc:  # an OpenCV failure on an odd image is that file's failure only
            failed += 1
            message = str(exc) if isinstance(exc, UserError) else f"{path}: could not process the image"
            if as_json:
                print(json.dumps({"path": str(path), "error": message}), flush=True)
            else:
                print(f"edgedigit: error: {message}", file=sys.stderr, flush=True)
            continue
        if as_json:
            print(json.dumps({"path": str(path), **reading.to_json()}), flush=True)
        elif reading.number is None:
            print(f"{path}: no digit", flush=True)
        else:
            confs = " ".join(f"{c:.2f}" for c in reading.confidences)
            alts = ", ".join(f"{d}:{shown(p)}" for d, p in reading.top_k[0][1:])
            numbers = " | ".join(reading.numbers)  # one number per line of writing, top to bottom
            print(f"{path}: {numbers} (confidence {confs}{'; then ' + alts if alts else ''})", flush=True)
    return 1 if failed else 0
