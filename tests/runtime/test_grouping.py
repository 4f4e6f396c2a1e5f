"""Ink grouped into digits: the ink mask's threshold on a noisy photo."""

import numpy as np

from edgedigit.runtime import grouping


def _noisy_page(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A flattened faint page (bright ink on black) whose paper noise reaches far up the grey levels, and a thin
    stroke on it: the ink image and where the stroke is."""
    rng = np.random.default_rng(seed)
    ink = np.clip(rng.normal(40, 25, (200, 260)), 0, 255).astype(np.uint8)
    stroke = np.zeros(ink.shape, bool)
    stroke[60:140, 128:131] = True
    ink[stroke] = 255
    return ink, stroke


def test_a_photos_threshold_stays_above_the_papers_noise():
    ink, stroke = _noisy_page()
    plain, photo = grouping.ink_mask(ink) > 0, grouping.ink_mask(ink, photo=True) > 0
    assert plain[stroke].all() and photo[stroke].all()
    assert (plain & ~stroke).sum() > 500  # Otsu's split lies inside the noise: 22,666 noise pixels here
    assert (photo & ~stroke).sum() < 20  # 1 here


def test_a_clean_photo_keeps_otsus_threshold():
    ink, _ = _noisy_page()
    ink[ink < 255] = 10  # flat paper
    assert np.array_equal(grouping.ink_mask(ink, photo=True), grouping.ink_mask(ink))
