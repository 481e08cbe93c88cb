"""Numbers and text that change every step of a sweep, cheaply: glyphs made once and copied lightly,
counters whose words are made once, and memos of text states."""
from __future__ import annotations

import copy

import numpy as np
from manim import DOWN, RIGHT, UP, DecimalNumber, Integer, Text, VGroup

from .palette import P
from .text import FONT, REFERENCE_SIZE, align_baselines, baseline, drop, label


def light_copy(mobject):
    """A copy of a glyph: its arrays and submobjects copied, everything else shared. Manim's copy()
    deep-copies every attribute, some 6 ms for one digit of a DecimalNumber, every time it changes."""
    copied = copy.copy(mobject)
    for name, value in vars(mobject).items():
        if isinstance(value, np.ndarray):
            setattr(copied, name, value.copy())
    copied.submobjects = [light_copy(m) for m in mobject.submobjects]
    copied.updaters = []
    return copied


_GLYPHS: dict[tuple[type, str], object] = {}  # (class, character) -> its glyph, made once


class _LightGlyphs:
    """DecimalNumber's characters, each made once (LaTeX, or Text in the theme's font) and copied
    with light_copy; its digits on one baseline, which set_value keeps where it was."""

    def _string_to_mob(self, string, mob_class=None, **kwargs):
        mob_class = mob_class or self.mob_class
        if (mob_class, string) not in _GLYPHS:
            _GLYPHS[mob_class, string] = mob_class(string, **({"font": FONT} if mob_class is Text else kwargs))
        glyph = light_copy(_GLYPHS[mob_class, string])
        glyph.font_size = self._font_size
        return glyph

    def _kind(self) -> str:
        return "text" if self.mob_class is Text else "tex"

    def _set_submobjects_from_number(self, number) -> None:
        """Manim's digits, then each lowered by its drop below the baseline: Manim aligns their bottoms, which
        sets a round digit (0, 3, 6, 8, 9) its overshoot above the flat ones."""
        super()._set_submobjects_from_number(number)
        scale = self._font_size / REFERENCE_SIZE
        for glyph, char in zip(self.submobjects, self._get_num_string(number), strict=False):
            if char.isdigit():
                glyph.shift(DOWN * drop(self._kind(), char) * scale)
        self.initial_height = self.height

    def baseline(self) -> float:
        """The y of the digits' baseline."""
        for glyph, char in zip(self.submobjects, self._get_num_string(self.number), strict=False):
            if char.isdigit():
                return float(glyph.get_bottom()[1]) + drop(self._kind(), char) * self.font_size / REFERENCE_SIZE
        return float(self.get_bottom()[1])

    def set_value(self, number):
        """DecimalNumber.set_value, keeping the baseline where it was (Manim keeps the vertical centre)."""
        line = self.baseline() if self.submobjects else None
        super().set_value(number)
        if line is not None:
            self.shift(UP * (line - self.baseline()))
        return self


class Number(_LightGlyphs, DecimalNumber):
    """A DecimalNumber whose set_value is cheap enough for every step of a sweep; `text=True` sets it
    in the theme's font, for a number inside a sentence of Text."""

    def __init__(self, *args, text: bool = False, **kwargs):
        super().__init__(*args, **({"mob_class": Text} if text else {}), **kwargs)


class Whole(_LightGlyphs, Integer):
    """An Integer whose set_value is cheap enough for every step of a sweep."""


class Counter(VGroup):
    """Text around a whole number that changes, `step 12 / 50`, on one baseline: the text is made once, set()
    changes the number (a new Text every step would cost a Pango and SVG run each time)."""

    def __init__(self, before: str, value: int, after: str = "", size: float = 28, color: str | None = None):
        self.number = Whole(value, font_size=size, color=color or P.time, mob_class=Text, group_with_commas=False)
        parts = [label(before, size=size, color=color or P.time)] if before else []
        parts.append(self.number)
        if after:
            parts.append(label(after, size=size, color=color or P.time))
        super().__init__(*parts)
        align_baselines(self.arrange(RIGHT, buff=0.12))

    def set(self, value: int) -> "Counter":
        """The new number, the words beside it, on the same baseline and centred where the counter was."""
        x, line = self.get_x(), baseline(self)
        self.number.set_value(value)
        align_baselines(self.arrange(RIGHT, buff=0.12)).set_x(x)
        return self.shift(UP * (line - baseline(self)))


class Memo(VGroup):
    """One of many states of a piece of text, each made by make(key) once and kept: a sweep that
    goes back and forth, or shows the same text for many steps, builds it once, not every frame."""

    def __init__(self, make, key):
        super().__init__()
        self.make, self.states = make, {}
        self.show(key)

    def show(self, key) -> "Memo":
        if key not in self.states:
            self.states[key] = self.make(key)
        self.submobjects = [self.states[key]]
        self.key = key
        return self

    def __deepcopy__(self, memo):
        """A copy (an animation's start or target) of the state shown, sharing make: copying every
        state, and whatever make refers to (the scene), would be wasted."""
        make, states = self.make, self.states
        self.make, self.states = None, {}
        try:
            copied = super().__deepcopy__(memo)
        finally:
            self.make, self.states = make, states
        copied.make, copied.states = make, {self.key: copied.submobjects[0]}
        return copied
