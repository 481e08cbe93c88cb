"""Manim's Cairo camera, with each image drawn over its own pixel box instead of the whole frame.

Manim draws an ImageMobject (`Camera.display_image_mobject`) by transforming its pixels to where
it sits on screen, pasting that into a new full-frame RGBA image, then alpha-compositing the whole
frame (`overlay_PIL_image`): several full-frame copies per image per frame, so a 32x32 panel
costs as much as a full-screen photo. PanelCamera makes the same transformed image (the same
corner coordinates, Pillow transform coefficients and resampling filter, so rotation and every
filter work as in Manim) and composites only the frame pixels under it. Outside that box the
full-frame composite changes nothing (a transparent pixel leaves the one below as it was), and
inside it an opaque pixel replaces the one below, so the frames are Manim's own, bit for bit;
where an image is partly transparent (a fade), Pillow's own `alpha_composite` blends the box.
"""
from __future__ import annotations

import numpy as np
from manim.camera.camera import Camera
from manim.utils.space_ops import cross2d
from PIL import Image


def placed_image(camera: Camera, image_mobject) -> tuple[Image.Image, int, int] | None:
    """The image as Manim would paste it into the frame: (RGBA image, left, top), or None where
    Manim draws nothing (a quadrilateral thinner than half a pixel, or a singular transform).
    The steps are `Camera.display_image_mobject`'s (manim 0.21), up to its full-frame paste."""
    sub_image = Image.fromarray(image_mobject.get_pixel_array(), mode="RGBA")
    original = np.array([[0, 0], [sub_image.width, 0], [0, sub_image.height], [sub_image.width, sub_image.height]])
    target = camera.points_to_subpixel_coords(image_mobject, image_mobject.points)
    int_target = target.astype(np.int64)
    shift = int_target.min(axis=0)  # the upper left corner of the smallest box holding the image
    target = target - shift
    int_target = int_target - shift
    size = (int(int_target[:, 0].max()), int(int_target[:, 1].max()))

    vertices = target[[0, 1, 3, 2]]
    sides = np.roll(vertices, -1, axis=0) - vertices
    lengths = np.linalg.norm(sides, axis=1)
    longest = int(np.argmax(lengths))
    if lengths[longest] == 0:
        return None
    previous = sides[(longest - 1) % 4]  # Manim compares the longest side with this one twice
    if abs(cross2d(sides[longest], previous)) / lengths[longest] < 0.5:
        return None

    # the perspective transform that takes the box's pixels back to the image's (Pillow's PERSPECTIVE)
    rows = []
    for (x, y), (X, Y) in zip(target, original, strict=False):
        rows.append([x, y, 1, 0, 0, 0, -X * x, -X * y])
        rows.append([0, 0, 0, x, y, 1, -Y * x, -Y * y])
    try:
        coefficients = np.linalg.solve(np.array(rows, dtype=np.float64), original.reshape(8).astype(np.float64))
    except np.linalg.LinAlgError:
        return None
    placed = sub_image.transform(size=size, method=Image.Transform.PERSPECTIVE, data=coefficients,
                                 resample=image_mobject.resampling_algorithm)
    return placed, int(shift[0]), int(shift[1])


def composite_into(frame: np.ndarray, image: Image.Image, left: int, top: int) -> None:
    """Alpha-composite an RGBA image onto the frame (H, W, 4) uint8 with its upper left corner at
    (left, top), in place, touching only the pixels under it (clipped to the frame)."""
    h, w = frame.shape[:2]
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + image.width, w), min(top + image.height, h)
    if x1 <= x0 or y1 <= y0:
        return
    src = np.asarray(image)[y0 - top:y1 - top, x0 - left:x1 - left]
    dst = frame[y0:y1, x0:x1]
    alpha = src[..., 3]
    opaque = alpha == 255
    if np.all(opaque | (alpha == 0)):  # an opaque pixel replaces the one below, a transparent one leaves it
        np.copyto(dst, src, where=opaque[..., None])
    else:
        below, above = Image.fromarray(dst, mode="RGBA"), Image.fromarray(src, mode="RGBA")
        dst[...] = np.asarray(Image.alpha_composite(below, above))


class PanelCamera(Camera):
    """Manim's Camera, drawing images over their own pixel box (see the module's docstring)."""

    def display_image_mobject(self, image_mobject, pixel_array: np.ndarray) -> None:
        placed = placed_image(self, image_mobject)
        if placed is not None:
            composite_into(pixel_array, *placed)
