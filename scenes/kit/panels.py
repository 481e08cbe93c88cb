"""Images on screen: a panel (an image upscaled nearest-neighbour in a frame of its meaning's colour) and
the heat map of a map of values."""
from __future__ import annotations

import numpy as np
from manim import DOWN, Group, ImageMobject, MathTex, Rectangle, Text
from manim.constants import RESAMPLING_ALGORITHMS


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
