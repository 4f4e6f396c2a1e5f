"""Preprocessing turns real-looking photos into MNIST form that the model reads correctly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.photos import (
    desk_beside,
    from_afar,
    jpeg_with_orientation,
    on_desk,
    on_note,
    paper,
    photo,
    rgba_drawing,
    ringed,
    ruled,
    shadowed,
    tinted,
    with_finger,
    with_pen,
)
from edgedigit.errors import UserError
from edgedigit.runtime import paper as paper_module
from edgedigit.runtime import ruling, scene
from edgedigit.runtime.classifier import Classifier
from edgedigit.runtime.decode import read_image
from edgedigit.runtime.preprocess import find_digits, prepare
from edgedigit.runtime.reader import read_digits
from tests.conftest import write_image

N = 60  # digits per condition


@pytest.fixture(scope="module")
def clf():
    return Classifier()  # the bundled int8 model


@pytest.fixture(scope="module")
def picks(mnist):
    idx = np.random.default_rng(0).choice(len(mnist.y_test), N, replace=False)
    return mnist.x_test[idx], mnist.y_test[idx]


def _accuracy(images, labels, clf):
    hits = 0
    for img, y in zip(images, labels):
        reading = read_digits(img, clf)
        hits += reading.digits == [int(y)]
    return hits / len(labels)


def test_mnist_digits_pass_through_nearly_unchanged(picks, clf):
    images, labels = picks
    direct = (clf.predict_proba(images).argmax(1) == labels).mean()
    through = _accuracy(images, labels, clf)
    assert through >= direct - 0.04
    out = find_digits(images[0])[0].image
    assert out.shape == (28, 28) and out.dtype == np.uint8
    m = cv2.moments(out)
    assert abs(m["m10"] / m["m00"] - 14) < 1.0 and abs(m["m01"] / m["m00"] - 14) < 1.0
    ys, xs = np.nonzero(out > 30)
    assert max(np.ptp(ys), np.ptp(xs)) + 1 <= 21


SCENES = {
    "photo": lambda d, i: photo([d], seed=i),
    "thin pen": lambda d, i: photo([d], seed=i, thin=True),
    "squared paper": lambda d, i: photo([d], seed=i, grid=True),
    "large photo": lambda d, i: photo([d], seed=i, height=900),
    "lined paper": lambda d, i: ruled([d], seed=i),
    "lined paper turned 5 degrees": lambda d, i: ruled([d], seed=i, tilt=5.0),
    "sheet on a desk": lambda d, i: on_desk([d], seed=i),
    "large sheet on a desk": lambda d, i: on_desk([d], seed=i, height=600),
}


@pytest.mark.parametrize("kind", list(SCENES))
def test_photos_of_digits_are_read(picks, clf, kind):
    images, labels = picks
    shots = [SCENES[kind](img, i) for i, img in enumerate(images)]
    assert _accuracy(shots, labels, clf) >= 0.9


def test_a_number_on_lined_paper_is_read(mnist, clf):
    hits = 0
    for i in range(20):
        digits, truth = mnist.x_test[2 * i : 2 * i + 2], mnist.y_test[2 * i : 2 * i + 2].tolist()
        hits += read_digits(ruled(list(digits), seed=i), clf).digits == truth
    assert hits >= 16


def test_a_ruling_line_broken_across_a_number_is_found_between_its_neighbours(mnist, clf, monkeypatch):
    """Lined paper turned 5 degrees: the line through a long number's middle, its contrast lowered by the digits round
    it, may break into dashes that the line finder misses, and they join digits into one group. Halfway between two
    ruling lines twice the ruling's spacing apart it is looked for and taken out (`scene.RULING_BETWEEN`)."""
    picks = [mnist.x_test[3000 + 5 * i : 3005 + 5 * i] for i in range(200)]
    truths = [mnist.y_test[3000 + 5 * i : 3005 + 5 * i].tolist() for i in range(200)]
    shots = [ruled(list(digits), seed=i, tilt=5.0) for i, digits in enumerate(picks)]
    read = sum(read_digits(shot, clf).digits == truth for shot, truth in zip(shots, truths))
    monkeypatch.setattr(scene, "_between", lambda lines: [])
    assert read >= 160  # 170 of 200 here
    assert read >= sum(read_digits(shot, clf).digits == truth for shot, truth in zip(shots, truths)) + 4  # 163


def test_digits_written_touching_each_other_are_read_apart(mnist, clf):
    hits = 0
    for i in range(30):  # three digits 0.6 of their height apart: neighbours touch
        digits, truth = mnist.x_test[3 * i : 3 * i + 3], mnist.y_test[3 * i : 3 * i + 3].tolist()
        hits += read_digits(photo(list(digits), seed=i, step=0.6), clf).digits == truth
    assert hits >= 23  # 19 without cutting, 25 with


def test_a_digit_cut_by_the_edge_of_a_photo_is_still_read(picks, clf):
    images, labels = picks
    # photo() draws the 28x28 digit 160 px big at x 88, y 48 in 256 x 336: cut off its margin and more
    shots = [photo([img], seed=i)[48 + 35 :, 88 + 35 :] for i, img in enumerate(images)]
    assert _accuracy(shots, labels, clf) >= 0.9


def test_a_pen_lying_beside_the_digits_is_not_read_as_a_one(picks, clf, monkeypatch):
    """The pen that wrote the digits, photographed beside them, crosses the frame: it was read as a 1 beside
    each digit (5 of 60 single digits read right; numbers of three, 3 of 20). Lying a little tilted, the pen's box
    reaches a few columns into the digit's, which is no digit lying across it (`scene.PASSING_ACROSS`): 56 -> 58."""
    images, labels = picks
    shots = [with_pen([img], seed=i) for i, img in enumerate(images)]
    right = _accuracy(shots, labels, clf)
    triples = [(images[i : i + 3], labels[i : i + 3].tolist()) for i in range(0, N, 3)]
    assert sum(read_digits(with_pen(list(d), seed=i), clf).digits == t for i, (d, t) in enumerate(triples)) >= 17
    monkeypatch.setattr(scene, "PASSING_ACROSS", 1e-6)  # any column in common: across, as before
    assert right >= 57 / N and _accuracy(shots, labels, clf) <= right - 2 / N


def test_a_fingertip_at_the_edge_of_a_photo_is_no_writing(picks, clf, monkeypatch):
    """The fingertip of the hand holding the sheet or the phone, reaching into the frame: a solid oval against the
    border, meeting it along about 1.2 times the square root of its area, where a shadow's corner meets it along more
    (`scene.EDGE_CONTACT`, 1.5 before: 48 of 60 digits read, 12 of 20 numbers of three; now 58 and 16). A fingertip
    touching the writing is read with it."""
    images, labels = picks
    shots = [with_finger([img], seed=i) for i, img in enumerate(images)]
    right = _accuracy(shots, labels, clf)
    triples = [(images[i : i + 3], labels[i : i + 3].tolist()) for i in range(0, N, 3)]
    read = [read_digits(with_finger(list(d), seed=i), clf).digits for i, (d, _) in enumerate(triples)]
    assert right >= 57 / N and sum(r == t for r, (_, t) in zip(read, triples)) >= 15
    monkeypatch.setattr(scene, "EDGE_CONTACT", 1.5)
    assert _accuracy(shots, labels, clf) <= right - 6 / N


def test_a_sticky_note_smaller_than_the_desk_is_the_paper(picks, clf):
    """A note (a slip of paper, a meter's lit window) photographed on a darker desk that covers more of the frame:
    the desk, at the picture's median, was taken for the paper and the note for bright ink (0 of 60 digits read,
    0 of 20 numbers of three; now 60 and 20). The desk round the note is painted with its paper. A blank note is no
    digit (10 of 20 were read as digits: the note as bright ink, or as a bold white digit filling a crop)."""
    images, labels = picks
    assert _accuracy([on_note([img], seed=i) for i, img in enumerate(images)], labels, clf) >= 0.95
    triples = [(images[i : i + 3], labels[i : i + 3].tolist()) for i in range(0, N, 3)]
    assert sum(read_digits(on_note(list(d), seed=i), clf).digits == t for i, (d, t) in enumerate(triples)) >= 18
    blank = np.zeros((28, 28), np.uint8)
    assert [read_digits(on_note([blank], seed=i), clf).digits for i in range(20)] == [[]] * 20


def test_a_hard_shadow_across_the_sheet_is_neither_a_desk_nor_ink(picks, clf, monkeypatch):
    """A shadow cast over part of the photo (the phone's, a hand's), its straight edge from frame to frame: the lit
    paper beside it was taken for a sticky note and the shadowed part, with the digit, painted out as desk; and
    where the shadow covers most of the picture, its level is the paper's and the lit paper strayed above it as far
    as the ink below, so the lit paper was taken for bright ink. Both are judged from the shadow's edge now: the lit
    paper's corners lie on the frame (`scene.SHEET_INSIDE`), and a median that follows the edge shows the ink
    (`paper.SHADOW_CLEAR`)."""
    images, labels = picks
    shots = [shadowed([img], seed=i) for i, img in enumerate(images)]
    assert _accuracy(shots, labels, clf) >= 0.95  # 59 of 60 here
    monkeypatch.setattr(paper_module, "SHADOW_CLEAR", paper_module.LIGHTING_CLEAR)
    assert _accuracy(shots, labels, clf) <= 0.93  # 55 of 60 here: the lit paper taken for the ink
    monkeypatch.setattr(scene, "SHEET_INSIDE", 0.0)
    assert _accuracy(shots, labels, clf) <= 0.8  # 45 of 60 here: the shadowed paper painted out as desk


def test_a_shadows_corner_against_the_frame_is_no_writing():
    """A solid blob set against the border (a hard shadow's corner, which the lighting estimate cannot enter; a
    fingertip) is clutter; a stroke that meets the border end on, however bold, and a digit's loop cut by the frame,
    are not."""
    mask = np.zeros((200, 300), np.uint8)
    cv2.fillPoly(mask, [np.int32([[299, 120], [299, 199], [230, 199]])], 1)  # a corner of shadow, bottom right
    cv2.ellipse(mask, (150, 199), (25, 45), 0, 0, 360, 1, -1)  # a fingertip reaching in from the bottom
    cv2.line(mask, (60, 0), (70, 90), 1, 8)  # a 1 running out of the top of the frame
    cv2.ellipse(mask, (0, 120), (40, 50), 0, 0, 360, 1, 8)  # a 0 cut by the left side
    cv2.line(mask, (220, 0), (240, 60), 1, 25)  # a bold stroke running out of the top
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    corner, finger, one, zero, bold = (
        int(labels[y, x]) for y, x in ((190, 290), (190, 150), (45, 65), (120, 40), (30, 230))
    )
    found = scene.clutter(labels, stats)
    assert corner in found and finger in found and not {one, zero, bold} & found


def test_a_body_crossing_a_photo_is_beside_writing_that_reaches_into_its_edge_but_not_in_a_crop():
    """A pen lying a little tilted beside a digit: the digit's box reaches a few columns into the pen's. In a photo
    that is beside it (`scene.PASSING_ACROSS`); in a crop (`pad`) it is not, since there a body from top to bottom
    may be a digit's stem cut by the frame, with the digit's other strokes reaching into its columns."""
    stats = np.array([[0, 0, 0, 0, 0], [150, 0, 30, 200, 8000], [60, 50, 98, 100, 1500]])  # the body; a digit
    assert scene.passing_through(stats, 200) == {1}
    assert scene.passing_through(stats, 200, pad=10) == set()
    stats[2, 2] = 110  # the digit reaching half way into the body's columns: across it, even in a photo
    assert scene.passing_through(stats, 200) == set()


def test_under_a_dark_shadow_the_lit_paper_is_a_region_not_bright_ink(picks, clf, monkeypatch):
    """Light x 0.4-0.55 beyond the edge: the lit paper strays up to twice as far above the shadow's level (the
    picture's median) as the ink strays below it, which settled the ink's side as bright at once. Its brightest
    fifth lying that far up makes it a region (`paper.LIT_REGION`), and the shadow's edge decides."""
    images, labels = picks
    shots = [shadowed([img], seed=i, darkness=(0.4, 0.55)) for i, img in enumerate(images)]
    right = _accuracy(shots, labels, clf)  # 56 of 60 here (55 before the fingertip's EDGE_CONTACT)
    monkeypatch.setattr(paper_module, "LIT_REGION", 2.0)  # never a region
    assert right >= 55 / N and _accuracy(shots, labels, clf) <= right - 2 / N  # 53 of 60 here


def test_the_desk_beyond_the_sheets_edge_along_one_side_is_no_digit(picks, clf):
    """A photo whose sheet does not reach one side of the frame: the desk beyond its edge touched three sides, so
    the photo was taken for a tight crop, and the desk was read as a 1 beside the digit (21 of 60 read right, now
    60); or, in a photo, as a stroke of the digit (the desk along its foot joined a 3 and read "37")."""
    images, labels = picks
    assert _accuracy([desk_beside([img], seed=i) for i, img in enumerate(images)], labels, clf) >= 0.95


def test_a_digit_in_a_forms_tinted_field_is_read(mnist, clf, monkeypatch):
    """A form's field printed in a pale tint round the writing covers most of a photo cut round it, and was taken
    for a bold digit filling a crop: the tint read as ink, the digit as a hole in it (86 of 100 read). The digit's
    ink lies far below the tint's level, as no bold digit's does (`preprocess.FIELD_INK`): 100 read."""
    from edgedigit.runtime import preprocess

    shots = [tinted([mnist.x_test[i]], seed=i) for i in range(100)]
    right = sum(read_digits(s, clf).digits == [int(y)] for s, y in zip(shots, mnist.y_test[:100]))
    monkeypatch.setattr(preprocess, "FIELD_SHARE", 2.0)  # every dark side is then a bold digit's, as before
    before = sum(read_digits(s, clf).digits == [int(y)] for s, y in zip(shots, mnist.y_test[:100]))
    assert right >= 98 and before <= right - 8, (right, before)


RED = (90, 90, 225)  # BGR: a form's box printed in a light red, as scanners are meant to drop it


@pytest.mark.parametrize(
    ("circle", "color", "singles", "triples"),
    [(False, (35, 35, 35), 57, 18), (True, (35, 35, 35), 57, 18), (False, RED, 58, 17)],
    ids=["box", "circle", "red box"],
)
def test_a_line_drawn_round_the_writing_is_no_part_of_it(picks, clf, circle, color, singles, triples):
    """A form's printed box turned a little in a photo, a box drawn by hand, a circle round the digits. A box's sides,
    80% of the picture long, were taken for ruling and cut out, and the rest of it was read with the digit (13 of 60
    digits read); a circle was read with the digit (0 of 60). Round a number, the box's top and bottom were taken for
    an underline and an overline, and its sides read as 1s (10 of 20 numbers of three; circled, 0). Now 60, 60, 20,
    20. A light red box's thin line breaks into pieces where it is faintest, and a side may fade out whole: 3 of 60
    read, then 50 (numbers of three: 7 of 20); its pieces along the outline are one ring now (`frames._broken_ring`):
    60 and 19. A thin 0 with a speck inside is still a 0."""
    images, labels = picks
    shots = [ringed([img], seed=i, circle=circle, color=color) for i, img in enumerate(images)]
    assert _accuracy(shots, labels, clf) >= singles / N
    lines = [(images[i : i + 3], labels[i : i + 3].tolist()) for i in range(0, N, 3)]
    shots = [ringed(list(d), seed=i, circle=circle, color=color) for i, (d, _) in enumerate(lines)]
    read = [read_digits(shot, clf).digits for shot in shots]
    assert sum(r == t for r, (_, t) in zip(read, lines)) >= triples
    thin_zero = np.full((240, 320), 220, np.uint8)
    cv2.ellipse(thin_zero, (160, 120), (40, 70), 0, 0, 360, 30, 2, cv2.LINE_AA)
    cv2.circle(thin_zero, (165, 110), 3, 30, -1)
    assert read_digits(thin_zero, clf).digits == [0]


def test_strokes_across_a_stem_that_crosses_a_tight_crop_keep_it(clf):
    """A stem that runs from edge to edge of a tight crop is the digit, not something passing through: its foot,
    its bar, a 4's first stroke lie across it. A number framed tightly, its tallest digit touching both edges, too."""

    def tight(strokes: list[list[tuple[int, int]]], w: int = 60, h: int = 100) -> np.ndarray:
        img = np.full((h, w), 235, np.uint8)
        for stroke in strokes:
            cv2.polylines(img, [np.int32(stroke)], False, 30, 7, cv2.LINE_AA)
        return img

    one_with_foot = tight([[(8, 30), (38, 0), (38, 100)], [(12, 97), (58, 97)]])
    crossed_seven = tight([[(0, 3), (60, 3), (22, 100)], [(15, 50), (52, 50)]])
    assert [read_digits(img, clf).number for img in (one_with_foot, crossed_seven)] == ["1", "7"]
    number = np.full((100, 200), 235, np.uint8)
    cv2.polylines(number, [np.int32([(40, 0), (40, 100)])], False, 30, 7, cv2.LINE_AA)  # a 1, edge to edge
    cv2.ellipse(number, (120, 55), (22, 30), 0, 0, 360, 30, 7, cv2.LINE_AA)  # a 0 two thirds as high
    assert read_digits(number, clf).number == "10"


def test_the_fast_look_for_a_run_along_a_row_misses_none():
    """`ruling._may_hold_run` looks on every fourth column only: wherever eroding a band by a row `length` long finds a
    run (the picture's edges not eroding), it must find one too, and most bands without one it turns away."""
    rng = np.random.default_rng(0)
    turned_away = 0
    for _ in range(3000):
        h, w = int(rng.integers(5, 40)), int(rng.integers(20, 300))
        length = int(rng.integers(8, w + 1))
        band = (rng.random((h, w)) < rng.uniform(0.5, 0.99)).astype(np.uint8) * 255
        if rng.random() < 0.5:  # a run planted, perhaps cut by an edge
            row, start = int(rng.integers(0, h)), int(rng.integers(-length // 2, w))
            band[row, max(0, start) : max(0, start) + length] = 255
        found = bool(cv2.erode(band, np.ones((1, length), np.uint8)).any())
        fast = ruling._may_hold_run(band, length)
        assert fast or not found
        turned_away += not fast
    assert turned_away >= 300  # 466 of 3,000 here


def test_ruling_needs_two_long_thin_lines():
    blank = np.zeros((120, 160), np.uint8)
    one, two, band = blank.copy(), blank.copy(), blank.copy()
    cv2.line(one, (0, 40), (159, 45), 255, 1)  # one long stroke of a tightly framed digit
    cv2.line(two, (0, 40), (159, 45), 255, 1)
    cv2.line(two, (0, 80), (159, 85), 255, 1)
    band[90:, :] = 255  # the desk below the sheet: its edge is long and straight, but not thin
    band[30:60, 40:50] = 255
    assert scene.ruling(one) is None
    assert scene.ruling(band) is None
    lines = scene.ruling(two)
    assert lines is not None and np.all(lines[two > 0] > 0)  # every ruled pixel is covered
    near = cv2.dilate(two, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    assert np.all(near[lines > 0] > 0)  # and nothing more than a few pixels away from them


def test_a_box_round_the_writing_is_not_ruling():
    """The sides of a box turned a little as a photo takes it span 80% of the picture, as ruling does (its two
    upright sides were taken for ruling), but stop at its corners; ruling runs on to the picture's edge
    (`test_ruling_needs_two_long_thin_lines`)."""
    box = np.zeros((120, 160), np.uint8)
    cv2.polylines(box, [np.int32([(20, 13), (140, 10), (142, 108), (18, 111)])], True, 255, 2)
    assert scene.ruling(box) is None


def test_a_turned_ruling_is_found_beside_a_bold_digit_whose_strokes_lean_further():
    """A sheet turned 5 degrees under a bold digit: the digit's strokes give more line segments than the ruling
    does, at their own slope, but only the ruling's run across the picture."""
    mask = np.zeros((192, 252), np.uint8)
    for y in (60, 150):
        cv2.line(mask, (0, y), (251, y - 22), 255, 2)  # ruling, 5 degrees
    for k in range(6):
        cv2.line(mask, (90 + 3 * k, 140), (200 + 3 * k, 105), 255, 3)  # a bold stroke's edges, 18 degrees
    lines = scene.ruling(mask)
    assert lines is not None and lines[60, 0] > 0 and lines[150 - 22, 251] > 0  # the ruling, edge to edge
    assert lines[105, 203] == 0  # not the stroke


def test_a_faint_ruling_line_beside_two_strong_ones_is_ruling_too():
    """Lower on a darker sheet a ruling line fades and the mask holds it along only part of its way: beside two
    lines held along most of theirs it is ruling; with one such line only, there is no ruling at all."""
    mask = np.zeros((120, 160), np.uint8)
    cv2.line(mask, (0, 20), (159, 20), 255, 1)
    cv2.line(mask, (0, 50), (159, 50), 255, 1)
    cv2.line(mask, (60, 80), (159, 80), 255, 1)  # held along 62% of its way
    lines = scene.ruling(mask)
    assert lines is not None and lines[80, 10] > 0 and lines[80, 150] > 0  # the whole of it, to the edge
    mask[50] = 0  # one strong line left
    assert scene.ruling(mask) is None


def test_a_stroke_crossing_a_ruling_line_keeps_its_ink_there(mnist, clf, monkeypatch):
    """On lined paper the ruling is taken out at its own level; where a stroke crosses a line, the stroke's
    ink on both sides of it is put back, so a bold stroke no darker than the line is not cut in two there."""
    x, y = mnist.x_test[:300], mnist.y_test[:300]

    def read() -> int:
        return sum(read_digits(ruled([d], seed=i), clf).digits == [t] for i, (d, t) in enumerate(zip(x, y)))

    kept = read()
    monkeypatch.setattr(ruling, "_ink_across", lambda ink: 0 * ink)  # the line's level taken out only
    assert kept >= 292 and kept >= read() + 3  # 298 and 295 of 300 here (298 and 292 with session 15's model)


def test_rgba_with_transparency_is_composited_on_white(picks, clf):
    images, labels = picks
    drawings = [rgba_drawing(img) for img in images]
    assert _accuracy(drawings, labels, clf) >= 0.9


@pytest.mark.parametrize("color", [(255, 255, 255), (0, 220, 255)], ids=["white ink", "yellow ink"])
def test_light_strokes_on_a_transparent_canvas_are_read(picks, clf, color):
    images, labels = picks
    drawings = [rgba_drawing(img, color=color) for img in images]
    assert _accuracy(drawings, labels, clf) >= 0.9


def test_an_opaque_sheet_on_a_transparent_canvas_keeps_a_white_margin(picks, clf):
    images, labels = picks
    sheets = []
    for i, img in enumerate(images[:20]):
        sheet = photo([img], seed=i)
        canvas = np.zeros((sheet.shape[0] + 40, sheet.shape[1] + 40, 4), np.uint8)
        canvas[20:-20, 20:-20, :3], canvas[20:-20, 20:-20, 3] = sheet, 255
        sheets.append(canvas)
    assert _accuracy(sheets, labels[:20], clf) >= 0.9


def test_blank_and_digitless_images_give_no_digit():
    blanks = [
        np.full((200, 300), 230, np.uint8),
        np.clip(paper(240, 320, seed=1), 0, 255).astype(np.uint8),
        np.clip(paper(240, 320, seed=2, grid=True), 0, 255).astype(np.uint8),
        np.zeros((28, 28), np.uint8),
        np.random.default_rng(3).normal(128, 6, (480, 640)).clip(0, 255).astype(np.uint8),
    ]
    for img in blanks:
        assert find_digits(img) == []


def test_a_digit_written_small_in_a_big_photo_is_read(picks, clf):
    """A 1600x1200 photo of a page holding one digit about 45 px high, and a 640x480 camera frame holding one about
    23 px high: at the work size they are 8 px high, too few to read, and dust of that size is dropped; they are
    read again from the photo's own pixels round them (60 and 59 of 60 here; before: 4 and 4)."""
    images, labels = picks
    assert _accuracy([from_afar([d], seed=i) for i, d in enumerate(images)], labels, clf) >= 0.95
    frames = [from_afar([d], seed=i, size=32, shape=(480, 640)) for i, d in enumerate(images)]
    assert _accuracy(frames, labels, clf) >= 0.95


def test_photos_of_blank_paper_with_dust_give_no_digit(clf):
    """Pages lit unevenly with specks of dust, photographed whole (1600x1200) and by a camera (640x480), as JPEGs:
    dust is no digit seen from afar, and once the dust sets the ink's side, the lighting that rises towards the
    border is not taken for ink (0 digits read here; before, 6 in the photos and 1 in the frames; with the dust
    setting the side and no plane along the border, 3 in the frames)."""
    pages = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        for (h, w), largest in (((1200, 1600), 8), ((480, 640), 3)):
            sheet = paper(h, w, seed)
            for _ in range(12):
                centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                cv2.circle(sheet, centre, int(rng.integers(1, largest)), float(rng.uniform(60, 150)), -1)
            jpeg = cv2.imencode(".jpg", np.clip(sheet, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
            pages.append(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE))
    assert [read_digits(page, clf).digits for page in pages] == [[]] * len(pages)


def test_a_written_number_is_segmented_left_to_right(mnist, clf):
    # one clean, well-read example of each digit of "2026"
    probs = clf.predict_proba(mnist.x_test[:2000]).argmax(1)
    good = {d: next(i for i in range(2000) if mnist.y_test[i] == d and probs[i] == d) for d in (0, 2, 6)}
    shot = photo([mnist.x_test[good[d]] for d in (2, 0, 2, 6)], seed=5)
    reading = read_digits(shot, clf)
    assert reading.number == "2026"
    assert len(reading.confidences) == 4 and all(0 < c <= 1 for c in reading.confidences)
    xs = [b[0] for b in reading.boxes]
    assert xs == sorted(xs)


def test_roi_limits_where_digits_are_looked_for(mnist, clf):
    shot = photo([mnist.x_test[0], mnist.x_test[1]], seed=1)  # "7" then "2"
    h, w = shot.shape[:2]
    left = read_digits(shot, clf, roi=(0, 0, w // 2, h))
    assert left.digits == [int(mnist.y_test[0])]
    assert left.boxes[0][0] < w // 2


def test_files_in_any_format_are_decoded(tmp_path, mnist):
    img = photo([mnist.x_test[0]], seed=0)
    for ext in ("png", "jpg", "bmp", "tiff", "webp"):
        path = write_image(tmp_path / f"d.{ext}", img)
        assert read_image(path).shape[:2] == img.shape[:2]
    png16 = write_image(tmp_path / "deep.png", (img[..., 0].astype(np.uint16) * 257))
    assert len(find_digits(read_image(png16))) == 1


def test_jpeg_exif_orientation_is_applied(tmp_path, mnist, clf):
    upright = photo([mnist.x_test[0]], seed=0)  # digit upright
    stored = {  # the pixels a camera stores for each orientation tag, so that applying the tag gives `upright`
        1: upright,
        3: cv2.rotate(upright, cv2.ROTATE_180),
        6: cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE),
        8: cv2.rotate(upright, cv2.ROTATE_90_CLOCKWISE),
    }
    for orientation, pixels in stored.items():
        path = tmp_path / f"o{orientation}.jpg"
        path.write_bytes(jpeg_with_orientation(pixels, orientation))
        img = read_image(path)
        assert img.shape == upright.shape[:2]  # decoded to grayscale
        assert np.abs(img.astype(int) - cv2.cvtColor(upright, cv2.COLOR_BGR2GRAY)).mean() < 3  # JPEG loss only
        assert read_digits(img, clf).digits == [int(mnist.y_test[0])]
    for orientation in range(1, 9):  # every tag, flips included, as OpenCV's own decoding applies it
        path = tmp_path / f"f{orientation}.jpg"
        path.write_bytes(jpeg_with_orientation(upright, orientation))
        turned = cv2.imread(str(path), cv2.IMREAD_COLOR)
        assert turned.shape[:2] == read_image(path).shape
        assert np.abs(read_image(path).astype(int) - cv2.cvtColor(turned, cv2.COLOR_BGR2GRAY)).max() <= 2
    assert cv2.imread(str(tmp_path / "f6.jpg"), cv2.IMREAD_UNCHANGED).shape[:2] == upright.shape[:2]  # what it fixes


def test_oversized_images_are_refused_with_a_message(tmp_path, monkeypatch):
    from edgedigit.runtime import decode

    path = write_image(tmp_path / "big.png", np.full((300, 300), 255, np.uint8))
    monkeypatch.setattr(decode, "MAX_PIXELS", 1000)
    with pytest.raises(UserError, match="300x300 pixels, above the 1000 pixel limit"):
        read_image(path)
    with pytest.raises(UserError, match="above the 1000 limit"):  # pictures from memory (camera frames) too
        find_digits(np.full((300, 300), 255, np.uint8))
    monkeypatch.setattr(decode, "MAX_FILE_BYTES", 10)
    with pytest.raises(UserError, match="MiB limit"):
        read_image(path)


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif"])
def test_a_heif_photo_is_named_with_what_to_do(tmp_path, brand):
    """An iPhone's default photos are HEIF, which OpenCV's wheels do not decode: the user is told what it is and how
    to get a JPEG, not "unknown format". The box header is all that is looked at."""
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic" + bytes(64))
    with pytest.raises(UserError, match="is a HEIF/AVIF picture, which edgedigit cannot decode: save it as JPEG"):
        read_image(path)


def test_each_failure_has_its_kind(tmp_path):
    """A program using the runtime can tell a bad picture from a bad model (or bad training data); each kind is a
    UserError, which the CLI reports as one line."""
    from edgedigit.errors import DataError, ImageError, ModelError, UserError
    from edgedigit.runtime import Classifier
    from edgedigit.train.data import load_mnist

    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture at all")
    with pytest.raises(ImageError, match="not a readable image"):
        read_image(bad)
    with pytest.raises(ModelError, match="model not found"):
        Classifier(tmp_path / "missing.tflite")
    with pytest.raises(DataError):
        load_mnist(str(bad))
    assert all(issubclass(kind, UserError) for kind in (DataError, ImageError, ModelError))


def test_a_thin_pen_that_skips_stays_one_stroke_in_a_big_photo():
    """A 3 px stroke in a 2000 px photo (reduced 7x), its pen skipping 12 px every 120 px: widened before the
    reduction by more than the reduction, its gaps close (widened by one reduced pixel, it came in 6 pieces)."""
    img = np.full((1500, 2000), 215, np.uint8)
    cv2.line(img, (1000, 300), (1000, 1100), 40, 3)
    for y in range(400, 1100, 120):
        img[y : y + 12, 990:1010] = 215
    page = prepare(img)
    assert page.photo and round(1 / page.scale) == 7
    assert cv2.connectedComponents(page.mask)[0] - 1 == 1
