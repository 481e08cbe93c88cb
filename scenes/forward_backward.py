"""Noising, then denoising: how much of x_0 survives a trip to step t and back (DDIM).

    manim -qh scenes/forward_backward.py NoiseThenDenoise
    manim -qh scenes/forward_backward.py NoiseDenoiseGrid
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, FadeIn, Group, Rectangle, ValueTracker, VGroup

from scenes.kit.base import DiffvizScene
from scenes.kit.numbers import Counter, Number
from scenes.kit.palette import P
from scenes.kit.panels import Panel, heat_pixels
from scenes.kit.text import align_baselines, label, tex


def ddim_back_slide(tr, steps: int) -> tuple[str, str]:
    """The notes and the description of the way back: `steps` - 1 DDIM steps, then the distance to x_0."""
    t = int(tr["forward_t"])
    notes = (f"{steps - 1} DDIM steps from t = {t} back to 0; then the difference to x_0: "
             f"distance {float(tr['distance']):.2f}.")
    description = ('An arrow marked "DDIM" leads to a third image, "denoised", which clears over '
                   f"{steps - 1} DDIM steps as its counter runs to step {steps - 1} / {steps - 1}. Then a "
                   "heat map of the difference |x_0 - denoised|, and under the images "
                   f"||x_0 - denoised|| = {float(tr['distance']):.2f}.")
    return notes, description


def grid_rows_words(tr, columns: int) -> str:
    """The description of the grid's first slide: its rows, the t of each, and what a row shows."""
    rows = tr["grid_rows"]
    return (f'Under the title "How much noise can the model undo?", {len(rows)} rows appear one by one, x_0 '
            "noised to t = " + ", ".join(str(int(tr["row_t"][row])) for row in rows) + ". Each row "
            f"shows x_0, the noised image, {columns - 2} DDIM states on the way and the "
            "result, then a bar as long as the result's distance to x_0, with its number.")


def grid_distances_slide(tr) -> tuple[str, str]:
    """The notes and the description of the grid's last slide: each row's distance to x_0, by its t."""
    rows = tr["grid_rows"]
    return ("Distance of the result to x_0: " + "; ".join(
        f"t = {int(tr['row_t'][row])}: {float(tr['final_distance'][row]):.1f}" for row in rows) + ".",
        "All rows on screen. Each result's distance to x_0, by the t it was noised to: " + "; ".join(
        f"t = {int(tr['row_t'][row])}, {float(tr['final_distance'][row]):.1f}" for row in rows) + ".")


class NoiseThenDenoise(DiffvizScene):
    def construct(self):
        tr = self.tr = self.trajectory("forward_backward")
        # single_steps: x_0, the noised image, then the state after each of the run's DDIM steps
        steps = len(tr["t"]) - int(np.flatnonzero(tr["t"] == tr["forward_t"])[0]) + 1
        t = int(tr["forward_t"])
        self.title_slide("Noise it, then denoise it", f"x_0 noised to t = {t}, then DDIM back to t = 0",
                         notes=f"Noise a clean image to t = {t} with the forward equation, then run DDIM back to "
                               "t = 0: how much of x_0 survives?")
        self.slide(f"x_0, and x_{t} = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps.", title=f"Noised to t = {t}",
                   description=f"At the top: x_{t} = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, then DDIM "
                               f'from t = {t} to 0. Below, the clean image x_0, an arrow marked "noise", and the '
                               f"noised image x_{t}.")
        h = 2.2
        x0 = Panel(tr["x0"], h, P.x0, tex("x_0", size=40))
        noisy = Panel(tr["noised"], h, P.x_t, tex(f"x_{{{t}}}", size=40, colors={f"x_{{{t}}}": P.x_t}))
        back = Panel(tr["single_steps"][1], h, P.x0_hat, tex(r"\text{denoised}", size=40))
        diff_max = float(tr["difference"].max())
        diff = Panel(heat_pixels(tr["difference"], diff_max), h, P.dim, tex(r"|x_0 - \text{denoised}|", size=36))
        Group(x0, noisy, back, diff).arrange(RIGHT, buff=1.1).move_to(UP * 0.2)
        diff.shift(RIGHT * 0.1)
        arrows = [Arrow(p.frame.get_right(), q.frame.get_left(), buff=0.08, color=P.dim, stroke_width=4)
                  for p, q in ((x0, noisy), (noisy, back))]
        over = [label("noise", size=24, color=P.dim).next_to(arrows[0], UP, buff=0.12),
                label("DDIM", size=24, color=P.dim).next_to(arrows[1], UP, buff=0.12)]
        story = tex(f"x_{{{t}}}", r"= \sqrt{\bar\alpha_t}\,", "x_0", r"+ \sqrt{1-\bar\alpha_t}\,", r"\epsilon",
                    r"\quad\text{then DDIM from } t = " + str(t) + r"\text{ to } 0", size=40,
                    colors={f"x_{{{t}}}": P.x_t}).to_edge(UP, buff=0.6)
        self.panels = {"x0": x0, "noised": noisy, "back": back, "diff": diff}
        self.play(FadeIn(story), FadeIn(x0), run_time=0.8)
        self.play(FadeIn(arrows[0]), FadeIn(over[0]), FadeIn(noisy), run_time=0.8)
        self.wait(1)
        k = ValueTracker(1)
        counter = Counter("step", 0, f"/ {steps - 1}", size=28).next_to(back.caption, DOWN, buff=0.2)

        def follow(_):
            i = int(round(k.get_value()))
            back.show(tr["single_steps"][i])
            counter.set(max(i - 1, 0))

        notes, description = ddim_back_slide(tr, steps)
        self.slide(notes, title="Back with DDIM", description=description)
        self.play(FadeIn(arrows[1]), FadeIn(over[1]), FadeIn(back), FadeIn(counter), run_time=0.6)
        self.sweep(k, follow, [back.image, counter], (steps, float(np.clip(0.25 * steps, 2, 8))))
        back.show(tr["reconstruction"])
        self.play(FadeIn(diff), run_time=0.6)
        dist = VGroup(tex(r"\|x_0 - \text{denoised}\| =", size=36),
                      Number(float(tr["distance"]), num_decimal_places=2, font_size=36, color=P.time))
        align_baselines(dist.arrange(RIGHT, buff=0.2)).to_edge(DOWN, buff=1.0)
        self.numbers = {"distance": dist[1]}
        self.play(FadeIn(dist), run_time=0.6)
        self.wait(3)


class NoiseDenoiseGrid(DiffvizScene):
    """Rows: x_0 noised to ever larger t with fresh noise (more noise further down), then denoised;
    columns: x_0, the noisy start, and evenly spaced DDIM states to the end of each row."""
    columns = 6  # noisy start .. final

    def construct(self):
        tr = self.tr = self.trajectory("forward_backward")
        rows, grid = tr["grid_rows"], tr["grid"]
        title = label("How much noise can the model undo?", size=36).to_edge(UP, buff=0.4)
        n = len(rows)
        cell = min(0.7, 5.3 / n)
        self.slide("Each row noises x_0 to a larger t with fresh noise, then denoises it with DDIM; the bar is "
                   "the distance of the result to x_0.", title="How much noise can the model undo?",
                   description=grid_rows_words(tr, self.columns))
        self.play(FadeIn(title), run_time=0.5)
        far = float(tr["final_distance"].max())
        top = UP * 2.45
        self.cells = []
        for r, row in enumerate(rows):
            steps = int(tr["row_steps"][row])
            picks = [0] + [1 + round(j / (self.columns - 1) * steps) for j in range(self.columns)]
            panels = Group(*[Panel(grid[r, c], cell, P.x0 if j == 0 else P.x_t if j == 1 else P.x0_hat, stroke=2)
                             for j, c in enumerate(picks)])
            panels.arrange(RIGHT, buff=0.12).move_to(top + DOWN * (r * (cell + 0.1) + cell / 2) + LEFT * 0.9)
            t_tag = tex(f"t = {int(tr['row_t'][row])}", size=26, colors={f"t = {int(tr['row_t'][row])}": P.time})
            t_tag.next_to(panels, LEFT, buff=0.3)
            d = float(tr["final_distance"][row])
            bar = Rectangle(width=max(0.02, 2.2 * d / far), height=cell * 0.5, stroke_width=0,
                            fill_color=P.eps, fill_opacity=0.85)
            bar.next_to(panels, RIGHT, buff=0.35).align_to(panels, LEFT).shift(RIGHT * (panels.width + 0.35))
            value = Number(d, num_decimal_places=1, font_size=24, color=P.text).next_to(bar, RIGHT, buff=0.1)
            if r == 0:
                self.add(tex("x_0", size=30).next_to(panels[0], UP, buff=0.12),
                         label("noised", size=24, color=P.dim).next_to(panels[1], UP, buff=0.12),
                         label("DDIM steps  →", size=24, color=P.dim).next_to(Group(*panels[2:-1]), UP, buff=0.12),
                         label("result", size=24, color=P.dim).next_to(panels[-1], UP, buff=0.12),
                         label("‖result − x₀‖", size=24, color=P.dim).next_to(bar, UP, buff=0.12).align_to(bar, LEFT))
            self.play(FadeIn(t_tag), *[FadeIn(p) for p in panels], run_time=0.45)
            self.play(FadeIn(bar, shift=RIGHT * 0.2), FadeIn(value), run_time=0.35)
            self.cells.append((panels, picks, value))
        notes, description = grid_distances_slide(tr)
        self.slide(notes, title="Distances to x_0", description=description)
        self.wait(4)
