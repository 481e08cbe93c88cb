"""PanelCamera draws the frames Manim's own camera draws: every frame of a scene with image panels
at rest, moving, fading, scaling, rotated, stretched with bilinear filtering and partly off screen,
rendered by both cameras (dry run, the frames the renderer hands the writer) and compared."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from manim import DOWN, LEFT, RIGHT, UP, Camera, FadeIn, FadeOut, ImageMobject, Indicate, Scene, tempconfig
from manim.constants import RESAMPLING_ALGORITHMS

from scenes.kit.palette import P
from scenes.kit.panel_camera import PanelCamera
from scenes.kit.panels import Panel
from scenes.kit.text import label

ROOT = Path(__file__).resolve().parents[1]

LOW = {"dry_run": True, "pixel_height": 360, "pixel_width": 640, "frame_rate": 10, "disable_caching": True,
       "verbosity": "ERROR", "progress_bar": "none"}


class ImagesEverywhichWay(Scene):
    """Every way the scenes move an image, and a few they do not (rotation, off screen)."""

    def construct(self):
        rng = np.random.default_rng(0)
        still = Panel(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), 2.3, P.x_t, label("at rest", size=24))
        moving = Panel(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8), 1.7, P.eps_hat)
        heat = ImageMobject(rng.integers(0, 256, (20, 50, 4), dtype=np.uint8))  # with its own alpha
        heat.set_resampling_algorithm(RESAMPLING_ALGORITHMS["bilinear"])
        heat.stretch_to_fit_width(4.1).stretch_to_fit_height(1.3).move_to(DOWN * 2.6 + RIGHT * 2.2)
        still.move_to(LEFT * 4.3 + UP * 0.7)
        moving.move_to(LEFT * 0.6 + UP * 1.1)
        self.add(still, heat)
        self.play(FadeIn(moving), run_time=0.5)                                    # fading in
        self.play(moving.animate.shift(RIGHT * 2.37 + DOWN * 0.41), run_time=0.6)  # moving, fractional pixels
        self.play(moving.animate.scale(1.33), Indicate(still.frame), run_time=0.6)  # scaling
        moving.show(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))              # new pixels in place
        self.play(moving.image.animate.rotate(0.4), run_time=0.5)                  # rotating (Manim's transform)
        self.play(still.animate.shift(LEFT * 2.5), heat.animate.shift(DOWN * 0.8), run_time=0.6)  # partly off screen
        self.play(FadeOut(still), moving.image.animate.set_opacity(0.35), run_time=0.5)  # fading out, half opaque
        self.wait(0.2)


def frames(camera_class: type, transparent: bool = False) -> list[np.ndarray]:
    """Every frame the renderer hands the writer, drawn by camera_class."""
    collected = []
    with tempconfig(LOW | {"transparent": transparent}):
        scene = ImagesEverywhichWay(camera_class=camera_class)
        if not transparent:
            scene.camera.background_color = P.background
        add_frame = scene.renderer.add_frame

        def keep(frame, num_frames=1):
            collected.append(frame.copy())
            add_frame(frame, num_frames)

        scene.renderer.add_frame = keep
        scene.render()
    return collected


@pytest.mark.parametrize("transparent", [False, True], ids=["opaque", "transparent"])
def test_panel_camera_draws_manims_frames_exactly(transparent):
    stock, fast = frames(Camera, transparent), frames(PanelCamera, transparent)
    assert len(stock) == len(fast) > 30
    background = stock[0][0, 0]
    for n, (a, b) in enumerate(zip(stock, fast, strict=False)):
        assert a.shape == b.shape == (360, 640, 4)
        differing = np.argwhere(np.any(a != b, axis=-1))
        assert len(differing) == 0, f"frame {n}: {len(differing)} pixels differ, first at {differing[0]}"
    # and the frames show the images: most of the frame is not the background
    assert np.any(stock[len(stock) // 2] != background, axis=-1).mean() > 0.1
    if transparent:
        assert stock[-1][0, 0, 3] == 0, "a transparent render keeps the background's alpha at 0"


def test_frames_handed_to_the_encoder_without_a_copy_encode_to_the_same_video(tmp_path):
    """scenes/kit/encoding.py gives x264 each frame's own memory instead of from_ndarray's copy: the
    encoded video is byte for byte the one Manim's way gives, repeated frames included."""
    from fractions import Fraction

    import av

    from scenes.kit.encoding import video_frame

    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (72, 128, 4), dtype=np.uint8) for _ in range(6)]
    repeats = [1, 3, 1, 2, 1, 4]

    def encode(path, make):
        with av.open(str(path), mode="w") as container:
            stream = container.add_stream("libx264", rate=Fraction(15), options={"crf": "23", "preset": "veryfast"})
            stream.pix_fmt, stream.width, stream.height = "yuv420p", 128, 72
            for frame, n in zip(frames, repeats, strict=True):
                for _ in range(n):
                    container.mux(stream.encode(make(frame)))
            container.mux(stream.encode())
        return path.read_bytes()

    manims = encode(tmp_path / "a.mp4", lambda f: av.VideoFrame.from_ndarray(f, format="rgba"))
    ours = encode(tmp_path / "b.mp4", video_frame)
    assert len(manims) > 1000 and ours == manims
