"""The guidance experiment and ClassifierFreeGuidance against independent truth: Monte-Carlo E[x_0 | x_t, c]
from labelled samples of the smiley, guided eps at w = 0 and w = 1, the spread of p(x | c) from samples,
and the scene's pixels and numbers against the recording."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from test_scenes import drawn_alone, region, render
from test_toy_scenes import lit

from cache.config import Settings
from cache.mixtures import MIXTURES
from tests.conftest import counts_and_times, other_recordings, render_described, scene_cache_for_module

scene_cache_folder, scene_cache = scene_cache_for_module("steps = 50\n")
ALPHA_BAR = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000, dtype=np.float64))


def recorded() -> dict[str, np.ndarray]:
    from sampling.build import build
    return build(["guidance"], Settings(model="mixture:smiley", steps=50))[0].load()


def labelled_samples(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n points of the smiley with the part (class) of the Gaussian each was drawn from."""
    mix = MIXTURES["smiley"]()
    k = rng.choice(len(mix.weights), size=n, p=mix.weights)
    return mix.means[k] + mix.stds[k, None] * rng.standard_normal((n, 2)), mix.labels[k]


def test_smiley_parts_are_its_classes():
    mix = MIXTURES["smiley"]()
    assert mix.classes == ("outline", "eyes", "mouth")
    assert [int(mix.class_components(c).sum()) for c in mix.classes] == [64, 10, 30]
    mouth = mix.of_class("mouth")
    assert mouth.weights.sum() == pytest.approx(1) and (mix.means[mix.labels == 2] == mouth.means).all()
    assert mouth.means[:, 1].max() < -0.1  # the mouth is the lower arc


@pytest.mark.parametrize("c", ["eyes", "mouth"])
def test_exact_conditional_denoiser_matches_monte_carlo_over_the_class_samples(c):
    """E[x_0 | x_t = z, c] by self-normalised importance sampling over samples of the smiley that carry class c:
    no component posteriors, no of_class()."""
    from sampling.exact_denoiser import ExactDenoiser
    from sampling.loading import load_model
    model = load_model("mixture:smiley")
    mix = model.mixture
    conditional = ExactDenoiser(model.files, mix.of_class(c))
    rng = np.random.default_rng(3)
    x0, labels = labelled_samples(1_500_000, rng)
    x0 = x0[labels == mix.classes.index(c)]
    for t in (100, 300, 600):
        a = ALPHA_BAR[t]
        for z in rng.standard_normal((3, 2)) * 0.7:
            log_w = -((z - np.sqrt(a) * x0) ** 2).sum(1) / (2 * (1 - a))
            w = np.exp(log_w - log_w.max())
            expected = (w[:, None] * x0).sum(0) / w.sum()
            x0_mean, _ = conditional.posterior(torch.tensor(z, dtype=torch.float32).view(1, 2, 1, 1), torch.tensor([t]))
            assert np.allclose(x0_mean.numpy()[0], expected, atol=0.02), (t, z)


def test_guided_eps_is_unconditional_at_w_0_conditional_at_w_1_and_extrapolates_past_it():
    tr = recorded()
    w = list(tr["weights"])
    u, c, guided = tr["eps_uncond_field"], tr["eps_cond_field"], tr["eps_guided_field"]
    assert np.allclose(guided[w.index(0)], u, atol=1e-5)
    assert np.allclose(guided[w.index(1)], c, atol=1e-5)
    for j, wj in enumerate(w):
        assert np.allclose(guided[j], u + wj * (c - u), atol=1e-4 * (1 + wj))
    assert np.abs(c - u).max() > 0.5  # the fields differ: conditioning changes where the arrows point


def test_samples_follow_p_x_given_c_at_w_1_and_narrow_past_it():
    tr = recorded()
    w = list(tr["weights"])
    mix = MIXTURES["smiley"]()
    own = mix.class_components("mouth")
    assert (tr["class_components"] == own).all()
    # the true spread, from many samples of the mouth drawn here
    x, labels = labelled_samples(400_000, np.random.default_rng(0))
    mouth = x[labels == mix.classes.index("mouth")]
    truth = np.sqrt(((mouth - mouth.mean(0)) ** 2).sum(1).mean())
    assert tr["true_spread"] == pytest.approx(truth, rel=0.01)
    # the numbers on screen, counted here from the samples
    for j, final in enumerate(tr["final"]):
        assert tr["spread"][j] == pytest.approx(np.sqrt(((final - final.mean(0)) ** 2).sum(1).mean()), rel=1e-6)
        d = np.linalg.norm(final[:, None] - mix.means[own][None], axis=2) / mix.stds[own][None]
        assert tr["on_class"][j] == pytest.approx((d.min(1) <= 3).mean())
        assert tr["coverage"][j] == pytest.approx((d.min(0) <= 3).mean())
    # w = 0 samples the whole smiley, w = 1 the mouth as it is, w > 1 something narrower than the mouth
    assert abs(tr["on_class"][w.index(0)] - own.mean()) < 0.05
    assert tr["on_class"][w.index(1)] > 0.98 and tr["coverage"][w.index(1)] == 1
    assert tr["spread"][w.index(1)] == pytest.approx(truth, rel=0.1)  # DDIM with 50 steps, exact denoisers
    assert tr["spread"][-1] < 0.5 * truth and tr["coverage"][-1] < 0.6
    assert (np.diff(tr["spread"][1:]) < 0).all()


@pytest.mark.slow
def test_guidance_fields_show_minus_the_recorded_eps():
    from scenes import guidance
    scene, _ = render(guidance.ClassifierFreeGuidance, slides=2)
    tr = scene.tr
    grid = tr["grid"]
    inside = np.abs(grid).max(1) < guidance.EXTENT_2D - 0.05
    for arrows, cloud, eps in zip(scene.arrows, scene.field_clouds, (tr["eps_uncond_field"], tr["eps_cond_field"],
                                                                      tr["eps_guided_field"][-1]), strict=True):
        points = arrows.points.reshape(-1, 3, 4, 3)  # arrows, segments (shaft, barbs), bezier points
        assert np.allclose(points[:, 0, 0], cloud.to_scene(grid[inside]), atol=1e-6)
        shaft = points[:, 0, 3, :2] - points[:, 0, 0, :2]
        v = -eps[inside]
        cos = (shaft * v).sum(1) / (np.linalg.norm(shaft, axis=1) * np.linalg.norm(v, axis=1))
        assert cos.min() > 0.999
    assert scene.guided_w == list(tr["weights"])


@pytest.mark.slow
def test_guidance_summary_shows_the_recorded_samples_and_numbers():
    from scenes import guidance
    scene, frame = render(guidance.ClassifierFreeGuidance, slides=None)
    tr = scene.tr
    for j, cloud in enumerate(scene.sample_clouds[:-1]):
        final = tr["final"][j]
        assert lit(frame, cloud.to_scene(final[np.abs(final).max(1) < 0.97 * cloud.extent]), guidance.P.x0).mean() > 0.9
        texts = [t.text for t in scene.numbers[j]]
        assert texts == [f"spread{tr['spread'][j]:.3f}", f"mouth{tr['on_class'][j] * 100:.1f}%",
                         f"covers{tr['coverage'][j] * 100:.0f}%"]
    assert lit(frame, scene.sample_clouds[-1].to_scene(tr["reference"]), guidance.P.x0).mean() > 0.9
    assert [t.text for t in scene.numbers[-1]] == [f"spread{tr['true_spread']:.3f}",
                                                   f"covers{tr['reference_coverage'] * 100:.0f}%"]
    notes = scene.slide_notes[-1]
    assert all(f"{s:.3f}" in notes for s in tr["spread"]) and f"{tr['true_spread']:.3f}" in notes


@pytest.mark.slow
def test_titles_and_descriptions_take_their_numbers_from_the_recording(tmp_path, monkeypatch):
    """A recording of another size (a 400-step schedule, 53 points, DDIM with 20 steps, the eyes sampled at
    w = 0, 1, 2 and 5, another distance for on the class): every count, t, w and class in the slides' titles
    and descriptions follows it, none of the default recording's is left, and every slide lasts some time."""
    import re

    from scenes import guidance
    other_recordings(monkeypatch, tmp_path, train_steps=400, points=53, condition="eyes",
                     weights=(0.0, 1.0, 2.0, 5.0), stray_sd=2.5)
    scene, described = render_described(guidance.ClassifierFreeGuidance)
    tr = scene.tr
    assert (len(tr["reference"]), tr["field_t"], list(tr["weights"])) == (53, 120, [0, 1, 2, 5])
    assert len(described) == 5 and '"exact denoisers, c = eyes"' in described[0] and '"t = 120"' in described[0]
    assert "w steps through 0, 1, 2 and 5" in described[1] and "at w = 2 and 5 they push further" in described[1]
    assert f'"DDIM, 20 steps, from the same 53 noises, t = {tr["frame_t"][0]}"' in described[2]
    assert "within 2.5 sd" in described[3] and f"under w = 5, spread {tr['spread'][3]:.3f}, eyes" in described[3]
    assert len(set(described)) == len(described)
    text = counts_and_times("\n".join(described))
    assert not re.findall(r"\b(2000|1000|999|980|300|50|3|7|3 sd)\b", text) and "mouth" not in text


@pytest.mark.slow
def test_a_drawings_first_slide_names_its_brush_on_screen_and_in_the_notes(tmp_path, monkeypatch):
    """With a drawing configured (mixture:FILE.json, its brush 1 a bar inside a ring of brush 0), the first slide of
    ClassifierFreeGuidance: its notes name the drawing and brush 1 against the rest, never the smiley; the last frame's
    header over the middle plot is, pixel for pixel, the text "conditional: p(x | brush 1)" drawn alone there, and
    not the smiley's "conditional: p(x | mouth)"."""
    import json

    from manim import Text

    from scenes import guidance
    from scenes.kit.text import label
    ring = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    points = np.round(np.r_[0.8 * np.c_[np.cos(ring), np.sin(ring)], np.c_[np.linspace(-0.4, 0.4, 8), np.zeros(8)]], 3)
    (tmp_path / "ring.json").write_text(json.dumps({"format": "diffviz-drawing", "version": 1,
                                                    "points": points.tolist(), "classes": [0] * 24 + [1] * 8}))
    (tmp_path / "diffviz.toml").write_text(f'steps = 20\nmodel = "mixture:{tmp_path / "ring.json"}"\n')
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(tmp_path / "diffviz.toml"))
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    scene, frame = render(guidance.ClassifierFreeGuidance, slides=1)
    assert scene.tr.manifest["model"]["name"] == f"mixture:{tmp_path / 'ring.json'}"
    notes = scene.slide_breaks[0]["notes"] + scene.slide_breaks[0]["description"]
    assert "your drawing's brushes are classes, c = brush 1 against the rest, brush 0." in notes
    assert "smiley" not in notes and "mouth" not in notes
    header = next(m for top in scene.mobjects for m in top.get_family()
                  if isinstance(m, Text) and m.original_text.startswith("conditional"))
    assert header.original_text == "conditional: p(x | brush 1)"
    box = region(frame, header)
    shown = frame[box].astype(np.float32)
    same, smiley = (drawn_alone(scene, label(text, size=24).move_to(header.get_center()), box)
                    for text in ("conditional: p(x | brush 1)", "conditional: p(x | mouth)"))
    assert np.abs(shown - same).mean() < 2 and np.corrcoef(shown.ravel(), same.ravel())[0, 1] > 0.98
    assert np.corrcoef(shown.ravel(), smiley.ravel())[0, 1] < 0.7
