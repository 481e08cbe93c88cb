"""benchmarks/embedded_quality.py's figures (issue 19) on images whose answers are known by hand."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks import embedded_quality as quality  # benchmarks/ runs from the checkout

ROOT = Path(__file__).resolve().parents[1]


def random_set(n: int = 5, side: int = 8) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (n, 3, side, side)).astype(np.float32)


def test_total_variation_of_a_checkerboard_is_2_and_of_a_flat_image_0():
    board = np.where((np.arange(6)[:, None] + np.arange(6)[None, :]) % 2, 1.0, -1.0)
    assert quality.total_variation(np.broadcast_to(board, (2, 3, 6, 6))) == 2.0
    assert quality.total_variation(np.full((2, 3, 6, 6), 0.3)) == 0.0


def test_nearest_finds_a_mirrored_training_image_at_the_offset_added_to_it():
    train = random_set()
    sample = train[3][..., ::-1] + 0.05  # the mirror of image 3, every pixel 0.05 brighter: RMS 0.05 away
    refs, dist = quality.nearest(sample[None], train)
    np.testing.assert_allclose(dist, [0.05], atol=1e-5)
    np.testing.assert_array_equal(refs[0], train[3][..., ::-1])


def test_training_nearest_other_skips_the_image_itself_and_its_mirror():
    train = random_set()
    train[1] = train[0] - 0.2  # a near twin: 0.2 apart, every other pair much further
    own = quality.training_nearest_other(train)
    np.testing.assert_allclose(own[:2], [0.2, 0.2], atol=1e-5)
    assert (own[2:] > 0.4).all()


def test_the_pairs_sheet_shows_each_sample_over_its_nearest_training_image(tmp_path):
    train = np.stack([np.full((3, 4, 4), v, np.float32) for v in (-1.0, 0.0, 1.0)])
    train[0, 0] = 1.0  # a red image, a grey one, a white one
    samples = np.stack([train[2] - 0.1, train[0]])  # near the white one; the red one itself
    quality.write_pairs(samples, train, tmp_path / "pairs.png", columns=2, scale=4)
    sheet = np.asarray(Image.open(tmp_path / "pairs.png").convert("RGB"))
    pad, side = 6, 16
    top, below = sheet[pad + 8, pad + 8], sheet[pad + side + 2 + 8, pad + 8]
    assert tuple(below) == (255, 255, 255) and abs(int(top[0]) - 242) <= 1  # 0.9 is 242 of 255
    second = pad + side + pad + 8
    assert tuple(sheet[pad + 8, second]) == tuple(sheet[pad + side + 2 + 8, second]) == (255, 0, 0)


def test_the_targets_read_copying_against_the_sets_own_spacing():
    """Samples that are the training images, every pixel 0.25 brighter: the same total variation (ratio 1),
    colour off by 0.25, each sample 0.25 from its image. The set has one near twin pair 0.2 apart and
    the rest far apart: 0.25 clears the closest pair, not the median nearest other."""
    train = random_set()
    board = np.where((np.arange(8)[:, None] + np.arange(8)[None, :]) % 2, 0.2, -0.2)
    train[1] = train[0] + board  # 0.2 from image 0 (RMS), and sqrt(0.2² + 0.25²) from image 0's sample
    samples = train + 0.25
    every = quality.figures(samples, train)
    met = quality.targets([every, every], every, quality.training_nearest_other(train))  # two seeds, alike
    assert [ok for *_, ok in met] == [True, False, True, False]
    assert met[0][0] == "tv ratio 1.000" and met[1][0] == "mean colour off 0.250"
    assert met[2][1] == ">= 0.200 (the set's closest pair)" and met[2][0] == "nearest training, min 0.250"
