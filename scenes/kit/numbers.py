"""Numbers and text that change every step of a sweep, cheaply: glyphs made once and copied lightly,
counters whose words are made once, and memos of text states."""
from __future__ import annotations

import copy

import numpy as np
from manim import RIGHT, DecimalNumber, Integer, Text, VGroup

from .palette import P
from .text import FONT, label


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
    with light_copy."""

    def _string_to_mob(self, string, mob_class=None, **kwargs):
        mob_class = mob_class or self.mob_class
        if (mob_class, string) not in _GLYPHS:
            _GLYPHS[mob_class, string] = mob_class(string, **({"font": FONT} if mob_class is Text else kwargs))
        glyph = light_copy(_GLYPHS[mob_class, string])
        glyph.font_size = self._font_size
        return glyph


class Number(_LightGlyphs, DecimalNumber):
    """A DecimalNumber whose set_value is cheap enough for every step of a sweep; `text=True` sets it
    in the theme's font, for a number inside a sentence of Text."""

    def __init__(self, *args, text: bool = False, **kwargs):
        super().__init__(*args, **({"mob_class": Text} if text else {}), **kwargs)


class Whole(_LightGlyphs, Integer):
    """An Integer whose set_value is cheap enough for every step of a sweep."""


class Counter(VGroup):
    """Text around a whole number that changes, `step 12 / 50`: the text is made once, set() changes
    the number (a new Text every step would cost a Pango and SVG run each time)."""

    def __init__(self, before: str, value: int, after: str = "", size: float = 28, color: str | None = None):
        self.number = Whole(value, font_size=size, color=color or P.time, mob_class=Text, group_with_commas=False)
        parts = [label(before, size=size, color=color or P.time)] if before else []
        parts.append(self.number)
        if after:
            parts.append(label(after, size=size, color=color or P.time))
        super().__init__(*parts)
        self.arrange(RIGHT, buff=0.12)

    def set(self, value: int) -> "Counter":
        centre = self.get_center()
        self.number.set_value(value)
        return self.arrange(RIGHT, buff=0.12).move_to(centre)


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
