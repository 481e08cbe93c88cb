"""How Manim's video writer encodes the scenes: a named step, `use_encoder()`, that DiffvizScene.setup()
takes; importing this module changes nothing.

Two things differ from Manim's own writer, neither what the video shows:
- the x264 preset. Manim hard-codes libx264 at its default preset ("medium"). Noise is the encoder's
  worst case, and these scenes are full of it: "veryfast" encodes 2.2x faster at the same size
  (benchmarks/encoder.py). DIFFVIZ_X264_PRESET picks another ("medium" for an archival copy).
- how a frame reaches the encoder. Manim's writer makes each av frame with `VideoFrame.from_ndarray`,
  which copies the frame (8 MB at 1080p, some 10 ms: as long as drawing a frame now takes). The
  renderer hands the writer a fresh array per frame and never changes it again, so the av frame can
  wrap that array's own memory (`from_numpy_buffer`); the encoder converts it to yuv420p as before.
"""
from __future__ import annotations

import os

import av
import numpy as np

X264_PRESET = os.environ.get("DIFFVIZ_X264_PRESET", "veryfast")


def video_frame(frame: np.ndarray) -> av.VideoFrame:
    """An RGBA frame (H, W, 4) uint8 as an av frame, without copying it where its rows are contiguous."""
    if frame.flags.c_contiguous:
        return av.VideoFrame.from_numpy_buffer(frame, format="rgba")
    return av.VideoFrame.from_ndarray(frame, format="rgba")


class _VideoFrames:
    """av.VideoFrame as Manim's writer sees it: from_ndarray of an RGBA frame is video_frame()."""

    def __getattr__(self, name):
        return getattr(av.VideoFrame, name)

    @staticmethod
    def from_ndarray(array, format="rgb24", **kwargs):
        if format == "rgba" and not kwargs:
            return video_frame(array)
        return av.VideoFrame.from_ndarray(array, format=format, **kwargs)


class _Container:
    """An av output container whose libx264 streams use `preset`."""

    def __init__(self, container, preset: str):
        self._container, self._preset = container, preset

    def __getattr__(self, name):
        return getattr(self._container, name)

    def add_stream(self, codec_name, rate=None, options=None, **kwargs):
        if codec_name == "libx264":
            options = {**(options or {}), "preset": self._preset}
        return self._container.add_stream(codec_name, rate=rate, options=options, **kwargs)


class _Av:
    """The av module as Manim's file writer sees it: the same, but for the preset and the frames."""
    VideoFrame = _VideoFrames()

    def __init__(self, preset: str):
        self._preset = preset

    def __getattr__(self, name):
        return getattr(av, name)

    def open(self, *args, **kwargs):
        container = av.open(*args, **kwargs)
        writing = kwargs.get("mode", args[1] if len(args) > 1 else "r") == "w"
        return _Container(container, self._preset) if writing else container


def use_encoder(preset: str = X264_PRESET) -> None:
    """Make Manim's video writer, in this process from now on, encode with this x264 preset and hand
    frames to the encoder without copying them."""
    from manim.scene import scene_file_writer
    scene_file_writer.av = _Av(preset)
