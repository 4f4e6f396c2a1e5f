"""Photo-like renderings of real MNIST test digits: dark ink on lit paper, thin pens, squared
paper, transparency, several digits in a row. Used to test the preprocessing on what users send."""

from __future__ import annotations

import cv2
import numpy as np


def ink_mask(digit28: np.ndarray, height: int, thin: bool = False) -> np.ndarray:
    """The digit scaled to `height` px as a 0..1 ink coverage map; `thin` mimics a fine pen."""
    big = cv2.resize(digit28, (height, height), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    big = np.clip(big, 0, 1)
    if thin:
        k = max(3, height // 12) | 1
        big = cv2.erode(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return big


def paper(h: int, w: int, seed: int, grid: bool = False, level: float = 200.0) -> np.ndarray:
    """Unevenly lit grey paper with sensor noise, optionally with light squared ruling."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sheet = level + 40 * (xx / w) - 30 * (yy / h) + rng.normal(0, 3, (h, w))
    if grid:
        step = max(12, w // 16)
        sheet[:, ::step] -= 45
        sheet[::step, :] -= 45
    return sheet


def photo(digits: list[np.ndarray], seed: int = 0, height: int = 160, thin: bool = False, grid: bool = False,
          width: int | None = None, step: float = 0.9) -> np.ndarray:  # fmt: skip
    """BGR uint8 photo of the digits written left to right on paper, `step` digit heights apart."""
    n = len(digits)
    w = width or int(height * (step * n + 1.2))
    h = int(height * 1.6)
    sheet = paper(h, w, seed, grid)
    x = (w - int(height * step * n)) // 2
    for d in digits:
        m = ink_mask(d, height, thin)
        y0 = (h - height) // 2
        region = sheet[y0 : y0 + height, x : x + height]
        region[:] = region * (1 - m) + 35 * m
        x += int(height * step)
    return cv2.cvtColor(np.clip(sheet, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def ruled(digits: list[np.ndarray], seed: int = 0, height: int = 160, tilt: float = 0.0) -> np.ndarray:
    """A photo on lined paper: blue-grey lines a third of the digit height apart, crossing the digits,
    the whole sheet turned by `tilt` degrees (cropped so the lines run from edge to edge)."""
    img = photo(digits, seed=seed, height=height)
    h, w = img.shape[:2]
    for y in range(h // 2 % (height // 3), h, height // 3):
        cv2.line(img, (0, y), (w, y), (150, 120, 110), max(1, height // 80))
    if tilt:
        turned = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), tilt, 1.0), (w, h),
                                borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        img = turned[h // 8 : h - h // 8, w // 8 : w - w // 8]
    return img


PEN_BODIES = ((30, 30, 30), (120, 50, 20), (40, 40, 150), (60, 90, 40))  # BGR: black, blue, red, green pens


def with_pen(digits: list[np.ndarray], seed: int = 0, height: int = 160) -> np.ndarray:
    """A photo with the pen that wrote the digits lying on the sheet beside them: a body a third to a half of the
    digits' height wide (a pen 1 cm across beside digits 2-3 cm high), with a highlight along it, running through
    the whole frame, a little tilted."""
    rng = np.random.default_rng(seed + 101)
    img = photo(digits, seed=seed, height=height)
    h, w = img.shape[:2]
    width = int(height * rng.uniform(0.3, 0.5))
    right_of_ink = (w + int(height * 0.9 * len(digits))) // 2 + width // 2
    x, lean = int(rng.uniform(right_of_ink, w - width // 4)), int(rng.uniform(-0.1, 0.1) * h)
    body = PEN_BODIES[int(rng.integers(len(PEN_BODIES)))]
    cv2.line(img, (x - lean, -width), (x + lean, h + width), body, width)
    shine = tuple(min(255, c + 110) for c in body)
    cv2.line(img, (x - lean - width // 5, -width), (x + lean - width // 5, h + width), shine, max(2, width // 8))
    return cv2.GaussianBlur(img, (0, 0), 1.0)


SKIN = ((120, 150, 200), (90, 120, 175), (70, 95, 140), (60, 75, 105))  # BGR: fingertips, light to dark skin


def with_finger(digits: list[np.ndarray], seed: int = 0, height: int = 160) -> np.ndarray:
    """A photo with the fingertip of the hand holding the sheet (or the phone) in it: a blurred oval of skin reaching
    in from one side of the frame, as wide as half to two thirds of the digits' height and reaching up to half of
    it further in, somewhere along that side (it may touch the writing)."""
    rng = np.random.default_rng(seed + 431)
    img = photo(digits, seed=seed, height=height).astype(np.float32)
    h, w = img.shape[:2]
    half_width, reach = height * rng.uniform(0.25, 0.33), height * rng.uniform(0.35, 0.55)
    side = int(rng.integers(4))
    along = rng.uniform(0.2, 0.8)
    centre = [(along * w, h), (along * w, 0), (0, along * h), (w, along * h)][side]
    axes = (half_width, reach) if side < 2 else (reach, half_width)
    finger = np.zeros((h, w), np.float32)
    cv2.ellipse(finger, (int(centre[0]), int(centre[1])), (int(axes[0]), int(axes[1])), 0, 0, 360, 1.0, -1)
    finger = cv2.GaussianBlur(finger, (0, 0), rng.uniform(2, 5))[..., None]
    skin = np.float32(SKIN[int(rng.integers(len(SKIN)))]) * rng.uniform(0.8, 1.1)
    return np.clip(img * (1 - finger) + skin * finger, 0, 255).astype(np.uint8)


def on_desk(digits: list[np.ndarray], seed: int = 0, height: int = 160, margin: float = 0.12) -> np.ndarray:
    """A photo of the sheet lying on a dark desk, turned by 4 degrees, the desk showing all around."""
    sheet = photo(digits, seed=seed, height=height)
    h, w = sheet.shape[:2]
    mh, mw = int(h * margin), int(w * margin)
    desk = np.full((h + 2 * mh, w + 2 * mw, 3), (40, 50, 60), np.uint8)
    desk[mh : mh + h, mw : mw + w] = sheet
    turn = cv2.getRotationMatrix2D((desk.shape[1] / 2, desk.shape[0] / 2), 4, 1.0)
    return cv2.warpAffine(desk, turn, (desk.shape[1], desk.shape[0]), borderValue=(40, 50, 60))


NOTE_PAPERS = ((120, 225, 250), (200, 230, 150), (210, 200, 250), (235, 235, 235))  # BGR: yellow, green, pink, white
DESKS = ((60, 80, 110), (40, 45, 50), (90, 110, 140))  # BGR: wood, dark grey, light wood


def on_note(digits: list[np.ndarray], seed: int = 0, height: int = 360) -> np.ndarray:
    """A sticky note (or a small slip of paper) with the digits on it, photographed on a darker desk that covers more
    of the frame than the note does: the note 0.45 to 0.8 of the frame high, turned up to 8 degrees, with a shadow."""
    rng = np.random.default_rng(seed + 211)
    w = int(height * 4 / 3)
    desk = np.empty((height, w, 3), np.float32)
    desk[:] = DESKS[int(rng.integers(len(DESKS)))]
    desk += rng.normal(0, 4, desk.shape)
    side = int(height * rng.uniform(0.45, 0.8))
    note = np.empty((side, side, 3), np.float32)
    note[:] = NOTE_PAPERS[int(rng.integers(len(NOTE_PAPERS)))]
    box = int(side * 0.8 / (0.9 * len(digits) + 0.1))
    x, y0 = (side - int(box * 0.9 * len(digits))) // 2, (side - box) // 2
    for d in digits:
        m = ink_mask(d, box)[..., None]
        region = note[y0 : y0 + box, x : x + box]
        region[:] = region * (1 - m) + np.array([50, 35, 30]) * m
        x += int(box * 0.9)
    cx, cy = rng.uniform(0.35, 0.65) * w, rng.uniform(0.45, 0.55) * height
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), float(rng.uniform(-8, 8)), 1.0)
    turn[:, 2] += (cx - side / 2, cy - side / 2)
    shade = cv2.warpAffine(np.ones((side, side), np.float32), turn + [[0, 0, 6], [0, 0, 8]], (w, height))
    desk *= 1 - 0.45 * cv2.GaussianBlur(shade, (0, 0), 4)[..., None]
    cover = cv2.warpAffine(np.ones((side, side), np.float32), turn, (w, height))[..., None]
    desk = desk * (1 - cover) + cv2.warpAffine(note, turn, (w, height)) * cover
    return cv2.GaussianBlur(np.clip(desk, 0, 255).astype(np.uint8), (0, 0), 1.0)


def desk_beside(digits: list[np.ndarray], seed: int = 0, height: int = 160) -> np.ndarray:
    """A photo of the sheet whose edge crosses the frame near one side (any of the four, a little askew), the desk
    beyond it: the sheet did not fill the frame there."""
    rng = np.random.default_rng(seed + 307)
    img = photo(digits, seed=seed, height=height)
    turns = int(rng.integers(4))
    view = np.ascontiguousarray(np.rot90(img, turns))
    h, w = view.shape[:2]
    top, bottom = (int(w * rng.uniform(0.03, 0.15)) for _ in range(2))
    cv2.fillPoly(view, [np.int32([[0, 0], [top, 0], [bottom, h], [0, h]])], DESKS[int(rng.integers(len(DESKS)))])
    return cv2.GaussianBlur(np.ascontiguousarray(np.rot90(view, -turns)), (0, 0), 1.0)


def shadowed(digits: list[np.ndarray], seed: int = 0, height: int = 160, darkness: tuple[float, float] = (0.55, 0.8),
             through: float = 0.4) -> np.ndarray:  # fmt: skip
    """A photo with a hard shadow (the phone's, a hand's) cast over part of it: a straight edge at any angle from
    frame to frame, `through` of the picture's size from its centre at most, so it often crosses the writing; the
    light there times a factor drawn from `darkness`, the edge blurred by 1 to 5 px."""
    rng = np.random.default_rng(seed + 401)
    img = photo(digits, seed=seed, height=height).astype(np.float32)
    h, w = img.shape[:2]
    angle = rng.uniform(0, np.pi)
    cx, cy = w / 2 + rng.uniform(-through, through) * w / 2, h / 2 + rng.uniform(-through, through) * h / 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = np.where((xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle) > 0, rng.uniform(*darkness), 1.0)
    shade = cv2.GaussianBlur(shade.astype(np.float32), (0, 0), rng.uniform(1, 5))
    return np.clip(img * shade[:, :, None], 0, 255).astype(np.uint8)


FIELD_TINTS = ((0.85, 0.85, 0.85), (1.0, 0.92, 0.82), (0.82, 0.95, 1.0), (0.92, 0.85, 0.95))  # BGR: grey, pale blue,
# pale yellow and pale violet, as forms print the fields to be written in


def tinted(digits: list[np.ndarray], seed: int = 0, height: int = 160) -> np.ndarray:
    """A photo of the digits written in a form's tinted field: a rectangle of a pale print (grey, blue, yellow or
    violet, `FIELD_TINTS`, darkened a little more or less) round the writing, 0.1 to 0.35 of a digit's height beyond it
    on each side, on the white page."""
    rng = np.random.default_rng(seed + 421)
    img = photo(digits, seed=seed, height=height).astype(np.float32)
    h, w = img.shape[:2]
    span = int(height * 0.9 * len(digits))
    x0, y0 = (w - span) // 2, (h - height) // 2
    left, right, top, bottom = (int(height * rng.uniform(0.1, 0.35)) for _ in range(4))
    tint = np.float32(FIELD_TINTS[rng.integers(len(FIELD_TINTS))]) * rng.uniform(0.85, 0.97)
    field = img[max(0, y0 - top) : y0 + height + bottom, max(0, x0 - left) : x0 + span + right]
    field *= np.minimum(tint, 1.0)
    return np.clip(img, 0, 255).astype(np.uint8)


def ringed(
    digits: list[np.ndarray], seed: int = 0, height: int = 160, circle: bool = False, color: tuple = (35, 35, 35)
) -> np.ndarray:
    """A photo of the digits with a line round them: a box (a form's printed box, turned a little as a photo takes
    it, or one drawn by hand; its corners up to 3% of the picture off true) or, with `circle`, an ellipse drawn
    round them. The line is 2 to 5 px wide, nearer the writing than the picture's edges, in `color` (BGR; a form's
    boxes are often printed in a light red or blue the scanner is meant to drop)."""
    rng = np.random.default_rng(seed + 409)
    img = photo(digits, seed=seed, height=height)
    h, w = img.shape[:2]
    span = (0.9 * len(digits) * height) / w  # the share of the width the digit boxes take
    left, right, top, bottom = 0.5 - span / 2 - 0.06, 0.5 + span / 2 + 0.06, 0.1, 0.9
    thick = int(rng.integers(2, 6))
    if circle:
        axes = (int(w * (right - left) / 2 * 1.15), int(h * 0.46))
        cv2.ellipse(img, (w // 2, h // 2), axes, float(rng.uniform(-5, 5)), 0, 360, color, thick, cv2.LINE_AA)
    else:
        corners = np.float32([[left, top], [right, top], [right, bottom], [left, bottom]]) * (w, h)
        corners += rng.uniform(-0.03, 0.03, (4, 2)) * (w, h)
        cv2.polylines(img, [np.int32(corners)], True, color, thick, cv2.LINE_AA)
    return img


def from_afar(digits: list[np.ndarray], seed: int = 0, size: int = 64, shape: tuple[int, int] = (1200, 1600),
              quality: int = 85) -> np.ndarray:  # fmt: skip
    """A big photo (`shape`, JPEG `quality`) of a page with the digits written small, `size` px boxes (MNIST's: the ink
    about 0.7 of it) in a row somewhere on it: a form photographed whole, or a camera that is not close."""
    h, w = shape
    rng = np.random.default_rng(seed)
    sheet = paper(h, w, seed)
    y, x = int(rng.integers(size, h - 2 * size)), int(rng.integers(size, w - (len(digits) + 2) * size))
    for d in digits:
        m = ink_mask(d, size)
        region = sheet[y : y + size, x : x + size]
        region[:] = region * (1 - m) + 35 * m
        x += int(size * 0.9)
    gray = np.clip(sheet, 0, 255).astype(np.uint8)
    return cv2.imdecode(cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_GRAYSCALE)


def rgba_drawing(digit28: np.ndarray, size: int = 200, color: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Strokes of one colour (BGR, black by default) on a fully transparent canvas, as drawing apps export them."""
    m = ink_mask(digit28, size)
    out = np.zeros((size, size, 4), np.uint8)
    out[..., :3] = color
    out[..., 3] = (m * 255).astype(np.uint8)
    return out


def jpeg_with_orientation(img: np.ndarray, orientation: int) -> bytes:
    """A JPEG of `img` carrying an EXIF orientation tag (1-8), as phone cameras write them."""
    import struct

    ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)  # tag, SHORT, count 1, value (padded)
    exif = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<IH", 8, 1) + entry + struct.pack("<I", 0)
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return jpg[:2].tobytes() + app1 + jpg[2:].tobytes()
