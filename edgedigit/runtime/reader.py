"""Reading digits: preprocessed crops -> classifier -> a number with a confidence per digit.

Shared by `classify` on files and by the camera loop, so both read digits the same way.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from edgedigit.runtime import dates, layout, leaning, recognition, second_look, signs
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.preprocess import Digit, Page, prepare

# a group the model reads with less than this is not a digit (a letter, a scribble, a smudge): the model is
# trained to spread its probability over all ten classes for such pictures (outlier exposure). Chosen with
# benchmarks/field_accuracy.py's sweep as the highest bar that turned away at most 1% of real digits (0.89%;
# 0.4 turned away 1.05%); it still takes 13% of the generated non-digits for digits. Since session 8's
# preprocessing fixes it turns away 0.64%, and 0.4 would turn away 0.83% for 12.3% of non-digits but cost
# USPS 0.17 pp: kept, real digits first. The bar acts on the calibrated probabilities the exporter's
# temperature gives (model.json: output.temperature)
MIN_CONFIDENCE = 0.35
DOUBTFUL = 0.9  # a digit read with less than this is named as the doubtful one of its number
# on a line where at least NUMBER_DIGITS groups pass the bar, the others need only IN_NUMBER_SHARE of it: ink
# written among sure digits is most likely a digit too (a number read with a digit left out is wrong anyway;
# benchmarks/number_accuracy.py: +0.4 pp exact numbers, non-digit pictures and single digits unchanged)...
NUMBER_DIGITS = 2
IN_NUMBER_SHARE = 0.5
# ...but a mark before the first of them or after the last, SIGN_HEIGHT taller than they are (their median), needs
# SIGN_SHARE of the bar: a dollar sign, whose bar reaches past its S, read as an 8 or a 5 (number_accuracy.py, the
# bundled model: dollar amounts 0.0 -> 62.7%, all numbers 83.0 -> 82.9%; the whole bar for every mark at an end
# read 41.3% of the amounts but 17 of 8,400 other numbers fewer, a doubtful first or last digit dropped; of the
# doubtful marks at an end, a fifth taller were 10% of the digits and 85% of the dollar signs; for such marks
# 1.0 / 1.5 / 2.0 of the bar: 59 / 103 / 113 of 148 signs and 2 / 4 / 7 of 7,932 digits at a number's end left out;
# the 8,400 numbers read as with 1.0)
SIGN_HEIGHT = 1.2
SIGN_SHARE = 1.5
# marks before a number's first digit lower than this share of its digits' median height are a printed label (a
# form's "Total:", "No.", "EUR"), whose letters are smaller than handwriting and read as digits: an o as a sure 0,
# an l as a 1, a T as a 7 (a Hershey label beside 100 numbers: 17-75% read right, 97% without it)
LABEL_HEIGHT = 0.7
LABEL_MARKS = 2  # ...and the label is a word of this many marks or more: one digit written small is a digit (in a
# comb box, a number's first digit may fill 0.55 of its box and the next 0.85: 4 of 300 such numbers lost it)...
LABEL_AFTER = 1  # ...before this many sure digits: a form's field holds one digit as often as a number ("Qty: 3";
# with two, a Hershey label before one MNIST test digit left 75% of them read right, with one 91%)
PLUS_HEIGHT = 0.75  # a plus sign before a number is lower than this share of its digits (number_sets.signed: 0.4-0.6;
# a digit that looks like one, a 4 with its arm close to its stem, is as high as the others)
EURO_READ_AS = (5, 6)  # the model reads a hand-drawn euro sign as one of these (number_sets.signed: 100 of 100)...
HASH_READ_AS = (4, 7)  # ...and a hash sign read whole as one of these (93 of 93; cut in two, it reads "77")
OPENING_READ_AS = (1, 6)  # the model reads a hand-drawn opening bracket as one of these (number_sets.signed: 36 of
# 36 so shaped; a /tmp set of bolder ones: 91 of 100)...
CLOSING_READ_AS = (1, 7)  # ...and a closing one as one of these (36 of 37; the /tmp set: 86 of 100, a 3 in 3: left
# out, since a number's first 0, open on its right, and a 3 after it were taken for a pair)
DEGREE_HEIGHT = 0.55  # a degree sign after a number is a ring lower than this share of its digits (number_sets.signed:
# 0.2-0.4 across, 0.36-0.54 high with its pen; at 0.5, 83.8% of its temperatures read, at 0.57 a raised amount lost)...
DEGREE_AFTER = 0.7  # ...after a mark at least this share of their height (an amount's raised cents, 0.45-0.6 of the
# units' height, come in pairs: number_sets.raised, 2 of 300 lost to 0.5)
RULE = "_"  # the separator a line drawn under or along a number is reported as (never part of its number)
JSON_DIGITS = 4  # decimals of a confidence in JSON; a runner-up class keeps this many significant digits instead


def _significant(p: float, digits: int = JSON_DIGITS) -> float:
    """`p` to `digits` significant digits: a sure digit's runner-up classes (1e-5 and less once calibrated) are
    real alternatives, which rounding to decimals would print as 0."""
    return float(f"{p:.{digits}g}")


def shown(p: float) -> str:
    """A probability as `classify` prints it: two decimals, or two significant digits below 0.01 (not 0.00)."""
    return f"{p:.2f}" if p >= 0.01 else f"{p:.1e}"


@dataclass(frozen=True)
class Reading:
    """What was read from one image: digits left to right on each line (lines top to bottom), or none."""

    digits: list[int] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    top_k: list[list[tuple[int, float]]] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list, repr=False)  # 28x28 each, as handed to the classifier
    rejected: list[tuple[int, int, int, int]] = field(default_factory=list)  # ink read as no digit
    lines: list[int] = field(default_factory=list)  # the line of each digit, 0 at the top
    separators: list[tuple[int, str, tuple[int, int, int, int]]] = field(default_factory=list)  # line, char, box
    keep_separators: bool = False  # numbers keep their dots, commas and dashes

    @property
    def numbers(self) -> list[str]:
        """One number per line, top to bottom (with its separators when `keep_separators`)."""
        out = []
        for line in sorted(set(self.lines)):
            marks = [(b[0], str(d)) for d, b, n in zip(self.digits, self.boxes, self.lines) if n == line]
            if self.keep_separators:
                marks += [(b[0], char) for n, char, b in self.separators if n == line and char != RULE]
            out.append("".join(text for _, text in sorted(marks)).strip(".,-="))
        return out

    @property
    def number(self) -> str | None:
        """The top line's number."""
        numbers = self.numbers
        return numbers[0] if numbers else None

    @property
    def confidence(self) -> float | None:
        """The weakest digit's confidence: a number is only as sure as its least sure digit."""
        return min(self.confidences) if self.confidences else None

    def to_json(self) -> dict[str, Any]:
        entries = [
            (n, b[0], {"kind": "digit", "digit": d, "confidence": round(c, JSON_DIGITS), "box": list(b)})
            for d, c, b, n in zip(self.digits, self.confidences, self.boxes, self.lines)
        ]
        entries += [(n, b[0], {"kind": "separator", "char": char, "box": list(b)}) for n, char, b in self.separators]
        numbers = self.numbers  # once: `number` is its first
        return {
            "digit": self.digits[0] if self.digits else None,
            "confidence": None if self.confidence is None else round(self.confidence, JSON_DIGITS),
            "top_k": [[d, _significant(p)] for d, p in self.top_k[0]] if self.top_k else [],
            "number": numbers[0] if numbers else None,
            "numbers": [self._number_json(i, text) for i, text in zip(sorted(set(self.lines)), numbers)],
            "digits": [entry for _, _, entry in sorted(entries, key=lambda e: e[:2])],
            "not_digits": [list(b) for b in self.rejected],
        }

    def _number_json(self, line: int, text: str) -> dict[str, Any]:
        """A line's number, the confidence of its reading (the product of its digits') and the position
        of its least sure digit when that one is doubtful."""
        confs = [c for c, n in zip(self.confidences, self.lines) if n == line]
        weakest = int(np.argmin(confs))
        return {
            "number": text,
            "confidence": round(math.prod(confs), JSON_DIGITS),
            "doubtful": weakest if confs[weakest] < DOUBTFUL else None,
        }


def read_digits(
    img: np.ndarray,
    classifier: Classifier,
    top_k: int = 3,
    roi: tuple[int, int, int, int] | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    keep_separators: bool = False,
) -> Reading:
    """Find every line of digits in `img` and read it by segmentation by recognition: the model scores
    each group of ink whole (one batch); a group that may be digits written touching each other is cut
    into candidate digits, scored (one more batch) and read along its best-scoring sequence. A doubtful
    digit gets a second look (`second_look.steadied`, one more batch). A digit the model reads with less than
    `min_confidence` is reported as not a digit, or, on a line that holds NUMBER_DIGITS sure digits, with less
    than IN_NUMBER_SHARE of it (SIGN_SHARE for a tall mark at an end). A word of marks lower than the digits
    before a number is a printed label, not digits (`_label`), nor is a dollar, plus, euro, hash, degree or percent sign
    beside it, nor brackets round it (`_signs`). Two strokes read as 1s that part a line as a date does are its slashes
    (`dates.slashes`). A number written leaning and read with a doubtful digit is read again sheared upright
    (`leaning`), and kept so when it reads surer. A line drawn under the writing, which `prepare`
    took out, is reported as a RULE separator, unless the page reads better with it left in.

    Args:
        img: the picture, any dtype and channels (grey, BGR, BGRA), as `read_image` or a camera gives it.
        classifier: the model that reads each candidate digit.
        top_k: how many classes each digit's `top_k` lists, best first; three unless given.
        roi: (x, y, w, h) in `img`'s pixels to read instead of the whole picture; the whole picture unless given.
        min_confidence: the calibrated probability below which a group is not a digit; MIN_CONFIDENCE unless given.
        keep_separators: whether a decimal point or comma stays in `number`; left out unless asked for.

    Returns:
        A `Reading`: the number of each line (`numbers`, top to bottom; `number` is the first), each digit's box,
        class, confidence and alternatives, the separators and the groups turned away. Empty when `img` holds no
        ink.

    Raises:
        ImageError: `img` holds more than `decode.MAX_PIXELS` values.

    Example:
        >>> from edgedigit.runtime import Classifier, read_digits, read_image
        >>> read_digits(read_image("edgedigit/samples/number_2026.jpg"), Classifier()).number
        '2026'
    """
    page = prepare(img, roi)
    if page is None:
        return Reading()
    reading = _read(page, classifier, top_k, min_confidence, keep_separators)
    if page.with_rules is None:
        return reading
    ruled = _read(page.with_rules, classifier, top_k, min_confidence, keep_separators, rule_left_in=True)
    if _line_was_writing(reading, ruled):
        return ruled
    if not reading.digits:
        return reading
    boxes = [page.box(*box) for box in page.rules]
    return replace(reading, separators=reading.separators + [(_nearest(reading, b), RULE, b) for b in boxes])


def _line_was_writing(unruled: Reading, ruled: Reading) -> bool:
    """Whether the line `prepare` took out was part of the digits, judged by the page read without it
    (`unruled`) and with it (`ruled`): the feet of digits written touching along one line are no underline,
    and without them the digits read worse, so the surer reading in all is kept, unless the line read as
    more digits than the page without it (an underline cut into 2s and 1s). A page read as one sure digit
    with its line was one digit (a wide 4's bar is no underline: "4", not "11")."""
    if len(ruled.digits) == 1 and ruled.confidences[0] >= DOUBTFUL:
        return True
    sure = bool(unruled.digits) and min(unruled.confidences) >= DOUBTFUL
    if sure and len(ruled.digits) > len(unruled.digits):
        return False
    return sum(ruled.confidences) > sum(unruled.confidences)


def _nearest(reading: Reading, box: tuple[int, int, int, int]) -> int:
    """The line of the digit whose middle is nearest to that of a rule drawn at `box` (x, y, w, h)."""
    middle = box[1] + box[3] / 2
    distances = [abs(b[1] + b[3] / 2 - middle) for b in reading.boxes]
    return reading.lines[int(np.argmin(distances))]


def _read(
    page: Page,
    classifier: Classifier,
    top_k: int,
    min_confidence: float,
    keep_separators: bool,
    rule_left_in: bool = False,
) -> Reading:
    """`read_digits` on one prepared page; `rule_left_in`: the page keeps a line drawn under its digits, whose
    pieces between them are no strokes joining digits and which makes one blob of them that is no number
    written fast (read so, the line would pass for writing). A number the page reads with a doubtful digit (and a
    digit as sure as MIN_CONFIDENCE, whatever the bar: a scribble read upright may pass for one) is read again sheared
    upright when it leans (`leaning.upright`: italic writing puts digits written close into each other's columns),
    and that reading is kept when its weakest digit is surer."""
    labels, found = layout.lines(page)
    reading = _read_lines(page, labels, found, classifier, top_k, min_confidence, keep_separators, rule_left_in)
    confidences = reading.confidences
    doubtful = bool(confidences) and max(confidences) >= MIN_CONFIDENCE and min(confidences) < DOUBTFUL
    if not doubtful or not any(line.holds_number(group) for line in found for group in line.groups):
        return reading
    sheared = leaning.upright(page)
    if sheared is None:
        return reading
    labels, found = layout.lines(sheared)
    upright = _read_lines(sheared, labels, found, classifier, top_k, min_confidence, keep_separators, rule_left_in)
    return upright if min(upright.confidences, default=0.0) > min(confidences) else reading


def _read_lines(
    page: Page,
    labels: np.ndarray,
    found: list[layout.Line],
    classifier: Classifier,
    top_k: int,
    min_confidence: float,
    keep_separators: bool,
    rule_left_in: bool,
) -> Reading:
    """`_read` on the lines `found` on `page` (`labels`: its components, as `layout.lines` gives them)."""
    groups = [(n, line, group) for n, line in enumerate(found) for group in line.groups]
    if not groups:
        return Reading()
    # segmentation decides on the model's raw softmax (its thresholds were tuned on that scale); what is
    # reported, and the confidence bar, use the calibrated probabilities
    probs = classifier.predict_proba(np.array([g.whole.image for _, _, g in groups]), calibrated=False)
    if len(groups) > len(found):  # some line holds several groups: two may be one digit whose stroke broke
        groups, probs = recognition.rejoined(page, groups, probs, classifier)
    digits = [g.whole for _, _, g in groups]
    line_of = [n for n, _, _ in groups]
    # groups that may be digits written touching: cut, scored in one more batch, read along the best path
    doubtful = [
        k
        for k, ((_, line, g), p) in enumerate(zip(groups, probs))
        if line.worth_cutting(g, p.max()) and not _sign_at_an_end(line, g, int(p.argmax()))
    ]
    if doubtful:
        digits, line_of, probs = recognition.cut(page, labels, groups, probs, doubtful, classifier, not rule_left_in)
        if not digits:  # every group read along a path that left all its pieces out as connectors: no digit
            return Reading(rejected=[g.whole.box for _, _, g in groups])
    probs = classifier.calibrate(probs)
    first = probs.argmax(axis=1)  # at first sight: a slash reads as a 1, shifted it may read as anything
    probs = second_look.steadied([d.image for d in digits], probs, classifier)
    best = probs.max(axis=1)
    sure = np.ones(len(digits), bool)
    if best.min() < _sign_bar(min_confidence):  # rare: keep the common path to one comparison
        sure = _passing(digits, line_of, best, min_confidence)
    sure &= ~_label(digits, line_of, sure, [[s.box[0] for s in line.separators] for line in found])
    sure &= ~_signs(digits, line_of, probs.argmax(axis=1).tolist(), sure)
    rejected = [d.box for d, s in zip(digits, sure) if not s]
    if rejected:
        digits, line_of, probs, first = (
            [d for d, s in zip(digits, sure) if s],
            [n for n, s in zip(line_of, sure) if s],
            probs[sure],
            first[sure],
        )
    separators = [(n, s.char, s.box) for n, line in enumerate(found) for s in line.separators] if digits else []
    slashes = _slashes(digits, line_of, first.tolist())
    if slashes:
        separators += [(line_of[k], "/", digits[k].box) for k in slashes]
        kept = [k for k in range(len(digits)) if k not in slashes]
        digits, line_of, probs = [digits[k] for k in kept], [line_of[k] for k in kept], probs[kept]
    order = (-probs).argsort(axis=1)[:, :top_k].tolist()
    rows = probs.tolist()  # Python numbers from here on: indexing numpy scalars one by one is slow
    return Reading(
        digits=[o[0] for o in order],
        confidences=[r[o[0]] for r, o in zip(rows, order)],
        top_k=[[(i, r[i]) for i in o] for r, o in zip(rows, order)],
        boxes=[d.box for d in digits],
        crops=[d.image for d in digits],
        rejected=rejected,
        lines=line_of,
        separators=separators,
        keep_separators=keep_separators,
    )


def _sign_at_an_end(line: layout.Line, group: layout.Group, read: int) -> bool:
    """Whether `group`, `read` whole as this digit, is a sign the reader tells by its whole shape, so never cuts
    (cut, a hash sign's pieces read "77", a percent sign's "96"): the first or last group of its `line` read as one of
    HASH_READ_AS and shaped as a hash sign, or its last shaped as a percent sign."""
    last = group is line.groups[-1]
    if not (last or group is line.groups[0]):
        return False
    return read in HASH_READ_AS and signs.hash_sign(group.whole.image) or last and signs.percent(group.whole.image)


def _passing(digits: list[Digit], line_of: list[int], best: np.ndarray, min_confidence: float) -> np.ndarray:
    """Which `digits` (on lines `line_of`, read with `best`) pass the confidence bar: `min_confidence`, or in a
    number (NUMBER_DIGITS passing it on the line) IN_NUMBER_SHARE of it, or SIGN_SHARE of it where the mark
    stands before the first of those or after the last and is SIGN_HEIGHT taller than they are (a dollar sign)."""
    sure = best >= min_confidence
    lines_of = np.array(line_of)
    for n in set(line_of):
        on = np.flatnonzero(lines_of == n)
        if np.count_nonzero(sure[on]) < NUMBER_DIGITS:
            continue
        ends = on[sure[on]]
        tall = SIGN_HEIGHT * float(np.median([digits[k].box[3] for k in ends]))
        signs = [k for k in on if not ends[0] < k < ends[-1] and digits[k].box[3] > tall]
        kept = [k for k in on if k not in signs]
        sure[kept] |= best[kept] >= IN_NUMBER_SHARE * min_confidence
        sure[signs] = best[signs] >= _sign_bar(min_confidence)
    return sure


def _label(digits: list[Digit], line_of: list[int], sure: np.ndarray, marks: list[list[int]]) -> np.ndarray:
    """Which `digits` (on lines `line_of`; `sure`: those passing the bar) are a printed label beside a number: a
    line of marks each lower than LABEL_HEIGHT of the median height of another line's sure digits (a caption
    printed above the field), or the longest run of marks from a line's left end (doubtful ones too: a word's
    letters), each lower than LABEL_HEIGHT of the median height of the sure digits after it, LABEL_AFTER of them or
    more (the longest run: a label of as many letters as the number has digits would set the median of all). Either
    holds LABEL_MARKS marks or more, with the separators among them (`marks`: their left edges, per line; a letter may
    look like a dot or a comma)."""
    label = np.zeros(len(digits), bool)
    if len(digits) < LABEL_MARKS + LABEL_AFTER:
        return label  # the common case of one digit: no label before it
    lines = _left_to_right(digits, line_of)
    heights = {n: [digits[k].box[3] for k in on if sure[k]] for n, on in lines.items()}
    written = {n: statistics.median(h) for n, h in heights.items() if h} if len(lines) > 1 else {}
    for n, on in lines.items():
        others = [h for m, h in written.items() if m != n]
        low = max(digits[k].box[3] for k in on) < LABEL_HEIGHT * max(others, default=0)
        if low and len(on) + len(marks[n]) >= LABEL_MARKS:
            label[on] = True
            continue
        if not heights[n] or digits[on[0]].box[3] >= LABEL_HEIGHT * max(heights[n]):
            continue  # the first mark is as high as a digit here: no label before them
        for lead in range(len(on) - LABEL_AFTER, 0, -1):
            after = [digits[k].box[3] for k in on[lead:] if sure[k]]
            if len(after) < LABEL_AFTER or lead + sum(x < digits[on[lead]].box[0] for x in marks[n]) < LABEL_MARKS:
                continue
            if max(digits[k].box[3] for k in on[:lead]) < LABEL_HEIGHT * statistics.median(after):
                label[on[:lead]] = True
                break
    return label


def _signs(digits: list[Digit], line_of: list[int], read: list[int], sure: np.ndarray) -> np.ndarray:
    """Which `digits` (on lines `line_of`, `read` as these digits; `sure`: those passing the bar) are a sign written
    before or after a number: its line's first mark read as one of `signs.READ_AS` and shaped as a dollar sign
    (`signs.dollar`), with NUMBER_DIGITS sure digits after it (the model is sure of such a sign as often as not, so
    `SIGN_SHARE` alone let it through); its first mark shaped as a plus sign (`signs.plus`) and lower than PLUS_HEIGHT
    of the sure digits after it; or its first or last mark shaped as a euro sign (`signs.euro`) or a hash sign
    (`signs.hash_sign`: "#125", "125#") read as what such a sign is read as, with a sure digit beside it. The model
    reads a plus sign as a 4, a euro sign as a 5 or a 6 and a hash sign as a 4 or a 7, as sure as many a digit. A
    line's last mark is a degree sign when it is a small raised ring (`_degree`), read as a 0, and a percent sign when
    it is shaped as one (`signs.percent`: the reader leaves it whole, uncut); its first mark and a later one are
    brackets round the number when both are shaped as such (`_brackets`)."""
    sign = np.zeros(len(digits), bool)
    if len(digits) < 2:
        return sign  # the common case of one digit: no number beside a sign
    for on in _left_to_right(digits, line_of).values():
        if len(on) < 2:
            continue
        first, last = on[0], on[-1]
        after, before = [k for k in on[1:] if sure[k]], [k for k in on[:-1] if sure[k]]
        crop = digits[first].image
        if len(after) >= NUMBER_DIGITS and read[first] in signs.READ_AS and signs.dollar(crop):
            sign[first] = True
        elif after and digits[first].box[3] < PLUS_HEIGHT * statistics.median(digits[k].box[3] for k in after):
            sign[first] = signs.plus(crop)
        sign[first] |= bool(after) and _euro_or_hash(crop, read[first])
        crop = digits[last].image
        sign[last] |= bool(before) and (
            _euro_or_hash(crop, read[last]) or _degree(digits, on, before, read) or signs.percent(crop)
        )
        closing = _brackets(digits, on, read, sure)
        if closing is not None:
            sign[first] = sign[closing] = True
    return sign


def _brackets(digits: list[Digit], on: list[int], read: list[int], sure: np.ndarray) -> int | None:
    """The closing bracket of a line's marks `on` when its first is an opening one and a later one closes it round a
    sure digit ("(125)", "(030) 1234"): each shaped as a bracket (`signs.bracket`) and read as what such a bracket is
    read as (OPENING_READ_AS, CLOSING_READ_AS); else None."""
    first = on[0]
    if read[first] not in OPENING_READ_AS or signs.bracket(digits[first].image) >= 0:
        return None
    for n, k in enumerate(on[1:], start=1):
        if read[k] in CLOSING_READ_AS and signs.bracket(digits[k].image) > 0:
            return k if any(sure[j] for j in on[1:n]) else None
    return None


def _degree(digits: list[Digit], on: list[int], before: list[int], read: list[int]) -> bool:
    """Whether the last of a line's marks `on` is a degree sign after the sure digits `before` it ("21°"): read as a 0,
    lower than DEGREE_HEIGHT of them and its middle above theirs, the mark before it as high as a digit (DEGREE_AFTER:
    a small raised 0 after another is an amount's cents, "125⁵⁰")."""
    if read[on[-1]] != 0:
        return False
    height = statistics.median(digits[k].box[3] for k in before)
    middle = statistics.median(digits[k].box[1] + digits[k].box[3] / 2 for k in before)
    _, top, _, h = digits[on[-1]].box
    return h < DEGREE_HEIGHT * height and top + h / 2 < middle and digits[on[-2]].box[3] >= DEGREE_AFTER * height


def _euro_or_hash(crop: np.ndarray, read: int) -> bool:
    """Whether a mark `read` as this digit is a euro sign or a hash sign by its shape (`crop`, 28x28)."""
    return read in EURO_READ_AS and signs.euro(crop) or read in HASH_READ_AS and signs.hash_sign(crop)


def _left_to_right(digits: list[Digit], line_of: list[int]) -> dict[int, list[int]]:
    """Per line (`line_of` each of the `digits`), the indices of its digits from left to right."""
    return {n: sorted((k for k, m in enumerate(line_of) if m == n), key=lambda k: digits[k].box[0]) for n in line_of}


def _sign_bar(min_confidence: float) -> float:
    """SIGN_SHARE of the bar, but never past half way from the bar to certainty (a high `--min-confidence`
    would otherwise turn every tall digit at a number's end away)."""
    return min(SIGN_SHARE * min_confidence, (1 + min_confidence) / 2)


def _slashes(digits: list[Digit], line_of: list[int], read: list[int]) -> list[int]:
    """Which of the `digits` (on lines `line_of`, `read` as these digits) are a date's slashes (`dates.slashes`)."""
    out = []
    for n in sorted(set(line_of)):
        on = [k for k, m in enumerate(line_of) if m == n]
        pair = dates.slashes([digits[k].image for k in on], [read[k] for k in on])
        out += [on[i] for i in pair or ()]
    return out
