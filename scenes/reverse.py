"""The reverse process as predicted-noise subtraction, with the update's real coefficients.

    manim -qh scenes/reverse.py ReverseProcess        # DDPM, ancestral (adds sigma_t z)
    manim -qh scenes/reverse.py ReverseProcessDDIM    # DDIM, deterministic (eta = 0)
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, Indicate, Text, ValueTracker, VGroup, Write

from scenes.kit.base import DiffvizScene
from scenes.kit.equations import DDIM, DDPM, SPOKEN_PARTS
from scenes.kit.numbers import Memo, Number, Whole
from scenes.kit.palette import P
from scenes.kit.panels import Panel
from scenes.kit.text import align_baselines, label, on_baseline, tex

SLOW_STEPS = 3


def glance_picks(S: int) -> np.ndarray:
    """The steps of the run at a glance: five evenly spaced states of the S steps, the last the result."""
    return np.linspace(0, S, 5).round().astype(int)


def clipped_places(share: float) -> int:
    """The decimals of the share of x0_hat clipped, in per cent: whole from 1 %, one below."""
    return 0 if share >= 0.01 else 1


def step_words(tr, numbers: dict, i: int) -> tuple[object, str]:
    """Where step i ends (its t_prev, or "clean") and its coefficients as the notes write them (`numbers`: the
    equation's parts that show a number, and the array each reads)."""
    end = tr["t_prev"][i] if tr["t_prev"][i] >= 0 else "clean"
    return end, ", ".join(f"{SPOKEN_PARTS[part]} = {tr[key][i]:.4f}" for part, key in numbers.items())


def step_notes(tr, numbers: dict, i: int) -> str:
    """Speaker notes for step i: the timesteps and the update's coefficients, as on screen."""
    end, coefs = step_words(tr, numbers, i)
    return f"Step {i + 1} of {len(tr['t'])}, t = {tr['t'][i]} -> {end}: {coefs}."


def shown_at(tr, name: str, numbers: dict, clip: float | None, i: int) -> str:
    """In words, what the header, the numbers under the equation and the footnote read at step i of the
    `name` run; `clip`, the range x0_hat is clipped to (None: no footnote)."""
    end, coefs = step_words(tr, numbers, i)
    text = f"The header reads {name} step {i + 1} / {len(tr['t'])}, t = {tr['t'][i]} to {end}; under the " \
           f"equation: {coefs}."
    if clip is not None:
        share = float(tr["clipped"][i])
        text += (f" A footnote: the step uses x0_hat clipped to [-{clip:g}, {clip:g}]; values clipped: "
                 f"{100 * share:.{clipped_places(share)}f} %.")
    return text


def glance_ts(tr) -> str:
    """The t of the run at a glance's first four images: the run's states at five evenly spaced steps."""
    return ", ".join(str(tr["t"][j]) for j in glance_picks(len(tr["t"]))[:-1])


def title_notes(tr, name: str) -> tuple[str, str]:
    """The title slide's notes, and what the frames after the card show: the run's steps and timesteps."""
    S = len(tr["t"])
    return (f"{name}: from pure noise to an image in {S} steps, t = {tr['t'][0]} down to {tr['t'][-1]}; each step "
            "subtracts the noise the model predicts.", f'{S} steps, from t = {tr["t"][0]} down to {tr["t"][-1]}.')


class ReverseProcess(DDPM, DiffvizScene):
    """DDPM: x_{t-1} = 1/sqrt(alpha_t) (x_t - beta_t/sqrt(1 - alpha_bar_t) eps_hat) + sigma_t z."""
    index = 0  # the DDPM recording of the reverse experiment

    def construct(self):
        tr = self.trajectory("reverse", self.index)
        self.tr = tr
        if self.equation_with_noise and tr["sigma_t"].any():
            self.equation, self.numbers = self.equation_with_noise, self.numbers_with_noise
            self.in_words = self.in_words_with_noise
        S = len(tr["t"])
        notes, then = title_notes(tr, self.name)
        self.title_slide("Removing noise", f"{self.name}: subtract the predicted noise, one step at a time",
                         notes=notes, then=then, chapter=f"Removing noise with {self.name}")
        self.slide(self.step_notes(0) + " Panels: x_t, the predicted noise, the next image, and the model's "
                   "guess of the clean image.", title="One step of the update",
                   description=f"The update {self.in_words} is written at the top. {self.shown_at(0)} Below, four "
                               "images: x_t, pure noise; minus the predicted noise eps_hat(x_t, t); an arrow to the "
                               "next image x_(t-1); and the model's guess of the clean image, x0_hat.")

        eq = tex(*self.equation, size=50).to_edge(UP, buff=0.9)
        self.values = {}
        for part, key in self.numbers.items():
            sub = eq.submobjects[self.equation.index(part)]
            number = Number(tr[key][0], num_decimal_places=4, font_size=30, color=P.time)
            number.next_to(eq, DOWN, buff=0.22).set_x(sub.get_x())
            self.values[key] = number
        header = self.header()

        h = 2.4
        self.panels = {
            "x": Panel(tr["x"][0], h, P.x_t, tex("x_t", size=38)),
            "eps_hat": Panel(tr["eps_hat"][0], h, P.eps_hat, tex(r"\hat\epsilon", r"(x_t, t)", size=38)),
            "x_prev": Panel(tr["x"][1], h, P.x_prev, tex("x_{t-1}", size=38)),
            "x0_hat": Panel(tr["x0_hat"][0], h, P.x0_hat, tex(r"\hat x_0", size=38)),
        }
        Group(*self.panels.values()).arrange(RIGHT, buff=0.7).move_to(DOWN * 1.1 + LEFT * 0.45)
        self.panels["x0_hat"].shift(RIGHT * 0.4)
        minus = tex("-", size=56).move_to(
            (self.panels["x"].frame.get_right() + self.panels["eps_hat"].frame.get_left()) / 2)
        arrow = tex(r"\rightarrow", size=56).move_to(
            (self.panels["eps_hat"].frame.get_right() + self.panels["x_prev"].frame.get_left()) / 2)
        guess = label("the model's guess", size=26, color=P.dim).next_to(self.panels["x0_hat"].caption, DOWN, buff=0.12)
        self.extra = self.footnote()
        self.show_step(0, header)

        self.play(Write(eq), run_time=1.5)
        self.play(FadeIn(header), *[FadeIn(v) for v in self.values.values()], run_time=0.6)
        self.play(FadeIn(self.panels["x"]), run_time=0.6)
        self.play(FadeIn(self.panels["eps_hat"]), FadeIn(minus), run_time=0.8)
        self.play(FadeIn(self.panels["x_prev"]), FadeIn(arrow), run_time=0.8)
        self.play(FadeIn(self.panels["x0_hat"]), FadeIn(guess), FadeIn(self.extra), run_time=0.8)
        self.wait(2)

        # The first steps slowly: x_{t-1} becomes the next x_t
        for i in range(1, min(SLOW_STEPS, S)):
            self.slide(self.step_notes(i) + " x_(t-1) becomes the next x_t.", title=f"Step {i + 1}",
                       description="The image x_(t-1) slides onto x_t and becomes the next step's input; every "
                                   f"panel and number changes. {self.shown_at(i)} The predicted noise flashes.")
            moving = self.panels["x_prev"].image.copy()
            self.play(moving.animate.move_to(self.panels["x"].image), run_time=0.8)
            self.remove(moving)
            self.show_step(i, header)
            self.play(Indicate(self.panels["eps_hat"].frame, color=P.eps_hat, scale_factor=1.04), run_time=0.7)
            self.wait(1.2)

        # Then the rest, fast
        k = ValueTracker(min(SLOW_STEPS, S - 1))
        self.slide(f"Steps {min(SLOW_STEPS, S - 1) + 1} to {S}, fast; the guess x0_hat settles long before the "
                   f"image does. The last: {self.step_notes(S - 1)}",
                   title=f"Steps {min(SLOW_STEPS, S - 1) + 1} to {S}",
                   description=f"The other steps play quickly, up to the last: x_t turns from noise into an image "
                               f"and the guess x0_hat sharpens with it. {self.shown_at(S - 1)}")
        self.sweep(k, lambda _: self.show_step(int(round(k.get_value())), header),
                   [header, *self.clip_numbers, *self.values.values(),
                    *[p.image for p in self.panels.values()]],
                   (S - 1, float(np.clip(0.12 * S, 3, 12))))
        self.wait(1.5)

        # The run at a glance: five evenly spaced images, as in the original notebook
        self.slide(f"The {self.name} run at a glance, t = {glance_ts(tr)}, then the result.",
                   title="The run at a glance",
                   description=f'The equation and the panels clear. Under the title "{self.name}, {S} steps, from '
                               f'noise to image", five images in a row, x_t at t = {glance_ts(tr)}, then the final '
                               "image x_0.")
        self.play(*[FadeOut(m) for m in (eq, *self.values.values(), minus, arrow, guess, self.extra, header,
                                          *self.panels.values())], run_time=0.6)
        self.strip()

    def step_notes(self, i: int) -> str:
        """Speaker notes for step i (step_notes of this run's equation)."""
        return step_notes(self.tr, self.numbers, i)

    def shown_at(self, i: int) -> str:
        """What step i shows, in words (shown_at of this run)."""
        return shown_at(self.tr, self.name, self.numbers, self.clip_range(), i)

    def clip_range(self) -> float | None:
        """The range x0_hat is clipped to, where the model's scheduler clips."""
        scheduler = self.tr.manifest["model"].get("scheduler_config", {})
        return scheduler.get("clip_sample_range", 1.0) if scheduler.get("clip_sample") else None

    def header(self) -> VGroup:
        """`DDPM step i / S   t = t -> t_prev` at the first step: the text made once, the numbers
        (self.counters: step, t, t_prev) set by show_step; t_prev reads `clean` at the last step."""
        tr = self.tr
        # one line, one family: the theme's font throughout, t in its italic, every part on one baseline
        self.counters = {"step": Whole(1, font_size=30, color=P.time, mob_class=Text),
                         "t": Whole(tr["t"][0], font_size=30, color=P.time, mob_class=Text),
                         "t_prev": Whole(max(tr["t_prev"][0], 0), font_size=30, color=P.time, mob_class=Text)}
        clean = label("clean", size=30)
        self.t_prev_slot = Memo(lambda last: clean if last else self.counters["t_prev"], tr["t_prev"][0] < 0)
        step = VGroup(self.counters["step"], label(f"/ {len(tr['t'])}", size=30, color=P.time))
        t = VGroup(label("t", size=30, color=P.time, italic=True), label("=", size=30), self.counters["t"],
                   label("→", size=30), self.t_prev_slot)
        self.arrange_header = lambda: (align_baselines(step.arrange(RIGHT, buff=0.12)),
                                       align_baselines(t.arrange(RIGHT, buff=0.12)),
                                       align_baselines(header.arrange(RIGHT, buff=0.3)).to_edge(UP, buff=0.4))
        header = VGroup(label(f"{self.name}   step", size=30, color=P.dim), step, t)
        self.arrange_header()
        return header

    def footnote(self) -> VGroup:
        """`the step uses x̂₀ clipped to [−1, 1]; values clipped: N %` where the scheduler clips (only
        the number changes, self.clip_numbers), nothing where it does not."""
        self.clipped = Number(0, num_decimal_places=1, font_size=24, color=P.dim, text=True)
        self.clipped_unit = label("%", size=24, color=P.dim)
        if self.clip_range() is None:
            self.clip_numbers = []
            return VGroup()
        self.clip_numbers = [self.clipped, self.clipped_unit]
        r = f"{self.clip_range():g}"
        text = label(f"the step uses x̂₀ clipped to [−{r}, {r}]; values clipped:", size=24, color=P.dim)
        return on_baseline(text, self.clipped, self.clipped_unit, buff=0.16).to_edge(DOWN, buff=0.4)

    def show_step(self, i: int, header: VGroup) -> None:
        """Every panel, number and label at step i (x_t is the state before the step)."""
        tr = self.tr
        self.panels["x"].show(tr["x"][i])
        self.panels["eps_hat"].show(tr["eps_hat"][i])
        self.panels["x_prev"].show(tr["x"][i + 1])
        self.panels["x0_hat"].show(tr["x0_hat"][i])
        for key, number in self.values.items():
            number.set_value(tr[key][i])
        self.counters["step"].set_value(i + 1)
        self.counters["t"].set_value(tr["t"][i])
        if tr["t_prev"][i] >= 0:
            self.counters["t_prev"].set_value(tr["t_prev"][i])
        self.t_prev_slot.show(tr["t_prev"][i] < 0)
        self.arrange_header()
        share = float(tr["clipped"][i])
        self.clipped.num_decimal_places = clipped_places(share)
        self.clipped.set_value(100 * share)
        self.clipped_unit.next_to(self.clipped, RIGHT, buff=0.08)
        self.step = i

    def strip(self) -> None:
        tr = self.tr
        S = len(tr["t"])
        picks = glance_picks(S)
        panels = Group(*[Panel(tr["x"][j], 2.2, P.x_t if j < S else P.x0,
                               tex(f"t = {tr['t'][j]}" if j < S else "x_0", size=32)) for j in picks])
        panels.arrange(RIGHT, buff=0.45).move_to(DOWN * 0.2)
        title = label(f"{self.name}, {S} steps, from noise to image", size=36).to_edge(UP, buff=0.8)
        self.play(FadeIn(title), run_time=0.5)
        for p in panels:
            self.play(FadeIn(p, shift=UP * 0.15), run_time=0.35)
        self.wait(3)


class ReverseProcessDDIM(DDIM, ReverseProcess):
    """DDIM, Song et al. (2021) eq. (12): x_{t-1} = sqrt(alpha_bar_{t-1}) x0_hat + sqrt(1 - alpha_bar_{t-1} - sigma_t^2)
    eps_hat + sigma_t z. The recordings have eta = 0, so sigma_t = 0: no noise added, and the middle
    coefficient is sqrt(1 - alpha_bar_{t-1}); a recording with eta > 0 is shown with the full equation."""
    index = 1
