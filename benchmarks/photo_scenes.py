"""How the file pipeline copes with the scenes users photograph: MNIST test digits rendered as photos
(plain paper, thin pen, squared and lined paper, a sheet on a desk or with the desk beyond one side, a sticky
note smaller than the desk, a box or a circle round the digit, a form's tinted field, a pen lying beside the
digit, a fingertip at the edge, pencil, blur, JPEG, a soft shadow or a hard one across the sheet, a drawing on a
transparent canvas, a digit written small on a page photographed whole or seen by a camera from afar), each read
with `read_digits` and the bundled (or given) model.

    python benchmarks/photo_scenes.py [--model PATH] [--n 200] [--data ../shared/mnist/mnist.npz]

A reading counts only when it is exactly the one digit written. The renderings are in benchmarks/photos.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from photos import (  # noqa: E402
    desk_beside,
    from_afar,
    on_desk,
    on_note,
    photo,
    rgba_drawing,
    ringed,
    ruled,
    shadowed,
    tinted,
    with_finger,
    with_pen,
)

from edgedigit.runtime.classifier import Classifier  # noqa: E402
from edgedigit.runtime.reader import read_digits  # noqa: E402


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


def _shadow(img: np.ndarray) -> np.ndarray:
    """A soft shadow over the left 40% of the picture, halving the light there."""
    w = img.shape[1]
    ramp = np.clip((np.arange(w) - 0.3 * w) / (0.2 * w), 0, 1) * 0.5 + 0.5
    return (img * ramp[None, :, None]).astype(np.uint8)


def _pencil(d: np.ndarray, seed: int) -> np.ndarray:
    """Grey pencil: the ink only 70 levels below the paper."""
    dark = photo([d], seed=seed).astype(np.int16)
    return np.clip(200 - (200 - dark) * 70 // 165, 0, 255).astype(np.uint8)


SCENES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "plain photo": lambda d, s: photo([d], seed=s),
    "large photo (1440 px high)": lambda d, s: photo([d], seed=s, height=900),
    "thin pen": lambda d, s: photo([d], seed=s, thin=True),
    "squared paper": lambda d, s: photo([d], seed=s, grid=True),
    "lined paper": lambda d, s: ruled([d], seed=s),
    "lined paper, turned 5 deg": lambda d, s: ruled([d], seed=s, tilt=5.0),
    "sheet on a desk": lambda d, s: on_desk([d], seed=s),
    "the desk beyond one side": lambda d, s: desk_beside([d], seed=s),
    "a pen lying beside the digit": lambda d, s: with_pen([d], seed=s),
    "a fingertip at the edge of the photo": lambda d, s: with_finger([d], seed=s),
    "a sticky note on a desk": lambda d, s: on_note([d], seed=s),
    "a box round the digit": lambda d, s: ringed([d], seed=s),
    "a circle round the digit": lambda d, s: ringed([d], seed=s, circle=True),
    "a form's red box round the digit": lambda d, s: ringed([d], seed=s, color=(90, 90, 225)),
    "a form's tinted field round the digit": lambda d, s: tinted([d], seed=s),
    "pencil": _pencil,
    "blur (sigma 3 px)": lambda d, s: cv2.GaussianBlur(photo([d], seed=s), (0, 0), 3),
    "JPEG quality 20": lambda d, s: _jpeg(photo([d], seed=s), 20),
    "shadow over part": lambda d, s: _shadow(photo([d], seed=s)),
    "a hard shadow across the sheet": lambda d, s: shadowed([d], seed=s),
    "a dark hard shadow (light x 0.4-0.55)": lambda d, s: shadowed([d], seed=s, darkness=(0.4, 0.55)),
    "drawing, transparent canvas": lambda d, s: rgba_drawing(d),
    "drawing, white ink": lambda d, s: rgba_drawing(d, color=(255, 255, 255)),
    "page photo 1600x1200, digit 45 px": lambda d, s: from_afar([d], seed=s),
    "camera frame 640x480, digit 23 px": lambda d, s: from_afar([d], seed=s, size=32, shape=(480, 640)),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--n", type=int, default=200, help="MNIST test digits per scene")
    ap.add_argument("--data", default="../shared/mnist/mnist.npz")
    args = ap.parse_args()
    data = np.load(args.data)
    pick = np.random.default_rng(7).choice(len(data["y_test"]), args.n, replace=False)
    digits, labels = data["x_test"][pick], data["y_test"][pick].astype(int)
    clf = Classifier(args.model, threads=1)
    print(f"model {clf.path}; {args.n} MNIST test digits per scene")
    for name, render in SCENES.items():
        readings = [read_digits(render(d, i), clf) for i, d in enumerate(digits)]
        right = np.mean([r.digits == [y] for r, y in zip(readings, labels)])
        none = np.mean([not r.digits for r in readings])
        several = np.mean([len(r.digits) > 1 for r in readings])
        print(f"  {name:30s} {right:7.1%}   (no digit {none:5.1%}, several {several:5.1%})")
    print("three-digit numbers, digits `step` heights apart (0.6 and closer: the digits touch)")
    triples = np.arange(args.n - args.n % 3).reshape(-1, 3)
    for step in (0.9, 0.7, 0.6):
        right = np.mean([read_digits(photo(list(digits[t]), seed=i, step=step), clf).digits == list(labels[t])
                         for i, t in enumerate(triples)])  # fmt: skip
        print(f"  step {step:.1f}: {right:6.1%} of {len(triples)} numbers read exactly")
    print("three-digit numbers on lined paper, its lines crossing the digits")
    for tilt in (0.0, 5.0):
        right = np.mean([read_digits(ruled(list(digits[t]), seed=i, tilt=tilt), clf).digits == list(labels[t])
                         for i, t in enumerate(triples)])  # fmt: skip
        print(f"  turned {tilt:.0f} deg: {right:6.1%} of {len(triples)} numbers read exactly")


if __name__ == "__main__":
    main()
