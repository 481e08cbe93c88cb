"""The toy and memorisation scenes rendered for real (without encoding): the paths, clouds, arrows
and panels on screen are the trajectory's, and torch stays out."""
from __future__ import annotations

import numpy as np
import pytest
from manim import color_to_rgb, config, tempconfig
from test_scenes import LOW, corr, crop, drawn_alone, region, render, torch_after_render

from tests.conftest import scene_cache_for_module

pytestmark = pytest.mark.slow  # renders scenes

scene_cache_folder, scene_cache = scene_cache_for_module("steps = 20\n")


def pixel_at(frame: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The frame's RGB at scene points (N, 3)."""
    h, w = frame.shape[:2]
    cols = ((points[:, 0] / config.frame_width + 0.5) * w).astype(int).clip(0, w - 1)
    rows = ((0.5 - points[:, 1] / config.frame_height) * h).astype(int).clip(0, h - 1)
    return frame[rows, cols].astype(np.float32)


def lit(frame, points, color, tolerance=60.0) -> np.ndarray:
    """Whether the frame shows `color` at each point, or one pixel beside it (a dot is 3 pixels wide)."""
    pixel = np.array([config.frame_width / frame.shape[1], config.frame_height / frame.shape[0], 0])
    near = [np.abs(pixel_at(frame, points + pixel * [dx, dy, 0]) - color_to_rgb(color) * 255).max(axis=1) < tolerance
            for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    return np.any(near, axis=0)


def data_coords(axes, mobject_points: np.ndarray) -> np.ndarray:
    """Scene points on toy.value_axes -> (t, x)."""
    from scenes import toy
    c = np.array([axes.p2c(p) for p in mobject_points])
    return np.column_stack([c[:, 0], c[:, 1] - toy.EXTENT])


def test_toy_1d_forward_paths_heatmap_and_marginal_are_the_trajectorys():
    from scenes import toy
    scene, frame = render(toy.ToyDiffusion1D, slides=2)
    tr, axes = scene.tr, scene.axes
    for i, path in enumerate(scene.checkpoint["paths"]):
        anchors = data_coords(axes, np.asarray(path.get_anchors())[::4])
        xs = np.concatenate([tr["x0"][i], tr["forward_paths"][:, i, 0]])
        assert np.allclose(anchors[:, 1], np.clip(xs[anchors[:, 0].round().astype(int)], -3, 3), atol=1e-3)
    last = np.asarray(scene.checkpoint["paths"][0].get_anchors())[-1:]
    assert data_coords(axes, last)[0, 0] == pytest.approx(1000, abs=0.5)
    # the heatmap's brightness along x at t ~ 500 follows q(x_t) there (the paths are dimmed pixels at most)
    f = int(np.searchsorted(tr["forward_t"], 500))
    z = tr["grid"][:, 0]
    inner = np.abs(z) < 2.9
    columns = [pixel_at(frame, toy.along(axes, np.full(inner.sum(), tr["forward_t"][f] + dt), z[inner])).mean(1)
               for dt in range(-40, 41, 8)]  # the median over nearby columns drops the paths crossing them
    assert np.corrcoef(np.median(columns, 0), np.sqrt(tr["density"][f][inner]))[0, 1] > 0.9
    # the marginal beside it is q(x_T)
    side = data_coords(scene.side, np.asarray(scene.checkpoint["marginal"].get_anchors())[::4])
    assert np.allclose(side[:, 0], np.interp(side[:, 1], z, tr["density"][-1]), atol=2e-3)


def test_toy_1d_reverse_paths_land_where_the_samples_do():
    from scenes import toy
    scene, frame = render(toy.ToyDiffusion1D, slides=3)
    tr, axes = scene.tr, scene.axes
    for i, path in enumerate(scene.checkpoint["ddpm_paths"]):
        start, end = data_coords(axes, np.asarray(path.get_anchors())[[0, -1]])
        assert start == pytest.approx([1000, np.clip(tr["ddpm_paths"][0, i, 0], -3, 3)], abs=1e-3)
        assert end == pytest.approx([0, tr["ddpm_final"][i, 0]], abs=1e-3)
    # the histogram beside: its bars are the 400 samples' histogram
    bars = scene.checkpoint["ddpm_bars"]
    expected, _ = np.histogram(tr["ddpm_final"][:, 0], bins=len(bars), range=(-3, 3), density=True)
    width = np.array([b.width for b in bars])
    assert np.allclose(width / width.max(), np.minimum(expected, 1.6) / np.minimum(expected, 1.6).max(), atol=1e-2)


def test_toy_2d_cloud_is_the_recorded_points():
    from scenes import toy
    scene, frame = render(toy.ToyDiffusion2D, slides=2)
    tr, cloud = scene.tr, scene.left
    points = tr["forward"][-1]
    inside = np.abs(points).max(1) < toy.EXTENT_2D * 0.97
    shown = lit(frame, cloud.to_scene(points[inside]), toy.P.x_t)
    elsewhere = lit(frame, cloud.to_scene(np.random.default_rng(0).uniform(-1.9, 1.9, (2000, 2))), toy.P.x_t)
    assert shown.mean() > 0.9 and elsewhere.mean() < 0.6 * shown.mean()
    assert scene.left.image.height == pytest.approx(scene.left.frame.height)


def test_toy_2d_arrows_point_along_minus_eps_hat():
    from scenes import toy
    scene, _ = render(toy.ToyDiffusion2D, slides=4)
    tr = scene.tr
    grid = tr["grid"]
    inside = np.abs(grid).max(1) < toy.EXTENT_2D - 0.05
    eps_hat = tr["eps_hat_field"][scene.field_index][inside]
    points = scene.arrows.points.reshape(-1, 3, 4, 3)  # arrows, segments (shaft, barbs), bezier points
    shaft = points[:, 0, 3] - points[:, 0, 0]
    assert np.allclose(points[:, 0, 0], scene.left.to_scene(grid[inside]), atol=1e-6)
    cos = (shaft[:, :2] * -eps_hat).sum(1) / (np.linalg.norm(shaft[:, :2], axis=1) * np.linalg.norm(eps_hat, axis=1))
    assert cos.min() > 0.999
    assert tr["forward_t"][scene.field_index] < 50, "the field ends close to the data"


def test_toy_2d_reverse_gathers_the_points_back_into_the_smiley():
    from cache.mixtures import MIXTURES
    from scenes import toy
    scene, frame = render(toy.ToyDiffusion2D, slides=None)
    tr = scene.tr
    for s, cloud in scene.clouds.items():
        final = tr[f"{s}_final"]
        assert lit(frame, cloud.to_scene(final), toy.P.x0).mean() > 0.9
        for i, trace in enumerate(scene.traces[s]):
            assert np.allclose(np.asarray(trace.get_anchors())[-1], cloud.to_scene(final[i:i + 1])[0], atol=1e-6)
    # and the smiley is there: the final points sit on its strokes (the mixture's means)
    means = MIXTURES["smiley"]().means
    d = np.linalg.norm(tr["ddim_final"][:, None] - means[None], axis=2).min(1)
    assert np.median(d) < 0.06
    # the share of points off the strokes on screen is the trajectory's (Text drops spaces)
    ddpm, ddim = (note.text for note in scene.strays)
    assert ddpm.endswith(f"{tr['ddpm_stray'] * 100:.1f}%")
    assert ddim == f"off:{tr['ddim_stray'] * 100:.1f}%;with1000steps:{tr['ddim_fine_stray'] * 100:.1f}%"


def test_memorisation_rows_are_the_two_runs_and_the_exact_one_copies():
    from scenes import memorisation
    scene, frame = render(memorisation.GeneraliseOrMemorise, slides=2)
    tr = scene.tr
    side = tr["unet_x"].shape[-2]
    for key, row in scene.panels.items():
        for j, panel in enumerate(row):
            assert corr(crop(frame, panel.image, side), tr[f"{key}_x"][-1, j]) > 0.97
    # memorisation: the exact denoiser's outputs are training images; the UNet's are not
    assert tr["exact_nearest_distance"].max() < 0.05 * np.sqrt(3 * side * side)
    assert tr["unet_nearest_distance"].min() > 10 * tr["exact_nearest_distance"].max()
    assert np.array_equal(tr["exact_x"][-1], tr["exact_nearest"])
    # the nearest training image and the distance to it, from the training images loaded here
    from cache.datasets import load_dataset
    training = load_dataset(tr.manifest["spec"]["training"].partition(":")[2], side).astype(np.float64)
    assert len(training) == tr["training_count"]
    for key in ("unet", "exact"):
        final = tr[f"{key}_final_float"].astype(np.float64)
        d = np.linalg.norm((final[:, None] - training[None]).reshape(len(final), len(training), -1), axis=2)
        assert (tr[f"{key}_nearest_index"] == d.argmin(1)).all()
        assert np.allclose(tr[f"{key}_nearest_distance"], d.min(1), atol=1e-3)


def test_memorisation_distances_on_screen_are_the_trajectorys():
    from scenes import memorisation
    scene, frame = render(memorisation.GeneraliseOrMemorise, slides=None)
    tr = scene.tr
    side = tr["unet_nearest"].shape[-2]
    for j, panel in enumerate(scene.nearest):
        assert corr(crop(frame, panel.image, side), tr["unet_nearest"][j]) > 0.97
    for key, numbers in scene.distances.items():
        assert [n.get_value() for n in numbers] == pytest.approx(tr[f"{key}_nearest_distance"].tolist())


def test_toy_scenes_from_a_filled_cache_never_import_torch():
    from cache.config import Settings
    from sampling.build import build
    build(["toy"], Settings(model="mixture:1d", steps=20))
    assert torch_after_render(["toy", "memorisation"], "ToyDiffusion1D", slides=1) == ["False", "False"]


def test_counts_and_times_on_screen_and_in_the_notes_are_the_recordings(tmp_path, monkeypatch):
    """Recordings of another size than the default ones (37 and 53 points, mixtures of two and of
    seven Gaussians, a 300-step cosine schedule): every count, t and schedule that the toy scenes write, on
    screen or in the speaker notes, follows the recording; none of the default recordings' numbers is left."""
    import json
    import re

    from cache import mixtures, model_files, specs
    from scenes import toy
    from scenes.kit import text as kit_text

    circle = np.linspace(0, 2 * np.pi, 7, endpoint=False)
    monkeypatch.setitem(mixtures.MIXTURES, "1d", lambda: mixtures.Mixture(
        np.array([0.4, 0.6]), np.array([[-0.5], [0.5]]), np.array([0.1, 0.08])))
    monkeypatch.setitem(mixtures.MIXTURES, "smiley", lambda: mixtures.Mixture(
        np.full(7, 1 / 7), 0.8 * np.column_stack([np.cos(circle), np.sin(circle)]), np.full(7, 0.03)))
    schedule = json.loads(model_files.SCHEDULER_CONFIG.read_text()) | {"num_train_timesteps": 300}
    (tmp_path / "scheduler_config.json").write_text(json.dumps(schedule))
    monkeypatch.setattr(model_files, "SCHEDULER_CONFIG", tmp_path / "scheduler_config.json")
    monkeypatch.setitem(specs.TOY_POINTS, 1, 37)
    monkeypatch.setitem(specs.TOY_POINTS, 2, 53)
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    (tmp_path / "diffviz.toml").write_text('steps = 20\nschedule = "squaredcos_cap_v2"\n')  # not the images'
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(tmp_path / "diffviz.toml"))
    written = []  # every label a scene makes, the title cards' too

    def label(text, *args, **kwargs):
        written.append(text)
        return real_label(text, *args, **kwargs)
    real_label = kit_text.label  # the text kit's, which the title cards' lines() and the scenes use
    monkeypatch.setattr(kit_text, "label", label)  # the title cards'
    monkeypatch.setattr(toy, "label", label)

    def render_all(scene_cls):
        """The whole scene: (the labels it made, its speaker notes, its slides' titles and descriptions, the scene)."""
        written.clear()
        with tempconfig(LOW | {"pixel_height": 270, "pixel_width": 480, "frame_rate": 3}):
            scene = scene_cls()
            scene.render()
        described = [f"{s['title']}: {s['description']}" for s in scene.slide_breaks]
        return list(written), scene.slide_notes, described, scene

    shown, notes, described, scene = render_all(toy.ToyDiffusion1D)
    assert (len(scene.tr["x0"]), len(scene.tr["alpha_bar"]), len(scene.tr["ddim_t"]) - 1) == (37, 300, 20)
    assert "a mixture of two Gaussians and its exact denoiser" in shown
    assert "exact denoiser: E[x₀ | xₜ] by Bayes over the two components, no training" in shown
    assert shown.count("37 samples") == 2  # beside each histogram
    assert "a mixture of two Gaussians in one dimension, noised with the cosine schedule (T = 300)" in notes[0]
    assert notes[1].startswith("37 samples x_0")
    assert notes[2].startswith("q(x_t) at t = 300 is N(0, 1)")
    assert notes[3].startswith("DDPM, 300 steps") and notes[4].startswith("DDIM, 20 steps")
    assert all("37 samples land in the two modes" in n for n in notes[3:5])
    assert "a mixture of two Gaussians" in described[0] and "across from 0 to 300" in described[0]
    assert "37 DDPM samples" in described[2] and "in 20 steps" in described[3]
    assert not re.findall(r"\b(three|400|999|1000)\b", "\n".join(shown + notes + described))

    shown, notes, described, scene = render_all(toy.ToyDiffusion2D)
    assert (len(scene.tr["x0"]), len(scene.tr["alpha_bar"])) == (53, 300)
    assert "53 points x₀" in shown and "of a mixture of seven small Gaussians" in shown
    assert "a smiley of points, the cosine schedule" in shown and "noised with the cosine schedule" in notes[0]
    assert any(s.endswith("with 300 steps: " + f"{scene.tr['ddim_fine_stray']:.1%}") for s in shown)
    assert notes[0].startswith("53 points of a smiley") and notes[1].startswith("53 points from a smiley")
    assert notes[2].startswith("t = 299: sqrt(alpha_bar)")
    assert notes[3].startswith("At t = 299 the field points at the origin")
    assert "Both from the same x_T, 53 points" in notes[5]
    assert "DDPM after 300 steps" in notes[6] and "DDIM after 20 " in notes[6]
    assert "53 points x_0 drawing a smiley face, a mixture of seven small Gaussians" in described[0]
    assert "t runs to 299" in described[1] and "with 300 steps" in described[6]
    assert not re.findall(r"\b(104|2000|999|1000)\b", "\n".join(shown + notes + described))
    assert "linear" not in "\n".join(shown + notes + described)
    # the arrows' sweep ends near the data whatever T is: at 2 % of it
    assert scene.tr["forward_t"][scene.field_index] <= 0.02 * 300 + 300 / 200


def ring_drawing(folder) -> str:
    """A drawing saved as the sandbox saves one: a ring of brush 0 round a bar of brush 1; its model name."""
    import json
    ring = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    points = np.round(np.r_[0.8 * np.c_[np.cos(ring), np.sin(ring)], np.c_[np.linspace(-0.4, 0.4, 8), np.zeros(8)]], 3)
    (folder / "ring.json").write_text(json.dumps({"format": "diffviz-drawing", "version": 1,
                                                  "points": points.tolist(), "classes": [0] * 24 + [1] * 8}))
    return f"mixture:{folder / 'ring.json'}"


def test_toy_2d_title_card_of_a_drawing_says_so(tmp_path, monkeypatch):
    """With a drawing configured, ToyDiffusion2D's title card (the frame while it holds) shows, pixel for pixel, the
    subtitle "your drawing's points, ..." drawn alone there, not the smiley's "a smiley of points, ..."; the first
    slide's notes say "your drawing"."""
    from manim import Text

    from scenes import toy
    from scenes.kit.palette import P
    from scenes.kit.text import lines
    model = ring_drawing(tmp_path)
    (tmp_path / "diffviz.toml").write_text(f'steps = 20\nmodel = "{model}"\n')
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(tmp_path / "diffviz.toml"))
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))

    class Peek(toy.ToyDiffusion2D):
        def wait(self, *args, **kwargs):  # the first wait is the title card's hold
            super().wait(*args, **kwargs)
            if not hasattr(self, "card"):
                self.card = self.renderer.get_frame()[..., :3].copy(), [m for top in self.mobjects
                                                                         for m in top.get_family()]

    scene, _ = render(Peek, slides=1)
    frame, shown = scene.card
    assert scene.tr.manifest["model"]["name"] == model  # the drawing's recording
    words = "your drawing's points, the image models' linear schedule"
    subtitle = next(m for m in shown if isinstance(m, Text) and "points," in m.original_text)
    assert subtitle.original_text == words
    notes = scene.slide_breaks[0]["notes"]
    assert notes.startswith("2000 points of your drawing in two dimensions") and "smiley" not in notes
    box = region(frame, subtitle)
    card = frame[box].astype(np.float32)
    same, smiley = (drawn_alone(scene, lines(text, size=30, color=P.dim).move_to(subtitle.get_center()), box)
                    for text in (words, "a smiley of points, the image models' linear schedule"))
    assert np.abs(card - same).mean() < 2 and np.corrcoef(card.ravel(), same.ravel())[0, 1] > 0.98
    assert np.corrcoef(card.ravel(), smiley.ravel())[0, 1] < 0.7
