"""The layout check (scenes/kit/layout.py) finds text on text, on points, on curves and on images, text in the
frame's margin and text set too small; and every scene passes it at every slide break and at its last
frame, in both themes, for the embedded 32x32 model and for a 256x256 one."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from manim import DOWN, LEFT, RIGHT, UP, Dot, Line, tempconfig

from tests.conftest import make_model_folder, scene_cache_for_module

ROOT = Path(__file__).resolve().parents[1]

# the defaults but fewer steps: eight grid rows, DDIM at 10, 50 and 1000 steps beside DDPM, as rendered
scene_cache_folder, scene_cache = scene_cache_for_module("steps = 20\nforward_timestep = 8\n")
IMAGE_SCENES = ["ForwardProcess", "ReverseProcess", "ReverseProcessDDIM", "PatchPerturbation", "GlobalPerturbation",
                "PerturbationSweep", "NoiseThenDenoise", "NoiseDenoiseGrid", "DdimStepCounts"]


def problems_of(construct) -> tuple[list[str], list[str]]:
    """The layout problems and the moments checked of a small scene whose construct() is given."""
    from scenes.kit import layout
    from scenes.kit.base import DiffvizScene
    recorder = layout.Recorder()
    scene_cls = type("Sample", (DiffvizScene,), {"construct": construct})
    old, DiffvizScene.layout_checks = DiffvizScene.layout_checks, [recorder]
    try:
        with tempconfig({"dry_run": True, "pixel_height": 180, "pixel_width": 320, "verbosity": "ERROR",
                         "progress_bar": "none", "disable_caching": True}):
            scene_cls(skip_animations=True).render()
    finally:
        DiffvizScene.layout_checks = old
    return recorder.problems, recorder.moments


def test_a_label_on_another_label_fails_the_check_naming_both():
    from scenes.kit.text import label

    def construct(scene):
        scene.add(label("noise a", size=30), label("noise b", size=30).shift(RIGHT * 0.3 + DOWN * 0.1))
        scene.slide("two labels on each other", title="Overlap", description="Two labels on each other.")
        scene.wait(1)

    problems, moments = problems_of(construct)
    # the one slide lasts 1 s: it is held to 2 s (MIN_SLIDE_SECONDS) before the last frame is checked
    assert moments == ["Sample, slide break 1 (0.0 s)", "Sample, the last frame (2.0 s)"]
    assert problems == [f"Sample, {moment}: Text 'noise a' overlaps Text 'noise b'" for moment in
                        ("slide break 1 (0.0 s)", "the last frame (2.0 s)")]


def test_text_on_a_point_a_curve_or_an_image_fails_and_text_beside_them_passes():
    from scenes.kit.palette import P
    from scenes.kit.panels import Panel
    from scenes.kit.text import label, tex

    def construct(scene):
        curve = Line(LEFT * 4 + DOWN * 2, RIGHT * 4 + UP * 2, color=P.x0)
        dot = Dot(RIGHT * 4.5 + DOWN * 2.5)
        panel = Panel(np.zeros((8, 8, 3), np.uint8), 2.0, P.x_t, tex("x_t", size=38))
        panel.shift(LEFT * 4.5 + UP - panel.image.get_center())
        scene.add(curve, dot, panel,
                  label("on the curve", size=28),
                  label("beside the curve", size=28).move_to(LEFT * 1.5 + UP * 1.5),
                  label("on the point", size=28).move_to(dot),
                  label("beside the point", size=28).next_to(dot, UP, buff=0.1),
                  label("on it", size=28).move_to(panel.image))
        scene.slide("one moment", title="A moment", description="One moment.")

    problems, _ = problems_of(construct)
    assert sorted(p.split(": ", 1)[1] for p in problems if "slide break" in p) == sorted([
        f"Text 'on the curve' overlaps a Line {P.x0} at (0.00, 0.00)",
        "Text 'on the point' overlaps a Dot #FFFFFF at (4.50, -2.50)",
        "Text 'on it' overlaps an image 2.00 x 2.00 at (-4.50, 1.00)"])


def test_small_text_and_text_in_the_margin_fail():
    from scenes.kit.numbers import Number
    from scenes.kit.text import label, tex

    def construct(scene):
        scene.add(label("too small", size=20).move_to(UP * 2), tex("x_0", size=22).move_to(DOWN * 2),
                  Number(0.5, num_decimal_places=1, font_size=30).scale(0.7).move_to(RIGHT * 3),
                  label("at the edge", size=30).to_edge(DOWN, buff=0.1))
        scene.slide("one moment", title="A moment", description="One moment.")

    problems, _ = problems_of(construct)
    found = [p.split(": ", 1)[1] for p in problems if "slide break" in p]
    assert "Text 'too small' is set at font size 20.0, below 24" in found
    assert "MathTex 'x_0' is set at font size 22.0, below 24" in found
    assert "Number 0.5 is set at font size 21.0, below 24" in found
    assert any(p.startswith("Text 'at the edge' reaches 0.30 into the frame's 5% margin") for p in found), found
    assert len(found) == 4, found


def test_text_too_faint_for_its_background_fails():
    from scenes.kit.palette import P
    from scenes.kit.text import label

    def construct(scene):
        scene.add(label("faint", size=30, color="#303030"), label("readable", size=30, color=P.dim).shift(UP))
        scene.slide("one moment", title="A moment", description="One moment.")

    problems, _ = problems_of(construct)
    assert problems[0] == ("Sample, slide break 1 (0.0 s): Text 'faint' is drawn in #303030, contrast 1.37 against "
                           "the background #14161C, below 4.5")
    assert len(problems) == 2  # and at the last frame


def check_scenes(theme: str, scenes: list[str]) -> str:
    """Run tools/check_layout.py on the scenes in a fresh interpreter (the theme is chosen at import)."""
    started = time.monotonic()
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "check_layout.py"), *scenes], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "DIFFVIZ_THEME": theme}, timeout=900)
    assert out.returncode == 0, f"{out.stdout}\n{out.stderr[-3000:]}"
    print(f"{theme}: {out.stderr.strip().splitlines()[-1]} in {time.monotonic() - started:.0f} s")
    return out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_every_scene_is_laid_out_at_every_slide_break_with_the_embedded_model(theme):
    summary = check_scenes(theme, [])  # every scene render.sh lists
    assert "0 problems" in summary


@pytest.fixture(scope="module")
def model_256(tmp_path_factory):
    """A random 256x256 model (convolutions only, a 20-step schedule), recorded by `diffviz cache build`
    from a 256x256 image: layout needs its sizes and its numbers, not its faces."""
    from click.testing import CliRunner
    from PIL import Image

    from sampling.cli import main
    folder = tmp_path_factory.mktemp("model-256")
    model = make_model_folder(folder / "model", size=256, attention=False, scheduler=dict(
        num_train_timesteps=20, beta_schedule="linear", beta_end=0.2, clip_sample=True, variance_type="fixed_small"))
    y, x = np.mgrid[0:256, 0:256]
    Image.fromarray(np.stack([x, y, (x + y) // 2], axis=-1).astype(np.uint8)).save(folder / "x0.png")
    (folder / "diffviz.toml").write_text(f'model = "{model}"\nimage = "{folder / "x0.png"}"\nsteps = 8\n'
                                         'forward_timestep = 4\npatch_size = 64\npatch_x = 128\npatch_y = 96\n'
                                         'ddim_step_counts = [5, 10, 20]\n')
    env = {"DIFFVIZ_CONFIG": str(folder / "diffviz.toml"), "DIFFVIZ_CACHE": str(folder / "cache")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        result = CliRunner().invoke(main, ["cache", "build"])
    assert result.exit_code == 0, result.output
    return env


@pytest.mark.slow
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_every_image_scene_is_laid_out_at_every_slide_break_with_a_256_model(theme, model_256, monkeypatch):
    for key, value in model_256.items():
        monkeypatch.setenv(key, value)
    summary = check_scenes(theme, IMAGE_SCENES)
    assert "0 problems" in summary
