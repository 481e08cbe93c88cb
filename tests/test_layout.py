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
    # at the slide break, after the wait, after the hold of the one slide (1 s, held to MIN_SLIDE_SECONDS = 2 s)
    # and at the last frame
    assert moments == ["Sample, slide break 1 (0.0 s)", "Sample, after animation 1 (1.0 s)",
                       "Sample, after animation 2 (2.0 s)", "Sample, the last frame (2.0 s)"]
    assert problems == [f"{moment}: Text 'noise a' overlaps Text 'noise b'" for moment in moments]


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
        "Text 'on the point' comes within 0.08 of a Dot #FFFFFF at (4.50, -2.50)",
        "Text 'on it' comes within 0.08 of an image 2.00 x 2.00 at (-4.50, 1.00)"])


def test_what_viewers_saw_is_flagged_an_image_in_the_margin_a_tick_number_and_a_label_touching_an_image():
    """The spots of issue 30, as the scenes had them: ForwardProcess's x_t panel 1 % from the left edge and its
    plot's tick numbers under the eps panel; GeneraliseOrMemorise's row name ending 0.015 short of its image."""
    from manim import Axes

    from scenes.kit.palette import P
    from scenes.kit.panels import Panel
    from scenes.kit.text import label

    def construct(scene):
        x_t = Panel(np.zeros((8, 8, 3), np.uint8), 2.2, P.x_t).move_to(LEFT * 5.75 + UP * 0.3)
        eps = Panel(np.zeros((8, 8, 3), np.uint8), 2.2, P.eps).move_to(RIGHT * 0.82 + UP * 0.51)
        axes = Axes(x_range=[0, 1000, 250], y_range=[0, 1, 0.5], x_length=3.6, y_length=3.0, tips=False,
                    axis_config={"include_numbers": True, "font_size": 24}).move_to(RIGHT * 4.1 + DOWN * 0.3)
        image = Panel(np.zeros((8, 8, 3), np.uint8), 1.55, P.x_t).move_to([-0.825, -0.75, 0])
        name = label("E[x0 | xt] over its 107 images", size=24)
        name.move_to([0, -0.95, 0]).align_to(image.frame.get_left() + LEFT * 0.015, RIGHT)
        scene.add(x_t, eps, axes, image, name)
        scene.slide("one moment", title="A moment", description="One moment.")

    problems, _ = problems_of(construct)
    found = [p.split(": ", 1)[1] for p in problems if "slide break" in p]
    assert "an image 2.20 x 2.20 at (-5.75, 0.30) reaches 0.45 into the frame's 5% margin" in found, found
    assert any(p.startswith("DecimalNumber 0.5 comes within 0.08 of an image 2.20 x 2.20") for p in found), found
    assert any(p.startswith("Text 'E[x0 | xt] over its 107 images' comes within 0.08 of an image 1.55") for p in found)


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
    assert len(problems) == 3  # and after the hold of the slide to 2 s, and at the last frame


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


FLAT = set("1247DEFHIKLMNPTXZhiklmnrxz")  # glyphs of DejaVu Sans whose bottom is flat on the baseline


def glyphs_of(m) -> list[tuple[object, str]]:
    """(glyph, character) of a line made of Text, the kit's numbers and groups of them, left to right."""
    from manim import Text

    from scenes.kit.numbers import Number, Whole
    if isinstance(m, Text):
        return list(zip(m.submobjects, m.text.replace(" ", ""), strict=True))
    if isinstance(m, (Number, Whole)):
        return list(zip(m.submobjects, m._get_num_string(m.number), strict=True))
    return [pair for part in m.submobjects for pair in glyphs_of(part)]


def baselines_in_pixels(line) -> list[int]:
    """The line rendered alone at 1080p; for each flat-bottomed glyph, the lowest pixel row it lights."""
    from manim import Scene, config

    with tempconfig({"pixel_height": 1080, "pixel_width": 1920, "dry_run": True, "verbosity": "ERROR",
                     "progress_bar": "none", "disable_caching": True}):
        scene = Scene()
        scene.add(line.move_to([0, 0, 0]))
        scene.renderer.update_frame(scene)
        lit = scene.renderer.get_frame()[..., :3].astype(int).sum(axis=2) > 200
        per_unit = config.pixel_width / config.frame_width
        rows = []
        for glyph, char in glyphs_of(line):
            if char not in FLAT:
                continue
            left, right = (int(round((x + config.frame_width / 2) * per_unit)) for x in (glyph.get_left()[0],
                                                                                          glyph.get_right()[0]))
            band = lit[:, left + 1:right - 1]
            rows.append(int(np.nonzero(band.any(axis=1))[0].max()))
    return rows


def test_a_counter_and_a_header_sit_on_one_baseline_within_a_pixel_at_1080p():
    """Measured in pixels of a rendered frame: the lowest lit row of every flat-bottomed glyph (H, 1, 4, 7, k, ...)
    of a counter whose words have a descender beside them (`/`), of a sans line with an italic t and numbers,
    and of the reverse scene's header, agree within one pixel."""
    import types

    from scenes.kit.numbers import Counter, Whole
    from scenes.kit.palette import P
    from scenes.kit.text import label, on_baseline
    from scenes.reverse import ReverseProcess

    counter = Counter("Hx", 14, "/ 71 km", size=28)
    counter.set(1471)
    line = on_baseline(label("DDIM, 14 steps,", size=30), label("t", size=30, color=P.time, italic=True),
                       label("=", size=30), Whole(741, font_size=30, mob_class=__import__("manim").Text), buff=0.15)
    scene = types.SimpleNamespace(tr={"t": np.array([741, 471]), "t_prev": np.array([471, -1])}, name="DDPM")
    header = ReverseProcess.header(scene)
    scene.counters["t"].set_value(471)
    scene.arrange_header()
    for shown in (counter, line, header):
        rows = baselines_in_pixels(shown)
        assert len(rows) >= 3 and max(rows) - min(rows) <= 1, rows
