"""Field accuracy: how the device pipeline reads digits nobody here wrote, and what it says about
pictures that are not digits. One command, one markdown report.

    python benchmarks/field_accuracy.py [--model PATH] [--min-confidence P] [--out field.md]

Every picture goes through `read_digits` with the runtime's default settings, exactly as `edgedigit
classify` reads a decoded file (the pictures are grayscale arrays; PNG would hand back the same pixels).
A digit picture counts as read only when the reading is exactly its one digit.

- USPS (real handwriting from envelopes, ../shared/usps, never trained on) at three crops: a tight
  64x64 crop, dark ink on white with the digit touching the frame (a cell cut from a form); the same
  with a 4 px white margin; and the native 16x16 (white on black).
- MNIST *test* digits rendered as users send them (benchmarks/field_sets.py): tight crops, thick and
  thin pens, faint grey, blur, JPEG, a 2000 px phone photo, overwritten strokes, bold white on black,
  and stretched to fill a 16x16 or 32x32 bitmap, also from a bold pen (strokes a quarter of the box);
  and in a cell cut from a form with some or all of its printed frame (totalled apart).
- Digits drawn by code in styles MNIST barely holds (flagged 1s, closed 4s: pointed, square or rounded,
  two-stroke 4s, detached bars, straight tails), also stretched to fill a 16x16 binary bitmap as digit
  collections store them (a flagged 1 then has a flag as wide as a 7's bar), and digits in OpenCV's Hershey fonts.
- Non-digits: Hershey letters, scribbles, textures, smudges, blank paper: the share read as a digit.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from field_sets import (  # noqa: E402
    CELL_SCENES,
    DRAWN,
    DRAWN_CLOSED_FOURS,
    MNIST_SCENES,
    NON_DIGIT_KINDS,
    cell,
    drawn,
    drawn_filled,
    hershey,
    non_digit,
)

from edgedigit.runtime.classifier import Classifier  # noqa: E402
from edgedigit.runtime.reader import MIN_CONFIDENCE, read_digits  # noqa: E402

USPS_MARGIN = 4  # px of white around the tight 64 px crop


class KerasClassifier:
    """A trained model.keras in the runtime's place, to compare training recipes before exporting."""

    def __init__(self, path: str) -> None:
        import keras

        from edgedigit.converters.tflite import normalization

        self.path = Path(path)
        self.model = keras.models.load_model(path)
        self.manifest = {"quantization": "keras float32", "sha256": ""}
        self.deskew = normalization(self.model) is not None  # the model shears pictures upright itself

    def predict_proba(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """The model's softmax: before export there is no temperature, so calibrated or not is the same."""
        return np.asarray(self.model(np.asarray(images).reshape(-1, 28, 28), training=False))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        return raw


def usps_crops(x: np.ndarray) -> dict[str, list[np.ndarray]]:
    """The three ways a user hands USPS-like digits over."""
    tight = [255 - cv2.resize(img, (64, 64), interpolation=cv2.INTER_CUBIC) for img in x]
    margin = [cv2.copyMakeBorder(t, *[USPS_MARGIN] * 4, cv2.BORDER_CONSTANT, value=255) for t in tight]
    return {"tight 64 px, dark on white": tight, "64 px + 4 px margin": margin, "native 16 px": list(x)}


class Tally:
    """Readings of one set: accuracy, no digit, several digits, per class, confusion pairs."""

    def __init__(self) -> None:
        self.right = self.none = self.several = self.n = 0
        self.per_class: Counter[int] = Counter()
        self.right_class: Counter[int] = Counter()
        self.confusions: Counter[tuple[int, str]] = Counter()

    def add(self, digits: list[int], label: int) -> None:
        self.n += 1
        self.per_class[label] += 1
        if digits == [label]:
            self.right += 1
            self.right_class[label] += 1
            return
        self.none += not digits
        self.several += len(digits) > 1
        self.confusions[(label, "".join(map(str, digits)) or "none")] += 1

    def merge(self, other: Tally) -> None:
        """Count `other`'s pictures in this total (per-class figures are kept per set)."""
        self.right, self.none = self.right + other.right, self.none + other.none
        self.several, self.n = self.several + other.several, self.n + other.n

    @property
    def accuracy(self) -> float:
        return self.right / max(self.n, 1)

    def row(self, name: str) -> str:
        return (f"| {name} | {self.n} | **{self.accuracy:.2%}** | {self.none / max(self.n, 1):.2%} | "
                f"{self.several / max(self.n, 1):.2%} |")  # fmt: skip


Readings = list[tuple[list[int], list[float]]]  # per picture: digits and their confidences, with no bar


def read_all(clf: Any, pictures: list[np.ndarray]) -> Readings:
    """Every picture read once with no confidence bar; a bar is applied afterwards (`at`), so one pass
    serves the report and the threshold sweep."""
    out = []
    for img in pictures:
        r = read_digits(img, clf, top_k=1, min_confidence=0.0)
        out.append((r.digits, r.confidences))
    return out


def at(readings: Readings, bar: float) -> list[list[int]]:
    """The digits each picture gives with confidence bar `bar`, as `read_digits` would report them."""
    return [[d for d, c in zip(digits, confs) if c >= bar] for digits, confs in readings]


def tally(readings: Readings, labels: list[int], bar: float) -> Tally:
    t = Tally()
    for digits, y in zip(at(readings, bar), labels):
        t.add(digits, int(y))
    return t


SWEEP = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--keras", default=None, help="measure a model.keras instead (training recipes, before export)")
    ap.add_argument("--usps", default="../shared/usps/usps.npz")
    ap.add_argument("--data", default="../shared/mnist/mnist.npz")
    ap.add_argument("--n", type=int, default=300, help="pictures per synthetic scene, style and non-digit kind")
    ap.add_argument("--min-confidence", type=float, default=MIN_CONFIDENCE)
    ap.add_argument("--out", type=Path, default=None, help="also write the markdown report here")
    args = ap.parse_args()
    clf = KerasClassifier(args.keras) if args.keras else Classifier(args.model, threads=1)
    cv2.setNumThreads(1)
    start = time.perf_counter()
    lines = [f"model `{clf.path.name}` ({clf.manifest.get('quantization')}, sha256 "
             f"{clf.manifest.get('sha256', '')[:12]}), min confidence {args.min_confidence}", ""]  # fmt: skip
    table = ["| set | pictures | read exactly | no digit | several digits |", "|---|---|---|---|---|"]
    rejected = total = 0

    usps = np.load(args.usps)
    ux, uy = usps["x"], usps["y"].astype(int)
    usps_tallies = {}
    digit_readings: Readings = []
    for name, pics in usps_crops(ux).items():
        readings = read_all(clf, pics)
        digit_readings += readings
        usps_tallies[name] = t = tally(readings, list(uy), args.min_confidence)
        table.append(t.row(f"USPS {name}"))
        rejected, total = rejected + t.none, total + t.n

    mnist = np.load(args.data)
    rng = np.random.default_rng(11)
    pick = rng.choice(len(mnist["y_test"]), args.n, replace=False)
    digits, labels = mnist["x_test"][pick], mnist["y_test"][pick].astype(int)
    field = Tally()
    for name, render in MNIST_SCENES.items():
        readings = read_all(clf, [render(d, rng) for d in digits])
        digit_readings += readings
        t = tally(readings, list(labels), args.min_confidence)
        table.append(t.row(f"MNIST test: {name}"))
        field.merge(t)
    cells, cell_rng = Tally(), np.random.default_rng(17)  # own generator and totals: the rest stays as before
    for name, (sides, margin) in CELL_SCENES.items():
        readings = read_all(clf, [cell(d, sides, margin, cell_rng) for d in digits])  # apart from the bar's sweep
        t = tally(readings, list(labels), args.min_confidence)
        table.append(t.row(f"MNIST test: {name}"))
        cells.merge(t)
    bitmaps, filled_rng = Tally(), np.random.default_rng(13)  # its own generator: the rows below stay as before
    fours_rng = np.random.default_rng(19)  # its own generator: the rows above and below stay as before
    for styles, native_rng, stretched_rng in ((DRAWN, rng, filled_rng), (DRAWN_CLOSED_FOURS, fours_rng, fours_rng)):
        renders = (
            (drawn, native_rng, "drawn", field),
            (drawn_filled, stretched_rng, "drawn, bitmap filling 16x16", bitmaps),
        )
        for render, gen, kind, into in renders:
            for name, (label, strokes) in styles.items():
                readings = read_all(clf, [render(strokes, gen) for _ in range(args.n // 3)])
                digit_readings += readings
                t = tally(readings, [label] * (args.n // 3), args.min_confidence)
                table.append(t.row(f"{kind}: {name}"))
                into.merge(t)
    rejected, total = rejected + bitmaps.none, total + bitmaps.n
    hl = list(rng.integers(0, 10, args.n))
    readings = read_all(clf, [hershey(str(y), rng) for y in hl])
    digit_readings += readings
    t = tally(readings, hl, args.min_confidence)
    table.append(t.row("Hershey-font digits"))
    field.merge(t)
    rejected, total = rejected + field.none, total + field.n
    table.append(field.row("**all synthetic field sets** (but the drawn bitmaps)"))
    table.append(bitmaps.row("**all drawn styles filling a 16x16 bitmap**"))
    table.append(cells.row("**all form cells with their frame**"))

    lines += table + ["", "| non-digit pictures | pictures | read as a digit |", "|---|---|---|"]
    accepted_all = n_all = 0
    other_readings: Readings = []
    for kind in NON_DIGIT_KINDS:
        readings = read_all(clf, [non_digit(kind, rng) for _ in range(args.n)])
        other_readings += readings
        accepted = sum(bool(d) for d in at(readings, args.min_confidence))
        lines.append(f"| {kind} | {len(readings)} | {accepted / len(readings):.1%} |")
        accepted_all, n_all = accepted_all + accepted, n_all + len(readings)
    lines.append(f"| **all** | {n_all} | **{accepted_all / n_all:.1%}** |")
    lines += ["", f"Real digits given no digit (USPS three crops + synthetic field): **{rejected / total:.2%}** "
              f"of {total}.", "", "The confidence bar's trade-off (`--min-confidence`):", "",
              "| bar | real digits given no digit | non-digits read as a digit |", "|---|---|---|"]  # fmt: skip
    for bar in SWEEP:
        lost = sum(not d for d in at(digit_readings, bar)) / len(digit_readings)
        taken = sum(bool(d) for d in at(other_readings, bar)) / len(other_readings)
        lines.append(f"| {bar:.1f} | {lost:.2%} | {taken:.1%} |")
    lines.append("")

    accs = [t.accuracy for t in usps_tallies.values()]
    spread = 100 * (max(accs) - min(accs))
    lines.append(f"USPS: worst crop {min(accs):.2%}, best {max(accs):.2%}, spread {spread:.2f} pp.")
    lines += ["", "USPS per class (tight / margin / native):", ""]
    lines.append("| class | " + " | ".join(str(c) for c in range(10)) + " |")
    lines.append("|---" * 11 + "|")
    for name, t in usps_tallies.items():
        lines.append(f"| {name} | " + " | ".join(f"{t.right_class[c] / max(t.per_class[c], 1):.1%}"
                                                 for c in range(10)) + " |")  # fmt: skip
    lines += ["", "Most frequent USPS misreadings (true -> read, over the three crops):", ""]
    pairs: Counter[tuple[int, str]] = Counter()
    for t in usps_tallies.values():
        pairs.update(t.confusions)
    lines.append(", ".join(f"{a} -> {b}: {c}" for (a, b), c in pairs.most_common(15)))
    lines += ["", f"({time.perf_counter() - start:.0f} s)"]
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
