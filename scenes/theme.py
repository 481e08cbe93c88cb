"""The shared visual vocabulary of every scene: colours with one meaning each, fonts, image panels.

One meaning, one colour, everywhere: x_0 is the same blue in an equation, in the frame around
the x_0 image and in a plot legend. The dark theme is the default; the light one is for white
slide decks: `DIFFVIZ_THEME=light`, or `theme = light` in the [diffviz] section of manim.cfg.
"""
from __future__ import annotations

import configparser
import copy
import json
import os
import sys
from pathlib import Path

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    DecimalNumber,
    Group,
    ImageMobject,
    Integer,
    ManimColor,
    MathTex,
    Rectangle,
    Scene,
    Text,
    VGroup,
    config,
)
from manim.constants import RESAMPLING_ALGORITHMS

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `manim scenes/x.py` puts only scenes/ on sys.path
    sys.path.insert(0, str(ROOT))

from encoding import use_encoder  # noqa: E402
from palette import DARK, LIGHT, Palette  # noqa: E402,F401
from panel_camera import PanelCamera  # noqa: E402

from cache.config import ConfigError, Settings, load_settings  # noqa: E402
from cache.datasets import DatasetError  # noqa: E402
from cache.lookup import MissingTrajectory, Trajectory, trajectory  # noqa: E402
from cache.model_files import ModelError, records_in_seconds  # noqa: E402
from cache.specs import SpecError  # noqa: E402
from cache.store import CacheError  # noqa: E402


def theme_name() -> str:
    name = os.environ.get("DIFFVIZ_THEME")
    if not name:
        cfg = configparser.ConfigParser()
        cfg.read(Path.cwd() / "manim.cfg")
        name = cfg.get("diffviz", "theme", fallback="dark")
    if name not in ("dark", "light"):
        raise SystemExit(f"theme {name!r} is not 'dark' or 'light' (DIFFVIZ_THEME or [diffviz] theme in manim.cfg)")
    return name


P = LIGHT if theme_name() == "light" else DARK
FONT = "DejaVu Sans"
MIN_SLIDE_SECONDS = 2.0  # the shortest a slide lasts: a slide break holds the one before up to it
TEX_COLORS = {"x_0": P.x0, r"\epsilon": P.eps, r"\hat\epsilon": P.eps_hat, "x_t": P.x_t, "x_{t-1}": P.x_prev,
              r"\hat x_0": P.x0_hat, "z": P.z, r"\bar\alpha_t": P.time}


def tex(*parts: str, size: float = 44, colors: dict | None = None) -> MathTex:
    """MathTex from separate parts; a part named in TEX_COLORS (or colors) takes its colour."""
    m = MathTex(*parts, font_size=size, color=P.text)
    palette = TEX_COLORS | (colors or {})
    for part, sub in zip(parts, m.submobjects, strict=False):
        if part in palette:
            sub.set_color(palette[part])
    return m


def label(text: str, size: float = 30, color: str | None = None) -> Text:
    return Text(text, font=FONT, font_size=size, color=color or P.text)


def light_copy(mobject):
    """A copy of a glyph: its arrays and submobjects copied, everything else shared. Manim's copy()
    deep-copies every attribute, some 6 ms for one digit of a DecimalNumber, every time it changes."""
    copied = copy.copy(mobject)
    for name, value in vars(mobject).items():
        if isinstance(value, np.ndarray):
            setattr(copied, name, value.copy())
    copied.submobjects = [light_copy(m) for m in mobject.submobjects]
    copied.updaters = []
    return copied


_GLYPHS: dict[tuple[type, str], object] = {}  # (class, character) -> its glyph, made once


class _LightGlyphs:
    """DecimalNumber's characters, each made once (LaTeX, or Text in the theme's font) and copied
    with light_copy."""

    def _string_to_mob(self, string, mob_class=None, **kwargs):
        mob_class = mob_class or self.mob_class
        if (mob_class, string) not in _GLYPHS:
            _GLYPHS[mob_class, string] = mob_class(string, **({"font": FONT} if mob_class is Text else kwargs))
        glyph = light_copy(_GLYPHS[mob_class, string])
        glyph.font_size = self._font_size
        return glyph


class Number(_LightGlyphs, DecimalNumber):
    """A DecimalNumber whose set_value is cheap enough for every step of a sweep; `text=True` sets it
    in the theme's font, for a number inside a sentence of Text."""

    def __init__(self, *args, text: bool = False, **kwargs):
        super().__init__(*args, **({"mob_class": Text} if text else {}), **kwargs)


class Whole(_LightGlyphs, Integer):
    """An Integer whose set_value is cheap enough for every step of a sweep."""


class Counter(VGroup):
    """Text around a whole number that changes, `step 12 / 50`: the text is made once, set() changes
    the number (a new Text every step would cost a Pango and SVG run each time)."""

    def __init__(self, before: str, value: int, after: str = "", size: float = 28, color: str | None = None):
        self.number = Whole(value, font_size=size, color=color or P.time, mob_class=Text, group_with_commas=False)
        parts = [label(before, size=size, color=color or P.time)] if before else []
        parts.append(self.number)
        if after:
            parts.append(label(after, size=size, color=color or P.time))
        super().__init__(*parts)
        self.arrange(RIGHT, buff=0.12)

    def set(self, value: int) -> "Counter":
        centre = self.get_center()
        self.number.set_value(value)
        return self.arrange(RIGHT, buff=0.12).move_to(centre)


def themed(axes):
    """Axes whose numbers are in the theme's colours: Manim draws them white on any background."""
    for axis in axes.get_axes():
        if hasattr(axis, "numbers"):
            axis.numbers.set_color(P.dim)
    return axes


def rgba(pixels: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) -> (H, W, 4), as ImageMobject keeps its pixels."""
    alpha = np.full(pixels.shape[:2] + (1,), 255, np.uint8)
    return np.concatenate([pixels, alpha], axis=-1)


HEAT = np.array([[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21],
                 [250, 193, 39], [252, 255, 164]], dtype=np.float32)  # inferno, 8 anchors


def heat_pixels(values: np.ndarray, vmax: float) -> np.ndarray:
    """A (H, W) map of non-negative values -> uint8 (H, W, 3), inferno, 0..vmax."""
    s = np.clip(np.asarray(values, np.float32) / max(vmax, 1e-12), 0, 1) * (len(HEAT) - 1)
    lo = np.floor(s).astype(int).clip(0, len(HEAT) - 2)
    f = (s - lo)[..., None]
    return ((1 - f) * HEAT[lo] + f * HEAT[lo + 1]).round().astype(np.uint8)


class Panel(Group):
    """An image, upscaled nearest-neighbour so pixels stay honest, in a frame of its meaning's colour."""

    def __init__(self, pixels: np.ndarray, height: float, color: str, caption: MathTex | Text | None = None,
                 stroke: float = 5):
        self.image = ImageMobject(rgba(pixels))
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.image.height = height
        self.frame = Rectangle(width=self.image.width, height=height, color=color, stroke_width=stroke)
        self.frame.move_to(self.image)
        parts = [self.image, self.frame]
        if caption is not None:
            caption.next_to(self.frame, DOWN, buff=0.18)
            parts.append(caption)
        self.caption = caption
        super().__init__(*parts)

    def show(self, pixels: np.ndarray) -> "Panel":
        self.image.pixel_array = rgba(pixels)
        return self


def _scene_base() -> type:
    """Scene, or manim-slides' Slide when DIFFVIZ_SLIDES=1 (./render.sh --slides sets it)."""
    if os.environ.get("DIFFVIZ_SLIDES") == "1":
        from manim_slides import Slide
        return Slide
    return Scene


def find_or_record(experiment: str, index: int, settings: Settings) -> Trajectory:
    """The trajectory from the cache. Missing, it is recorded now where that takes seconds on a CPU (the
    embedded model, the models without weights); for any other model MissingTrajectory names the command."""
    try:
        return trajectory(experiment, index, settings)
    except MissingTrajectory:
        if not records_in_seconds(settings.model):
            raise
    from sampling import quiet_diffusers
    quiet_diffusers()
    from sampling.build import build  # torch is needed only to record
    build([experiment], settings)
    return trajectory(experiment, index, settings)


class DiffvizScene(_scene_base()):
    """A scene on the theme's background that reads its trajectory from the cache.

    `until_step`, where set, ends construct() at that step of the story: the frame tests
    render a scene up to the step they check. `slide()` marks where a speaker would talk; a render
    writes those moments, with their titles and descriptions, beside the video as
    `<Scene>.slides.json` (tools/captions.py makes the WebVTT tracks of them).
    """
    until_step: int | None = None
    skip_reversing = True  # manim-slides: no reversed copies of every slide (nobody plays them)
    # check(scene, moment) for each slide break and the last frame: the layout checks (scenes/layout.py)
    layout_checks: list = []

    def __init__(self, *args, camera_class: type = PanelCamera, **kwargs):
        """Drawn by PanelCamera: Manim's frames, with images composited over their own box only."""
        super().__init__(*args, camera_class=camera_class, **kwargs)

    def setup(self):
        use_encoder()  # for every video this scene writes
        super().setup()
        self.camera.background_color = ManimColor(P.background)
        self.slide_notes: list[str] = []
        self.slide_breaks: list[dict] = []  # time (s into the video), title, description, notes, loop
        self.video_time = 0.0
        if hasattr(self, "_output_folder"):  # a manim-slides Slide: where its slides go
            self._output_folder = Path(os.environ.get("DIFFVIZ_SLIDES_DIR", "slides"))

    def slide(self, notes: str, *, title: str, description: str, loop: bool = False) -> None:
        """A slide break: what is played next is a new slide, looping if `loop`. `notes` are for the
        speaker (the numbers on screen); `title`, a few words for a chapter menu, and `description`,
        what the coming frames show in words and numbers for viewers who cannot see them, become
        the video's WebVTT tracks. A plain render records the break; a manim-slides Slide cuts here."""
        self.hold_slide()
        for check in self.layout_checks:
            check(self, f"slide break {len(self.slide_notes) + 1} ({self.renderer.time:.1f} s)")
        self.slide_notes.append(notes)
        if hasattr(self, "next_slide"):
            self.next_slide(notes=notes, loop=loop)
        self.slide_breaks.append({"time": self.video_time, "title": title, "description": description,
                                  "notes": notes, "loop": loop})

    def play(self, *args, **kwargs) -> None:
        """Scene.play, keeping `video_time`, the seconds of video played so far: the renderer's time,
        except for a play that manim takes from its cache of partial movies, for which the renderer
        adds the nominal run time, not the frames the cached movie has (up to a frame apart per play)."""
        before = self.renderer.time
        super().play(*args, **kwargs)
        played = self.renderer.time - before
        movies = self.renderer.file_writer.partial_movie_files
        if self.renderer.skip_animations and movies and movies[-1] is not None:  # from the cache
            import av
            with av.open(str(movies[-1])) as movie:
                played = movie.streams.video[0].frames / config.frame_rate or played
        self.video_time += played

    def render(self, *args, **kwargs):
        """Scene.render, then `<Scene>.slides.json` beside the video: the slide breaks and the video's
        length, written aside and renamed into place."""
        rerun = super().render(*args, **kwargs)
        movie = getattr(self.renderer.file_writer, "movie_file_path", None)
        if config.write_to_movie and movie is not None:
            path = Path(movie).with_name(f"{type(self).__name__}.slides.json")
            aside = path.with_name(path.name + ".part")
            aside.write_text(json.dumps({"scene": type(self).__name__, "duration": self.video_time,
                                         "frame_rate": config.frame_rate, "slides": self.slide_breaks}, indent=1))
            aside.replace(path)
        return rerun

    def title_slide(self, title: str, subtitle: str, *, notes: str, then: str = "", chapter: str | None = None):
        """The scene's first slide: its title card, which the slide's description reads out in the card's own
        words, then `then` (what the frames after the card show); `chapter` names the slide in a chapter menu
        where it differs from the title."""
        described = f'The title "{title}", and under it "{subtitle}".'
        self.slide(notes, title=chapter or title, description=f"{described} {then}".strip())
        title_card(self, title, subtitle)

    def hold_slide(self) -> None:
        """Wait, where the slide begun last has lasted less than MIN_SLIDE_SECONDS, for the rest: its frames
        stay on screen long enough to be seen and its description to be read."""
        if self.slide_breaks:
            left = self.slide_breaks[-1]["time"] + MIN_SLIDE_SECONDS - self.video_time
            if left > 1e-6:
                self.wait(left)

    def tear_down(self):
        self.hold_slide()
        for check in self.layout_checks:
            check(self, f"the last frame ({self.renderer.time:.1f} s)")
        super().tear_down()

    @classmethod
    def settings(cls, configured: Settings) -> Settings:
        """The settings this scene's trajectories are recorded with: the settings file's, unless the
        scene says otherwise (a toy mixture; the model the memorisation scene compares)."""
        return configured

    def trajectory(self, experiment: str, index: int = 0) -> Trajectory:
        try:
            return find_or_record(experiment, index, self.settings(load_settings()))
        except (MissingTrajectory, CacheError, ConfigError, DatasetError, ModelError, SpecError) as err:
            print(f"diffviz: {err}", file=sys.stderr)
            raise SystemExit(1) from None

    def stop_here(self, step: int) -> bool:
        return self.until_step is not None and step >= self.until_step

    def sweep(self, tracker, redraw, changing: list, *legs: tuple[float, float]) -> None:
        """Move tracker linearly to each (value, seconds) leg in turn; redraw(None) whenever the
        tracker's value, rounded to a whole step, changes (what redraw draws depends on that alone).

        Only `changing` carries the updater: Manim draws mobjects without one once, as background,
        so whatever redraw changes must be in it. The end state is drawn once more after the last
        leg, because a play's last frame stops just short of its end."""
        from manim import linear
        live = Group(*changing)
        live.add_updater(on_each_step(tracker, redraw))
        self.add(live)
        for value, seconds in legs:
            self.play(tracker.animate.set_value(value), run_time=seconds, rate_func=linear)
        live.clear_updaters()
        redraw(None)


if os.environ.get("DIFFVIZ_LAYOUT") == "1":  # `DIFFVIZ_LAYOUT=1 manim ...`: layout problems on stderr
    from layout import report
    DiffvizScene.layout_checks.append(report)


def on_each_step(tracker, redraw):
    """An updater that calls redraw(None) when the tracker's value, rounded, is a new step: at 60
    frames a second a step of a sweep lasts several frames, and its text is built once, not per frame."""
    drawn = [None]

    def updater(_):
        step = int(round(tracker.get_value()))
        if step != drawn[0]:
            drawn[0] = step
            redraw(None)
    return updater


class Memo(VGroup):
    """One of many states of a piece of text, each made by make(key) once and kept: a sweep that
    goes back and forth, or shows the same text for many steps, builds it once, not every frame."""

    def __init__(self, make, key):
        super().__init__()
        self.make, self.states = make, {}
        self.show(key)

    def show(self, key) -> "Memo":
        if key not in self.states:
            self.states[key] = self.make(key)
        self.submobjects = [self.states[key]]
        self.key = key
        return self

    def __deepcopy__(self, memo):
        """A copy (an animation's start or target) of the state shown, sharing make: copying every
        state, and whatever make refers to (the scene), would be wasted."""
        make, states = self.make, self.states
        self.make, self.states = None, {}
        try:
            copied = super().__deepcopy__(memo)
        finally:
            self.make, self.states = make, states
        copied.make, copied.states = make, {self.key: copied.submobjects[0]}
        return copied


def title_card(scene: Scene, title: str, subtitle: str) -> None:
    """A short title, then out of the way."""
    from manim import FadeIn, FadeOut
    t = label(title, size=52)
    s = label(subtitle, size=30, color=P.dim).next_to(t, DOWN, buff=0.3)
    scene.play(FadeIn(VGroup(t, s), shift=UP * 0.2), run_time=0.8)
    scene.wait(0.8)
    scene.play(FadeOut(VGroup(t, s)), run_time=0.5)
