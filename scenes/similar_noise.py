"""How the starting noise determines a DDIM image: a local change of the noise changes the whole
image; a small global change changes it a little.

    manim -qh scenes/similar_noise.py PatchPerturbation
    manim -qh scenes/similar_noise.py GlobalPerturbation
    manim -qh scenes/similar_noise.py PerturbationSweep
"""
from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    Group,
    Rectangle,
    ValueTracker,
    VGroup,
    VMobject,
)

from scenes.kit.base import DiffvizScene
from scenes.kit.labels import place_labels
from scenes.kit.numbers import Number
from scenes.kit.palette import P
from scenes.kit.panels import Panel, heat_pixels
from scenes.kit.plots import themed
from scenes.kit.text import align_baselines, label, tex

RUN_A, RUN_B, HEAT = P.x_t, P.accent, P.dim


def nice_step(top: float) -> float:
    """A round tick spacing giving two to five ticks up to top."""
    exp = 10 ** np.floor(np.log10(max(top, 1e-9)))
    return float(next(m * exp for m in (0.5, 1, 2, 5, 10) if top / (m * exp) <= 5))


def noises_slide(tr, described: str, outlined: bool) -> tuple[str, str]:
    """The notes and the description of the starting noises' slide; `described`, how noise b is made,
    `outlined`, whether the patch is outlined."""
    notes = (f"{described} Distance between the starting noises: {tr['noise_distance']:.2f}; "
             "right, where they differ.")
    description = (f"At the top, how the noises are made. {described} Below, the starting noises "
                   "x^a and x^b side by side" + (", the patch outlined in both" if outlined else "")
                   + ", and a heat map |x^a - x^b|, bright where they differ; under it ||x^a - x^b|| = "
                   f"{tr['x_distance'][0]:.2f}.")
    return notes, description


def runs_slide(tr) -> tuple[str, str]:
    """The notes and the description of both DDIM runs: the distance of the x_t at the first and the last
    step, and the step where the predicted clean images differ most."""
    S = len(tr["t"])
    peak = int(np.argmax(tr["x0_hat_distance"]))
    notes = (f"Both DDIM runs, {S} steps, in step. The distance of x_t starts at {tr['x_distance'][0]:.2f} "
             f"and ends at {tr['x_distance'][S]:.2f}; the predicted clean images differ most at step "
             f"{peak + 1}: {tr['x0_hat_distance'][peak]:.2f}.")
    description = (f"A plot opens below, over the {S} DDIM steps. Both runs denoise in step: x^a and x^b "
                   "turn from noise into images, and the heat map follows their difference. The plot "
                   f"draws the distance of the two x_t, from {tr['x_distance'][0]:.2f} to "
                   f"{tr['x_distance'][S]:.2f}, and of the two predicted clean images x0_hat, largest at "
                   f"step {peak + 1} with {tr['x0_hat_distance'][peak]:.2f}.")
    return notes, description


def outputs_slide(tr) -> tuple[str, str]:
    """The notes and the description of the outputs' slide: their distance, and the noises'."""
    return (f"Outputs differ by {tr['output_distance']:.2f}, from noises {tr['noise_distance']:.2f} apart.",
            "The line at the top now reads: outputs ||x_0^a - x_0^b|| = "
            f"{tr['output_distance']:.2f}, starting noise ||n_a - n_b|| = {tr['noise_distance']:.2f}.")


def summary_slide(tr) -> tuple[str, str]:
    """The notes and the description of the last slide."""
    return (f"Output distance {tr['output_distance']:.2f} for noise distance {tr['noise_distance']:.2f}.",
            f"The last frame: two outputs {tr['output_distance']:.2f} apart, from starting noises "
            f"{tr['noise_distance']:.2f} apart, with the map of where they differ.")


def series_slide(name: str, span: str, names: list[str], xs, ys) -> tuple[str, str]:
    """The notes and the description of one series of the sweep, `name` over `span`: each pair of runs,
    named as on the plot, with its noise and output distance."""
    notes = f"{name.capitalize()}: " + "; ".join(f"{t}: noise {x:.1f}, output {y:.1f}"
                                                 for t, x, y in zip(names, xs, ys, strict=False)) + "."
    words = (f'A series, "{name}, {span}", joins the plot, one point for each of {len(names)} pairs of runs: '
             + "; ".join(f"{t}, noise distance {x:.1f}, output distance {y:.1f}"
                         for t, x, y in zip(names, xs, ys, strict=False)) + ".")
    return notes, words


class PatchPerturbation(DiffvizScene):
    index = 0
    heading = "Change one patch of the starting noise"

    def formula(self, tr):
        x, y, n = (int(v) for v in tr["patch"])
        return VGroup(tex("n_b", "=", "n_a", size=44, colors={"n_b": RUN_B, "n_a": RUN_A}),
                      label(f"with its {n}×{n} patch at ({x}, {y}) drawn afresh", size=30)).arrange(RIGHT, buff=0.3)

    def construct(self):
        tr = self.tr = self.trajectory("similar_noise", self.index)
        S = len(tr["t"])
        self.title_slide(self.heading, "DDIM is deterministic: the noise alone decides the image",
                         notes=f"{self.heading}. DDIM is deterministic, so the starting noise alone decides the "
                               "image: two runs from two noises that differ a little.")
        notes, description = noises_slide(tr, self.describe(tr), self.index == 0)
        self.slide(notes, title="Two starting noises", description=description)
        head = self.formula(tr).to_edge(UP, buff=0.4)

        h = 2.7
        a = Panel(tr["x"][0, 0], h, RUN_A, tex("x^a", size=38, colors={"x^a": RUN_A}))
        b = Panel(tr["x"][0, 1], h, RUN_B, tex("x^b", size=38, colors={"x^b": RUN_B}))
        vmax = float(np.percentile(tr["x_heatmap"], 99.5))
        heat = Panel(heat_pixels(tr["noise_heatmap"], vmax), h, HEAT, tex(r"|x^a - x^b|", size=38))
        Group(a, b, heat).arrange(RIGHT, buff=0.7).move_to(UP * 0.75)
        self.panels = {"a": a, "b": b, "heat": heat}
        outlines = VGroup(*[self.patch_outline(p, tr) for p in (a, b)]) if self.index == 0 else VGroup()

        distance = VGroup(tex(r"\|x^a - x^b\| =", size=36),
                          Number(tr["x_distance"][0], num_decimal_places=2, font_size=36, color=P.time))
        # above the map, ending with its right edge (the plot below rises; the flicker's note is above b)
        align_baselines(distance.arrange(RIGHT, buff=0.2)).next_to(heat.frame, UP, buff=0.2).align_to(heat.frame, RIGHT)
        self.numbers = {"x_distance": distance[1]}

        self.play(FadeIn(head), run_time=0.8)
        self.play(FadeIn(a), FadeIn(b), run_time=0.8)
        self.play(Create(outlines), FadeIn(heat), FadeIn(distance), run_time=0.8)
        self.wait(1.5)
        self.slide("The starting noises, a and b, alternating.", loop=True, title="Noise a, noise b",
                   description="The panel x^b switches three times between noise b and noise a, under the label "
                               '"flicker: starting noise a ↔ b".')
        self.flicker(b, tr["x"][0, 0], tr["x"][0, 1], "starting noise")

        # Both DDIM runs in sync, the distances drawn as they go
        top = float(max(tr["x_distance"].max(), tr["x0_hat_distance"].max()))
        axes = Axes(x_range=[0, S, max(1, S // 5)], y_range=[0, top * 1.1, nice_step(top)],
                    x_length=8.6, y_length=1.9, tips=False,
                    axis_config={"color": P.dim, "include_numbers": True, "font_size": 24})
        themed(axes).to_edge(DOWN, buff=0.45)
        step_label = label("DDIM step", size=24, color=P.dim).next_to(axes.x_axis, RIGHT, buff=0.25)
        legend = VGroup(tex(r"\|x_t^a - x_t^b\|", size=30, colors={r"\|x_t^a - x_t^b\|": P.x_t}),
                        tex(r"\|\hat x_0^a - \hat x_0^b\|", size=30, colors={r"\|\hat x_0^a - \hat x_0^b\|": P.x0_hat})
                        ).arrange(DOWN, aligned_edge=LEFT, buff=0.15).next_to(axes, RIGHT, buff=0.3)
        curve_x, curve_x0 = VMobject(color=P.x_t, stroke_width=4), VMobject(color=P.x0_hat, stroke_width=4)
        dot = Dot(color=P.x_t, radius=0.07)
        k = ValueTracker(0)

        def follow(_):
            i = int(round(k.get_value()))
            self.step = i
            a.show(tr["x"][i, 0])
            b.show(tr["x"][i, 1])
            heat.show(heat_pixels(tr["x_heatmap"][i], vmax))
            distance[1].set_value(tr["x_distance"][i])
            pts = [axes.c2p(j, tr["x_distance"][j]) for j in range(i + 1)]
            curve_x.set_points_as_corners(pts if len(pts) > 1 else pts * 2)
            pts0 = [axes.c2p(j + 1, tr["x0_hat_distance"][j]) for j in range(max(i, 1))]
            curve_x0.set_points_as_corners(pts0 if len(pts0) > 1 else pts0 * 2)
            dot.move_to(pts[-1])

        notes, description = runs_slide(tr)
        self.slide(notes, title="Both runs, step by step", description=description)
        self.play(FadeOut(outlines), Create(axes), FadeIn(step_label), FadeIn(legend), run_time=0.8)
        follow(None)
        self.sweep(k, follow, [a.image, b.image, heat.image, distance, curve_x, curve_x0, dot],
                   (S, float(np.clip(0.2 * S, 4, 12))))
        self.wait(0.5)  # hold the last state: an animation's last frame falls just short of its end

        # The outputs: where and how much they differ
        notes, description = outputs_slide(tr)
        self.slide(notes, title="The outputs", description=description)
        self.play(heat.image.animate.set_opacity(1), run_time=0.1)
        verdict = VGroup(label("outputs", size=30, color=P.dim),
                         tex(rf"\|x_0^a - x_0^b\| = {tr['output_distance']:.2f}", size=36),
                         label("starting noise", size=30, color=P.dim),
                         tex(rf"\|n_a - n_b\| = {tr['noise_distance']:.2f}", size=36)).arrange(RIGHT, buff=0.3)
        verdict.move_to(head).to_edge(UP, buff=0.4)
        self.play(FadeOut(head), FadeIn(verdict), run_time=0.6)
        self.wait(1)
        self.slide("The outputs, a and b, alternating.", loop=True, title="Output a, output b",
                   description="The panel x^b switches three times between output b and output a, under the label "
                               '"flicker: outputs a ↔ b".')
        self.flicker(b, tr["x"][S, 0], tr["x"][S, 1], "outputs")
        notes, description = summary_slide(tr)
        self.slide(notes, title="Summary", description=description)
        self.wait(2)

    def describe(self, tr) -> str:
        x, y, n = (int(v) for v in tr["patch"])
        return f"Noise b is noise a with its {n}x{n} patch at ({x}, {y}) drawn afresh."

    def patch_outline(self, panel: Panel, tr) -> Rectangle:
        x, y, n = (int(v) for v in tr["patch"])
        side = tr["x"].shape[2]
        cell = panel.image.height / side
        box = Rectangle(width=n * cell, height=n * cell, color=P.time, stroke_width=4)
        corner = panel.image.get_corner(UP + LEFT)
        return box.move_to(corner + RIGHT * (x + n / 2) * cell + DOWN * (y + n / 2) * cell)

    def flicker(self, panel: Panel, image_a, image_b, what: str, times: int = 3) -> None:
        """Alternate a panel between the two images, as the original GIFs did."""
        note = label(f"flicker: {what} a ↔ b", size=26, color=P.dim).next_to(panel.frame, UP, buff=0.15)
        note.align_to(panel.frame, RIGHT)  # clear of the distance above the map, to the right
        self.add(note)
        for _ in range(times):
            panel.show(image_a)
            panel.frame.set_color(RUN_A)
            self.wait(0.4)
            panel.show(image_b)
            panel.frame.set_color(RUN_B)
            self.wait(0.4)
        self.remove(note)


class GlobalPerturbation(PatchPerturbation):
    index = 1
    heading = "Change all of the starting noise, a little"

    def formula(self, tr):
        s = float(np.round(self.scaling(), 4))
        return VGroup(tex("n_b", "=", r"\sqrt{1-s^2}", "n_a", "+", "s", r"n'", size=44,
                          colors={"n_b": RUN_B, "n_a": RUN_A}),
                      tex(rf"s = {s:g}", size=40, colors={rf"s = {s:g}": P.time})).arrange(RIGHT, buff=0.6)

    def describe(self, tr) -> str:
        return f"Noise b = sqrt(1 - s^2) a + s n', a fresh noise n' mixed in everywhere, s = {self.scaling():g}."

    def scaling(self) -> float:
        return float(self.tr_spec()["scaling"])

    def tr_spec(self) -> dict:
        spec = self.tr.spec
        return spec if isinstance(spec, dict) else vars(spec)


class PerturbationSweep(DiffvizScene):
    """Output distance against noise distance: patches of growing size, and growing global mixes."""

    def construct(self):
        tr = self.tr = self.trajectory("similar_noise", 2)
        title = label("Is the output distance tied to the noise distance?", size=36).to_edge(UP, buff=0.4)
        xmax = float(max(tr["patch_noise_distance"].max(), tr["global_noise_distance"].max())) * 1.08
        ymax = float(max(tr["patch_output_distance"].max(), tr["global_output_distance"].max())) * 1.15
        self.slide("Many pairs of DDIM runs: the distance of the outputs against the distance of the starting "
                   "noises, for patches of growing size and for growing global mixes.", title="Output against noise",
                   description='Under the title "Is the output distance tied to the noise distance?", an empty plot: '
                               f"across, the distance of the starting noises ||n_a - n_b||, 0 to {xmax:.1f}; up, the "
                               f"distance of the outputs ||x_0^a - x_0^b||, 0 to {ymax:.1f}.")
        x_step, y_step = nice_step(xmax), nice_step(ymax)
        axes = Axes(x_range=[0, xmax, x_step], y_range=[0, ymax, y_step], x_length=9.5, y_length=4.0, tips=False,
                    axis_config={"color": P.dim, "include_numbers": True, "font_size": 24},
                    x_axis_config={"decimal_number_config": {"num_decimal_places": int(x_step < 1)}},
                    y_axis_config={"decimal_number_config": {"num_decimal_places": int(y_step < 1)}})
        themed(axes).shift(RIGHT * 0.25 + DOWN * 0.3)
        x_label = tex(r"\|n_a - n_b\|", r"\text{ (starting noise)}", size=32).next_to(axes.x_axis, DOWN, buff=0.45)
        y_label = tex(r"\|x_0^a - x_0^b\|", size=32).next_to(axes.y_axis, UP, buff=0.2).align_to(axes, LEFT)
        self.play(FadeIn(title), Create(axes), FadeIn(x_label), FadeIn(y_label), run_time=1.0)

        # both series first, so that no point's name covers another point, a line, a legend or a tick label
        series = []
        # the two series are no quantity of the palette's (eps_hat, a second run, ...): neutral colours, told
        # apart by their marks too, filled dots on a solid line and rings on a dashed one, not by colour alone
        for kind, color, solid, name, tags, unit in (
                ("patch", P.text, True, "a patch drawn afresh", [f"{int(n)}" for n in tr["patch_sizes"]], "px"),
                ("global", P.dim, False, "a global mix", [f"{s:g}" for s in tr["scalings"]], "")):
            xs, ys = tr[f"{kind}_noise_distance"], tr[f"{kind}_output_distance"]
            dots = VGroup(*[Dot(axes.c2p(x, y), color=color, radius=0.08, fill_opacity=1.0 if solid else 0.0,
                                stroke_width=0 if solid else 3) for x, y in zip(xs, ys, strict=False)])
            line = VMobject(color=color, stroke_width=3).set_points_as_corners([d.get_center() for d in dots])
            if not solid:
                line = DashedVMobject(line, num_dashes=40, dashed_ratio=0.55)
            names = [f"{t}{unit}" if unit else f"s={t}" for t in tags]
            span = f"{tags[0]} to {tags[-1]} {unit}" if unit else f"s = {tags[0]} to {tags[-1]}"
            notes, words = series_slide(name, span, names, xs, ys)
            key = VMobject(color=color, stroke_width=3).set_points_as_corners([LEFT * 0.35, RIGHT * 0.35])
            key = VGroup(key if solid else DashedVMobject(key, num_dashes=3, dashed_ratio=0.55), dots[0].copy())
            key[1].move_to(key[0])
            legend = VGroup(key, label(f"{name}, {span}", size=28, color=color)).arrange(RIGHT, buff=0.2)
            series.append((kind, dots, line, legend, VGroup(*[label(t, size=24, color=color) for t in names]), notes,
                           words))
        # the legends above the plot, on the right: inside it they would sit where some model's points fall
        VGroup(*[legend for _, _, _, legend, *_ in series]).arrange(DOWN, aligned_edge=RIGHT, buff=0.12).next_to(
            axes, UP, buff=0.2).align_to(axes, RIGHT)
        taken = [*axes.x_axis.numbers, *axes.y_axis.numbers, y_label, title,
                 *[m for _, dots, _, legend, *_ in series for m in (*dots, legend)]]
        lines = [axes.x_axis, axes.y_axis, *[line for _, _, line, *_ in series]]
        # over the plot (right of the y axis, above the x axis, a little past their ends); patches under
        # their line, global mixes over theirs; a point too crowded to be named is told by the legend's range
        area = np.array([*axes.c2p(0, 0)[:2], *(axes.c2p(xmax, ymax)[:2] + 0.5)])
        placed = iter(place_labels([(text, dot, DOWN if kind == "patch" else UP, line)
                                    for kind, dots, line, _, names, *_ in series
                                    for text, dot in zip(names, dots, strict=True)],
                                   taken, lines, area))
        self.series = {kind: dots for kind, dots, *_ in series}
        for kind, dots, line, legend, names, notes, words in series:
            shown, leads = VGroup(), VGroup()
            for text, where in zip(names, (next(placed) for _ in names), strict=False):
                if where is not False:
                    shown.add(text)
                    leads.add(*([where.set_color(line.get_stroke_color())] if where is not None else []))
            self.slide(notes, title={"patch": "Patches of growing size", "global": "Global mixes of growing s"}[kind],
                       description=words)
            self.play(FadeIn(legend), Create(line), *[FadeIn(d, scale=0.5) for d in dots], FadeIn(shown),
                      FadeIn(leads), run_time=1.5)
            self.wait(1.5)
        self.wait(3)
