"""Whether a frame is fit to stop on: the layout of what is on screen, checked from the mobjects.

A text is a Text, MarkupText, MathTex/Tex or DecimalNumber/Integer (the theme's Number, Whole and
Counter's number among them, and the numbers of axes), taken whole. In every frame checked,
- no text overlaps another text or crosses a line or curve (axes and their ticks, plotted graphs,
  arrows, frames of panels), and none comes within CLEARANCE of an image (a panel, a cloud of
  points), a dot or a filled shape (a bar);
- every text and every image lies inside the frame, 5 % of its width and height away from each edge;
- no text is set below font size 24, nor in a colour of less than 4.5:1 contrast (WCAG) against
  the background.
Texts may touch (TOLERANCE: boxes may meet by 1.35 px at 1080p, the anti-aliased edge of a glyph).
Shapes filled with the background colour (masks) are not drawn content and are left out.

DiffvizScene runs the checks in `DiffvizScene.layout_checks` at the end of every animation (a wait's
too), at each slide break and at the last frame. `DIFFVIZ_LAYOUT=1 manim ...` reports the problems of a
render on stderr; `python tools/check_layout.py [Scene ...]` checks scenes without drawing their
animations and exits 1 if any frame has a problem (tests/test_layout.py runs it for every scene, both
themes, two model sizes).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from manim import DecimalNumber, Dot, ImageMobject, MarkupText, Text, VMobject, config
from manim.mobject.text.tex_mobject import SingleStringMathTex

TEXT_TYPES = (Text, MarkupText, SingleStringMathTex, DecimalNumber)
MIN_FONT_SIZE = 24
MIN_CONTRAST = 4.5  # WCAG AA for text
MARGIN = 0.05
TOLERANCE = 0.01  # scene units: 1.35 px at 1080p, the anti-aliased edge of a glyph or a line
CLEARANCE = 0.08  # scene units (11 px at 1080p): the least gap between a text and an image, a dot or a filled shape


@dataclass
class Item:
    """Something drawn: its kind ('text', 'dot', 'image', 'region' or 'line'), its box (x0, y0, x1, y1),
    for a line its segments (N, 2, 2), and a name for the report."""
    mobject: object
    kind: str
    box: np.ndarray
    name: str
    segments: np.ndarray | None = None


def describe(m) -> str:
    x, y = m.get_center()[:2]
    if isinstance(m, (Text, MarkupText)):
        return f"{type(m).__name__} {getattr(m, 'original_text', m.text)!r}"
    if isinstance(m, SingleStringMathTex):
        return f"{type(m).__name__} {m.tex_string!r}"
    if isinstance(m, DecimalNumber):
        return f"{type(m).__name__} {m.get_value():.{m.num_decimal_places}f}"
    if isinstance(m, ImageMobject):
        return f"an image {m.width:.2f} x {m.height:.2f} at ({x:.2f}, {y:.2f})"
    colour = m.get_color().to_hex() if hasattr(m, "get_color") else ""
    return f"a {type(m).__name__} {colour} at ({x:.2f}, {y:.2f})"


def box_of(points: np.ndarray) -> np.ndarray:
    return np.array([*points[:, :2].min(axis=0), *points[:, :2].max(axis=0)])


def visible(m) -> bool:
    if isinstance(m, ImageMobject):
        return m.pixel_array[..., 3].max() > 0
    return any((s.get_fill_opacity() > 0 or (s.get_stroke_opacity() > 0 and s.get_stroke_width() > 0))
               for s in m.family_members_with_points())


def is_mask(m: VMobject, background: str) -> bool:
    """A shape filled with the background colour and no outline: it hides what is under it."""
    return (m.get_fill_opacity() > 0 and m.get_fill_color().to_hex().lower() == background.lower()
            and (m.get_stroke_width() == 0 or m.get_stroke_opacity() == 0))


def segments_of(m: VMobject, samples: int = 6) -> np.ndarray:
    """The mobject's own curves as straight segments (N, 2, 2): each cubic Bezier at `samples` points."""
    n = m.n_points_per_cubic_curve
    points = m.points[: len(m.points) // n * n, :2].reshape(-1, n, 2)
    t = np.linspace(0, 1, samples)[:, None]
    basis = np.stack([(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3], axis=1)[..., 0]  # (S, 4)
    curve = np.einsum("sk,nkd->nsd", basis, points)  # (N, S, 2)
    return np.stack([curve[:, :-1], curve[:, 1:]], axis=2).reshape(-1, 2, 2)


def items(scene) -> list[Item]:
    """What the scene shows now, flattened: texts whole, everything else down to its own points."""
    background = scene.camera.background_color.to_hex()
    found: list[Item] = []

    def visit(m) -> None:
        if isinstance(m, TEXT_TYPES):
            if visible(m) and len(m.get_all_points()):
                found.append(Item(m, "text", box_of(m.get_all_points()), describe(m)))
            return
        if isinstance(m, ImageMobject):
            if visible(m):
                found.append(Item(m, "image", box_of(m.points), describe(m)))
            return
        if isinstance(m, Dot):
            if visible(m):
                found.append(Item(m, "dot", box_of(m.get_all_points()), describe(m)))
            return
        if isinstance(m, VMobject) and len(m.points) and not is_mask(m, background):
            if m.get_fill_opacity() > 0:
                found.append(Item(m, "region", box_of(m.points), describe(m)))
            elif m.get_stroke_opacity() > 0 and m.get_stroke_width() > 0:
                found.append(Item(m, "line", box_of(m.points), describe(m), segments_of(m)))
        for sub in m.submobjects:
            visit(sub)

    for m in scene.mobjects:
        visit(m)
    return found


def overlap(a: np.ndarray, b: np.ndarray, gap: float = -TOLERANCE) -> bool:
    """Whether two boxes come closer than `gap` in both directions (a negative gap: intersect by more than
    -gap; TOLERANCE by default)."""
    return min(a[2], b[2]) - max(a[0], b[0]) > -gap and min(a[3], b[3]) - max(a[1], b[1]) > -gap


def crosses(segments: np.ndarray, box: np.ndarray) -> bool:
    """Whether any segment (N, 2, 2) passes through the box shrunk by TOLERANCE (Liang-Barsky)."""
    lo_edge, hi_edge = box[:2] + TOLERANCE, box[2:] - TOLERANCE
    if np.any(hi_edge <= lo_edge) or not len(segments):
        return False
    ends = segments.reshape(-1, 2)
    if np.any(ends.max(axis=0) < lo_edge) or np.any(ends.min(axis=0) > hi_edge):
        return False
    start, delta = segments[:, 0], segments[:, 1] - segments[:, 0]
    enter, leave = np.zeros(len(segments)), np.ones(len(segments))
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis in (0, 1):
            d, p = delta[:, axis], start[:, axis]
            t1, t2 = (lo_edge[axis] - p) / d, (hi_edge[axis] - p) / d
            inside = (p >= lo_edge[axis]) & (p <= hi_edge[axis])
            flat = d == 0
            enter = np.maximum(enter, np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2)))
            leave = np.minimum(leave, np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2)))
    return bool(np.any(enter <= leave))


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours given as hex."""
    def luminance(code: str) -> float:
        c = np.array([int(code[i:i + 2], 16) / 255 for i in (1, 3, 5)])
        return float(np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4) @ [0.2126, 0.7152, 0.0722])
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def colours(text) -> set[str]:
    """The colours a text is drawn in: its glyphs' fill colours where they are visible."""
    return {part.get_fill_color().to_hex().upper() for part in text.family_members_with_points()
            if part.get_fill_opacity() > 0}


def problems(scene, moment: str) -> list[str]:
    """What is wrong with the layout of the scene's frame now, one line each, naming the scene and moment."""
    where = f"{type(scene).__name__}, {moment}"
    shown = items(scene)
    texts = [i for i in shown if i.kind == "text"]
    background = scene.camera.background_color.to_hex().upper()
    found = []
    half_w, half_h = config.frame_width / 2, config.frame_height / 2
    inner = np.array([-half_w + MARGIN * config.frame_width, -half_h + MARGIN * config.frame_height,
                      half_w - MARGIN * config.frame_width, half_h - MARGIN * config.frame_height])
    for text in texts:
        size = text.mobject.font_size
        if size < MIN_FONT_SIZE - 0.05:
            found.append(f"{where}: {text.name} is set at font size {size:.1f}, below {MIN_FONT_SIZE}")
        for colour in sorted(colours(text.mobject)):
            if contrast(colour, background) < MIN_CONTRAST:
                found.append(f"{where}: {text.name} is drawn in {colour}, contrast {contrast(colour, background):.2f} "
                             f"against the background {background}, below {MIN_CONTRAST}")
    for item in texts + [i for i in shown if i.kind == "image"]:
        outside = np.concatenate([inner[:2] - item.box[:2], item.box[2:] - inner[2:]])
        if outside.max() > 1e-3:
            found.append(f"{where}: {item.name} reaches {outside.max():.2f} into the frame's {MARGIN:.0%} margin")
    for n, text in enumerate(texts):
        for other in texts[n + 1:] + [i for i in shown if i.kind != "text"]:
            if other.kind == "line":
                bad = crosses(other.segments, text.box)
            else:
                bad = overlap(text.box, other.box, -TOLERANCE if other.kind == "text" else CLEARANCE)
            if bad:
                found.append(f"{where}: {text.name} overlaps {other.name}" if other.kind in ("text", "line") else
                             f"{where}: {text.name} comes within {CLEARANCE} of {other.name}")
    return found


class Recorder:
    """A layout check that keeps every problem it finds (`problems`), for a test to assert on."""

    def __init__(self):
        self.problems: list[str] = []
        self.moments: list[str] = []

    def __call__(self, scene, moment: str) -> None:
        self.moments.append(f"{type(scene).__name__}, {moment}")
        self.problems += problems(scene, moment)


def report(scene, moment: str) -> None:
    """A layout check that prints what it finds (DIFFVIZ_LAYOUT=1)."""
    for line in problems(scene, moment):
        print(f"layout: {line}", file=sys.stderr)
