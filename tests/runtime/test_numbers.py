"""Whole numbers: segmentation by recognition cuts touching digits, keeps single digits whole, tells
separators from digits and reads several lines (issue 13)."""

from __future__ import annotations

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.photos import paper, photo
from edgedigit.cli import app
from edgedigit.runtime import layout, paths, preprocess, ruling, second_look, segment, signs, slant
from edgedigit.runtime import reader as reader_module
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.reader import read_digits
from tests.conftest import ROOT, write_image


@pytest.fixture(scope="module")
def clf():
    return Classifier()  # the bundled int8 model


DIGIT_HEIGHT, DIGIT_TOP = 80, 40  # px: each digit's height as `_written` writes it, and its top on the canvas


def _number(digits: list[np.ndarray], overlap: float | list[float], seed: int) -> np.ndarray:
    """Digits cut to their ink and written `overlap` of their width into each other (dark on paper); a list
    gives each digit's overlap into the next."""
    return _on_paper(_written(digits, overlap)[0], seed)


def _written(digits: list[np.ndarray], overlap: float | list[float]) -> tuple[np.ndarray, list[float]]:
    """Digits cut to their ink, DIGIT_HEIGHT high, written `overlap` of their width into each other (a list: each
    digit's overlap into the next) as ink (0..1) on a canvas twice as high with 60 px of blank at each end, and
    each digit's middle column."""
    overlaps = overlap if isinstance(overlap, list) else [overlap] * len(digits)
    inks = []
    for d in digits:
        ys, xs = np.nonzero(d > 40)
        crop = d[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255
        inks.append(cv2.resize(crop, (round(crop.shape[1] * DIGIT_HEIGHT / crop.shape[0]), DIGIT_HEIGHT)))
    canvas = np.zeros((2 * DIGIT_HEIGHT, sum(i.shape[1] for i in inks) + 120), np.float32)
    x, middles = 60, []
    for ink, into_next in zip(inks, overlaps):
        region = canvas[DIGIT_TOP : DIGIT_TOP + DIGIT_HEIGHT, x : x + ink.shape[1]]
        np.maximum(region, np.clip(ink, 0, 1), out=region)
        middles.append(x + ink.shape[1] / 2)
        x += round(ink.shape[1] * (1 - into_next))
    return canvas, middles


def _on_paper(canvas: np.ndarray, seed: int) -> np.ndarray:
    """Ink (0..1) written dark on paper of `canvas`'s size (`benchmarks.photos.paper`)."""
    sheet = paper(*canvas.shape, seed)
    return np.clip(sheet * (1 - canvas) + 35 * canvas, 0, 255).astype(np.uint8)


def test_touching_pairs_and_overlapping_triples_are_read_apart(mnist, clf):
    pairs = triples = 0
    for i in range(30):
        two, three = mnist.x_test[5 * i : 5 * i + 2], mnist.x_test[5 * i + 2 : 5 * i + 5]
        truth2, truth3 = ("".join(map(str, mnist.y_test[5 * i + a : 5 * i + b])) for a, b in ((0, 2), (2, 5)))
        pairs += read_digits(_number(list(two), 0.08, i), clf).number == truth2
        triples += read_digits(_number(list(three), 0.15, i), clf).number == truth3
    assert pairs >= 22  # 24 of 30 here; 18 with the reader before segmentation by recognition
    assert triples >= 13  # 16 here; 7 before


def test_a_one_written_touching_a_digit_of_a_number_is_not_swallowed(mnist, clf, monkeypatch):
    """A sure digit with a 1 written touching it, read whole, is that digit alone; on a line of several groups
    cutting costs nothing beyond the pieces' own certainty, so the pair is read as two sure digits. The models
    bundled up to session 13 needed that (a cut costing as for a lone group: 147 of 200); since session 14's,
    trained on the reader's cut pieces, the model doubts the merged pair itself (170 with that cost, 172 without)."""
    rng = np.random.default_rng(3)
    others, ones = np.flatnonzero(mnist.y_test != 1), np.flatnonzero(mnist.y_test == 1)

    def read_all() -> int:
        read = 0
        for seed in range(200):
            a, b, one = int(rng.choice(others)), int(rng.choice(others)), int(rng.choice(ones))
            picture = _number([mnist.x_test[a], mnist.x_test[b], mnist.x_test[one]], [-0.4, 0.06, 0], seed)
            read += read_digits(picture, clf).number == f"{mnist.y_test[a]}{mnist.y_test[b]}1"
        return read

    assert (cut_free := read_all()) >= 160  # 172 of 200 (162-164 with the bundled models of sessions 11 and 13)
    monkeypatch.setattr(segment, "NUMBER_CUT_COST", segment.CUT_COST)  # a cut costing as for a lone group
    rng = np.random.default_rng(3)
    assert read_all() <= cut_free  # 170 ("561" read "54": the 1 merged into its neighbour); 147 with older models


def test_a_one_beside_digits_written_together_is_not_a_speck(mnist, clf):
    """Three digits written touching make one component with three digits' ink; a 1 close beside them is
    judged against one digit's worth of it, not left out as a speck (34 of 40 kept their 1 before)."""
    rng = np.random.default_rng(5)
    ones, others = np.flatnonzero(mnist.y_test == 1), np.flatnonzero(mnist.y_test != 1)
    exact = kept_one = 0
    for seed in range(40):
        picks = [int(rng.choice(others)), int(rng.choice(ones)), *(int(rng.choice(others)) for _ in range(3))]
        reading = read_digits(_number(list(mnist.x_test[picks]), [-0.15, -0.15, 0.1, 0.1, 0], seed), clf).number
        exact += reading == "".join(str(mnist.y_test[i]) for i in picks)
        kept_one += "1" in (reading or "")[:3]
    assert kept_one >= 38 and exact >= 28  # 40 and 31 here; 34 and 27 before


def _with_raised_cents(units: list[np.ndarray], cents: list[np.ndarray], seed: int) -> np.ndarray:
    """An amount: `units` written apart, then `cents` half as high (MNIST's stroke scaled with them, as a fine pen
    gives it) raised to the units' top, a little apart from them."""
    big, _ = _written(units, -0.3)
    small, _ = _written(cents, -0.3)
    small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((big.shape[0], big.shape[1] - 40 + small.shape[1]), np.float32)
    canvas[:, : big.shape[1]] = big
    top = DIGIT_TOP - DIGIT_TOP // 2  # the cents' ink starts DIGIT_TOP // 2 into their half-size canvas
    region = canvas[top : top + small.shape[0], big.shape[1] - 40 :]
    np.maximum(region, small, out=region)
    return _on_paper(canvas, seed)


def test_an_amounts_cents_written_small_and_raised_are_digits(mnist, clf, monkeypatch):
    """Cents written half as high as the units and raised to their top ("125 50") have a fifth to a tenth of the
    units' ink: judged against ink of their own size (`layout.SMALL_DIGIT`), they are digits, not specks."""

    def read_all() -> int:
        rng, read = np.random.default_rng(11), 0
        for seed in range(40):
            picks = [int(v) for v in rng.integers(3000, len(mnist.y_test), int(rng.integers(1, 4)) + 2)]
            amount = _with_raised_cents(list(mnist.x_test[picks[:-2]]), list(mnist.x_test[picks[-2:]]), seed)
            read += read_digits(amount, clf).number == "".join(str(mnist.y_test[i]) for i in picks)
        return read

    assert (judged_small := read_all()) >= 37  # 40 of 40 here
    monkeypatch.setattr(layout, "SMALL_DIGIT", (1.0, 1.0))  # every mark judged against the units' ink
    assert read_all() <= judged_small - 6  # 31


def test_two_blobs_of_digits_written_into_each_other_are_each_others_number(mnist, clf):
    """Two groups of three digits written into each other, neither read whole as a digit: a group cut into
    sure pieces counts as the other's number, so the other is read along its best fair cut too."""
    rng = np.random.default_rng(7)
    six = 0
    for seed in range(40):
        picks = [int(v) for v in rng.integers(0, len(mnist.y_test), 6)]
        reading = read_digits(_number(list(mnist.x_test[picks]), [0.25, 0.25, -0.4, 0.25, 0.25, 0], seed), clf)
        six += len(reading.number or "") == 6
    assert six >= 8  # 9 of 40 here; 5 when only a group read whole as one sure digit made a number


def test_pieces_of_one_cut_component_are_joined_across_a_leaning_seam():
    """A component cut along a leaning seam leaves pieces whose boxes stand apart though their ink meets (an
    open-top 4 cut between its strokes): they may still be one digit. Ink of two components with the same gap
    between them is two digits."""
    height = 80  # the gap below is 8 px, above MAX_GAP (6.4 px) of this line
    left = segment.Atom(0, 0, 30, 60, (5,), np.ones((60, 30), bool))
    right = segment.Atom(38, 10, 60, 70, (5,), np.ones((60, 22), bool))
    apart = segment.Atom(38, 10, 60, 70, (6,))
    assert 8 > segment.MAX_GAP * height
    assert segment._joined([left, right], height) and not segment._joined([left, apart], height)


def test_an_underlined_number_is_read_and_its_line_is_a_separator(mnist, clf, monkeypatch):
    """A line drawn under a number (touching the digits' feet or below them) is taken out and reported as a
    separator, never part of the number: left in, it joined the digits into one group."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from number_sets import underlined

    lined = underlined(mnist.x_test, mnist.y_test, 20)
    readings = [read_digits(n.image, clf, keep_separators=True) for n in lined]
    assert sum(r.number == n.digits for r, n in zip(readings, lined)) >= 16  # 19 of 20 here
    assert all(
        any(e["kind"] == "separator" and e["char"] == "_" for e in r.to_json()["digits"])
        for r, n in zip(readings, lined)
        if r.number == n.digits
    )
    monkeypatch.setattr(ruling, "rules", lambda mask: [])  # the line left in
    assert sum(read_digits(n.image, clf).number == n.digits for n in lined) <= 8  # 5 of 20 (1 read whole)


def test_a_number_on_a_forms_dotted_or_dashed_line_is_read(mnist, clf, monkeypatch):
    """A form's printed line under an amount, dotted or dashed, is a rule like a solid one (`ruling.RULE_GAP`): left
    in, its dots and dashes touching the digits' feet joined them into one group, read as one digit."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from number_sets import on_printed_line

    broken = [n for k, n in enumerate(on_printed_line(mnist.x_test, mnist.y_test, 90)) if k % 3]  # dotted, dashed
    assert (read := sum(read_digits(n.image, clf).number == n.digits for n in broken)) >= 56  # 59 of 60 here
    monkeypatch.setattr(ruling, "RULE_GAP", 0.0)  # only a solid line is a rule
    assert sum(read_digits(n.image, clf).number == n.digits for n in broken) <= read - 4  # 54


def test_a_wide_digit_reads_as_it_did_before_rules_were_taken_out(mnist, clf, monkeypatch):
    """A 2, 0 or 4 stretched wide has a long straight bar (a 2's foot, a flat 0's top and bottom, a 4's cross
    bar), which may pass for a line drawn under writing: it is read as before lines were taken out (a 4 is not
    "11" once its bar is gone), in all but at most two of 90."""
    wide = [
        cv2.resize(255 - d, None, fx=2.0, fy=1.0, interpolation=cv2.INTER_CUBIC)
        for label in (2, 0, 4)
        for d in mnist.x_test[mnist.y_test == label][:30]
    ]
    now = [read_digits(w, clf).number for w in wide]
    monkeypatch.setattr(ruling, "rules", lambda mask: [])
    assert sum(a != read_digits(w, clf).number for a, w in zip(now, wide)) <= 2  # 1 of 90 here


def test_a_long_number_keeps_the_gaps_between_its_digits(mnist, clf):
    """An 8-digit strip is reduced by its area, as a square picture would be, not by its width: reduced by
    its width, a narrow 1 written close to its neighbour merged into it and was lost (5 of these 10 read)."""
    text = "10181612"
    rng = np.random.default_rng(0)
    read = 0
    for seed in range(10):
        picks = [int(rng.choice(np.flatnonzero(mnist.y_test == int(c)))) for c in text]
        strip = _number(list(mnist.x_test[picks]), -0.08, seed)  # 10% of a digit apart, about 600x160 px
        read += read_digits(strip, clf).number == text
    assert read >= 8  # 9 of 10 here
    assert [preprocess.work_reduction(*shape) for shape in ((160, 600), (480, 640), (100, 20000))] == [2, 3, 20]


def test_a_wide_zero_is_not_cut(mnist, clf):
    zeros = mnist.x_test[mnist.y_test == 0][:30]
    wide = [cv2.resize(photo([z], seed=i), None, fx=1.6, fy=1.0) for i, z in enumerate(zeros)]  # 1.6x wider
    readings = [read_digits(w, clf).number for w in wide]
    assert sum(r == "0" for r in readings) >= 28, readings


def test_a_dot_or_dash_between_digits_is_a_separator(mnist, clf):
    img = _number([mnist.x_test[0], mnist.x_test[1]], -0.6, seed=0)  # a 7 and a 2, well apart
    inked = np.flatnonzero((img < 128).any(axis=0))
    gap = inked[np.argmax(np.diff(inked))] + np.diff(inked).max() // 2  # half way between the two digits' ink
    dotted, dashed = img.copy(), img.copy()
    cv2.circle(dotted, (int(gap), 114), 5, 35, -1)  # on the baseline (the digits stand on y = 120)
    cv2.line(dashed, (int(gap) - 15, 80), (int(gap) + 15, 80), 35, 6)  # half way up
    for picture, char in ((dotted, "."), (dashed, "-")):
        reading = read_digits(picture, clf)
        assert reading.number == "72" and [s[1] for s in reading.separators] == [char]
        entries = reading.to_json()["digits"]
        assert [e["kind"] for e in entries] == ["digit", "separator", "digit"] and entries[1]["char"] == char
        assert read_digits(picture, clf, keep_separators=True).number == f"7{char}2"


def test_an_equals_sign_after_an_amount_is_a_separator(mnist, clf):
    """ "1500=" as amounts are closed on forms and cheques: the two dashes, one over the other, are one group that was
    read as a doubtful digit kept in the number (a /tmp script of 100 amounts of 3 to 6 digits: 23 read right, 96
    without the sign)."""
    number = _number(list(mnist.x_test[:3]), -0.3, seed=0)  # 7, 2, 1 apart, standing on y = 120
    img = cv2.copyMakeBorder(number, 0, 0, 0, 90, cv2.BORDER_REPLICATE)
    right = number.shape[1] + 10
    for y in (70, 90):
        cv2.line(img, (right, y), (right + 45, y + 2), 35, 5, cv2.LINE_AA)
    reading = read_digits(img, clf)
    assert reading.number == "721" and [s[1] for s in reading.separators] == ["="]
    assert read_digits(img, clf, keep_separators=True).number == "721"  # a closing sign, as a trailing dash is
    # a 5 written in a comb box as two flat strokes, its bar over its bowl (as number_sets.combed drew one): a digit
    bar, bowl = [10, 10, 56, 23, 400, 1], [8, 38, 58, 69, 700, 2]
    assert not layout._equals([bar, bowl], {1: "-", 2: "-"}, 84)
    assert layout._equals([bar, [10, 35, 54, 47, 400, 2]], {1: "-", 2: "-"}, 84)
    # two short pieces left of a turned sheet's ruling, one over the other (lines 18 px apart): no sign
    assert not layout._equals([[100, 20, 103, 22, 6, 1], [101, 38, 104, 40, 6, 2]], {1: "-", 2: "-"}, 55)


def test_a_dollar_sign_before_an_amount_is_no_digit(mnist, clf, monkeypatch):
    """A hand-drawn dollar sign before an amount is read as a sure 5 or 8 as often as not; shaped as a bar through
    an S (`signs.dollar`), it is left out of the number. MNIST's own 5s and 8s are almost never so shaped."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from number_sets import marked

    amounts = [n for n in marked(mnist.x_test, mnist.y_test, 60) if "$" in n.text]
    assert sum(read_digits(n.image, clf, keep_separators=True).number == n.digits for n in amounts) >= 21  # 23 of 30
    fives_and_eights = mnist.x_test[np.isin(mnist.y_test, signs.READ_AS)]
    assert sum(signs.dollar(d) for d in fives_and_eights) <= 5  # 2 of 1,866 here
    monkeypatch.setattr(signs, "READ_AS", ())  # no sign taken out
    assert sum(read_digits(n.image, clf, keep_separators=True).number == n.digits for n in amounts) <= 19  # 17 here


def test_signs_beside_a_number_are_no_digits(mnist, clf, monkeypatch):
    """A hand-drawn plus sign before a phone number is read as a 4, a euro sign beside an amount as a 5 or a 6, a hash
    sign as a 4 or a 7, a degree sign after a temperature as a 0, brackets round an amount as a 1 and a 7, a percent
    sign as "96"; shaped as such (`signs.plus`, `euro`, `hash_sign`, `bracket`, `percent`) or, a degree sign, a small
    raised ring (`reader._degree`), they are left out of the number. MNIST's digits are seldom so shaped, and a 4
    that looks like a plus sign is as high as the digits beside it."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from number_sets import signed

    with_sign = signed(mnist.x_test, mnist.y_test, 80)
    assert (read := sum(read_digits(n.image, clf).number == n.digits for n in with_sign)) >= 72  # 78 of 80 here
    with monkeypatch.context() as cut:
        cut.setattr(reader_module, "_sign_at_an_end", lambda line, group, read: False)  # cut, a hash sign reads "77"
        assert sum(read_digits(n.image, clf).number == n.digits for n in with_sign) <= read - 2  # 75
    assert sum(signs.plus(d) for d in mnist.x_test[mnist.y_test == 4]) <= 15  # 8 of 982
    assert sum(signs.euro(d) + signs.hash_sign(d) + signs.percent(d) for d in mnist.x_test) <= 4  # 1 of 10,000
    for shape in ("plus", "euro", "hash_sign", "percent"):
        monkeypatch.setattr(signs, shape, lambda crop: False)
    monkeypatch.setattr(reader_module, "_degree", lambda *args: False)
    monkeypatch.setattr(reader_module, "_brackets", lambda *args: None)
    assert sum(read_digits(n.image, clf).number == n.digits for n in with_sign) <= read - 40  # 27


def test_keep_separators_on_the_command_line(tmp_path, mnist):
    img = _number([mnist.x_test[0], mnist.x_test[1]], -0.6, seed=0)
    cv2.circle(img, (img.shape[1] // 2, 114), 5, 35, -1)
    path = write_image(tmp_path / "price.png", img)
    plain = CliRunner().invoke(app, ["classify", str(path), "--json"])
    kept = CliRunner().invoke(app, ["classify", str(path), "--json", "--keep-separators"])
    assert plain.exit_code == kept.exit_code == 0
    assert json.loads(plain.stdout)["number"] == "72" and json.loads(kept.stdout)["number"] == "7.2"
    number = json.loads(kept.stdout)["numbers"][0]
    assert number["number"] == "7.2" and 0 < number["confidence"] <= 1


def meter_video(path, mnist, frames: int):
    """A video of "7.2" (a 7, a dot on the baseline, a 2) held still for `frames` frames, as a meter's window."""
    img = _number([mnist.x_test[0], mnist.x_test[1]], -0.6, seed=0)
    cv2.circle(img, (img.shape[1] // 2, 114), 5, 35, -1)
    frame = cv2.cvtColor(img[: img.shape[0] // 2 * 2, : img.shape[1] // 2 * 2], cv2.COLOR_GRAY2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, frame.shape[1::-1])
    for _ in range(frames):
        writer.write(frame)
    writer.release()
    return path


def test_keep_separators_reaches_the_camera(tmp_path, mnist):
    """classify --camera used to leave --keep-separators unused: a meter's "7.2" was reported as "72"."""
    video = meter_video(tmp_path / "meter.avi", mnist, frames=6)
    numbers = {}
    for flags in ([], ["--keep-separators"]):
        result = CliRunner().invoke(app, ["classify", "--camera", str(video), *flags])
        assert result.exit_code == 0, result.stderr
        numbers[bool(flags)] = [json.loads(line)["number"] for line in result.stdout.splitlines()]
    assert numbers == {False: ["72"], True: ["7.2"]}


def test_two_lines_give_two_numbers_top_to_bottom(mnist, clf):
    top = _number([mnist.x_test[0], mnist.x_test[1]], -0.4, seed=1)  # 7 2
    bottom = _number([mnist.x_test[2], mnist.x_test[4]], -0.4, seed=2)  # 1 4
    width = max(top.shape[1], bottom.shape[1])
    page = np.vstack([cv2.copyMakeBorder(t, 0, 0, 0, width - t.shape[1], cv2.BORDER_REPLICATE) for t in (top, bottom)])
    reading = read_digits(page, clf)
    assert reading.numbers == ["72", "14"] and reading.number == "72"
    assert [n["number"] for n in reading.to_json()["numbers"]] == ["72", "14"]


def test_a_cut_follows_the_least_ink_even_when_it_leans():
    blob1, blob2 = np.zeros((30, 90), bool), np.zeros((30, 90), bool)
    for r in range(30):  # two slanting blobs 10 px apart, the gap leaning right by 15 px top to bottom
        blob1[r, : 35 + r // 2] = blob2[r, 45 + r // 2 :] = True
    own = blob1 | blob2
    own[22, 35:65] = True  # joined by a thin bridge: one component
    seams = segment._seams(own, height=30)
    rows = np.arange(30)
    assert seams and all(own[rows, seam].sum() <= 1 for seam in seams)  # through the bridge only
    left = np.arange(90)[None, :] < seams[0][:, None]
    assert (blob1 & ~left).sum() <= 2 and (blob2 & left).sum() <= 2  # blob from blob (but where it crosses)
    assert all(own[:, col].sum() > 2 for col in range(90))  # where no straight cut could go


def test_a_doubtful_piece_never_hides_a_path_of_sure_ones():
    """Three atoms: the best-scoring path runs through a doubtful piece (atoms 1-2 read 0.9), but atoms
    1 and 2 each read sure; the reader takes the all-sure path rather than give up on cutting."""
    atoms = [segment.Atom(10 * i, 0, 10 * i + 10, 30, (i,)) for i in range(3)]
    spans = [(0, 3), (0, 1), (1, 3), (1, 2), (2, 3)]
    cut = segment.Cuts(atoms, spans, candidates=[None] * 5, costs=[3.0, 0.5, 0.5, 0.5, 0.5], connectors=[False] * 3)
    probs = np.full((5, 10), 1e-4)
    for k, p in enumerate([0.2, 0.999, 0.9, 0.98, 0.98]):  # best class 3 at these probabilities
        probs[k, 3] = p
    assert paths.best_path(cut, probs) == [1, 3, 4]
    probs[3, 3] = 0.5  # no sure path left: the group stays whole
    assert paths.best_path(cut, probs) == [0]


def _triples_read(mnist, clf, overlap: float) -> int:
    """How many of 100 seeded three-digit numbers of MNIST test digits, written `overlap` of their width into
    each other, the reader reads exactly."""
    rng, read = np.random.default_rng(5), 0
    for seed in range(100):
        pick = rng.integers(0, len(mnist.y_test), 3)
        truth = "".join(map(str, mnist.y_test[pick]))
        read += read_digits(_number(list(mnist.x_test[pick]), overlap, seed), clf).number == truth
    return read


def test_digits_written_into_each_other_part_along_straight_cuts_where_leaning_ones_fail(mnist, clf, monkeypatch):
    """Three digits written a fifth of their width into each other: where the leaning cuts leave the blob
    whole, it is cut again along straight columns of least ink, and more of the numbers read right."""

    monkeypatch.setattr(segment, "stroke_cuts", lambda *args: None)  # what straight cuts alone add
    both = _triples_read(mnist, clf, 0.2)
    monkeypatch.setattr(segment, "straight_cuts", lambda *args: None)  # leaning cuts only, as before
    assert both >= 62 and both >= _triples_read(mnist, clf, 0.2) + 6  # 68 and 56 of 100 here


def test_digits_written_into_each_other_part_into_strokes_where_cuts_fail(mnist, clf, monkeypatch):
    """Three digits written a third of their width into each other, their strokes crossing: where every cut
    leaves the blob whole, it is cut into its strokes, and more of the numbers read right."""

    stroked = _triples_read(mnist, clf, 0.3)
    monkeypatch.setattr(segment, "stroke_cuts", lambda *args: None)  # cuts only, as before
    assert stroked >= 44 and stroked >= _triples_read(mnist, clf, 0.3) + 8  # 50 and 36 of 100 here


def test_strokes_replace_any_reading_in_a_number_but_only_with_sure_pieces():
    """A stroke lattice's path may replace another lattice's reading with more digits in a number (the leaning
    cuts' low bar merges digits written into each other), never alone, and its pieces must be sure whatever
    bar the others are held to."""
    atoms = [segment.Atom(10 * i, 0, 10 * i + 10, 30, (i,)) for i in range(3)]
    halves = segment.Cuts(atoms[:2], [(0, 2), (0, 1), (1, 2)], [None] * 3, [0.0] * 3, [False] * 2)
    strokes = segment.Cuts(atoms, [(0, 3), (0, 1), (1, 2), (2, 3)], [None] * 4, [0.0] * 4, [False] * 3, "strokes")

    def probs(*best: float) -> np.ndarray:
        p = np.full((len(best), 10), 1e-4)
        p[:, 3] = best
        return p

    doubtful_halves, sure_strokes, doubtful_strokes = (
        probs(0.5, 0.9, 0.8),
        probs(0.5, 0.99, 0.98, 0.99),
        probs(0.5, 0.99, 0.9, 0.99),
    )
    assert paths.best_cut([halves, strokes], [doubtful_halves, sure_strokes], 0.5, number=True) == (1, [1, 2, 3])
    assert paths.best_cut([halves, strokes], [doubtful_halves, sure_strokes], 0.5, number=False) == (0, [1, 2])
    assert paths.best_cut([halves, strokes], [doubtful_halves, doubtful_strokes], 0.5, number=True) == (0, [1, 2])
    # a blob alone that may be digits written into each other: strokes replace its whole reading, unless they read
    # only 1s (a letter's bars)
    whole = segment.Cuts(atoms[:1], [(0, 1)], [None], [0.0], [False])
    assert paths.best_cut([whole, strokes], [probs(0.2), sure_strokes], 0.97, False, alone=True) == (1, [1, 2, 3])
    assert paths.best_cut([whole, strokes], [probs(0.2), sure_strokes], 0.97, False, alone=False) == (0, [0])
    ones = sure_strokes[:, [0, 3, 2, 1, 4, 5, 6, 7, 8, 9]]  # the same, read as 1s (upright bars)
    upright = replace(strokes, candidates=[None] + [preprocess.Digit(_bar(0.0), (0, 0, 28, 28))] * 3)
    assert paths.best_cut([whole, upright], [probs(0.2), ones], 0.97, False, alone=True) == (0, [0])


def _bar(lean: float) -> np.ndarray:
    """A 28x28 bar, its top `lean` px to the left per row down (a 1 leaning back when positive)."""
    image = np.zeros((28, 28), np.uint8)
    cv2.line(image, (round(14 - 10 * lean), 4), (round(14 + 10 * lean), 24), 255, 3)
    return image


def test_a_piece_read_as_a_one_leaning_back_is_a_stroke_joining_digits():
    """Cut pieces read as sure 1s: an upright or forward-leaning one is a 1, one leaning back further than MNIST's
    1s is the stroke a fast hand draws from one digit to the next, never a digit."""
    atoms = [segment.Atom(10 * i, 0, 10 * i + 10, 30, (i,)) for i in range(3)]
    spans = [(0, 3), (0, 1), (1, 2), (2, 3)]
    probs = np.full((4, 10), 1e-4)
    probs[0, 8], probs[1, 3], probs[2, 1], probs[3, 7] = 0.5, 0.99, 0.99, 0.99

    def read(lean: float) -> list[int]:
        middle = preprocess.Digit(_bar(lean), (0, 0, 28, 28))
        return paths.best_path(segment.Cuts(atoms, spans, [None, None, middle, None], [0.0] * 4, [False] * 3), probs)

    assert slant_of(_bar(0.6)) > paths.BACKSLANT_ONE > slant_of(_bar(0.3)) > 0 > slant_of(_bar(-0.6))
    assert read(0.0) == read(0.3) == read(-0.6) == [1, 2, 3]
    assert read(0.6) == [0]  # no path of sure digits without the stroke: the group is read whole


def slant_of(image: np.ndarray) -> float:
    return slant.slant(image)[0]


def test_straight_cuts_replace_a_reading_only_with_as_many_digits_or_in_a_number():
    """A second over-segmentation's better path replaces the first's when it reads as many digits; one that
    reads more replaces a whole reading only in a number (alone, a letter cut along columns gives 1s)."""
    atoms = [segment.Atom(10 * i, 0, 10 * i + 10, 30, (i,)) for i in range(3)]
    halves = segment.Cuts(atoms[:2], [(0, 2), (0, 1), (1, 2)], [None] * 3, [0.0] * 3, [False] * 2)
    thirds = segment.Cuts(atoms, [(0, 3), (0, 1), (1, 2), (2, 3)], [None] * 4, [0.0] * 4, [False] * 3)

    def probs(*best: float) -> np.ndarray:
        p = np.full((len(best), 10), 1e-4)
        p[:, 3] = best
        return p

    doubtful_halves, sure_halves = probs(0.5, 0.5, 0.5), probs(0.5, 0.98, 0.98)
    surer_thirds, surer_halves = probs(0.5, 0.999, 0.999, 0.999), probs(0.5, 0.999, 0.999)
    assert paths.best_cut([halves, thirds], [doubtful_halves, surer_thirds], 0.97, number=True) == (1, [1, 2, 3])
    assert paths.best_cut([halves, thirds], [doubtful_halves, surer_thirds], 0.97, number=False) == (0, [0])
    assert paths.best_cut([halves, thirds], [sure_halves, surer_thirds], 0.97, number=True) == (0, [1, 2])
    assert paths.best_cut([halves, halves], [sure_halves, surer_halves], 0.97, number=False) == (1, [1, 2])


def test_a_straight_cut_is_one_column_of_little_ink():
    """A straight cut goes down one column, through a stroke at most: where a gap between two blobs leans,
    it cuts through ink that a leaning cut goes round."""
    own = np.ones((30, 60), bool)
    own[:, 28] = False  # one blank column but for a stroke across it
    own[10, 28] = True
    assert [seam.tolist() for seam in segment._seams(own, height=30, straight=True)] == [[28] * 30]
    leaning = np.zeros((30, 90), bool)
    for r in range(30):  # two slanting blobs 10 px apart, the gap leaning right by 15 px top to bottom
        leaning[r, : 35 + r // 2] = leaning[r, 45 + r // 2 :] = True
    rows = np.arange(30)
    straight, leant = ([int(leaning[rows, c].sum()) for c in segment._seams(leaning, 30, straight=s)] for s in (1, 0))
    assert min(straight) >= 5 and min(leant) == 0


def test_a_bitmap_is_one_digit_though_its_strokes_stand_apart():
    """A 16x16 bitmap smaller than the model's input holds one digit: an open 4 whose first stroke the coarse
    grid parted from the rest is one group, not "1" and "4". The same drawing at 64 px is two groups, and so
    is a small strip wider than a digit's box."""
    bitmap = np.zeros((16, 16), np.uint8)
    bitmap[1:9, 2:4] = 255  # the 4's first stroke, down from the top
    bitmap[9:11, 6:16] = 255  # its bar, which the stroke does not reach
    bitmap[3:16, 11:13] = 255  # and its stem
    (line,) = layout.lines(preprocess.prepare(bitmap))[1]
    assert len(line.groups) == 1
    large = cv2.resize(bitmap, (64, 64), interpolation=cv2.INTER_NEAREST)
    assert sum(len(line.groups) for line in layout.lines(preprocess.prepare(large))[1]) == 2
    strip = np.zeros((12, 26), np.uint8)  # a small strip wider than a digit's box may hold two: "11"
    strip[1:11, 5:7] = strip[1:11, 18:20] = 255
    assert sum(len(line.groups) for line in layout.lines(preprocess.prepare(strip))[1]) == 2


def test_a_stroke_joining_two_digits_may_be_left_out():
    """Two sure digits joined by a connecting stroke (a low atom between them, doubtful alone and with either
    digit): read as the two digits, the stroke left out; with no connector allowed the group stays whole."""
    atoms = [segment.Atom(0, 0, 20, 30, (1,)), segment.Atom(20, 20, 30, 26, (1,)), segment.Atom(30, 0, 50, 30, (1,))]
    spans = [(0, 3), (0, 1), (1, 2), (2, 3), (0, 2), (1, 3)]
    probs = np.full((6, 10), 1e-4)
    for k, p in enumerate([0.2, 0.99, 0.1, 0.99, 0.5, 0.5]):
        probs[k, 3] = p
    joined = segment.Cuts(atoms, spans, [None] * 6, [3.0] + [0.0] * 5, connectors=[False, True, False])
    assert paths.best_path(joined, probs) == [1, 3]
    assert paths.best_path(replace(joined, connectors=[False] * 3), probs) == [0]


def test_a_group_whose_pieces_are_all_left_out_as_connectors_is_no_digit(mnist, clf, monkeypatch):
    """Where the best path through every group leaves all its pieces out as connectors (a shadow's edge across a
    digit once did), the picture holds no digit: the reader says so instead of failing on an empty batch."""
    pair = _number(list(mnist.x_test[:2]), 0.15, 0)
    assert len(read_digits(pair, clf).digits) == 2
    monkeypatch.setattr(paths, "best_path", lambda cut, probs, sure=paths.CUT_SURE: [])
    reading = read_digits(pair, clf)
    assert reading.digits == [] and len(reading.rejected) == 1


def test_a_detached_head_does_not_count_as_a_column():
    """A 2 whose head is a separate blob above its cut body: the head lies within the body's columns and
    does not use up one of a candidate's MAX_ATOMS, so the whole 2 is still a candidate."""
    head, body = segment.Atom(13, 0, 20, 10, (1,)), segment.Atom(14, 0, 49, 40, (2,))
    tail = [segment.Atom(x, 30, x + 6, 36, (3,)) for x in (49, 55, 61)]
    assert segment._columns([head, body, *tail]) == 4 == segment.MAX_ATOMS
    assert segment._columns([body, body]) == 1 and segment._columns(tail) == 3


def _no_second_look(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in classifiers read pictures by their place in a batch, not by what they show: no shifted copies."""
    monkeypatch.setattr(second_look, "steadied", lambda images, probs, classifier: probs)


class _Scripted:
    """A stand-in classifier that reads the k-th picture of a batch as digit k + 1 with the k-th
    confidence given (the rest spread evenly), so the reader's bar can be tested on exact values."""

    def __init__(self, confidences: list[float]) -> None:
        self.confidences = confidences

    def predict_proba(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        probs = np.empty((len(images), 10))
        for k, c in enumerate(self.confidences[: len(images)]):
            probs[k] = (1 - c) / 9
            probs[k, k + 1] = c
        return probs

    def calibrate(self, probs: np.ndarray) -> np.ndarray:
        return probs


def test_a_doubtful_digit_in_a_number_is_kept_but_not_alone_nor_a_tall_mark_at_its_end(mnist, monkeypatch):
    monkeypatch.setattr(layout, "REJOIN_DOUBT", 0.0)  # the stand-in would read two 1s together as a sure digit
    _no_second_look(monkeypatch)
    ones = list(mnist.x_test[mnist.y_test == 1][:3])  # narrow: read whole, never cut
    three = _number(ones, -0.6, seed=0)  # well apart
    assert read_digits(three, _Scripted([0.99, 0.25, 0.99])).number == "123"  # 0.25 >= half the 0.35 bar
    assert read_digits(three, _Scripted([0.99, 0.1, 0.99])).number == "13"  # too doubtful even in a number
    assert read_digits(three, _Scripted([0.99, 0.25, 0.2])).number == "1"  # one sure digit is not a number
    assert read_digits(three, _Scripted([0.25, 0.99, 0.99])).number == "123"  # at an end, as high as the rest
    assert read_digits(three, _Scripted([0.99, 0.99, 0.25])).number == "123"
    strokes = np.zeros((200, 300), np.uint8)
    for x, top in ((60, 30), (140, 62), (220, 62)):  # a mark as tall as a dollar sign, then two 1s
        cv2.line(strokes, (x, top), (x, 142), 255, 8)
    assert read_digits(255 - strokes, _Scripted([0.25, 0.99, 0.99])).number == "23"  # a sign, not a digit
    assert read_digits(255 - strokes, _Scripted([0.45, 0.99, 0.99])).number == "23"  # above the bar, not 1.5x it
    assert read_digits(255 - strokes, _Scripted([0.6, 0.99, 0.99])).number == "123"  # sure enough, a digit
    high = read_digits(255 - strokes, _Scripted([0.92, 0.99, 0.99]), min_confidence=0.8)
    assert high.number == "123"  # a high bar asks half way to certainty of it, not 1.5 times the bar
    assert read_digits(_number(ones[:1], 0, seed=1), _Scripted([0.25])).number is None


def test_a_printed_word_before_a_number_is_no_part_of_it(mnist, clf, monkeypatch):
    """A form's label printed before a handwritten number ("Total:", "No.", "EUR") or above it: its letters are lower
    than the digits and read as digits (an o as a sure 0, an l as a 1). Marks from the line's left end lower than
    LABEL_HEIGHT of the median of the digits after them are left out, where a digit or more is left; a low
    mark inside the number or after it (cents written small) is kept; a line of such marks above is no number."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from number_sets import labelled

    words = labelled(mnist.x_test, mnist.y_test, 40, seed=11)
    assert sum(read_digits(n.image, clf).number == n.digits for n in words) >= 34  # 29 before
    _no_second_look(monkeypatch)
    monkeypatch.setattr(layout, "REJOIN_DOUBT", 0.0)
    strokes = np.zeros((200, 400), np.uint8)
    for x, top in ((40, 100), (90, 100), (160, 40), (240, 40), (320, 100)):  # two low marks, two digits, a low one
        cv2.line(strokes, (x, top), (x, 160), 255, 8)
    assert read_digits(255 - strokes, _Scripted([0.99] * 5)).number == "345"  # the label left out, the cents kept
    two = strokes.copy()
    two[:, 200:] = 0  # one digit after the low marks: a label before a single digit, as a form's "Qty 3"
    assert read_digits(255 - two, _Scripted([0.99] * 3)).number == "3"
    caption = np.zeros((300, 300), np.uint8)
    for x in (30, 60, 90):  # a word printed above the field: a line of low marks
        cv2.line(caption, (x, 20), (x, 60), 255, 6)
    for x in (60, 140):  # two digits written in it, three times as high
        cv2.line(caption, (x, 120), (x, 240), 255, 8)
    assert read_digits(255 - caption, _Scripted([0.99] * 5)).numbers == ["45"]


def test_a_printed_word_before_one_digit_is_no_part_of_it(mnist, clf, monkeypatch):
    """A form's field holds one digit as often as a number ("Qty 3"): the printed word's letters before it, read as
    digits (an o as a 0, an l as a 1), are a label with one sure digit after them (`reader.LABEL_AFTER`)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from field_sets import _big, _on_paper

    words = ("Qty", "No.", "Total:", "Age", "Box", "Ref.", "Day", "Nr")
    pictures = []
    for i in range(60):  # the word's capitals 0.3-0.5 of the digit's 96 px box, 20 px before it
        rng = np.random.default_rng(i)
        scale = 96 * rng.uniform(0.3, 0.5) / cv2.getTextSize("H", cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1)[0][1]
        thick = max(1, round(scale * 1.5))
        width = cv2.getTextSize(words[i % len(words)], cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0]
        printed = np.zeros((156, width + 196), np.uint8)
        cv2.putText(printed, words[i % len(words)], (20, 122), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thick, cv2.LINE_AA)
        canvas = printed.astype(np.float32) / 255
        np.maximum(
            canvas[30:126, width + 50 : width + 146],
            _big(mnist.x_test[i], 96),
            out=canvas[30:126, width + 50 : width + 146],
        )
        pictures.append(_on_paper(canvas, rng))
    read = lambda: sum(read_digits(p, clf).number == str(y) for p, y in zip(pictures, mnist.y_test))  # noqa: E731
    assert read() >= 50  # 54 of 60 here
    monkeypatch.setattr(reader_module, "LABEL_AFTER", 2)
    assert read() <= 45  # 39 here


def test_only_a_doubtful_wide_blob_is_cut_through_several_strokes():
    """Three rings written into each other (0s overlapping): no cut crosses a single stroke, so the blob
    stays one atom while the model reads it whole with confidence; read doubtfully, it is cut deeper."""
    mask = np.zeros((40, 100), np.uint8)
    for cx in (20, 46, 72):
        cv2.circle(mask, (cx, 20), 14, 255, 3)
    _, labels = cv2.connectedComponents(mask)
    ys, xs = np.nonzero(mask)
    comp = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1, len(xs), 1]
    height = comp[3] - comp[1]
    assert len(segment._atoms(mask, labels, comp, height, whole_prob=0.9)) == 1
    assert len(segment._atoms(mask, labels, comp, height, whole_prob=layout.DEEP_DOUBT / 2)) >= 3


class _PerBatch:
    """A stand-in classifier: the n-th call reads its pictures with the n-th list's confidences (the last
    list repeated), each picture as a different digit."""

    def __init__(self, *batches: list[float]) -> None:
        self.batches, self.calls = batches, 0

    def predict_proba(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        confs = self.batches[min(self.calls, len(self.batches) - 1)]
        self.calls += 1
        probs = np.empty((len(images), 10))
        for k in range(len(images)):
            c = confs[min(k, len(confs) - 1)]
            probs[k] = (1 - c) / 9
            probs[k, k % 9 + 1] = c
        return probs

    def calibrate(self, probs: np.ndarray) -> np.ndarray:
        return probs


def test_two_groups_close_together_are_one_digit_when_the_model_reads_them_so(monkeypatch):
    """A doubtful group beside a sure one, close and narrow enough together to be one digit whose stroke broke,
    is one digit when the model reads the two together surely and surer than both apart; not otherwise, and
    two sure digits or two groups standing apart are never scored together."""
    _no_second_look(monkeypatch)
    ink = np.zeros((160, 240), np.uint8)
    cv2.line(ink, (90, 40), (70, 110), 255, 5)  # a stroke, and another 0.15 of the line's height right of it
    cv2.line(ink, (100, 40), (100, 120), 255, 5)
    close = 255 - ink
    assert len(read_digits(close, _PerBatch([0.5, 0.99], [0.95])).digits) == 1
    assert len(read_digits(close, _PerBatch([0.5, 0.99], [0.6])).digits) == 2  # together no sure digit
    sure = _PerBatch([0.95, 0.99], [0.99])
    assert len(read_digits(close, sure).digits) == 2 and sure.calls == 1  # no doubt: nothing scored together
    far = np.zeros_like(ink)
    cv2.line(far, (90, 40), (70, 110), 255, 5)
    cv2.line(far, (150, 40), (150, 120), 255, 5)  # the second stroke 0.6 of the line's height further right
    apart = _PerBatch([0.5, 0.99], [0.95])
    assert len(read_digits(255 - far, apart).digits) == 2 and apart.calls == 1


def test_a_four_whose_bar_broke_short_of_its_stem_is_a_four(clf, monkeypatch):
    """A fine pen's 4 photographed with its bar broken short of its stem: two groups, the stem a sure 1 and the
    rest no digit, read together as the 4."""
    sheet = paper(240, 240, 1)
    ink = np.zeros((240, 240), np.uint8)
    cv2.line(ink, (110, 50), (70, 140), 255, 3)  # the slanted stroke
    cv2.line(ink, (70, 140), (128, 140), 255, 3)  # the bar, 12 px short of the stem
    cv2.line(ink, (140, 60), (140, 190), 255, 3)  # the stem
    picture = np.clip(sheet * (1 - ink / 255) + 35 * ink / 255, 0, 255).astype(np.uint8)
    assert read_digits(picture, clf).digits == [4]
    monkeypatch.setattr(layout, "REJOIN_SURE", 1.1)  # never read together
    assert read_digits(picture, clf).digits == [1]


def test_a_blob_of_digits_beside_a_sure_digit_is_read_along_its_best_fair_cut(monkeypatch):
    """Overlapping rings the model cannot read whole (0.12) and cuts only into fairly sure pieces (0.6):
    beside a sure digit on the line they are read as digits; alone they are read so only when wider than any
    one digit (a number written fast, its digits joined), not when one digit wide (a letter, a scribble)."""
    _no_second_look(monkeypatch)
    ink = np.zeros((80, 200), np.uint8)
    for cx in (80, 106, 132):
        cv2.circle(ink, (cx, 40), 14, 255, 3)
    alone = 255 - ink
    cv2.line(ink, (30, 26), (30, 54), 255, 7)  # a bold 1 standing apart on the same line
    beside = 255 - ink
    reading = read_digits(beside, _PerBatch([0.99, 0.12], [0.6]))
    assert len(reading.digits) >= 3 and reading.digits[0] == 1  # the 1, then the blob's pieces
    assert len(read_digits(alone, _PerBatch([0.12], [0.6])).digits) >= 3  # 2.6 line heights wide
    narrow = np.zeros((80, 200), np.uint8)
    for cx in (80, 94):
        cv2.circle(narrow, (cx, 40), 14, 255, 3)  # 1.3 line heights wide: below layout.MAX_WIDTH
    assert read_digits(255 - narrow, _PerBatch([0.12], [0.6])).digits == []


def test_a_number_written_fast_is_read_though_its_digits_are_joined(mnist, clf, monkeypatch):
    """Digits joined by the pen's stroke from one to the next make one blob wider than any digit: it is read
    along its best fair cut rather than whole, as no digit."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as the scripts run
    from number_sets import joined

    fast = joined(mnist.x_test, mnist.y_test, 200)
    exact = sum(read_digits(n.image, clf).number == n.digits for n in fast)
    monkeypatch.setattr(layout.Line, "too_wide", lambda self, group: False)  # read whole as before
    before = sum(read_digits(n.image, clf).number == n.digits for n in fast)
    assert exact >= before + 5 and exact >= 100  # 109 and 102 of 200 here
