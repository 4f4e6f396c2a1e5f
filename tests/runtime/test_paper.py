"""The paper and the ink: grey levels from a histogram, the border of a picture."""

import numpy as np

from edgedigit.runtime import paper


def test_levels_of_the_negative_image_match_a_search_on_the_inverted_image():
    rng = np.random.default_rng(1)
    fractions = (0.001, 0.1, 0.5, 0.999)
    for shape in [(28, 28), (16, 16), (40, 40), (9, 300)]:  # 40x40: 0.1 of the pixels is a whole count
        for _ in range(25):
            img = rng.integers(0, 256, shape).astype(np.uint8)
            img[rng.random(shape) < rng.random()] = rng.integers(0, 256)  # a paper level holding many pixels
            neg = 255 - img
            hist, neg_hist = (np.bincount(a.ravel(), minlength=256) for a in (img, neg))
            expected = [int(np.searchsorted(h.cumsum(), f * h.sum())) for h in (hist, neg_hist) for f in fractions]
            assert paper.levels(hist, fractions, fractions) == expected


def test_border_is_the_outermost_rows_and_columns():
    img = np.arange(7 * 5).reshape(7, 5)
    for view in (img, img[1:, 1:]):  # a crop is not contiguous
        expected = np.concatenate([view[0], view[-1], view[:, 0], view[:, -1]])
        assert paper.border(view).tolist() == expected.tolist()


def test_lighting_that_rises_towards_the_border_is_background_with_the_border_plane():
    """A blank page lit unevenly, darker towards the bottom left: the opening alone falls short of the rise within
    half its width of the border (by 15 levels here); with the inner plane there it does not."""
    h, w = 160, 213
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    lit = np.clip(255 - (200 + 40 * xx / w - 30 * yy / h), 0, 255).astype(np.uint8)  # dark ink made bright
    opened = paper._opened(lit)
    assert np.abs(paper._background(opened, lit.shape).astype(int) - lit.astype(int)).max() >= 10
    assert np.abs(paper._background(opened, lit.shape, border_plane=True).astype(int) - lit.astype(int)).max() <= 2


def test_the_extreme_levels_of_a_big_picture_are_those_of_its_few_darkest_and_brightest_pixels():
    assert paper.ink_top(1000) == paper.INK_TOP
    assert paper.ink_top(200_000) == 1 - paper.INK_LEAST / 200_000


def test_histogram_counts_are_exact_at_every_size():
    """OpenCV counts in float32 bins (faster on a frame), exact only below 2^24: a larger picture keeps numpy's."""
    rng = np.random.default_rng(0)
    big = np.zeros((4100, 4100), np.uint8)
    big.flat[0] = 200  # 16,809,999 zeros, which float32 cannot hold
    for gray in (rng.integers(0, 256, (28, 28), dtype=np.uint8), rng.integers(0, 256, (480, 640), dtype=np.uint8), big):
        assert paper.histogram(gray).tolist() == np.bincount(gray.ravel(), minlength=256).tolist()
