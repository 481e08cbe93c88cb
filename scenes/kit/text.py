"""Text in the theme: the font, LaTeX whose parts take their meaning's colour, labels, and lines of parts that
share one baseline."""
from __future__ import annotations

from manim import DOWN, ITALIC, NORMAL, RIGHT, UP, MathTex, Text, VGroup, config
from manim.mobject.text.tex_mobject import SingleStringMathTex

from .palette import P

FONT = "DejaVu Sans"
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


def label(text: str, size: float = 30, color: str | None = None, italic: bool = False) -> Text:
    """Text in the theme's font; `italic` for a symbol set in a line of text (t, x_t), as one family."""
    return Text(text, font=FONT, font_size=size, color=color or P.text, slant=ITALIC if italic else NORMAL)


def lines(text: str, size: float = 30, color: str | None = None, share: float = 0.9) -> Text | VGroup:
    """A label no wider than `share` of the frame (inside the layout's 5 % margins): the text on one line where
    it fits, else on two, centred, broken at the space that makes the longer line shortest."""
    one = label(text, size=size, color=color)
    if one.width <= share * config.frame_width:
        return one
    words = text.split(" ")
    splits = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
    best = min(splits, key=lambda pair: max(len(pair[0]), len(pair[1])))
    return VGroup(*[label(line, size=size, color=color) for line in best]).arrange(DOWN, buff=0.18)


REFERENCE_SIZE = 48  # the font size at which a string's drop below its baseline is measured; it scales with size
_DROPS: dict[tuple[str, str], float] = {}


def drop(kind: str, string: str) -> float:
    """How far the bottom of `string`, set alone at REFERENCE_SIZE, lies below its baseline, in scene units (a
    descender or a round glyph's overshoot: > 0): measured against a flat-bottomed H set before it on the same
    line, which sits on the baseline. kind: "text" (the theme's font, upright) or "tex" (LaTeX, math mode)."""
    key = (kind, string)
    if key not in _DROPS:
        if kind == "text":
            glyphs = Text("H" + string, font=FONT, font_size=REFERENCE_SIZE).submobjects
        else:
            glyphs = MathTex(r"\mathrm{H}" + string, font_size=REFERENCE_SIZE).submobjects[0].submobjects
        _DROPS[key] = float(glyphs[0].get_bottom()[1] - VGroup(*glyphs[1:]).get_bottom()[1])
    return _DROPS[key]


def baseline(m) -> float:
    """The y of the baseline a text sits on: a Text or LaTeX from its bottom and drop(); a number (the kit's
    Number and Whole, whose digits sit on one baseline) from its first digit; a group from its first part."""
    if hasattr(m, "baseline"):
        return m.baseline()
    if isinstance(m, Text):
        return float(m.get_bottom()[1]) + drop("text", m.text) * m.font_size / REFERENCE_SIZE
    if isinstance(m, SingleStringMathTex):
        return float(m.get_bottom()[1]) + drop("tex", m.tex_string) * m.font_size / REFERENCE_SIZE
    if isinstance(m, VGroup) and m.submobjects:
        return baseline(m.submobjects[0])
    raise TypeError(f"no baseline for {type(m).__name__}")


def on_baseline(*parts, buff: float = 0.15) -> VGroup:
    """Parts side by side, left to right, `buff` apart, on the first part's baseline: a fixed word and its
    changing number read as one line (Manim's arrange centres them, which sets them on different baselines)."""
    row = VGroup(*parts).arrange(RIGHT, buff=buff)
    return align_baselines(row)


def align_baselines(row: VGroup) -> VGroup:
    """Shift each part of a row vertically onto the first part's baseline."""
    line = baseline(row.submobjects[0])
    for part in row.submobjects[1:]:
        part.shift(UP * (line - baseline(part)))
    return row

