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


def test_a_saved_drawing_is_its_mixture_and_named_by_its_content(tmp_path):
    import json

    from cache.model_files import locate_exact
    from cache.specs import experiments_for, guidance_specs
    points, classes = [[0.1, 0.2], [0.3, -0.4], [-1.27, 1.27]], [0, 1, 1]
    drawing = {"format": "diffviz-drawing", "version": 1, "points": points, "classes": classes}
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(drawing))
    a, b = locate_exact(f"mixture:{tmp_path / 'a.json'}"), locate_exact(f"mixture:{tmp_path / 'b.json'}")
    expected = mixture_from_points(points, classes)
    assert a.data_sha256 == b.data_sha256 == expected.sha256() and a.shape == (2, 1, 1)
    assert a.scheduler_config["clip_sample"] is False  # as for every mixture
    (tmp_path / "b.json").write_text(json.dumps(drawing | {"classes": [0, 1, 0]}))
    assert locate_exact(f"mixture:{tmp_path / 'b.json'}").data_sha256 != a.data_sha256  # classes name it too
    assert experiments_for(a) == ["toy", "schedules", "guidance", "flow"]
    from cache.config import Settings
    assert guidance_specs(Settings(), a)[0].condition == "brush 1"


def test_the_exact_denoiser_of_a_drawing_is_mixture_from_points(tmp_path):
    import json

    import torch

    from sampling.exact_denoiser import load_exact, posterior_mean
    points, classes = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.5]], [0, 1, 1]
    (tmp_path / "d.json").write_text(json.dumps({"format": "diffviz-drawing", "version": 1, "points": points,
                                                 "classes": classes}))
    d = load_exact(f"mixture:{tmp_path / 'd.json'}")
    m = mixture_from_points(points, classes)
    np.testing.assert_array_equal(d.mixture.stds, m.stds)
    x = torch.tensor([[0.2, 0.1]], dtype=torch.float64).view(1, 2, 1, 1)
    a = d.alpha_bar[300]
    mean, _ = posterior_mean(m, x.view(1, 2).numpy(), np.sqrt(a), 1 - a)
    np.testing.assert_allclose(d.eps_hat(x, torch.tensor([300]))[0],
                               (x.view(2).numpy() - np.sqrt(a) * mean[0]) / np.sqrt(1 - a), rtol=1e-12)
