"""The scene base: the theme's background, drawn by PanelCamera and encoded by the scenes' encoder; the
trajectory from the cache; slide breaks with their titles and descriptions; the title slide; sweeps."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from manim import DOWN, UP, Group, ManimColor, Scene, VGroup, config
from manim.utils.exceptions import EndSceneEarlyException

from cache.config import ConfigError, Settings, load_settings
from cache.datasets import DatasetError
from cache.lookup import MissingTrajectory, Trajectory, trajectory
from cache.model_files import ModelError, records_in_seconds
from cache.outputs import written_aside
from cache.specs import SpecError
from cache.store import CacheError

from .encoding import use_encoder
from .palette import P
from .panel_camera import PanelCamera
from .text import lines

MIN_SLIDE_SECONDS = 2.0  # the shortest a slide lasts: a slide break holds the one before up to it


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

    `slide()` marks where a speaker would talk; a render writes those moments, with their titles and
    descriptions, beside the video as `<Scene>.slides.json` (tools/captions.py makes the WebVTT tracks
    of them). `slides_to_render`, where set, renders only the first n slides: a preview of a long scene,
    which ends where slide n + 1 would begin.
    """
    slides_to_render: int | None = None
    skip_reversing = True  # manim-slides: no reversed copies of every slide (nobody plays them)
    # check(scene, moment) at the end of each animation, each slide break and the last frame: the layout checks
    # (scenes/kit/layout.py)
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
        the video's WebVTT tracks. A plain render records the break; a manim-slides Slide cuts here.
        Where `slides_to_render` slides have begun already, the scene ends here instead (its tear_down still
        holds the last slide)."""
        if self.slides_to_render is not None and len(self.slide_breaks) >= self.slides_to_render:
            raise EndSceneEarlyException()
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
        for check in self.layout_checks:  # what the animation leaves on screen (a wait's too)
            check(self, f"after animation {self.renderer.num_plays} ({self.renderer.time:.1f} s)")

    def render(self, *args, **kwargs):
        """Scene.render, then `<Scene>.slides.json` beside the video: the slide breaks and the video's
        length, written aside and renamed into place."""
        rerun = super().render(*args, **kwargs)
        movie = getattr(self.renderer.file_writer, "movie_file_path", None)
        if config.write_to_movie and movie is not None:
            with written_aside(Path(movie).with_name(f"{type(self).__name__}.slides.json")) as staged:
                staged.write_text(json.dumps({"scene": type(self).__name__, "duration": self.video_time,
                                              "frame_rate": config.frame_rate, "slides": self.slide_breaks}, indent=1))
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
    from .layout import report
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


def title_card(scene: Scene, title: str, subtitle: str) -> None:
    """A short title, then out of the way."""
    from manim import FadeIn, FadeOut
    t = lines(title, size=52)
    s = lines(subtitle, size=30, color=P.dim).next_to(t, DOWN, buff=0.3)
    scene.play(FadeIn(VGroup(t, s), shift=UP * 0.2), run_time=0.8)
    scene.wait(0.8)
    scene.play(FadeOut(VGroup(t, s)), run_time=0.5)
