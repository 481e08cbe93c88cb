"""Plots in the theme: axes with themed numbers, the toys' value axes, polylines of thousands of corners,
arrow fields as one path, and clouds of thousands of points drawn as one image."""
from __future__ import annotations

import numpy as np
from manim import Axes, Group, ImageMobject, Square, VMobject, color_to_rgb, config
from manim.constants import RESAMPLING_ALGORITHMS

from .palette import P
from .text import tex

EXTENT = 3.0     # the 1D toy's x axis, [-3, 3], as the recording's grid
EXTENT_2D = 2.0  # the 2D toy's square, [-2, 2]^2, as the recording's grid of the eps_hat field


def themed(axes):
    """Axes whose numbers are in the theme's colours: Manim draws them white on any background."""
    for axis in axes.get_axes():
        if hasattr(axis, "numbers"):
            axis.numbers.set_color(P.dim)
    return axes


def shade_pixels(values: np.ndarray, vmax: float) -> np.ndarray:
    """A (H, W) density -> uint8 (H, W, 4), from the background to the text colour (sqrt, so the
    tails show), so that coloured paths stay readable on top of it."""
    s = np.sqrt(np.clip(np.asarray(values, np.float64) / vmax, 0, 1))[..., None]
    lo, hi = color_to_rgb(P.background) * 255, color_to_rgb(P.dim) * 255
    rgb = ((1 - s) * lo + s * hi).round().astype(np.uint8)
    return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=-1)


def scatter_pixels(points: np.ndarray, color: str, side: int, extent: float = EXTENT_2D, radius: int = 2) -> np.ndarray:
    """Points (N, 2) in [-extent, extent]^2 as uint8 (side, side, 4): round dots on a transparent
    square, y up. Thousands of points are one image, not thousands of mobjects."""
    image = np.zeros((side, side, 4), np.uint8)
    col = np.round((points[:, 0] / extent + 1) / 2 * (side - 1)).astype(int)
    row = np.round((1 - points[:, 1] / extent) / 2 * (side - 1)).astype(int)
    rgba = np.append(color_to_rgb(color) * 255, 255).round().astype(np.uint8)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy <= radius * radius + 1:
                r, c = row + dy, col + dx
                ok = (r >= 0) & (r < side) & (c >= 0) & (c < side)
                image[r[ok], c[ok]] = rgba
    return image


def value_axes(x_range, x_length: float, y_length: float, numbers: bool = True) -> Axes:
    """Axes over (x_range) x [-EXTENT, EXTENT] whose horizontal axis runs along the bottom: the
    vertical coordinate is stored shifted by EXTENT, so `along` and `at` place values."""
    axes = Axes(x_range=x_range, y_range=[0, 2 * EXTENT, 1], x_length=x_length, y_length=y_length, tips=False,
                axis_config={"color": P.dim, "font_size": 24},
                x_axis_config={"include_numbers": numbers, "include_ticks": numbers},
                y_axis_config={"include_numbers": False})
    if numbers:
        axes.y_axis.add_labels({v + EXTENT: tex(f"{v}", size=24) for v in range(-int(EXTENT), int(EXTENT) + 1)})
    return themed(axes)


def along(axes: Axes, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Scene points (N, 3) of coordinates xs, values ys on value_axes, in one vectorised call."""
    xs, ys = np.broadcast_arrays(np.asarray(xs, np.float64), np.asarray(ys, np.float64) + EXTENT)
    return np.asarray(axes.c2p(xs, ys)).T


def at(axes: Axes, x: float, y: float) -> np.ndarray:
    return along(axes, [x], [y])[0]


class Path(VMobject):
    """A polyline of thousands of corners: Manim's subpath search compares every pair of points
    with np.allclose, one call each, which takes seconds per frame here; this does it in one call."""

    def get_subpaths_from_points(self, points):
        n = self.n_points_per_cubic_curve
        ends = np.arange(n, len(points), n)
        gaps = ends[np.abs(points[ends - 1] - points[ends]).max(axis=1) > self.tolerance_for_point_equality]
        bounds = [0, *gaps.tolist(), len(points)]
        return [points[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b - a >= n]

    def trace(self, points: np.ndarray) -> "Path":
        return self.set_points_as_corners(points if len(points) > 1 else np.repeat(points, 2, axis=0))


def polyline(points: np.ndarray, color: str, width: float = 3, opacity: float = 1.0) -> Path:
    return Path(stroke_color=color, stroke_width=width, stroke_opacity=opacity).trace(points)


def arrow_field(starts: np.ndarray, vectors: np.ndarray, head: float = 0.3) -> np.ndarray:
    """Arrows as one stroke-only bezier path (M*3 straight segments: shaft and two barbs), so that
    hundreds of arrows redraw every frame as one mobject. starts, vectors: (M, 3) scene units."""
    ends = starts + vectors
    back = -vectors * head
    turn = np.array([[0.866, -0.5, 0], [0.5, 0.866, 0], [0, 0, 1]])  # 30 degrees
    barb_a, barb_b = back @ turn.T, back @ turn
    segments = np.stack([np.stack([starts, ends], 1), np.stack([ends, ends + barb_a], 1),
                         np.stack([ends, ends + barb_b], 1)], 1).reshape(-1, 2, 3)
    a, b = segments[:, 0], segments[:, 1]
    return np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b], 1).reshape(-1, 3)


class Cloud(Group):
    """Thousands of points in a square plot of [-extent, extent]^2 ([-EXTENT_2D, EXTENT_2D]^2 unless
    given), drawn as one image; points outside are left out."""

    def __init__(self, side: float, extent: float = EXTENT_2D):
        self.extent = extent
        # one image pixel per video pixel, so that dots stay round and sharp at every quality
        self.px = int(round(config.pixel_height * side / config.frame_height))
        self.radius = max(1, round(self.px / 360))
        self.frame = Square(side, color=P.dim, stroke_width=2)
        self.image = ImageMobject(np.zeros((self.px, self.px, 4), np.uint8))
        self.image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.image.height = side
        self.image.move_to(self.frame)
        super().__init__(self.image, self.frame)

    def show(self, points: np.ndarray, color: str) -> "Cloud":
        self.image.pixel_array = scatter_pixels(points, color, self.px, self.extent, radius=self.radius)
        return self

    def to_scene(self, points: np.ndarray) -> np.ndarray:
        """Data points (N, 2) -> scene points (N, 3) inside the frame."""
        scale = self.frame.width / (2 * self.extent)
        return np.column_stack([points * scale, np.zeros(len(points))]) + self.frame.get_center()
