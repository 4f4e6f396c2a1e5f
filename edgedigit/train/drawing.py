"""Drawing training pictures: fonts that draw digits and their glyphs, a random warp, ink put on paper, and
the device's own view of a picture (`to_input`: `preprocess.find_digits`), shared by every synthetic set.

Trainer side only: it uses Pillow (a matplotlib dependency) for fonts, and must never be imported by the device
runtime.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from edgedigit.runtime.preprocess import find_digits

CANVAS = 112  # px: pictures are drawn at four times the model's input, then preprocessed like a user's
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
SYMBOL_FONTS = ("cmex", "cmsy", "cmmi", "STIXSize", "STIXNonUni", "DejaVuMath")  # matplotlib's maths fonts
# draw symbols or old-style figures in place of digits


def font_files() -> list[Path]:
    """TrueType/OpenType fonts that draw ten distinct digits: the system's and matplotlib's own."""
    found: set[Path] = set()
    for d in FONT_DIRS:
        root = Path(d).expanduser()
        if root.is_dir():
            found.update(p for p in root.rglob("*") if p.suffix.lower() in (".ttf", ".otf"))
    try:
        import matplotlib

        found.update((Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("*.ttf"))
    except ImportError:
        pass
    return [p for p in sorted(found) if not p.name.startswith(SYMBOL_FONTS) and _draws_digits(str(p))]


@functools.cache
def _draws_digits(path: str) -> bool:
    """False for symbol fonts and fonts without digit glyphs (they draw the same box for every digit)."""
    try:
        shapes = {glyph(path, c, 40, 0).tobytes() for c in "0178"}
    except (OSError, ValueError):
        return False
    return len(shapes) == 4 and all(len(s) for s in shapes)


def glyph(path: str, text: str, size: int, stroke: int) -> np.ndarray:
    """`text` in the font at `size` px as 0..255 ink on black, cropped to its ink."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(path, size)
    img = Image.new("L", (size * 3, size * 3), 0)
    ImageDraw.Draw(img).text((size // 2, size // 2), text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    a = np.asarray(img)
    ys, xs = np.nonzero(a > 64)
    return a[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(ys) else a[:0, :0]


def to_input(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Ink (0..1 or 0..255 on black) -> dark on light paper with a margin -> the device's 28x28 input, or
    None when the device would not see exactly one digit-sized group in it."""
    m = max(4, int(0.2 * max(ink.shape)))
    found = find_digits(on_paper(cv2.copyMakeBorder(ink, m, m, m, m, cv2.BORDER_CONSTANT, value=0), rng))
    return found[0].image if len(found) == 1 else None


def warp(ink: np.ndarray, rng: np.random.Generator, slant: float = 0.3, turn: float = 8.0) -> np.ndarray:
    """Random slant (shear) and rotation, on a canvas large enough to keep all the ink."""
    h, w = ink.shape
    pad = max(h, w) // 2
    ink = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    c = (ink.shape[1] / 2, ink.shape[0] / 2)
    m = cv2.getRotationMatrix2D(c, rng.uniform(-turn, turn), 1.0)
    shear = rng.uniform(-slant, slant)
    m[0, 1] += shear
    m[0, 2] -= shear * c[1]
    return cv2.warpAffine(ink, m, ink.shape[::-1], flags=cv2.INTER_LINEAR)


def on_paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink (0..1, or 0..255 as uint8) written with a dark pen on light, slightly noisy paper."""
    ink = ink.astype(np.float32) / (255.0 if ink.dtype == np.uint8 else 1.0)
    paper, pen = rng.uniform(170, 245), rng.uniform(0, 90)
    return np.clip(paper * (1 - ink) + pen * ink + rng.normal(0, 2, ink.shape), 0, 255).astype(np.uint8)


def stack(images: list[np.ndarray]) -> np.ndarray:
    return np.stack(images).astype(np.uint8) if images else np.zeros((0, 28, 28), np.uint8)
