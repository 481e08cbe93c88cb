"""The rule from a drawing to a mixture (cache/mixtures.py mixture_from_points), which the sandbox mirrors."""
from __future__ import annotations

import numpy as np
import pytest

from cache.mixtures import DRAWN_SD_ALONE, DRAWN_SD_MAX, DRAWN_SD_MIN, mixture_from_points


def test_one_component_per_point_equal_weights_and_half_the_nearest_distance():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [0.1, 0.06], [0.9, 0.9], [0.0, 0.0]])
    m = mixture_from_points(points)
    assert m.means.shape == (5, 2) and np.allclose(m.weights, 0.2) and m.labels is None
    np.testing.assert_array_equal(m.means, points)
    # nearest others: 0 (a duplicate), 0.06, 0.06, far, 0 -> halves, clipped into [0.01, 0.1]
    np.testing.assert_allclose(m.stds, [DRAWN_SD_MIN, 0.03, 0.03, DRAWN_SD_MAX, DRAWN_SD_MIN])


def test_a_lone_point_and_classes():
    assert mixture_from_points([[0.2, 0.3]]).stds.tolist() == [DRAWN_SD_ALONE]
    m = mixture_from_points([[0, 0], [0.5, 0], [1, 0]], classes=[0, 1, 1])
    assert m.classes == ("brush 0", "brush 1") and m.labels.tolist() == [0, 1, 1]
    assert m.of_class("brush 1").weights.tolist() == [0.5, 0.5]
    with pytest.raises(ValueError):
        mixture_from_points(np.zeros((0, 2)))
