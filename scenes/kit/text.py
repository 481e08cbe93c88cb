"""Text in the theme: the font, LaTeX whose parts take their meaning's colour, and labels."""
from __future__ import annotations

from manim import MathTex, Text

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


def label(text: str, size: float = 30, color: str | None = None) -> Text:
    return Text(text, font=FONT, font_size=size, color=color or P.text)
