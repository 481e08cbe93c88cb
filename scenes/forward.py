"""The noising equation, x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, with the schedule's real numbers.

    manim -qh scenes/forward.py ForwardProcess
"""
from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Axes,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    Line,
    ValueTracker,
    VGroup,
    Write,
    linear,
)

from scenes.kit.base import DiffvizScene, on_each_step
from scenes.kit.equations import EQUATION, NOISE, SIGNAL
from scenes.kit.numbers import Number
from scenes.kit.palette import P
from scenes.kit.panels import Panel
from scenes.kit.plots import themed
from scenes.kit.text import label, on_baseline, tex

SIDE = 2.0  # the images of the equation's row


def telling_frames(t: np.ndarray, alpha_bar: np.ndarray) -> list[int]:
    """Frames where a speaker would talk: little noise, signal = noise, almost pure noise."""
    a = alpha_bar[t]
    return sorted({int(np.argmin(abs(a - 0.9))), int(np.argmin(abs(a - 0.5))), len(t) - 1})


def chain_picks(mid: int) -> np.ndarray:
    """The steps of the chain x_0 -> ... -> x_t shown beside the one jump to frame `mid`."""
    return np.unique(np.linspace(0, mid, 5).round().astype(int))


def equation_slide(tr) -> tuple[str, str]:
    """The notes and the description of the equation's slide: both coefficients at the first t, and the
    range each covers over the schedule."""
    t, alpha_bar = tr["t"], tr["alpha_bar"]
    T = len(alpha_bar)
    notes = (f"x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps. At t = {t[0]}: "
             f"sqrt(alpha_bar_t) = {tr['sqrt_alpha_bar'][0]:.4f}, "
             f"sqrt(1 - alpha_bar_t) = {tr['sqrt_one_minus_alpha_bar'][0]:.4f}. "
             "Right: both coefficients over t, their squares sum to 1.")
    description = (f"The equation x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps is written at "
                   f"the top, then its images in a row: the noisy image x_t at t = {t[0]} equals the clean "
                   f"image x_0 times {tr['sqrt_alpha_bar'][0]:.4f}, plus the noise eps, a speckle of "
                   f"random pixels, times {tr['sqrt_one_minus_alpha_bar'][0]:.4f}. On the right, a plot "
                   f"of both coefficients over t from 0 to {T}: sqrt(alpha_bar_t) falls from "
                   f"{np.sqrt(alpha_bar[0]):.2f} to {np.sqrt(alpha_bar[-1]):.2f}, sqrt(1 - alpha_bar_t) "
                   f"rises from {np.sqrt(1 - alpha_bar[0]):.2f} to {np.sqrt(1 - alpha_bar[-1]):.2f}; a dot "
                   f"on each curve marks the current t.")
    return notes, description


def sweep_slide(tr, start: int, stop: int, text: str) -> tuple[str, str]:
    """The notes and the description of a slide of the sweep from frame `start` to frame `stop`, where the
    caption `text` shows."""
    t = tr["t"]
    notes = (f"t = {t[stop]}: sqrt(alpha_bar_t) = {tr['sqrt_alpha_bar'][stop]:.4f}, "
             f"sqrt(1 - alpha_bar_t) = {tr['sqrt_one_minus_alpha_bar'][stop]:.4f}: {text}.")
    description = (f"t runs from {t[start]} to {t[stop]}: x_t grows noisier, its coefficients "
                   f"become {tr['sqrt_alpha_bar'][stop]:.4f} for x_0 and "
                   f"{tr['sqrt_one_minus_alpha_bar'][stop]:.4f} for eps, and the dots slide along "
                   f'the curves. A caption shows for a moment: "{text}".')
    return notes, description


def chain_slide(tr, mid: int) -> tuple[str, str]:
    """The notes and the description of the chain's slide: the images of the chain to frame `mid` and the
    spread of the noise after the single steps and after the one jump."""
    t = tr["t"]
    notes = (f"Taking the {t[mid]} single steps q(x_t | x_(t-1)) one after another gives noise of the same "
             f"spread as the one jump: {tr['chain_noise_std'][mid]:.3f} against "
             f"{tr['closed_form_noise_std'][mid]:.3f}; sqrt(1 - alpha_bar_t) = "
             f"{tr['sqrt_one_minus_alpha_bar'][mid]:.3f}.")
    description = (f"The plot and the equation clear; x_t at t = {t[mid]} moves to the upper left, marked "
                   f'"one jump to t = {t[mid]}". Below, the single step q(x_t | x_(t-1)) = '
                   f"N(sqrt(1 - beta_t) x_(t-1), beta_t I) and a row of images, "
                   + ", ".join(f"x_{t[i]}" if i else "x_0" for i in chain_picks(mid))
                   + f", joined by arrows, each noisier than the last. Beside the jump: the spread of the "
                   f"noise part x_t - sqrt(alpha_bar_t) x_0 is {tr['chain_noise_std'][mid]:.3f} after "
                   f"{t[mid]} single steps and {tr['closed_form_noise_std'][mid]:.3f} after the one jump; "
                   f"sqrt(1 - alpha_bar_t) = {tr['sqrt_one_minus_alpha_bar'][mid]:.3f}.")
    return notes, description


class ForwardProcess(DiffvizScene):
    def construct(self):
        tr = self.tr = self.trajectory("forward")
        t, alpha_bar = tr["t"], tr["alpha_bar"]
        T = len(alpha_bar)
        self.title_slide("Adding noise", "the forward process, in one jump",
                         notes=f"The forward process adds Gaussian noise over T = {T} steps; thanks to the closed "
                               f"form we can jump from x_0 to any x_t in one go.",
                         then=f"Noise is added over T = {T} steps.")
        speaker, description = equation_slide(tr)
        self.slide(speaker, title="The noising equation", description=description)

        # The equation, and the three images in its order
        equation = tex(*EQUATION, size=56, colors=SIGNAL | NOISE).to_edge(UP, buff=0.45)
        x0 = Panel(tr["x0"], SIDE, P.x0, tex("x_0", size=40))
        eps = Panel(tr["eps"], SIDE, P.eps, tex(r"\epsilon", size=40))
        x_t = Panel(tr["x_t"][0], SIDE, P.x_t, tex("x_t", size=40))
        plus, equals = tex("+", size=56), tex("=", size=56)
        x_t.move_to(LEFT * 5.3 + UP * 0.3)  # its frame 0.1 inside the 5 % margin
        equals.next_to(x_t.frame, RIGHT, buff=0.3)
        x0.next_to(equals, RIGHT, buff=0.3).align_to(x_t, UP)
        plus.next_to(x0.frame, RIGHT, buff=0.3)
        eps.next_to(plus, RIGHT, buff=0.3).align_to(x_t, UP)

        k = ValueTracker(0)  # index into the recorded timesteps
        def frame():
            return int(round(k.get_value()))
        coef_a = Number(tr["sqrt_alpha_bar"][0], num_decimal_places=4, font_size=36, color=P.x0)
        coef_b = Number(tr["sqrt_one_minus_alpha_bar"][0], num_decimal_places=4, font_size=36, color=P.eps)
        times_a = tex(r"\times", size=36, colors={r"\times": P.x0})
        times_b = tex(r"\times", size=36, colors={r"\times": P.eps})
        on_baseline(times_a, coef_a, buff=0.12).next_to(x0.frame, UP, buff=0.15)
        on_baseline(times_b, coef_b, buff=0.12).next_to(eps.frame, UP, buff=0.15)
        t_label = tex("t", "=", colors={"t": P.time}, size=40)
        t_value = Number(t[0], num_decimal_places=0, font_size=40, color=P.time)
        t_group = on_baseline(t_label, t_value, buff=0.15).next_to(x_t.frame, UP, buff=0.15)

        # The schedule: both coefficients over t, with a dot at the current t
        axes = Axes(x_range=[0, T, T // 4], y_range=[0, 1, 0.5], x_length=3.3, y_length=2.8, tips=False,
                    axis_config={"color": P.dim, "include_numbers": True, "font_size": 24})
        # right of eps, its numbers too, and inside the frame's 5 % margin
        themed(axes).move_to(RIGHT * 4.33 + DOWN * 0.3)
        ts = np.arange(T)
        curve_a = axes.plot_line_graph(ts, np.sqrt(alpha_bar), add_vertex_dots=False, line_color=P.x0, stroke_width=4)
        curve_b = axes.plot_line_graph(ts, np.sqrt(1 - alpha_bar), add_vertex_dots=False, line_color=P.eps,
                                       stroke_width=4)
        axis_t = tex("t", size=32, colors={"t": P.time}).next_to(axes.x_axis, DOWN, buff=0.5)
        legend = VGroup(tex(r"\sqrt{\bar\alpha_t}", size=34, colors=SIGNAL),
                        tex(r"\sqrt{1-\bar\alpha_t}", size=34, colors=NOISE)).arrange(RIGHT, buff=0.6)
        legend.next_to(axes, UP, buff=0.35)
        dot_a = Dot(color=P.x0, radius=0.08)
        dot_b = Dot(color=P.eps, radius=0.08)
        cursor = Line(axes.c2p(0, 0), axes.c2p(0, 1), color=P.time, stroke_width=3)

        self.checkpoint = {"x0": x0, "eps": eps, "x_t": x_t, "coef_a": coef_a, "coef_b": coef_b, "t": t_value}

        def follow(_):
            i = self.checkpoint["frame"] = frame()
            x_t.show(tr["x_t"][i])
            coef_a.set_value(tr["sqrt_alpha_bar"][i])
            coef_b.set_value(tr["sqrt_one_minus_alpha_bar"][i])
            t_value.set_value(t[i])
            dot_a.move_to(axes.c2p(t[i], tr["sqrt_alpha_bar"][i]))
            dot_b.move_to(axes.c2p(t[i], tr["sqrt_one_minus_alpha_bar"][i]))
            cursor.put_start_and_end_on(axes.c2p(t[i], 0), axes.c2p(t[i], 1))

        self.play(Write(equation), run_time=1.5)
        self.play(FadeIn(x0), FadeIn(eps), run_time=0.8)
        self.play(FadeIn(x_t), FadeIn(equals), FadeIn(plus), FadeIn(t_group), FadeIn(times_a), FadeIn(coef_a),
                  FadeIn(times_b), FadeIn(coef_b), run_time=0.8)
        self.play(Create(axes), FadeIn(axis_t), run_time=0.8)
        self.play(Create(curve_a), Create(curve_b), FadeIn(legend), run_time=1.2)
        anchor = VGroup(dot_a, dot_b, cursor)
        follow(None)
        self.play(FadeIn(anchor), run_time=0.4)
        # everything that changes carries the updater: mobjects without one are drawn once, as background
        live = Group(anchor, x_t.image, coef_a, coef_b, t_value)
        live.add_updater(on_each_step(k, follow))
        self.add(live)
        self.wait(1)

        # t sweeps from 0 to T, pausing where a speaker would talk
        notes = {0.9: "a little noise: the image is still all there",
                 0.5: "signal and noise in equal parts",
                 "end": "almost pure noise: x_T is close to N(0, I)"}
        titles = {0.9: "a little noise", 0.5: "half signal, half noise", "end": "almost pure noise"}
        start = 0
        for stop in telling_frames(t, alpha_bar):
            a = alpha_bar[t[stop]]
            telling = "end" if stop == len(t) - 1 else min((0.9, 0.5), key=lambda v: abs(v - a))
            text = notes[telling]
            speaker, description = sweep_slide(tr, start, stop, text)
            self.slide(speaker, title=f"t = {t[stop]}: {titles[telling]}", description=description)
            self.play(k.animate.set_value(stop), run_time=max(1.0, 0.12 * (stop - start)), rate_func=linear)
            start = stop
            note = label(text, size=30, color=P.text).next_to(x0.caption, DOWN, buff=0.6).align_to(x_t, LEFT)
            self.play(FadeIn(note, shift=UP * 0.1), run_time=0.5)
            self.wait(2)
            self.play(FadeOut(note), run_time=0.4)
        live.clear_updaters()

        # The chain x_0 -> x_1 -> ... -> x_t reaches the same noise level as the one jump
        mid = telling_frames(t, alpha_bar)[1]
        speaker, description = chain_slide(tr, mid)
        self.slide(speaker, title="Many small steps, or one jump", description=description)
        self.play(*[FadeOut(m) for m in (axes, axis_t, curve_a, curve_b, legend, anchor, x0, eps, plus, equals,
                                          times_a, coef_a, times_b, coef_b, t_group)],
                  k.animate.set_value(mid), run_time=0.8)
        x_t.show(tr["x_t"][mid])
        self.chain_versus_jump(tr, mid, x_t)

    def chain_versus_jump(self, tr, mid: int, jump: Panel):
        t = tr["t"]
        picks = chain_picks(mid)
        chain = Group(*[Panel(tr["chain"][i] if i else tr["x0"], 1.5, P.x_t if i else P.x0,
                              tex(f"x_{{{t[i]}}}" if i else "x_0", size=30, colors={f"x_{{{t[i]}}}": P.x_t}))
                        for i in picks])
        chain.arrange(RIGHT, buff=0.9).to_edge(DOWN, buff=0.7)
        arrows = VGroup(*[Arrow(a.frame.get_right(), b.frame.get_left(), buff=0.1, color=P.dim, stroke_width=3)
                          for a, b in zip(chain, chain[1:], strict=False)])
        chain_title = tex(r"q(x_t \mid x_{t-1}) = \mathcal{N}(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I)", size=34)
        chain_title.next_to(chain, UP, buff=0.35)
        self.play(jump.animate.scale(0.8).move_to(LEFT * 5.2 + UP * 1.2), run_time=0.8)
        jump_note = label(f"one jump to t = {t[mid]}", size=30, color=P.dim).next_to(jump.frame, RIGHT, buff=0.5)
        jump_note.align_to(jump.frame, UP)
        self.play(FadeIn(jump_note), FadeIn(chain_title), run_time=0.6)
        for panel, arrow in zip(chain, [None, *arrows], strict=False):
            self.play(FadeIn(panel), *([Create(arrow)] if arrow else []), run_time=0.45)
        s_chain, s_jump = tr["chain_noise_std"][mid], tr["closed_form_noise_std"][mid]
        expected = tr["sqrt_one_minus_alpha_bar"][mid]
        spread = VGroup(
            on_baseline(tex(r"\text{spread of the noise part}", size=34).set_color(P.dim),
                        tex(r"x_t - \sqrt{\bar\alpha_t}\,x_0", size=36), buff=0.25),
            label(f"{t[mid]} single steps: {s_chain:.3f}      one jump: {s_jump:.3f}", size=32),
            tex(r"\sqrt{1-\bar\alpha_t}", f"= {expected:.3f}", size=40, colors=NOISE),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.22).next_to(jump_note, DOWN, buff=0.3).align_to(jump_note, LEFT)
        self.play(FadeIn(spread, shift=UP * 0.1), run_time=0.8)
        self.wait(3)
