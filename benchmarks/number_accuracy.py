"""Whole numbers: how the device pipeline reads handwritten numbers built from MNIST *test* digits
(benchmarks/number_sets.py), 2 to 8 digits, from well apart to overlapping, some with a dot, comma or
dash between digits. One command, one markdown report.

    python benchmarks/number_accuracy.py [--model PATH] [--per-cell 150] [--out numbers.md]

Every picture goes through `read_digits` with the runtime's defaults, as `edgedigit classify` reads a decoded file.
A number counts as read only when the digits read are exactly the digits written (the separator left out, as
`number` leaves it out). Per-digit accuracy is 1 - edit distance / length. Underlined numbers
(`number_sets.underlined`, a line drawn under 3 to 6 digits) and numbers written fast (`number_sets.joined`, 3 to 6
digits, most joined to the next by the pen's stroke), numbers written leaning forward (`number_sets.leaning`:
italic, close, touching or fast), numbers written in a form's printed box and cut out with it
(`number_sets.fielded`), numbers written on a form's printed line, solid, dotted or dashed
(`number_sets.on_printed_line`), amounts whose cents are written small and raised (`number_sets.raised`) and numbers
written in a printed row of comb boxes (`number_sets.combed`, one digit to a box) are counted apart, as are dates
parted by hand-drawn slashes and amounts after a hand-drawn dollar sign (`number_sets.marked`; read with
`--keep-separators`, a date counts when its slashes are kept too, an amount when its digits alone are read), numbers
beside a plus, euro, hash or degree sign or in brackets (`number_sets.signed`, their digits alone), numbers after a
printed word or under it (`number_sets.labelled`: "Total:", "No.", "EUR"), amounts closed by a sign after them
(`number_sets.closed`: "=", "-", ",-", ".="), and meters' counters, printed digits light on dark windows or dark on
light ones behind a dark panel (`number_sets.counters`).
Speed: a 640x480 picture holding a 6-digit number, p50 of `read_digits` over repeated calls; and the hard case,
6-digit numbers written overlapping (the median of 20 pictures' p50s, and the slowest).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from number_sets import (  # noqa: E402
    JOIN_SHARE,
    LEAN,
    SPACINGS,
    closed,
    combed,
    counters,
    fielded,
    joined,
    labelled,
    leaning,
    marked,
    number,
    numbers,
    on_printed_line,
    raised,
    signed,
    underlined,
)

from edgedigit.runtime.classifier import Classifier  # noqa: E402
from edgedigit.runtime.reader import read_digits  # noqa: E402

SPEED_RUNS = 200
HARD_PICTURES, HARD_RUNS = 20, 15  # overlapping numbers vary more between pictures than between reads


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def speed(
    classifier: Classifier,
    x: np.ndarray,
    y: np.ndarray,
    spacing: str = "close",
    pictures: int = 1,
    runs: int = SPEED_RUNS,
) -> tuple[float, float, str]:
    """p50 ms of reading a 640x480 picture with a 6-digit number written at `spacing` in it: the median over
    `pictures` pictures of each one's p50 over `runs` reads, the slowest picture's p50, and the first's reading."""
    rng = np.random.default_rng(1)
    p50s, first = [], ""
    for _ in range(pictures):
        pick = rng.integers(0, len(x), 6)
        n = number(list(x[pick]), [int(v) for v in y[pick]], spacing, None, rng)
        img = np.full((480, 640), int(np.median(n.image)), np.uint8)
        scale = min(1.0, 600 / n.image.shape[1], 200 / n.image.shape[0])
        small = cv2.resize(n.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        img[140 : 140 + small.shape[0], 20 : 20 + small.shape[1]] = small
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            reading = read_digits(img, classifier)
            times.append(time.perf_counter() - start)
        p50s.append(statistics.median(times) * 1000)
        first = first or f"{n.digits} read as {reading.number}"
    return statistics.median(p50s), max(p50s), first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/mnist/mnist.npz"))
    # 150 a cell: a headline target's share is then measured on 150-300 numbers (± 3-4 pp), not 60 (± 5-8 pp)
    ap.add_argument("--per-cell", type=int, default=150, help="numbers per length, spacing and separator cell")
    ap.add_argument("--underlined", type=int, default=300, help="underlined numbers to read")
    ap.add_argument("--joined", type=int, default=300, help="numbers written fast, digits joined, to read")
    ap.add_argument("--leaning", type=int, default=300, help="numbers written leaning forward (italic), to read")
    ap.add_argument("--fielded", type=int, default=300, help="numbers written in a form's printed box, to read")
    ap.add_argument("--printed-line", type=int, default=300, help="numbers written on a form's printed line, to read")
    ap.add_argument("--raised", type=int, default=300, help="amounts, their cents small and raised, to read")
    ap.add_argument("--combed", type=int, default=300, help="numbers written in comb boxes, to read")
    ap.add_argument("--signed", type=int, default=300, help="numbers beside a +, €, #, ° or % sign or in brackets")
    ap.add_argument("--marked", type=int, default=300, help="dates with slashes and dollar amounts, to read")
    ap.add_argument("--labelled", type=int, default=300, help="numbers after a printed word, to read")
    ap.add_argument("--closed", type=int, default=300, help="amounts closed by a sign after them, to read")
    ap.add_argument("--counters", type=int, default=300, help="meters' counters (printed digits in windows), to read")
    ap.add_argument("--out", default=None, help="also write the markdown report here")
    args = ap.parse_args()
    with np.load(args.data) as d:
        x, y = d["x_test"], d["y_test"]
    classifier = Classifier(args.model)
    started = time.perf_counter()
    exact: dict[tuple, list[bool]] = defaultdict(list)
    per_digit: dict[tuple, list[float]] = defaultdict(list)
    for n in numbers(x, y, args.per_cell):
        read = read_digits(n.image, classifier).number or ""
        key = (len(n.digits), n.spacing, n.text != n.digits)
        exact[key].append(read == n.digits)
        per_digit[key].append(max(0.0, 1 - edit_distance(read, n.digits) / len(n.digits)))
    elapsed = time.perf_counter() - started
    lined = [read_digits(n.image, classifier).number == n.digits for n in underlined(x, y, args.underlined)]
    fast = [read_digits(n.image, classifier).number == n.digits for n in joined(x, y, args.joined)]
    italic = [read_digits(n.image, classifier).number == n.digits for n in leaning(x, y, args.leaning)]
    boxed_in = [read_digits(n.image, classifier).number == n.digits for n in fielded(x, y, args.fielded)]
    lined_up = [read_digits(n.image, classifier).number == n.digits for n in on_printed_line(x, y, args.printed_line)]
    cents = [read_digits(n.image, classifier).number == n.digits for n in raised(x, y, args.raised)]
    boxed = [read_digits(n.image, classifier).number == n.digits for n in combed(x, y, args.combed)]
    worded = [read_digits(n.image, classifier).number == n.digits for n in labelled(x, y, args.labelled)]
    shut = [read_digits(n.image, classifier).number == n.digits for n in closed(x, y, args.closed)]
    metered = [read_digits(n.image, classifier).number == n.digits for n in counters(args.counters)]
    paneled = [read_digits(n.image, classifier).number == n.digits for n in counters(args.counters, lit=True)]
    with_sign = [read_digits(n.image, classifier).number == n.digits for n in signed(x, y, args.signed)]
    dated, priced = [], []
    for n in marked(x, y, args.marked):
        read = read_digits(n.image, classifier, keep_separators=True).number
        if "/" in n.text:
            dated.append(read == n.text)
        else:
            priced.append(read == n.digits)

    def cells(table: dict, length=None, spacings=None, separator=None) -> list[float]:
        """The values of the cells matching a length, spacings and with(out) a separator (None: any)."""
        return [
            v
            for (n, sp, sep), vs in table.items()
            if length in (None, n) and (spacings is None or sp in spacings) and separator in (None, sep)
            for v in vs
        ]

    def percent(values: list) -> str:
        return f"{100 * sum(values) / max(len(values), 1):.1f}%"

    def rate(values: list[bool], what: str) -> str:
        """How many of a set were read right, and of how many `what`."""
        return f"**{percent(values)}** of {len(values)} {what}"

    def share(table: dict, *match) -> str:
        return percent(cells(table, *match))

    def headline(*match) -> str:
        """A target's exact-number share with its 95% margin (normal approximation) and how many numbers."""
        values = cells(exact, *match)
        p = sum(values) / max(len(values), 1)
        margin = 1.96 * math.sqrt(p * (1 - p) / max(len(values), 1))
        return f"**{100 * p:.1f}%** (± {100 * margin:.1f} pp, {len(values)} numbers)"

    lines = [
        f"Model `{classifier.path.name}`, {sum(map(len, exact.values()))} numbers ({args.per_cell} per cell), "
        f"read in {elapsed:.0f} s",
        "",
        "| digits | " + " | ".join(SPACINGS) + " | with a separator | all (per digit) |",
        "|---" * (len(SPACINGS) + 3) + "|",
    ]
    for n in range(2, 9):
        row = " | ".join(share(exact, n, (sp,)) for sp in SPACINGS)
        lines.append(f"| {n} | {row} | {share(exact, n, None, True)} | {share(exact, n)} ({share(per_digit, n)}) |")
    ms, _, read = speed(classifier, x, y)
    # the reader's hard case: digits written into each other are cut three ways, the last into strokes
    hard_ms, slowest_ms, _ = speed(classifier, x, y, "overlapping", HARD_PICTURES, HARD_RUNS)
    lines += [
        "",
        "Exact numbers:",
        "",
        f"- touching or overlapping, 3 digits: {headline(3, ('touching', 'overlapping'))}",
        f"- 5 digits with a separator: {headline(5, None, True)}",
        f"- well apart, 5 digits, no separator: {headline(5, ('apart',), False)}",
        f"- all: **{share(exact)}** exact, **{share(per_digit)}** per digit",
        f"- underlined, 3 to 6 digits apart or close (a line drawn under them, touching their feet or below "
        f"them): {rate(lined, 'numbers')}",
        f"- written fast, 3 to 6 digits, {JOIN_SHARE:.0%} of neighbours joined by a stroke from one to the next: "
        f"{rate(fast, 'numbers')}",
        f"- written leaning forward (italic, {LEAN[0]}-{LEAN[1]} px per row), 3 to 6 digits close, touching or "
        f"written fast: {rate(italic, 'numbers')}",
        f"- in a form's printed box, cut out with it (half of them a table's cell), 3 to 6 digits apart or close, half "
        f"of them touching the box: {rate(boxed_in, 'numbers')} "
        f"(touching: {percent(boxed_in[2::4] + boxed_in[3::4])}; "
        f"table cells: {percent(boxed_in[1::2])})",
        f"- on a form's printed line running on past them (solid, dotted or dashed in turn), 3 to 6 digits apart or "
        f"close: {rate(lined_up, 'numbers')} (solid / dotted / dashed: {percent(lined_up[0::3])} / "
        f"{percent(lined_up[1::3])} / {percent(lined_up[2::3])})",
        f"- an amount of 1 to 3 digits and its cents written small (0.45-0.6 of the digits' height) and raised: "
        f"{rate(cents, 'amounts')}",
        f"- in a printed row of comb boxes, 3 to 6 digits, one to a box: {rate(boxed, 'numbers')}",
        f"- a date, day and month of 2 digits and a year of 2 or 4, parted by hand-drawn slashes (read with them): "
        f"{rate(dated, 'dates')}",
        f"- an amount of 2 to 6 digits after a hand-drawn dollar sign: {rate(priced, 'amounts')}",
        f"- a phone number of 6 to 10 digits after a hand-drawn plus sign, an amount of 1 to 5 digits before or after "
        f"a hand-drawn euro or hash sign, a temperature before a degree sign, an amount in brackets, a share before a "
        f"percent sign: {rate(with_sign, 'numbers')} (plus / euro after / euro before / hash before / hash after / "
        f"degree / brackets / percent: {' / '.join(percent(with_sign[k::8]) for k in range(8))})",
        f"- 2 to 6 digits after a printed word (Total:, No., EUR, ...), or under it: {rate(worded, 'numbers')}",
        f"- an amount of 3 to 6 digits closed by a hand-drawn sign after it (=, -, ,- or .=), apart, close or written "
        f"fast: {rate(shut, 'amounts')}",
        f"- a meter's counter, 4 to 8 printed digits light on dark drum windows, photographed with its face or cut "
        f"out: {rate(metered, 'counters')}",
        f"- the same, dark digits on light drum windows behind a dark panel: {rate(paneled, 'counters')}",
        "",
        f"Speed: 640x480 picture with a 6-digit number ({read}): p50 **{ms:.2f} ms** over {SPEED_RUNS} reads.",
        f"Hard case: 640x480 pictures with a 6-digit number written overlapping: p50 **{hard_ms:.2f} ms** (median "
        f"over {HARD_PICTURES} pictures of {HARD_RUNS} reads each; the slowest picture {slowest_ms:.2f} ms).",
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        Path(args.out).write_text(report + "\n")


if __name__ == "__main__":
    main()
