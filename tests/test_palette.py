"""The theme colours stay apart for every eye and readable as text: CAM02-UCS colour difference between
every two colours of a theme (colorspacious; deficiencies simulated at full severity) and WCAG
contrast against the theme's background."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from colorspacious import cspace_convert

from scenes.kit import palette  # the colours alone, without manim or the scene base's state

ROOT = Path(__file__).resolve().parents[1]

THEMES = {"dark": palette.DARK, "light": palette.LIGHT}
DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")
# the palette before issue 17, which the checks must refuse
BEFORE = {"dark": dict(text="#ECEFF4", dim="#8A93A6", x0="#5DADE2", eps="#F1948A", eps_hat="#F5B041", x_t="#BB8FCE",
                       x_prev="#A569BD", x0_hat="#58D68D", time="#F7DC6F", z="#EC7063", accent="#48C9B0"),
          "light": dict(text="#1B1F24", dim="#5D6D7E", x0="#1F6FB2", eps="#C0392B", eps_hat="#CA6F1E", x_t="#7D3C98",
                        x_prev="#6C3483", x0_hat="#1E8449", time="#B7950B", z="#A93226", accent="#117A65")}


def srgb(code: str) -> np.ndarray:
    return np.array([int(code[i:i + 2], 16) / 255 for i in (1, 3, 5)])


def seen(code: str, deficiency: str | None = None) -> np.ndarray:
    """CAM02-UCS coordinates of a colour, as someone with `deficiency` (full severity) sees it."""
    rgb = srgb(code)
    if deficiency:
        rgb = cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}, "sRGB1")
    return cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def too_close(colours: dict[str, str], deficiency: str | None, need: float) -> list[str]:
    """Every two colours whose difference is below `need`, as 'a / b: difference'."""
    return [f"{a} / {b}: {np.linalg.norm(seen(colours[a], deficiency) - seen(colours[b], deficiency)):.1f}"
            for a, b in itertools.combinations(colours, 2)
            if np.linalg.norm(seen(colours[a], deficiency) - seen(colours[b], deficiency)) < need]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    def luminance(code):
        c = srgb(code)
        return float(np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4) @ [0.2126, 0.7152, 0.0722])
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_colour_with_a_meaning_is_in_the_check():
    assert set(palette.DARK.meanings()) == {"text", "dim", "x0", "eps", "eps_hat", "x_t", "x_prev", "x0_hat", "time",
                                            "z", "accent"}


@pytest.mark.parametrize("theme", THEMES)
def test_every_two_colours_differ_by_15_for_normal_vision(theme):
    assert too_close(THEMES[theme].meanings(), None, 15) == []


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_every_two_colours_differ_by_10_under_each_colour_vision_deficiency(theme, deficiency):
    assert too_close(THEMES[theme].meanings(), deficiency, 10) == []


@pytest.mark.parametrize("theme", THEMES)
def test_every_colour_keeps_a_contrast_of_4_5_against_its_background(theme):
    p = THEMES[theme]
    low = {name: round(contrast(code, p.background), 2) for name, code in p.meanings().items()
           if contrast(code, p.background) < 4.5}
    assert low == {}


def test_the_palette_before_issue_17_is_refused():
    """The confusions the issue measured: red against green for a deuteranope, x_0 against x_t,
    and the two violets of x_t and x_{t-1}."""
    assert "eps / x0_hat: 2.3" in too_close(BEFORE["dark"], "deuteranomaly", 10)
    assert "x0 / x_t: 5.7" in too_close(BEFORE["dark"], "deuteranomaly", 10)
    assert "x_t / x_prev: 5.8" in too_close(BEFORE["light"], None, 15)
    assert contrast(BEFORE["light"]["time"], "#FFFFFF") < 4.5
