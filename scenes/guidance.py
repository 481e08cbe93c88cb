"""Classifier-free guidance, exactly: the smiley's parts as classes, the exact unconditional and
conditional denoisers, and eps_w = eps_u + w (eps_c - eps_u) at w = 0, 1, 3, 7.

    manim -qh scenes/guidance.py ClassifierFreeGuidance
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, UP, FadeIn, FadeOut, Group, ValueTracker, VGroup, VMobject, Write

from cache.drawings import MixtureWords, mixture_words, two_d_mixture
from scenes.kit.base import DiffvizScene
from scenes.kit.narration import in_words, listed
from scenes.kit.numbers import Number
from scenes.kit.palette import P
from scenes.kit.plots import EXTENT_2D, Cloud, arrow_field
from scenes.kit.text import label, on_baseline, tex

GUIDED = r"\hat\epsilon_u + w\,(\hat\epsilon_c - \hat\epsilon_u)"
FIELD_COLUMNS = (-4.5, 0.0, 4.5)
ZOOM = 1.1  # the samples' squares show [-ZOOM, ZOOM]^2: the smiley reaches 0.9 from its centre
SAMPLE_COLUMNS = (-5.1, -2.55, 0.0, 2.55, 5.1)


def field_arrows(cloud: Cloud, grid: np.ndarray, eps: np.ndarray, spacing: float) -> np.ndarray:
    """-eps as arrows on the grid points inside the cloud's square: |eps| = 3 spans one grid spacing,
    longer ones are capped there (as ToyDiffusion2D draws its field)."""
    inside = np.abs(grid).max(1) < EXTENT_2D - 0.05
    v = -eps[inside]
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    v = v / np.maximum(norm, 1e-9) * 0.9 * spacing * np.minimum(norm / 3, 1)
    return arrow_field(cloud.to_scene(grid[inside]), np.column_stack([v, np.zeros(len(v))]))


def title_words(tr, words: MixtureWords, c: str) -> tuple[str, str]:
    """The title slide's notes, and what the frames after the card show; `c` the class sampled."""
    the_c = words.the_class(c)
    notes = (f"Classifier-free guidance with exact denoisers: {words.parts} are classes, "
             f"c = {c}{words.against}. eps_u is the exact denoiser of all of it, eps_c of {the_c} alone; guided: "
             "eps_u + w (eps_c - eps_u).")
    then = (f"The class sampled, c, is {words.whose} {c}. Then "
            f"{in_words(len(FIELD_COLUMNS))} square plots side by side under "
            f'"t = {tr["field_t"]}": "unconditional: p(x)", faint points of {words.whole}; '
            f'"conditional: p(x | {c})" and "guided", faint points of {the_c} alone. Arrows on a '
            "grid fill the first two, captioned -eps_hat_u(x_t, t) and -eps_hat_c(x_t, t): the "
            f"exact fields, pointing in towards {words.whole} in the first and towards "
            f"{the_c} in the second.")
    return notes, then


def guided_in_words(c: str, weights: np.ndarray, words: MixtureWords) -> str:
    """What the guided field is at the weights shown: the unconditional one, the conditional one, past it."""
    said = [f"at w = {w:g} the arrows are the unconditional field" for w in weights if w == 0]
    said += [f"at w = {w:g} the conditional one" for w in weights if w == 1]
    past = [f"{w:g}" for w in weights if w > 1]
    if past:
        said.append(f"at w = {listed(past)} they push further the same way, away from what is not "
                    f"{words.the_class(c)}")
    return ": " + "; ".join(said) if said else ""


def field_slides(tr, words: MixtureWords, c: str, weights: np.ndarray, steps: int) -> list[tuple[str, str, str]]:
    """(notes, title, description) of the slides of the guided field and of sampling at each w (DDIM, `steps`)."""
    N = len(tr["reference"])
    return [
        (f"At t = {tr['field_t']}: the exact fields, -eps_hat as arrows (|eps_hat| = 3 spans one grid "
         f"spacing). Faint: p(x) on the left, p(x | {c}) in the others.", "The guided field",
         "Under the third plot the caption -(eps_hat_u + w (eps_hat_c - eps_hat_u)), with w = "
         f"{weights[0]:g}. Its arrows appear, and w steps through "
         f"{listed(f'{w:g}' for w in weights)}, a second each" + guided_in_words(c, weights, words) + "."),
        (f"Guided at w = {', '.join(f'{w:g}' for w in weights)}: w = 0 is the unconditional field, w = 1 "
         f"the conditional one, w = {weights[-1]:g} pushes past it, away from what is not {words.the_class(c)}.",
         "Sampling at each w",
         "The fields clear. At the top the equation eps_hat_w = eps_hat_u + w (eps_hat_c - "
         f"eps_hat_u); below, {in_words(len(weights) + 1)} square plots zoomed on {words.the}: "
         f"{in_words(len(weights))} headed w = {listed(f'{w:g}' for w in weights)}, each the "
         f'same {N} points of noise, and the last headed "p(x | {c}) itself", {N} points drawn '
         f'from it. Under the first {in_words(len(weights))}: "DDIM, {steps} '
         f'steps, from the same {N} noises, t = {tr["frame_t"][0]}".')]


def legend_words(c: str, sd: str, words: MixtureWords) -> str:
    """The legend under the samples' numbers, three lines."""
    return (f"spread: RMS distance to the samples' mean\n{c}: the share within {sd} sd of one of "
            f"{words.the_class(c)}'s Gaussians\ncovers: the share of {words.the_class(c)}'s Gaussians with a "
            "sample that near")


def samples_slides(tr, words: MixtureWords, c: str, weights: np.ndarray) -> list[tuple[str, str, str]]:
    """(notes, title, description) of the slides of where the samples land and of the summary."""
    N = len(tr["reference"])
    the_c = words.the_class(c)
    sd = f"{tr['stray_sd']:g}"
    per_w = "; ".join(f"under w = {w:g}, spread {tr['spread'][i]:.3f}, {c} {tr['on_class'][i]:.1%}, covers "
                      f"{tr['coverage'][i]:.0%}" for i, w in enumerate(weights))
    on_class = [f"{w:g}" for i, w in enumerate(weights) if tr["on_class"][i] > 0.95]
    landing = [f"at w = {w:g}, unguided, the points spread over {words.whole}" for w in weights if w == 0]
    if on_class:
        landing.append(f"at w = {listed(on_class)} they gather on {the_c}")
    tighter = ", each w's cloud tighter than the one before" if np.all(np.diff(tr["spread"]) < 0) else ""
    legend = legend_words(c, sd, words).split("\n")
    land = (f"{N} noises, the same for every w; DDIM with the guided eps_hat. Right: {N} points drawn from "
            f"p(x | {c}) itself, the truth.", "Where the samples land",
            f"The {in_words(len(weights))} clouds denoise together as t falls from "
            f"{tr['frame_t'][0]} to {max(tr['frame_t'][-1], 0)}" + "".join(f"; {said}" for said in landing) + tighter
            + ". The line of t gives way to numbers under each plot, explained by the legend at "
            "the bottom, in three lines: " + ", ".join(f'"{line}"' for line in legend) + ": "
            f"{per_w}; under p(x | {c}) itself, spread {tr['true_spread']:.3f}, covers "
            f"{tr['reference_coverage']:.0%}.")
    at = {f"{w:g}": i for i, w in enumerate(weights)}
    close = int(np.argmin(np.abs(tr["spread"] - tr["true_spread"])))
    summary = ("Spread " + ", ".join(f"w = {w:g}: {tr['spread'][i]:.3f}" for i, w in enumerate(weights))
               + f"; p(x | {c}) itself: {tr['true_spread']:.3f}. On {the_c}: "
               + ", ".join(f"{tr['on_class'][i]:.1%}" for i in range(len(weights)))
               + ". Covering its Gaussians: " + ", ".join(f"{tr['coverage'][i]:.0%}" for i in range(len(weights)))
               + (f". At w = 1 the samples follow p(x | {c}); past it they are no longer p(x | {c}) but a "
                  "narrower distribution." if "1" in at else "."), "Summary",
               f"The last frame holds. The spread of the samples against p(x | {c})'s own, "
               f"{tr['true_spread']:.3f}: closest at w = {weights[close]:g}, "
               f"{tr['spread'][close]:.3f}; "
               f"at w = {weights[-1]:g} it is {tr['spread'][-1]:.3f}, and the samples cover "
               f"{tr['coverage'][-1]:.0%} of the Gaussians of {the_c}.")
    return [land, summary]


class ClassifierFreeGuidance(DiffvizScene):
    """The three fields at one t, then DDIM samples of one class at each w beside p(x | c) itself, with their
    spread and where they land."""

    @classmethod
    def settings(cls, configured):
        return configured.replace(model=two_d_mixture(configured.model))  # or a drawing

    def construct(self):
        tr = self.tr = self.trajectory("guidance")
        c, weights = tr.spec.condition, tr["weights"]
        words = self.words = mixture_words(tr.manifest["model"]["name"])
        notes, then = title_words(tr, words, c)
        self.title_slide("Classifier-free guidance", f"exact denoisers, c = {c}", notes=notes, then=then)
        self.fields(tr, c, weights)
        self.samples(tr, c, weights)

    def fields(self, tr, c: str, weights: np.ndarray) -> None:
        side = 3.7
        clouds = self.field_clouds = [Cloud(side).move_to([x, 0.35, 0]) for x in FIELD_COLUMNS]
        clouds[0].show(tr["final"][0], P.dim)       # p(x): the unguided samples, faint
        for cloud in clouds[1:]:
            cloud.show(tr["reference"], P.dim)       # p(x | c), drawn directly
        grid = tr["grid"]
        spacing = side / (2 * EXTENT_2D) * (grid[1, 0] - grid[0, 0])  # the grid is x-fastest
        arrows = self.arrows = [VMobject(stroke_color=P.eps_hat, stroke_width=2) for _ in clouds]
        arrows[0].set_points(field_arrows(clouds[0], grid, tr["eps_uncond_field"], spacing))
        arrows[1].set_points(field_arrows(clouds[1], grid, tr["eps_cond_field"], spacing))
        places = 0 if np.all(weights == np.round(weights)) else 1
        w_value = Number(weights[0], num_decimal_places=places, font_size=30, color=P.eps_hat)
        captions = VGroup(tex(r"-\hat\epsilon_u(x_t, t)", size=30), tex(r"-\hat\epsilon_c(x_t, t)", size=30),
                          VGroup(tex("-(" + GUIDED + ")", size=30),
                                 on_baseline(tex("w =", size=30), w_value, buff=0.12)).arrange(DOWN, buff=0.12))
        for caption, cloud in zip(captions, clouds, strict=True):
            caption.set_color(P.eps_hat).next_to(cloud, DOWN, buff=0.15)
        headers = VGroup(label("unconditional: p(x)", size=24), label(f"conditional: p(x | {c})", size=24),
                         label("guided", size=24))
        for header, cloud in zip(headers, clouds, strict=True):
            header.next_to(cloud, UP, buff=0.12)
        t_note = on_baseline(tex("t", "=", size=30, colors={"t": P.time}),
                             Number(tr["field_t"], num_decimal_places=0, font_size=30, color=P.time), buff=0.12)
        t_note.to_edge(UP, buff=0.45)
        self.play(*[FadeIn(cl) for cl in clouds], FadeIn(headers), FadeIn(t_note), run_time=0.8)
        self.play(FadeIn(arrows[0]), FadeIn(arrows[1]), FadeIn(captions[:2]), run_time=1.0)
        (notes, title, description), sampling = field_slides(tr, self.words, c, weights, tr.spec.steps)
        self.slide(notes, title=title, description=description)
        self.play(FadeIn(captions[2]), run_time=0.5)
        self.guided_w = []
        for j, w in enumerate(weights):
            arrows[2].set_points(field_arrows(clouds[2], grid, tr["eps_guided_field"][j], spacing))
            w_value.set_value(w)
            if j == 0:
                self.play(FadeIn(arrows[2]), run_time=0.5)
            self.guided_w.append(w)
            self.wait(1.0)
        self.guided_index = len(weights) - 1
        notes, title, description = sampling
        self.slide(notes, title=title, description=description)
        self.play(*[FadeOut(m) for m in (*clouds, *arrows, captions, headers, t_note)], run_time=0.6)

    def samples(self, tr, c: str, weights: np.ndarray) -> None:
        side = 2.2
        clouds = self.sample_clouds = [Cloud(side, ZOOM).move_to([x, 1.1, 0]) for x in SAMPLE_COLUMNS]
        N = len(tr["reference"])
        sd = f"{tr['stray_sd']:g}"
        places = 0 if np.all(weights == np.round(weights)) else 1
        headers = VGroup(*[on_baseline(tex("w", "=", size=30, colors={"w": P.eps_hat}),
                                       Number(w, num_decimal_places=places, font_size=30, color=P.eps_hat), buff=0.12)
                           for w in weights],
                         VGroup(label(f"p(x | {c})", size=24, color=P.x0), label("itself", size=24, color=P.x0))
                         .arrange(DOWN, buff=0.08))
        for header, cloud in zip(headers, clouds, strict=True):
            header.next_to(cloud, UP, buff=0.15)
        equation = tex(r"\hat\epsilon_w = " + GUIDED, size=36).to_edge(UP, buff=0.45)
        for cloud in clouds[:-1]:
            cloud.show(tr["frames"][0, 0], P.x_t)
        clouds[-1].show(tr["reference"], P.x0)
        t_value = Number(tr["frame_t"][0], num_decimal_places=0, font_size=24, color=P.time, text=True)
        t_group = on_baseline(label(f"DDIM, {tr.spec.steps} steps, from the same {N} noises,", size=24),
                              label("t", size=24, color=P.time, italic=True), label("=", size=24), t_value, buff=0.15)
        t_group.next_to(Group(*clouds[:-1]), DOWN, buff=0.3)
        self.play(Write(equation), *[FadeIn(cl) for cl in clouds], FadeIn(headers), FadeIn(t_group), run_time=1.0)
        (notes, title, description), self.summary_words = samples_slides(tr, self.words, c, weights)
        self.slide(notes, title=title, description=description)
        k = ValueTracker(0)
        frames = len(tr["frame_t"])

        def reverse(_):
            j = self.frame_index = int(round(k.get_value()))
            for i, cloud in enumerate(clouds[:-1]):
                cloud.show(tr["frames"][i, j], P.x_t if j < frames - 1 else P.x0)
            t_value.set_value(max(tr["frame_t"][j], 0))

        self.sweep(k, reverse, [*[cl.image for cl in clouds[:-1]], t_value], (frames - 1, 6))
        rows = [("spread", lambda i: f"{tr['spread'][i]:.3f}", f"{tr['true_spread']:.3f}"),
                (c, lambda i: f"{tr['on_class'][i]:.1%}", None),
                ("covers", lambda i: f"{tr['coverage'][i]:.0%}", f"{tr['reference_coverage']:.0%}")]
        numbers = self.numbers = VGroup(*[
            VGroup(*[label(f"{name} {value(i) if i < len(weights) else truth}", size=24,
                           color=P.text if i < len(weights) else P.x0)
                     for name, value, truth in rows if i < len(weights) or truth is not None]
                   ).arrange(DOWN, buff=0.12).next_to(cloud, DOWN, buff=0.2)
            for i, cloud in enumerate(clouds)])
        legend = label(legend_words(c, sd, self.words), size=24, color=P.dim).to_edge(DOWN, buff=0.45)
        self.play(FadeOut(t_group), FadeIn(numbers), FadeIn(legend), run_time=0.8)
        notes, title, description = self.summary_words
        self.slide(notes, title=title, description=description)
        self.wait(2)
