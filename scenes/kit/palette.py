"""The colours of both themes, one per meaning, chosen for colour-blind viewers too (no manim here,
so tests/test_palette.py can measure them alone), and `P`, the theme's palette for this run: the dark
theme by default, the light one for white slide decks (`DIFFVIZ_THEME=light`, or `theme = light` in the
[diffviz] section of manim.cfg).

Every two colours of a theme (text and dim included) differ by at least 15 in CAM02-UCS for normal
vision and by at least 10 under a simulated full deuteranopia, protanopia and tritanopia; each
keeps a WCAG contrast of at least 4.5:1 against its background, so that it can colour text. The
hues are Okabe and Ito's where they have one (x_0 blue, eps vermillion, eps_hat orange, x_t
reddish purple, x0_hat bluish green, t yellow), in a lighter shade on the dark background and a
darker one on white; `python tools/palette_search.py dark|light` found the shades.
"""
from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Palette:
    background: str
    text: str
    dim: str       # axes, secondary text
    x0: str        # the clean image x_0 and everything about it (sqrt(alpha_bar_t))
    eps: str       # the true noise epsilon and its coefficient sqrt(1 - alpha_bar_t)
    eps_hat: str   # the model's predicted noise eps_hat(x_t, t)
    x_t: str       # the noisy image x_t (and run a of a pair)
    x_prev: str    # the next image x_{t-1}
    x0_hat: str    # the predicted clean image
    time: str      # t, steps, anything on the time axis
    z: str         # fresh noise z of an ancestral step
    accent: str    # a second run (run b of a pair; DDIM beside DDPM)

    def meanings(self) -> dict[str, str]:
        """Every colour that says something on screen, by name: all but the background."""
        return {name: value for name, value in vars(self).items() if name != "background"}


DARK = Palette(background="#14161C", text="#ECEFF4", dim="#878787", x0="#8FB7FF", eps="#FF7838",
               eps_hat="#FFAF10", x_t="#DF87B7", x_prev="#9F87EF", x0_hat="#30BF8F", time="#FFE740",
               z="#D7D7A7", accent="#50DFEF")
LIGHT = Palette(background="#FFFFFF", text="#1B1F24", dim="#484040", x0="#0068FF", eps="#A72808",
                eps_hat="#A76800", x_t="#AF3080", x_prev="#6850B7", x0_hat="#107860", time="#787840",
                z="#785038", accent="#185860")


def theme_name() -> str:
    """dark (the default) or light: DIFFVIZ_THEME, else `theme` in the [diffviz] section of ./manim.cfg."""
    name = os.environ.get("DIFFVIZ_THEME")
    if not name:
        cfg = configparser.ConfigParser()
        cfg.read(Path.cwd() / "manim.cfg")
        name = cfg.get("diffviz", "theme", fallback="dark")
    if name not in ("dark", "light"):
        raise SystemExit(f"theme {name!r} is not 'dark' or 'light' (DIFFVIZ_THEME or [diffviz] theme in manim.cfg)")
    return name


P = LIGHT if theme_name() == "light" else DARK  # the palette of this run, read once
