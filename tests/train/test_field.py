"""Digits as people outside MNIST write and crop them: tight crops, strokes in pieces, European 1s,
non-digits; the training mix that teaches them; and a user's own digits, collected and trained on."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.field_sets import MNIST_SCENES
from edgedigit.cli import app
from edgedigit.runtime import preprocess
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.preprocess import find_digits
from edgedigit.runtime.reader import read_digits
from tests.conftest import USPS

runner = CliRunner()


@pytest.fixture(scope="module")
def clf():
    return Classifier()  # the bundled int8 model


def _strokes(strokes: list[list[tuple[float, float]]], size: int = 120, width: int = 8) -> np.ndarray:
    """Polylines in a unit box drawn dark on white paper with a margin."""
    img = np.full((int(size * 1.5), int(size * 1.5)), 235, np.uint8)
    off = size // 4
    for stroke in strokes:
        pts = np.int32([(off + x * size * 0.7, off + y * size) for x, y in stroke])
        cv2.polylines(img, [pts], False, 25, width, cv2.LINE_AA)
    return img


def _three_crops(d28: np.ndarray) -> list[np.ndarray]:
    """The same digit as a tight dark-on-white 64 px crop, that crop with a white margin, and native."""
    ys, xs = np.nonzero(d28 > 40)
    tight = 255 - cv2.resize(d28[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], (64, 64))
    return [tight, cv2.copyMakeBorder(tight, 6, 6, 6, 6, cv2.BORDER_CONSTANT, value=255), d28]


def test_tight_margin_and_native_crops_read_alike(mnist, clf):
    """Of 200 MNIST test digits, 95% give the same, right reading at all three crops. The tight crop stretches
    a digit to fill 64x64, and the bundled models of sessions 11 and 13 misread 3.5-4.5% of them at one crop
    or another (191-193 alike). The field benchmark holds USPS's three crops within 0.5 pp of each other."""
    idx = np.random.default_rng(3).choice(len(mnist.y_test), 200, replace=False)
    same = right = 0
    for d, y in zip(mnist.x_test[idx], mnist.y_test[idx]):
        readings = [read_digits(c, clf).digits for c in _three_crops(d)]
        same += readings[0] == readings[1] == readings[2]
        right += all(r == [int(y)] for r in readings)
    assert same >= 190 and right >= 189, (same, right)


@pytest.mark.skipif(not USPS.exists(), reason=f"USPS digits not found at {USPS} (shared data of the project)")
def test_usps_digits_touching_the_frame_are_not_cut():
    """A tight crop's ink touches the frame; it must still be one digit (it was read as "11" for a 0)."""
    x = np.load(USPS)["x"][:300]
    several = sum(len(find_digits(255 - cv2.resize(d, (64, 64), interpolation=cv2.INTER_CUBIC))) != 1 for d in x)
    assert several <= 1


@pytest.mark.skipif(not USPS.exists(), reason=f"USPS digits not found at {USPS} (shared data of the project)")
def test_a_tight_crop_its_margin_and_the_native_bitmap_read_alike():
    """A crop's strokes are not bridged, whatever its size: a 64 px tight crop, padded to 96 px, was bridged
    3 px wide (closing a 5's gap to its bar) while the same crop with a 4 px margin was not. A 16 px bitmap
    is enlarged before it is read: at its own size thresholds and stroke widths broke its strokes."""
    x, y = np.load(USPS)["x"][:1500], np.load(USPS)["y"][:1500].astype(int)
    tight = [255 - cv2.resize(d, (64, 64), interpolation=cv2.INTER_CUBIC) for d in x]
    margin = [cv2.copyMakeBorder(t, *[4] * 4, cv2.BORDER_CONSTANT, value=255) for t in tight]
    clf = Classifier()
    read_tight, read_margin, read_native = ([read_digits(c, clf).digits for c in crops] for crops in (tight, margin, x))
    assert sum(a == b for a, b in zip(read_tight, read_margin)) >= 1495  # 1497 here, 1489 before
    assert sum(a == [b] for a, b in zip(read_tight, y)) >= 1484  # 1487 here, 1478 before
    # the native 16 px bitmap is enlarged before it is read, as the tight crop was by whoever cut it
    assert sum(a == b for a, b in zip(read_tight, read_native)) >= 1498  # 1500 here, 1492 before
    assert sum(a == [b] for a, b in zip(read_native, y)) >= 1486  # 1487 here, 1484 before


def test_a_tight_crop_is_told_from_a_photo():
    digit = _strokes([[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)]])  # a 7
    ys, xs = np.nonzero(digit < 128)
    tight = preprocess._tight_crop
    assert tight(preprocess._bright_side(digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]))
    assert not tight(preprocess._bright_side(digit))  # with its margin
    lined = digit.copy()
    for y in range(10, lined.shape[0], 25):
        cv2.line(lined, (0, y), (lined.shape[1], y), 120, 2)
    assert not tight(preprocess._bright_side(lined))  # ruling crosses the sides many times


def test_a_bold_digit_filling_its_crop_is_still_a_digit(mnist, clf):
    """Ink that covers most of a crop (a marker or a thick pen, cut out with a hair of paper round it) is
    the digit, not the paper: taken for a photo, whose paper is what covers most of it, it was inverted.
    The field benchmark's "thick pen (tight)" scene, 60 digits."""
    rng = np.random.default_rng(5)
    idx = rng.choice(len(mnist.y_test), 60, replace=False)
    bold = [MNIST_SCENES["thick pen (tight)"](d, rng) for d in mnist.x_test[idx]]
    right = sum(read_digits(b, clf).digits == [int(y)] for b, y in zip(bold, mnist.y_test[idx]))
    assert right >= 50, right  # 53 here, 41 before


def test_a_bold_digit_covering_nearly_half_its_crop_is_read_as_a_crop(mnist, clf, monkeypatch):
    """Ink covering 40-50% of a crop cut with a hair of paper round it: read as a photo, whose paper is the
    picture's median, the median falls in or next to the ink and the polarity can turn. Such pictures are
    crops (BOLD_INK 0.4), and all but one of 60 read right; with the bar at half, fewer do."""
    from edgedigit.runtime import preprocess

    rng = np.random.default_rng(0)
    band, labels = [], []
    for i in rng.choice(len(mnist.y_test), 400, replace=False):
        picture = MNIST_SCENES["thick pen (tight)"](mnist.x_test[i], rng)
        if 0.4 < 1 - preprocess._bright_side(picture).mean() <= 0.5 and len(band) < 60:
            band.append(picture)
            labels.append([int(mnist.y_test[i])])
    assert len(band) == 60 and all(preprocess._a_crop(p, preprocess._bright_side(p)) for p in band)
    right = sum(read_digits(p, clf).digits == y for p, y in zip(band, labels))
    monkeypatch.setattr(preprocess, "BOLD_INK", 0.5)
    assert right >= 59 and sum(read_digits(p, clf).digits == y for p, y in zip(band, labels)) < right, right


def test_a_bold_white_digit_filling_a_dark_crop_is_still_a_digit(mnist, clf):
    """The same crops in white on black (chalk, a marker on a dark label): a 2, 3 or 5 has no dark loop inside
    it, which tells it from a sheet on a dark desk, and is read as a crop. (A bold white 0, 6, 8 or 9 is
    still taken for a sheet of paper: its loop is dark ink inside bright.)"""
    rng = np.random.default_rng(5)
    idx = [i for i in rng.choice(len(mnist.y_test), 2000, replace=False) if mnist.y_test[i] in (2, 3, 5)][:40]
    crops = [255 - MNIST_SCENES["thick pen (tight)"](mnist.x_test[i], rng) for i in idx]
    right = sum(read_digits(c, clf).digits == [int(mnist.y_test[i])] for c, i in zip(crops, idx))
    assert right >= 33, right  # 35 here, 27 before


def test_faint_ink_under_a_lighting_gradient_is_dark_ink(mnist, clf):
    """Grey pencil (115) on grey paper lit from one corner (150 falling to 120): the paper's bright corner
    strays as far above the median as the ink below it, and the ink used to be taken for the bright side."""
    rng = np.random.default_rng(5)
    idx = rng.choice(len(mnist.y_test), 40, replace=False)
    yy, xx = np.mgrid[0:120, 0:120].astype(np.float32)
    right = 0
    for d, y in zip(mnist.x_test[idx], mnist.y_test[idx]):
        ink = cv2.resize(d, (120, 120), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
        sheet = 150 - 15 * (xx + yy) / 120 + rng.normal(0, 3, ink.shape)
        right += read_digits(np.clip(sheet * (1 - ink) + 115 * ink, 0, 255).astype(np.uint8), clf).digits == [int(y)]
    assert right >= 20, right  # 25 of 40 here; none before


@pytest.mark.parametrize(
    ("label", "strokes"),
    [
        (4, [[(0.2, 0.0), (0.1, 0.6), (0.9, 0.6)], [(0.7, 0.15), (0.7, 1.0)]]),  # open 4 in two strokes
        (
            5,
            [
                [(0.25, 0.08), (0.2, 0.45), (0.6, 0.4), (0.85, 0.6), (0.8, 0.9), (0.5, 1.0), (0.15, 0.9)],
                [(0.3, 0.0), (0.9, 0.0)],
            ],
        ),  # a 5 whose bar is a separate stroke  # fmt: skip
    ],
)
def test_a_digit_in_separate_strokes_is_one_digit(clf, label, strokes):
    img = _strokes(strokes)
    assert len(find_digits(img)) == 1
    assert read_digits(img, clf).digits == [label]


@pytest.mark.parametrize("foot", [False, True])
def test_a_flagged_one_reads_as_one(clf, foot):
    strokes = [[(0.2, 0.3), (0.6, 0.0), (0.6, 1.0)]] + ([[(0.3, 1.0), (0.9, 1.0)]] if foot else [])
    assert read_digits(_strokes(strokes), clf).digits == [1]


def test_non_digits_give_no_digit(clf):
    rng = np.random.default_rng(5)
    pictures = [np.full((100, 100), 230, np.uint8)]  # blank paper
    for letter in "KMWXHRk":
        img = np.full((120, 120), 230, np.uint8)
        cv2.putText(img, letter, (25, 90), cv2.FONT_HERSHEY_DUPLEX, 3, 20, 6, cv2.LINE_AA)
        pictures.append(img)
    for _ in range(4):  # a scribble of many random strokes
        img = np.full((120, 120), 230, np.uint8)
        cv2.polylines(img, [np.int32(rng.uniform(15, 105, (12, 2)))], False, 20, 4, cv2.LINE_AA)
        pictures.append(img)
    accepted = [i for i, p in enumerate(pictures) if read_digits(p, clf).digits]
    assert pictures and len(accepted) <= 2, accepted
    reading = read_digits(pictures[1], clf)  # a K: the ink is reported, as not a digit
    if not reading.digits:
        assert reading.to_json()["digit"] is None and reading.to_json()["not_digits"]


def test_a_stricter_confidence_bar_rejects_more(clf, mnist):
    images = list(mnist.x_test[:200])
    kept = [sum(bool(read_digits(d, clf, min_confidence=t).digits) for d in images) for t in (0.0, 0.5, 0.999, 1.0)]
    assert kept[0] == 200 and kept == sorted(kept, reverse=True) and kept[2] < kept[1]


def test_non_digits_are_trained_towards_a_uniform_target():
    import tensorflow as tf

    from edgedigit.train.fit import _target

    t = _target(tf.constant([3, -1], tf.int64)).numpy()
    assert t[0].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert np.allclose(t[1], 0.1)


def test_the_training_mix_is_what_the_device_would_see(mnist):
    from edgedigit.train import field_mix, synth
    from edgedigit.train.data import split_train_val

    split = split_train_val(mnist, 0.1, seed=0, limit=1000)
    mixed, counts = field_mix.mix(split, 0, fonts=0.1, flag_ones=0.5, non_digits=0.1)
    n = counts["mnist"]
    assert counts["fonts_found"] >= 3  # matplotlib's DejaVu fonts at least
    assert 0.8 * 0.1 * n <= counts["font_digits"] <= 0.1 * n + 1 and counts["non_digits"] == int(0.1 * n)
    assert len(mixed.y_train) == n + counts["font_digits"] + counts["flagged_ones"] + counts["non_digits"]
    assert (mixed.y_train == field_mix.NOT_A_DIGIT).sum() == counts["non_digits"]
    assert mixed.x_val is split.x_val  # validation stays MNIST
    added = mixed.x_train[n:]
    # every picture went through find_digits: 28x28 with the ink's mass centred, as the device makes them
    for img in added[:: max(1, len(added) // 50)]:
        if img.any():
            m = cv2.moments(img.astype(np.float32))
            assert abs(m["m10"] / m["m00"] - 14) < 1.5 and abs(m["m01"] / m["m00"] - 14) < 1.5
    ones = split.x_train[split.y_train == 1][:20]
    flagged = synth.flagged_ones(ones, np.random.default_rng(0))
    # the flag goes down to the left from the top: more ink in the upper left than the plain 1s have
    assert flagged[:, 4:12, 4:13].mean() > 1.5 * ones[:, 4:12, 4:13].mean()


def test_flagged_ones_are_also_stretched_to_fill_a_bitmap(mnist):
    """--box-fill covers the styles MNIST lacks: flagged 1s go in stretched to fill their box as well, labelled 1,
    as wide as they are tall once the device has read them (a flag as wide as a 7's bar)."""
    from edgedigit.train import field_mix
    from edgedigit.train.data import split_train_val

    split = split_train_val(mnist, 0.1, seed=0, limit=1000)
    mixed, counts = field_mix.mix(split, 0, fonts=0, flag_ones=1.0, non_digits=0, box_fill=0.5)
    styles = counts["box_filled_styles"]
    assert 0.8 * counts["flagged_ones"] < styles <= counts["flagged_ones"]  # STYLE_FILL x 0.5, at most all
    assert len(mixed.y_train) == counts["mnist"] + counts["flagged_ones"] + counts["box_filled"] + styles
    assert (mixed.y_train[-styles:] == 1).all()

    def width(images: np.ndarray) -> float:
        return float(np.mean([np.ptp(np.nonzero(im.max(axis=0) > 60)[0]) for im in images]))

    start = counts["mnist"]
    flagged = mixed.x_train[start : start + counts["flagged_ones"]]
    assert width(mixed.x_train[-styles:]) > 16 > width(flagged)


def test_closed_fours_close_the_top_of_open_fours_and_join_the_mix_on_their_own_stream(mnist):
    """--closed-fours: MNIST 4s, nearly all open at the top, come out with a loop at the top (one hole) when
    their bar reaches past the stem; labelled 4 in the mix, and with 0 the mix is the one earlier runs had."""
    from edgedigit.runtime import grouping
    from edgedigit.train import field_mix, synth
    from edgedigit.train.data import split_train_val

    fours = mnist.x_train[mnist.y_train == 4][:300]
    closed = synth.closed_fours(fours, np.random.default_rng(0))
    assert 0.1 * len(fours) < len(closed) < 0.6 * len(fours)  # only those whose bar reaches past the stem

    def looped(images: np.ndarray) -> float:
        return float(np.mean([grouping.holes(im > 100) >= 1 for im in images]))

    assert looped(closed) > 0.8 > 0.3 > looped(fours)
    split = split_train_val(mnist, 0.1, seed=0, limit=1000)
    plain, _ = field_mix.mix(split, 0, fonts=0, flag_ones=0, non_digits=0, box_fill=0.5)
    mixed, counts = field_mix.mix(split, 0, fonts=0, flag_ones=0, non_digits=0, box_fill=0.5, closed_fours=1.0)
    added = counts["closed_fours"] + counts["box_filled_closed_fours"]
    assert counts["closed_fours"] > 0.1 * (split.y_train == 4).sum() and counts["box_filled_closed_fours"] > 0
    assert np.array_equal(mixed.x_train[: len(plain.y_train)], plain.x_train)  # the rest of the mix as it was
    assert len(mixed.y_train) == len(plain.y_train) + added and (mixed.y_train[-added:] == 4).all()


def test_touching_pairs_are_two_digits_read_as_one_group_and_trained_as_no_digit(mnist):
    """--touching-pairs: two MNIST digits written into each other come out as one 28x28 input (the device reads
    them as one group), wider for their height than single digits are, labelled as no digit, on their own
    random stream (with 0 the mix is the one earlier runs had)."""
    from edgedigit.train import field_mix, pieces
    from edgedigit.train.data import split_train_val

    pairs = pieces.touching_pairs(100, mnist.x_train[:1000], np.random.default_rng(0))
    assert len(pairs) == 100 and pairs.shape[1:] == (28, 28)

    def aspect(images: np.ndarray) -> float:
        boxes = [cv2.boundingRect(np.uint8(im > 60)) for im in images]
        return float(np.median([w / h for _, _, w, h in boxes]))

    assert aspect(pairs) > 1.5 * aspect(mnist.x_test[:300])  # the pair is wider than high, a digit is not
    split = split_train_val(mnist, 0.1, seed=0, limit=1000)
    plain, _ = field_mix.mix(split, 0, fonts=0, flag_ones=0, non_digits=0)
    mixed, counts = field_mix.mix(split, 0, fonts=0, flag_ones=0, non_digits=0, touching_pairs=0.1)
    assert counts["touching_pairs"] == int(0.1 * counts["mnist"])
    assert np.array_equal(mixed.x_train[: len(plain.y_train)], plain.x_train)
    assert (mixed.y_train[len(plain.y_train) :] == field_mix.NOT_A_DIGIT).all()


def test_written_digits_are_mnist_digits_as_the_device_reads_them_off_paper(mnist, small_model_path):
    """--written: MNIST training digits put on paper (pens, light, crops, JPEG) and read back by find_digits keep
    their labels, come out in MNIST form, differ from the MNIST frames they came from, and join the mix."""
    from edgedigit.train import field_mix, synth
    from edgedigit.train.data import split_train_val

    x, y = mnist.x_train[:300], mnist.y_train[:300]
    on_paper, labels = synth.written(x, y, np.random.default_rng(0))
    assert len(labels) >= 0.9 * len(y) and set(labels.tolist()) == set(range(10))
    assert on_paper.shape[1:] == (28, 28) and (on_paper.max(axis=(1, 2)) == 255).all()
    assert not {im.tobytes() for im in on_paper} & {im.tobytes() for im in x}  # not the MNIST frames as they were
    import keras

    model = keras.models.load_model(small_model_path)  # a trained model still reads them: the labels are theirs
    assert (model.predict(on_paper, verbose=0).argmax(axis=1) == labels).mean() > 0.8
    split = split_train_val(mnist, 0.1, seed=0, limit=1000)
    mixed, counts = field_mix.mix(split, 0, fonts=0, flag_ones=0, non_digits=0, box_fill=0, written=0.4)
    assert 0.3 * counts["mnist"] < counts["written"] <= 0.5 * counts["mnist"]
    assert len(mixed.y_train) == counts["mnist"] + counts["written"]


@pytest.fixture(scope="module")
def collected(tmp_path_factory, mnist):
    """Six of "my" digits collected from picture files with `edgedigit collect`."""
    folder = tmp_path_factory.mktemp("collect")
    pictures = folder / "pictures"
    pictures.mkdir()
    paths = []
    for i, d in enumerate(mnist.x_test[:6]):
        paths.append(pictures / f"mine{i}.png")
        cv2.imwrite(str(paths[-1]), 255 - cv2.resize(d, (84, 84)))
    out = folder / "digits"
    for p, y in zip(paths, mnist.y_test[:6]):
        result = runner.invoke(app, ["collect", str(p), "--label", str(int(y)), "--out", str(out)])
        assert result.exit_code == 0, result.output
    return out, paths


def test_collect_saves_model_inputs_with_their_sources(collected, mnist):
    out, paths = collected
    index = [json.loads(line) for line in (out / "collected.jsonl").read_text().splitlines()]
    assert [e["label"] for e in index] == [int(y) for y in mnist.y_test[:6]]
    for entry, src in zip(index, paths):
        img = cv2.imread(str(out / entry["file"]), cv2.IMREAD_UNCHANGED)
        assert img.shape == (28, 28) and img.dtype == np.uint8
        assert np.array_equal(img, find_digits(cv2.imread(str(src), cv2.IMREAD_UNCHANGED))[0].image)
        assert (out / entry["source"]).read_bytes() == src.read_bytes()


def test_collect_refuses_a_label_that_does_not_match(collected):
    out, paths = collected
    before = sorted(p.name for p in out.rglob("*"))
    result = runner.invoke(app, ["collect", str(paths[0]), "--label", "12", "--out", str(out)])
    assert result.exit_code == 1 and "found 1 digit(s) but --label gives 2" in result.output
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing saved, nothing lost
    result = runner.invoke(app, ["collect", str(paths[0]), "--label", "x", "--out", str(out)])
    assert result.exit_code == 2 and "--label" in result.output


def test_collect_takes_a_folder_of_one_digit(tmp_path, mnist):
    sevens = np.flatnonzero(mnist.y_test == 7)[:3]
    folder = tmp_path / "my-sevens"
    folder.mkdir()
    for name, i in zip(("c.png", "a.png", "b.jpg"), sevens):
        cv2.imwrite(str(folder / name), 255 - cv2.resize(mnist.x_test[i], (84, 84)))
    (folder / "readme.txt").write_text("not a picture")
    result = runner.invoke(app, ["collect", str(folder), "--label", "7", "--out", str(tmp_path / "digits")])
    assert result.exit_code == 0, result.output
    index = [json.loads(line) for line in (tmp_path / "digits" / "collected.jsonl").read_text().splitlines()]
    assert [e["label"] for e in index] == [7, 7, 7]
    sources = [(tmp_path / "digits" / e["source"]).read_bytes() for e in index]
    assert sources == [(folder / name).read_bytes() for name in ("a.png", "b.jpg", "c.png")]  # in name order


def test_collect_keeps_a_picture_from_standard_input_as_its_source(tmp_path, mnist):
    picture = cv2.imencode(".jpg", 255 - cv2.resize(mnist.x_test[0], (84, 84)))[1].tobytes()  # a 7
    result = runner.invoke(app, ["collect", "-", "--label", "7", "--out", str(tmp_path)], input=picture)
    assert result.exit_code == 0, result.output
    (entry,) = [json.loads(line) for line in (tmp_path / "collected.jsonl").read_text().splitlines()]
    assert entry["label"] == 7 and entry["source"].endswith(".jpg")
    assert (tmp_path / entry["source"]).read_bytes() == picture  # the bytes read once, kept whole


def test_collect_into_a_place_that_is_no_folder_is_one_line(tmp_path, collected):
    _, paths = collected
    (tmp_path / "a-file").write_text("not a folder")
    result = runner.invoke(app, ["collect", str(paths[0]), "--label", "7", "--out", str(tmp_path / "a-file")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().startswith(f"edgedigit: error: {tmp_path / 'a-file'}")


def test_collected_digits_train_and_finetune(collected, tmp_path, mnist_path):
    out, _ = collected
    runs = tmp_path / "runs"
    common = ["--data", str(mnist_path), "--runs-dir", str(runs), "--limit", "1000", "--epochs", "1", "--seed", "2"]
    # the first trial, 445-358-518-16 with a 16-unit bottleneck, needs a few epochs on 900 images to read digits
    result = runner.invoke(app, ["train", "--run", "mine", "--trials", "1", "--final-epochs", "8",
                                 "--extra", str(out), "--extra-repeat", "5", *common])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((runs / "mine" / "summary.json").read_text())
    mix = summary["training_mix"]
    assert summary["options"]["extra"] == str(out) and summary["options"]["extra_repeat"] == 5
    assert mix["extra_digits"] == 6 and mix["extra_repeat"] == 5
    assert set(mix["extra_accuracy"]) == {"before_bundled", "after"}
    assert (runs / "mine" / "field_samples.png").stat().st_size > 0

    result = runner.invoke(app, ["train", "--run", "tuned", "--finetune", str(runs / "mine"), "--extra", str(out),
                                 *common])  # fmt: skip
    assert result.exit_code == 0, result.output
    tuned = json.loads((runs / "tuned" / "summary.json").read_text())
    assert tuned["options"]["finetune"] == str(runs / "mine")
    assert tuned["best_config"]["hidden"] == summary["best_config"]["hidden"]
    assert tuned["best_config"]["learning_rate"] == pytest.approx(summary["best_config"]["learning_rate"] * 0.1)
    acc = tuned["training_mix"]["extra_accuracy"]
    assert 0 <= acc["before"] <= 1 and 0 <= acc["after"] <= 1 and tuned["training_mix"]["extra_digits"] == 6
    assert 0.5 < tuned["test_accuracy"] <= 1.0


def test_finetune_without_digits_carries_a_run_over_to_the_training_mix(collected, tmp_path, mnist_path):
    """--finetune without --extra: a few epochs of the run's model on the current mix (how the bundled model
    took --written); every share is applied and recorded, and no accuracy on digits that were not given."""
    runs = tmp_path / "runs"
    common = ["--data", str(mnist_path), "--runs-dir", str(runs), "--limit", "1000", "--epochs", "1", "--seed", "2"]
    # the first trial, 445-358-518-16 with a 16-unit bottleneck, needs a few epochs on 900 images to read digits
    result = runner.invoke(app, ["train", "--run", "base", "--trials", "1", "--final-epochs", "8", *common])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["train", "--run", "carried", "--finetune", str(runs / "base"), "--written", "0.3",
                                 "--box-fill", "0", "--augment", "0.2", *common])  # fmt: skip
    assert result.exit_code == 0, result.output
    tuned = json.loads((runs / "carried" / "summary.json").read_text())
    base = json.loads((runs / "base" / "summary.json").read_text())
    assert tuned["resolved"]["augment"] == tuned["best_config"]["augment"] == 0.2 != base["best_config"]["augment"]
    assert tuned["best_config"]["elastic"] == base["best_config"]["elastic"]  # not given: the run's own
    mix = tuned["training_mix"]
    assert (tuned["options"]["written"], tuned["options"]["extra"]) == (0.3, None) and "extra_accuracy" not in mix
    assert 0.2 * mix["mnist"] < mix["written"] <= 0.4 * mix["mnist"] and mix["box_filled"] == 0
    assert 0.5 < tuned["test_accuracy"] <= 1.0


def test_digits_written_fast_are_one_stroke_whose_joins_belong_to_no_digit(mnist, monkeypatch):
    """--cut-pieces' fast writing: each digit is joined to the next by a stroke (the pen not lifted), so the
    reader sees one blob; the stroke's ink is marked as no digit's, and cut pieces of such writing are still
    labelled by the digit they hold."""
    from edgedigit.train import pieces

    def blobs(joined: bool) -> list[int]:
        rng, counts = np.random.default_rng(4), []
        for k in range(20):
            inks = [pieces._ink_box(mnist.x_train[i], rng) for i in range(3 * k, 3 * k + 3)]
            _, owner = pieces._written_together(inks, rng, joined)
            assert joined == bool((owner == pieces.CONNECTOR).any())
            counts.append(cv2.connectedComponents(np.uint8(owner > 0) | np.uint8(owner < 0))[0] - 1)
        return counts

    monkeypatch.setattr(pieces, "PIECE_SPACING", pieces.JOINED_SPACING)
    assert np.median(blobs(True)) == 1 and np.median(blobs(False)) >= 3
    monkeypatch.setattr(pieces, "JOINED_PIECES", 1.0)
    one, labels, _ = pieces.cut_pieces(300, mnist.x_train[:2000], mnist.y_train[:2000], np.random.default_rng(0))
    assert len(one) > 100 and len(set(labels.tolist())) == 10


def test_the_bundled_model_rebuilt_in_keras_reads_as_its_float32_twin(mnist):
    """`--finetune bundled` starts from the shipped model: its configuration and its int8 file's weights (on the int8
    grid, so its kernels exactly) make a Keras model that reads MNIST as the float32 twin kept in the repository does;
    a summary that does not match the file is refused."""
    from edgedigit.errors import ModelError
    from edgedigit.runtime.classifier import Classifier, default_model_path
    from edgedigit.train import bundled

    summary = bundled.summary()
    images = mnist.x_test[:1000]
    model = bundled.keras_model(summary, images)
    twin = Classifier(default_model_path().with_name("model_float32.tflite")).predict_proba(images, calibrated=False)
    got = np.asarray(model(images, training=False))
    assert np.abs(got - twin).max() < 1e-3 and (got.argmax(1) == twin.argmax(1)).all()  # biases: rounded to int32
    assert (got.argmax(1) == mnist.y_test[:1000]).mean() > 0.98
    other = {**summary, "best_config": {**summary["best_config"], "hidden": [445, 358, 518, 17]}}
    with pytest.raises(ModelError, match="does not hold the layers its training summary describes"):
        bundled.keras_model(other, images)


def test_finetune_from_the_bundled_model_needs_no_run_of_ones_own(collected, tmp_path, mnist_path):
    """A user who installed edgedigit teaches it their digits in seconds, without a 30-minute run first."""
    out, _ = collected
    runs = tmp_path / "runs"
    args = ["--data", str(mnist_path), "--runs-dir", str(runs), "--limit", "1000", "--epochs", "1"]
    result = runner.invoke(app, ["train", "--run", "mine", "--finetune", "bundled", "--extra", str(out), *args])
    assert result.exit_code == 0, result.output
    tuned = json.loads((runs / "mine" / "summary.json").read_text())
    from edgedigit.train import bundled

    assert (
        tuned["chosen_from"].startswith("fine-tuned from the bundled model")
        and tuned["options"]["finetune"] == "bundled"
    )
    assert tuned["best_config"]["hidden"] == bundled.summary()["best_config"]["hidden"]
    assert tuned["training_mix"]["extra_digits"] == 6 and tuned["test_accuracy"] > 0.985  # it started at 99.35%


def test_a_finetune_stopped_by_bad_input_leaves_no_run_folder(tmp_path, mnist_path):
    result = runner.invoke(app, ["train", "--run", "x", "--runs-dir", str(tmp_path), "--data", str(mnist_path),
                                 "--finetune", "bundled", "--deskew"])  # fmt: skip
    assert result.exit_code == 2 and "reads pictures as they are; a fine-tune keeps that" in result.stderr
    assert not (tmp_path / "x").exists()  # the same command, corrected, just runs


def test_finetune_needs_digits_and_a_run(tmp_path, mnist_path):
    result = runner.invoke(app, ["train", "--finetune", str(tmp_path), "--extra", str(tmp_path)])
    assert result.exit_code == 2 and "not a run folder" in result.output


def test_cut_pieces_are_the_number_readers_pieces_labelled_by_the_digit_they_hold(mnist, clf):
    """--cut-pieces: two or three MNIST digits written touching, cut by the number reader's own code; a piece
    that is one digit keeps that digit's label (the bundled model mostly agrees),
    a piece holding two digits is wider and labelled as no digit; on their own random stream."""
    from edgedigit.train import field_mix, pieces
    from edgedigit.train.data import split_train_val

    one, labels, two = pieces.cut_pieces(600, mnist.x_train[:3000], mnist.y_train[:3000], np.random.default_rng(0))
    assert len(one) + len(two) >= 600 and len(one) > 200 and len(two) > 150
    assert one.shape[1:] == two.shape[1:] == (28, 28) and len(set(labels.tolist())) == 10
    read = clf.predict_proba(one, calibrated=False).argmax(axis=1)
    # a digit with its neighbours' cut-off strokes is hard to read for a model that never trained on such pieces:
    # session 14's bundled model read 0.86 of 1,877 pieces of test digits right (random labels would give 0.1)
    assert np.mean(read == labels) >= 0.8

    def aspect(images: np.ndarray) -> float:
        boxes = [cv2.boundingRect(np.uint8(im > 60)) for im in images]
        return float(np.median([w / h for _, _, w, h in boxes]))

    assert aspect(two) > 1.3 * aspect(one)  # measured 1.25 against 0.80
    split = split_train_val(mnist, 0.1, seed=0, limit=1000)
    plain, _ = field_mix.mix(split, 0, fonts=0, flag_ones=0, non_digits=0)
    mixed, counts = field_mix.mix(split, 0, fonts=0, flag_ones=0, non_digits=0, cut_pieces=0.2)
    added = counts["cut_pieces"] + counts["cut_pieces_of_two"]
    assert added >= int(0.2 * counts["mnist"]) and counts["cut_pieces"] > 0 and counts["cut_pieces_of_two"] > 0
    assert np.array_equal(mixed.x_train[: len(plain.y_train)], plain.x_train)
    pieces_y = mixed.y_train[len(plain.y_train) :]
    assert (pieces_y[: counts["cut_pieces"]] >= 0).all() and (pieces_y[counts["cut_pieces"] :] == -1).all()


def test_faint_grey_digits_on_grey_paper_are_read(mnist, clf):
    """The field benchmark's faint grey on grey (ink 115 on paper 150 lit unevenly, noisy): the paper's lit corner
    may stray further from its median than the ink, and Otsu's split of such a page lets its noise through."""
    rng = np.random.default_rng(8)
    idx = rng.choice(len(mnist.y_test), 150, replace=False)
    pictures = [MNIST_SCENES["faint grey on grey"](mnist.x_test[i], rng) for i in idx]
    right = sum(read_digits(p, clf).digits == [int(mnist.y_test[i])] for p, i in zip(pictures, idx))
    assert right >= 147, right  # 148 here; 144 with the polarity read off the paper alone and Otsu's split


def test_bold_white_digits_on_black_are_thinned_and_read(mnist, clf):
    """The field benchmark's bold white digits on black (a marker on a dark label): strokes over twice MNIST's width
    in the 28x28 picture are thinned towards it; at two and a half times, bold 3s stayed blobs the model doubted."""
    rng = np.random.default_rng(9)
    idx = rng.choice(len(mnist.y_test), 400, replace=False)
    pictures = [MNIST_SCENES["white on black, bold"](mnist.x_test[i], rng) for i in idx]
    right = sum(read_digits(p, clf).digits == [int(mnist.y_test[i])] for p, i in zip(pictures, idx))
    assert right >= 385, right  # 386 here; 381 thinning only strokes over 2.5 times MNIST's
