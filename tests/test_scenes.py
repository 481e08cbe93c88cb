"""Scenes rendered for real (without encoding): the pixels of their image panels are the
trajectory's images, the numbers they show are the trajectory's, and torch stays out."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from manim import config, tempconfig

from cache.stored_arrays import every_stored_array
from tests.conftest import scene_cache_for_module

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # renders scenes

LOW = {"dry_run": True, "pixel_height": 540, "pixel_width": 960, "frame_rate": 6, "disable_caching": True,
       "verbosity": "ERROR", "progress_bar": "none"}


# one cache and a small settings file for all the scene tests of this module
scene_cache_folder, scene_cache = scene_cache_for_module(
    "steps = 20\nforward_timestep = 8\nddim_step_counts = [5, 20]\ngrid_levels = 4\n")


@contextlib.contextmanager
def arrays_read():
    """The (experiment, array name) of every array read from a trajectory meanwhile."""
    from cache.lookup import Trajectory
    read, get = set(), Trajectory.__getitem__

    def reading(self, name):
        read.add((self.spec["experiment"] if isinstance(self.spec, dict) else self.spec.experiment, name))
        return get(self, name)

    Trajectory.__getitem__ = reading
    try:
        yield read
    finally:
        Trajectory.__getitem__ = get


def render(scene_cls, slides: int | None):
    """Render the first `slides` slides of a scene (None: all of it); every array it reads must be listed in
    cache/stored_arrays.py."""
    with tempconfig(LOW), arrays_read() as read:
        scene = scene_cls()
        scene.slides_to_render = slides
        scene.render()
        frame = scene.renderer.get_frame()[..., :3]
    unlisted = sorted((experiment, name) for experiment, name in read if name not in every_stored_array(experiment))
    assert not unlisted, f"{scene_cls.__name__} reads arrays that cache/stored_arrays.py does not list: {unlisted}"
    return scene, frame


def crop(frame: np.ndarray, mobject, size: int) -> np.ndarray:
    """The frame's pixel at the centre of each of the size x size cells of an image mobject,
    without the outer ring of cells, which the panel's frame overlaps."""
    h, w = frame.shape[:2]
    (x0, y0, _), (x1, y1, _) = mobject.get_corner([-1, 1, 0]), mobject.get_corner([1, -1, 0])
    centres = (np.arange(size) + 0.5) / size
    cols = ((x0 + centres * (x1 - x0)) / config.frame_width + 0.5) * w
    rows = (0.5 - (y0 + centres * (y1 - y0)) / config.frame_height) * h
    cells = frame[np.ix_(rows.astype(int), cols.astype(int))].astype(np.float32)
    return cells[1:-1, 1:-1]


def region(frame: np.ndarray, mobject) -> tuple[slice, slice]:
    """The frame's rows and columns that a mobject covers, two pixels wider on each side."""
    h, w = frame.shape[:2]
    (x0, y0, _), (x1, y1, _) = mobject.get_corner([-1, 1, 0]), mobject.get_corner([1, -1, 0])
    return (slice(int((0.5 - y0 / config.frame_height) * h) - 2, int((0.5 - y1 / config.frame_height) * h) + 3),
            slice(int((x0 / config.frame_width + 0.5) * w) - 2, int((x1 / config.frame_width + 0.5) * w) + 3))


def drawn_alone(scene, mobject, box: tuple[slice, slice]) -> np.ndarray:
    """The pixels of `box` with `mobject` drawn by itself on the scene's background (the scene is cleared): what
    a text should look like where the scene drew it."""
    scene.clear()
    scene.add(mobject)
    scene.renderer.update_frame(scene)
    return scene.renderer.get_frame()[..., :3][box].astype(np.float32)


def corr(shown: np.ndarray, image: np.ndarray) -> float:
    """Pixel correlation of what a panel shows with a stored (H, W, 3) image, outer ring left out."""
    return float(np.corrcoef(shown.ravel(), image[1:-1, 1:-1].astype(np.float32).ravel())[0, 1])


@pytest.mark.parametrize("scene_name, step, slides", [("ReverseProcess", 2, 4), ("ReverseProcessDDIM", 1, 3)])
def test_reverse_panels_and_numbers_are_the_trajectorys(scene_name, step, slides):
    """At the start of the slide after step `step` (the title, the first step, one slide per slow step)."""
    from scenes import reverse
    scene, frame = render(getattr(reverse, scene_name), slides=slides)
    tr = scene.tr
    side = tr["x"].shape[1]
    shown = {name: crop(frame, panel.image, side) for name, panel in scene.panels.items()}
    assert corr(shown["x"], tr["x"][step]) > 0.97
    assert corr(shown["eps_hat"], tr["eps_hat"][step]) > 0.97
    assert corr(shown["x_prev"], tr["x"][step + 1]) > 0.97
    assert corr(shown["x0_hat"], tr["x0_hat"][step]) > 0.97
    assert corr(shown["x"], tr["x"][-1]) < 0.9, "a noisy early step does not look like the final image"
    for key, number in scene.values.items():
        assert number.get_value() == pytest.approx(float(tr[key][step]), abs=1e-9)
    counters = {name: number.get_value() for name, number in scene.counters.items()}
    assert counters == {"step": step + 1, "t": tr["t"][step], "t_prev": tr["t_prev"][step]}
    assert scene.t_prev_slot.key == (tr["t_prev"][step] < 0)


def test_ddim_recorded_at_eta_0_shows_the_short_label_which_is_exact_there():
    """The recordings have eta = 0: no noise added, so sqrt(1 - alpha_bar_{t-1} - sigma_t^2) is
    sqrt(1 - alpha_bar_{t-1}), the label on screen."""
    from cache.config import load_settings
    from scenes import reverse
    from scenes.kit.base import find_or_record
    tr = find_or_record("reverse", reverse.ReverseProcessDDIM.index, load_settings())
    assert tr.spec.scheduler == "ddim" and tr.spec.eta == 0
    assert not tr["sigma_t"].any() and r"\sqrt{1-\bar\alpha_{t-1}}" in reverse.ReverseProcessDDIM.equation
    assert tr["direction_coef"] == pytest.approx(np.sqrt(1 - tr["alpha_bar_prev"]), abs=1e-7)


def test_ddim_with_eta_shows_eq_12_in_full_with_sigma_t(monkeypatch):
    """A DDIM recording with eta > 0 adds noise: the label becomes sqrt(1 - alpha_bar_{t-1} - sigma_t^2),
    and sigma_t z is on screen with the recorded sigma_t."""
    from cache.lookup import Trajectory
    from cache.specs import Reverse
    from cache.store import to_display
    from sampling.loading import load_model
    from sampling.recorders import record
    from scenes import reverse
    spec = Reverse("ddim", 20, 0, eta=0.5)
    model = load_model("embedded", device="cpu")
    recording = record(model, spec)
    arrays = {name: to_display(x.numpy()) for name, x in recording.images.items()} | recording.numbers
    manifest = {"model": model.files.identity()}
    monkeypatch.setattr(reverse.ReverseProcessDDIM, "trajectory", lambda self, *_: Trajectory(spec, manifest, arrays))
    scene, _ = render(reverse.ReverseProcessDDIM, slides=3)
    assert r"\sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}" in scene.equation and r"\sigma_t" in scene.equation
    for key, number in scene.values.items():
        assert number.get_value() == pytest.approx(float(arrays[key][1]), abs=1e-9)
    assert scene.values["sigma_t"].get_value() > 0
    assert "sqrt(1 - alpha_bar_(t-1) - sigma_t^2) = " in scene.step_notes(1)


def test_forward_panels_and_coefficients_are_the_trajectorys():
    from scenes import forward
    scene, frame = render(forward.ForwardProcess, slides=4)
    mobs = scene.checkpoint
    tr = scene.tr
    i = mobs["frame"]
    side = tr["x0"].shape[0]
    assert corr(crop(frame, mobs["x_t"].image, side), tr["x_t"][i]) > 0.97
    assert corr(crop(frame, mobs["x0"].image, side), tr["x0"]) > 0.97
    assert corr(crop(frame, mobs["eps"].image, side), tr["eps"]) > 0.97
    assert mobs["coef_a"].get_value() == pytest.approx(float(tr["sqrt_alpha_bar"][i]))
    assert mobs["coef_b"].get_value() == pytest.approx(float(tr["sqrt_one_minus_alpha_bar"][i]))
    assert mobs["t"].get_value() == tr["t"][i]
    # and the closed form: the numbers are sqrt(alpha_bar_t) of the linear schedule, not typed-in constants
    betas = np.linspace(1e-4, 0.02, 1000, dtype=np.float64)
    assert mobs["coef_a"].get_value() == pytest.approx(np.sqrt(np.prod(1 - betas[: tr["t"][i] + 1])), rel=1e-4)


def torch_after_render(modules: list[str], scene: str, slides: int) -> list[str]:
    """Import the scene modules and render module.Class (the first module's) first `slides` slides in a fresh
    interpreter; whether torch and diffusers were imported then, as ["False", "False"] when not."""
    code = textwrap.dedent(f"""
        import sys
        from manim import tempconfig
        from scenes import {', '.join(modules)}
        with tempconfig({LOW!r}):
            s = {modules[0]}.{scene}(); s.slides_to_render = {slides}; s.render()
        print("torch" in sys.modules, "diffusers" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()[-2:]


def test_scene_with_cached_trajectory_never_imports_torch(tmp_path):
    from cache.config import load_settings
    from sampling.build import build
    build(["reverse"], load_settings())  # recorded now, into this test's cache
    assert torch_after_render(["reverse"], "ReverseProcess", slides=3) == ["False", "False"]


def test_missing_trajectory_of_another_model_names_the_build_command(tmp_path, tiny_model, monkeypatch):
    cfg = tmp_path / "diffviz.toml"
    cfg.write_text(f'model = "{tiny_model}"\npatch_x = 0\npatch_y = 0\n')
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(cfg))
    code = "from scenes import reverse; reverse.ReverseProcess().render()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    assert f"diffviz cache build reverse --model {tiny_model} --steps 50" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_patch_scene_shows_both_runs_their_distance_and_the_patch():
    from scenes import similar_noise
    scene, frame = render(similar_noise.PatchPerturbation, slides=4)
    tr = scene.tr
    S, side = len(tr["t"]), tr["x"].shape[2]
    assert corr(crop(frame, scene.panels["a"].image, side), tr["x"][S, 0]) > 0.97
    assert corr(crop(frame, scene.panels["b"].image, side), tr["x"][S, 1]) > 0.97
    assert scene.numbers["x_distance"].get_value() == pytest.approx(float(tr["x_distance"][S]))
    x, y, n = tr["patch"]
    outline = scene.patch_outline(scene.panels["b"], tr)
    cell = scene.panels["b"].image.height / side
    assert outline.width == pytest.approx(n * cell) and outline.get_left()[0] == pytest.approx(
        scene.panels["b"].image.get_left()[0] + x * cell)


def test_sweep_dots_sit_at_the_recorded_distances():
    from scenes import similar_noise
    scene, _ = render(similar_noise.PerturbationSweep, slides=None)
    tr = scene.tr
    axes = next(m for m in scene.mobjects if type(m).__name__ == "Axes")
    for kind, dots in scene.series.items():
        shown = np.array([axes.p2c(d.get_center()) for d in dots])
        assert np.allclose(shown[:, 0], tr[f"{kind}_noise_distance"], rtol=1e-4)
        assert np.allclose(shown[:, 1], tr[f"{kind}_output_distance"], rtol=1e-4)
    # the series are no quantity of the palette's: they borrow no meaning's colour (eps_hat, a second run,
    # ...), and are told apart by their marks as well as their colours: filled dots, and rings
    from scenes.kit.palette import P
    meanings = {v.lower(): k for k, v in P.meanings().items()}
    colours = {kind: {meanings.get(d.get_color().to_hex().lower(), "none") for d in dots}
               for kind, dots in scene.series.items()}
    assert colours == {"patch": {"text"}, "global": {"dim"}}, colours
    filled = {kind: {d.get_fill_opacity() for d in dots} for kind, dots in scene.series.items()}
    assert filled == {"patch": {1.0}, "global": {0.0}}


def test_noise_then_denoise_shows_the_reconstruction_and_its_distance():
    from scenes import forward_backward
    scene, frame = render(forward_backward.NoiseThenDenoise, slides=None)
    tr = scene.tr
    side = tr["x0"].shape[0]
    assert corr(crop(frame, scene.panels["back"].image, side), tr["reconstruction"]) > 0.97
    assert corr(crop(frame, scene.panels["noised"].image, side), tr["noised"]) > 0.97
    assert scene.numbers["distance"].get_value() == pytest.approx(float(tr["distance"]))


def test_grid_rows_are_the_recorded_rows_with_their_distances():
    from scenes import forward_backward
    scene, frame = render(forward_backward.NoiseDenoiseGrid, slides=1)
    tr = scene.tr
    side = tr["x0"].shape[0]
    for r, (panels, picks, value) in enumerate(scene.cells):
        assert (panels[0].image.pixel_array[..., :3].shape[0]) == side
        for panel, c in list(zip(panels, picks, strict=False))[1:]:  # x_0 column is the same in every row
            assert corr(crop(frame, panel.image, side), tr["grid"][r, c]) > 0.9
        assert value.get_value() == pytest.approx(float(tr["final_distance"][tr["grid_rows"][r]]), abs=0.05)


def test_step_counts_end_on_each_runs_final_image():
    from scenes import ddim_steps
    scene, frame = render(ddim_steps.DdimStepCounts, slides=None)
    tr = scene.tr
    side = tr["finals"].shape[1]
    for r, panel in enumerate(scene.panels):
        assert corr(crop(frame, panel.image, side), tr["finals"][r]) > 0.97
    # the footnote names the reference: the run at distance 0 from it, a DDIM run
    ref = int(np.argmin(tr["distance_to_reference"]))
    assert tr["distance_to_reference"][ref] == 0 and not tr["is_ddpm"][ref]
    assert scene.note.original_text == f"ref = DDIM {tr['step_counts'][ref]} steps"


def test_scenes_work_for_another_model_size_from_its_cache(tmp_path, tiny_model, monkeypatch):
    """A 16x16 model's trajectories, recorded by `diffviz cache build`, drive the same scene."""
    from click.testing import CliRunner

    from sampling.cli import main
    cfg = tmp_path / "diffviz.toml"
    cfg.write_text(f'model = "{tiny_model}"\nsteps = 7\npatch_size = 4\npatch_x = 2\npatch_y = 2\n')
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(cfg))
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    assert CliRunner().invoke(main, ["cache", "build", "reverse"]).exit_code == 0
    from scenes import reverse
    scene, frame = render(reverse.ReverseProcessDDIM, slides=None)
    tr = scene.tr
    assert tr["x"].shape == (8, 16, 16, 3)
    assert scene.step == 6 and len(scene.tr["t"]) == 7


def test_the_clipping_note_names_the_models_clip_range(tmp_path, monkeypatch):
    """x0_hat is clipped to the scheduler config's clip_sample_range: the note on screen gives that range."""
    from click.testing import CliRunner

    from sampling.cli import main
    from scenes import reverse
    from scenes.kit.text import label
    from tests.conftest import make_model_folder
    folder = make_model_folder(tmp_path / "m", scheduler=dict(beta_schedule="linear", clip_sample=True,
                                                              clip_sample_range=0.5))
    cfg = tmp_path / "diffviz.toml"
    cfg.write_text(f'model = "{folder}"\nsteps = 7\n')
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(cfg))
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    assert CliRunner().invoke(main, ["cache", "build", "reverse"]).exit_code == 0
    written = []
    monkeypatch.setattr(reverse, "label", lambda text, *a, **kw: written.append(text) or label(text, *a, **kw))
    scene, _ = render(reverse.ReverseProcess, slides=2)
    assert scene.tr["clipped"][0] > 0.5  # a random UNet's x0_hat near t = T is far outside any range
    assert "the step uses x̂₀ clipped to [−0.5, 0.5]; values clipped:" in written, written
    assert scene.clipped.get_value() == pytest.approx(100 * float(scene.tr["clipped"][0]))
    assert any(scene.clipped in m.get_family() for m in scene.mobjects), "the share clipped is on screen"


def test_a_slide_break_holds_a_short_slide_to_two_seconds():
    """A slide that would last 0.5 s is held on its last frame until it has lasted 2 s, and so is the last
    slide at the end of the video; a longer one is left as it is."""
    from scenes.kit.base import DiffvizScene

    class Short(DiffvizScene):
        def construct(self):
            for played in (0.5, 3.0, 0.25):
                self.slide("notes", title="A slide", description="What it shows.")
                self.wait(played)

    with tempconfig({"dry_run": True, "verbosity": "ERROR", "progress_bar": "none", "disable_caching": True}):
        scene = Short()
        scene.render()
    assert [s["time"] for s in scene.slide_breaks] == pytest.approx([0.0, 2.0, 5.0])
    assert scene.video_time == pytest.approx(7.0)
