"""Diffusion on data you can see whole: a 1D and a 2D Gaussian mixture with their exact denoiser,
the same noising equation, schedule and samplers as the image models.

    manim -qh scenes/toy.py ToyDiffusion1D    # the book's figure 18.2, moving: q(x_t) over (t, x), paths
    manim -qh scenes/toy.py ToyDiffusion2D    # a smiley diffusing into N(0, I), the eps_hat field, and back
"""
from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Circle,
    Create,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    ImageMobject,
    Line,
    Rectangle,
    ReplacementTransform,
    Square,
    ValueTracker,
    VGroup,
    VMobject,
    Write,
)
from manim.constants import RESAMPLING_ALGORITHMS

from cache.beta_schedules import schedule_in_words
from cache.drawings import (
    SMILEY_WORDS,
    TWO_D,
    DrawingError,
    MixtureWords,
    is_drawing,
    mixture_words,
    read_drawing,
    two_d_mixture,
)
from cache.mixtures import MIXTURES, Mixture
from scenes.kit.base import DiffvizScene
from scenes.kit.equations import DDIM, DDPM, EQUATION, NOISE, SIGNAL
from scenes.kit.narration import in_words
from scenes.kit.numbers import Number
from scenes.kit.palette import LIGHT, P
from scenes.kit.plots import (
    EXTENT,
    EXTENT_2D,
    Cloud,
    Path,
    along,
    arrow_field,
    at,
    polyline,
    shade_pixels,
    value_axes,
)
from scenes.kit.text import label, on_baseline, tex

CLOUD = 5.0      # the side of the 2D toy's square plots
DDPM_TAIL = 120  # a DDPM path is 1000 small random steps: only its last ones are traced, or it hides the cloud
def mixture_of(tr) -> Mixture:
    """The mixture a toy recording was made from: the one its manifest names, checked against the
    data's sha256 that the manifest keeps, so that its component count is the recording's."""
    model = tr.manifest["model"]
    kind, _, name = model["name"].partition(":")
    mixture = MIXTURES[name]() if kind == "mixture" and name in MIXTURES else None
    if is_drawing(model["name"]):  # a drawing of the sandbox's: the file, as long as it still holds the same
        try:
            mixture = read_drawing(name)
        except DrawingError as err:
            raise SystemExit(f"diffviz: the toy recording of {model['name']} cannot be shown: {err}") from None
    if mixture is None or mixture.sha256() != model["data_sha256"]:
        raise SystemExit(f"diffviz: the toy recording of {model['name']} was made from a mixture that this "
                         f"diffviz does not define; record it again with `diffviz cache build toy --force`")
    return mixture


def reverse_words(tr, scheduler: str, scene_cls) -> str:
    """In words, what ToyDiffusion1D.reverse() draws for one sampler (`scene_cls`: its update, DDPM or DDIM)."""
    name, paths = scene_cls.name, tr[f"{scheduler}_paths"].shape[1]
    return (f"The equation at the top becomes {name}'s, {scene_cls.in_words}. {paths} {name} paths grow from "
            f"t = {len(tr['alpha_bar'])} back to t = 0 in {len(tr[scheduler + '_t']) - 1} steps, into the modes; "
            f"dots mark where they end, and beside the plot a histogram of all {len(tr[scheduler + '_final'])} "
            f"{name} samples lies over q(x_0).")


def samples_notes(tr, scheduler: str, name: str, K: str) -> str:
    """The speaker notes after one sampler's run: its steps and samples, landing in the `K` modes."""
    return (f"{name}, {len(tr[scheduler + '_t']) - 1} steps with the exact eps_hat: "
            f"{len(tr[scheduler + '_final'])} samples land in the {K} modes; the histogram sits on q(x_0).")


def dissolve_words(tr, sds, words: MixtureWords = SMILEY_WORDS) -> str:
    """The description of the 2D toy's forward slide: the coefficients at the last t the sweep reaches."""
    alpha_bar, last = tr["alpha_bar"], tr["forward_t"][-1]
    return ("Beside the cloud: t, sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t); over it, dashed "
            "circles at " + " and ".join(f"{r} sd" for r in sds) + " of N(0, I). The caption "
            'becomes "x_t: each point, noised step by step". '
            f"t runs to {last}: {words.the} blurs and "
            f"spreads into a round cloud, sqrt(alpha_bar_t) falls to {np.sqrt(alpha_bar[last]):.4f} "
            f"and sqrt(1 - alpha_bar_t) rises to {np.sqrt(1 - alpha_bar[last]):.4f}.")


def title_words(tr, words: MixtureWords, components: int, schedule: str) -> tuple[str, str, str]:
    """The 2D toy's title slide: its subtitle, its notes, and what the frames after the card show; `schedule`
    in words."""
    return (f"{words.points}, {schedule}",
            f"{len(tr['x0'])} points of {words.a} in two dimensions, noised with {schedule} and "
            "denoised by the same sampler code as the image models, with the mixture's exact denoiser.",
            "Then the equation x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, and on the "
            f"left a square plot of {len(tr['x0'])} points x_0 {words.drawing_it}, a mixture of "
            f"{in_words(components)} small Gaussians.")


def forward_slide(tr, words: MixtureWords, sds) -> tuple[str, str, str]:
    """(notes, title, description) of the 2D toy's forward slide."""
    return (f"{len(tr['x0'])} points from {words.a}: the data x_0. The exact denoiser knows this mixture.",
            f"Forward: {words.the} dissolves", dissolve_words(tr, sds, words))


def field_slides(tr, words: MixtureWords) -> list[tuple[str, str, str]]:
    """(notes, title, description) of the 2D toy's slides of the field, from where the forward sweep ends
    to where the field's sweep stops, at 2 % of T."""
    alpha_bar, forward_t = tr["alpha_bar"], tr["forward_t"]
    near = int(np.searchsorted(forward_t, 0.02 * len(alpha_bar)))
    return [
        (f"t = {forward_t[-1]}: sqrt(alpha_bar) = {np.sqrt(alpha_bar[-1]):.4f}, the cloud is N(0, I); "
         f"{words.the} is gone.", "The field -eps_hat",
         f"The circles clear; {words.x0} returns faintly under a veil, and arrows on a grid "
         f"show the exact field -eps_hat(x_t, t) at t = {forward_t[-1]}, all pointing towards the origin."),
        (f"At t = {forward_t[-1]} the field points at the origin: eps_hat is nearly x_t itself. "
         f"Watch it bend towards {words.the} as t falls.", "The field as t falls",
         f"t falls from {forward_t[-1]} to {forward_t[near]}: the arrows turn from "
         f"the origin towards {words.the}, and the numbers beside follow, down to "
         f"sqrt(alpha_bar_t) = {np.sqrt(alpha_bar[forward_t[near]]):.4f}. At the end each "
         "arrow points at the nearest stroke; long ones are capped at one grid spacing."),
        (f"t = {forward_t[near]}: every arrow points at the nearest stroke of "
         f"{words.the}; long ones are capped to one grid spacing.", "DDPM and DDIM from the same x_T",
         "The arrows clear. Two square plots side by side, both the same "
         f"{len(tr['ddpm_frames'][0])} points of noise x_T: left DDPM, {len(tr['ddpm_t']) - 1} "
         f"steps, right DDIM, {len(tr['ddim_t']) - 1} steps, each with its update equation above "
         f"and t = {tr['ddpm_frame_t'][0]} below; {in_words(ToyDiffusion2D.traced)} points are marked with "
         "dots, to be traced.")]


def back_slide(tr, words: MixtureWords) -> tuple[str, str, str]:
    """(notes, title, description) of the 2D toy's slide of DDPM and DDIM back from the same x_T."""
    traced = ToyDiffusion2D.traced
    return (f"Both from the same x_T, {len(tr['ddpm_frames'][0])} points; DDPM adds fresh noise at every "
            f"step, DDIM adds none.", f"Back to {words.the}",
            f"Both clouds gather into {words.the} as t falls to 0 under each. The "
            f"{in_words(traced)} marked points draw their paths: DDPM's wiggle (its last "
            f"{DDPM_TAIL} steps shown), DDIM's are smooth.")


def strays_slides(tr, words: MixtureWords = SMILEY_WORDS) -> tuple[tuple[str, str], tuple[str, str]]:
    """(notes, description) of the 2D toy's last two slides: the shares of points off the strokes."""
    sd, fine_steps = f"{tr['stray_sd']:g}", len(tr["ddpm_t"]) - 1
    off = (f"Back to {words.the}: DDPM after {len(tr['ddpm_t']) - 1} steps (a wiggly path), DDIM after "
           f"{len(tr['ddim_t']) - 1} (a smooth one); the same samplers that made the faces.",
           "Under each cloud, the share of its points off the strokes, further than "
           f"{sd} sd from every component: DDPM {tr['ddpm_stray']:.1%}; DDIM "
           f"{tr['ddim_stray']:.1%}, and {tr['ddim_fine_stray']:.1%} with {fine_steps} steps.")
    summary = (f"{tr['ddim_stray']:.1%} of DDIM's points land off the strokes with {len(tr['ddim_t']) - 1} "
               f"steps, {tr['ddim_fine_stray']:.1%} with {fine_steps}: the error of large steps, not of the "
               f"denoiser, which is exact. DDPM: {tr['ddpm_stray']:.1%}.",
               f"The last frame: {words.both}; off the strokes, DDPM {tr['ddpm_stray']:.1%}, DDIM "
               f"{tr['ddim_stray']:.1%} with {len(tr['ddim_t']) - 1} steps and "
               f"{tr['ddim_fine_stray']:.1%} with {fine_steps}.")
    return off, summary


class ToyScene(DiffvizScene):
    """A scene of a toy mixture's recording: `model` names the mixture, `extent` the plots' half-width."""
    model: str
    extent: float

    @classmethod
    def settings(cls, configured):
        """The settings file's steps and seed, for this scene's mixture; the 2D scene shows a drawing of the
        sandbox's (mixture:FILE.json) where the settings name one."""
        return configured.replace(model=two_d_mixture(configured.model) if cls.model == TWO_D else cls.model)

    def toy_trajectory(self):
        """The toy recording of this scene's mixture; self.components: how many Gaussians it has."""
        tr = self.trajectory("toy")
        if tr.spec.extent != self.extent:  # the plots are laid out for the recording's grid
            raise SystemExit(f"diffviz: the {self.model} recording spans [-{tr.spec.extent}, {tr.spec.extent}]; "
                             f"{type(self).__name__} draws [-{self.extent}, {self.extent}]")
        self.components = len(mixture_of(tr).weights)
        return tr


class ToyDiffusion1D(ToyScene):
    """q(x_t) as a heatmap over (t, x), forward sample paths, then DDPM and DDIM paths back into the modes."""
    model = "mixture:1d"
    extent = EXTENT
    shown_paths = 5

    def construct(self):
        tr = self.tr = self.toy_trajectory()
        T, K = len(tr["alpha_bar"]), in_words(self.components)
        self.title_slide("Diffusion in one dimension", f"a mixture of {K} Gaussians and its exact denoiser",
                         notes=f"Chapter 18's picture: a mixture of {K} Gaussians in one dimension, noised with "
                               f"{schedule_in_words(tr.spec.schedule)} (T = {T}) and denoised with its exact eps_hat, "
                               "no training.",
                         then="Then the equation x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps; an empty "
                              f"plot of x_t, up from {-self.extent:g} to {self.extent:g}, against t, across from 0 to "
                              f"{T}; beside it, on its side, the density q(x_0) of the {K} components; a footer, "
                              f'"exact denoiser: E[x_0 | x_t] by Bayes over the {K} components, no training"; and '
                              f"{self.shown_paths} samples x_0 as dots at t = 0.")

        equation = tex(*EQUATION, size=44, colors=SIGNAL | NOISE).to_edge(UP, buff=0.4)
        axes = self.axes = value_axes([0, T, T // 4], 8.4, 4.8)
        axes.move_to(LEFT * 1.55 + DOWN * 0.35)
        t_axis = tex("t", size=30, colors={"t": P.time}).next_to(axes.x_axis, RIGHT, buff=0.2)
        x_axis = tex("x_t", size=30).next_to(axes.y_axis, UP, buff=0.12)
        heat = self.heatmap(axes, tr)
        cover = Rectangle(width=axes.x_length, height=axes.y_length, stroke_width=0, fill_color=P.background,
                          fill_opacity=1).move_to(heat)
        side = self.side = value_axes([0, 1.6, 1], 2.2, 4.8, numbers=False)
        side.next_to(axes, RIGHT, buff=0.7).align_to(axes, UP)
        normal = DashedVMobject(self.sideways(side, np.exp(-tr["grid"][:, 0] ** 2 / 2) / np.sqrt(2 * np.pi), P.eps, 2),
                                num_dashes=40)
        normal_label = tex(r"\mathcal{N}(0, 1)", size=26, colors={r"\mathcal{N}(0, 1)": P.eps})
        normal_label.next_to(side, DOWN, buff=0.12).align_to(side, RIGHT)
        marginal = self.sideways(side, tr["data_density"], P.x0)
        marginal_label = tex("q(x_0)", size=30, colors={"q(x_0)": P.x0}).next_to(side, UP, buff=0.12)
        footer = label(f"exact denoiser: E[x₀ | xₜ] by Bayes over the {K} components, no training",
                       size=24, color=P.dim).to_edge(DOWN, buff=0.4)

        self.play(Write(equation), run_time=1.2)
        self.play(Create(axes), FadeIn(t_axis), FadeIn(x_axis), Create(side), run_time=1.0)
        self.add(heat, cover)
        self.play(Create(marginal), FadeIn(marginal_label), FadeIn(footer), run_time=1.0)
        data_dots = VGroup(*[Dot(at(axes, 0, x), radius=0.045, color=P.x0) for x in tr["x0"][:self.shown_paths, 0]])
        self.play(FadeIn(data_dots), run_time=0.5)
        self.slide(f"{len(tr['x0'])} samples x_0 of the mixture; q(x_0) on the right. The heatmap will be "
                   "q(x_t) over t, exactly: a mixture again, each bump shrunk by sqrt(alpha_bar_t) and widened.",
                   title="Forward: q(x_t) over t",
                   description=f"t runs from 0 to {T}: a cursor sweeps right, uncovering a heat map of q(x_t) over t "
                               f"and x, and {self.shown_paths} sample paths wander from their x_0 into noise. The side "
                               "plot turns from q(x_0) into q(x_t), ending on the dashed N(0, 1).")

        # Forward: the heatmap and the sample paths, drawn as t advances
        k = ValueTracker(0)  # t
        paths = VGroup(*[Path(stroke_color=P.x_t, stroke_width=2.5) for _ in range(self.shown_paths)])
        cursor = Line(at(axes, 0, -EXTENT), at(axes, 0, EXTENT), color=P.time, stroke_width=3)
        t_value = Number(0, num_decimal_places=0, font_size=30, color=P.time)
        t_group = on_baseline(tex("t", "=", size=30, colors={"t": P.time}), t_value, buff=0.12)
        t_group.next_to(axes, UP, buff=0.1).align_to(axes, RIGHT)
        new_label = tex("q(x_t)", size=30).next_to(side, UP, buff=0.12)

        def forward(_):
            t = int(round(k.get_value()))
            x, right = at(axes, t, 0)[0], at(axes, T, 0)[0]
            cover.stretch_to_fit_width(max(right - x, 1e-3)).align_to(heat, RIGHT)
            cursor.put_start_and_end_on(at(axes, t, -EXTENT), at(axes, t, EXTENT))
            for i, path in enumerate(paths):
                xs = np.concatenate([[tr["x0"][i, 0]], tr["forward_paths"][:t, i, 0]])
                path.trace(along(axes, np.arange(len(xs)), np.clip(xs, -EXTENT, EXTENT)))
            f = int(np.searchsorted(tr["forward_t"] + 1, t)) if t > 0 else None
            density = tr["data_density"] if f is None else tr["density"][min(f, len(tr["density"]) - 1)]
            marginal.trace(self.sideways_points(side, density)).set_stroke(P.x0 if f is None else P.x_t)
            t_value.set_value(t)

        self.play(FadeIn(cursor), FadeIn(t_group), FadeIn(normal), FadeIn(normal_label),
                  ReplacementTransform(marginal_label, new_label), run_time=0.6)
        self.sweep(k, forward, [cover, cursor, paths, marginal, t_value], (T, 7))
        self.wait(1)  # the last frame of a play stops short of its end: this one shows t = T
        self.checkpoint = {"paths": paths, "marginal": marginal}
        self.slide(f"q(x_t) at t = {T} is N(0, 1) to the eye: alpha_bar_T = "
                   f"{tr['alpha_bar'][-1]:.5f}; every path forgets where it started.",
                   title=f"DDPM, {len(tr['ddpm_t']) - 1} steps",
                   description="The forward paths fade to faint lines and the cursor clears. "
                               + reverse_words(tr, "ddpm", DDPM))

        # Reverse: DDPM, then DDIM, from the same x_T, with the same samplers as the images
        data_label = tex("q(x_0)", size=30, colors={"q(x_0)": P.x0}).next_to(side, UP, buff=0.12)
        self.play(paths.animate.set_stroke(opacity=0.25), FadeOut(cursor), FadeOut(t_group), FadeOut(data_dots),
                  FadeOut(marginal), FadeOut(normal), FadeOut(normal_label),
                  ReplacementTransform(new_label, data_label),
                  run_time=0.6)
        for scheduler, scene_cls, color in (("ddpm", DDPM, P.x_t), ("ddim", DDIM, P.accent)):
            name = scene_cls.name
            eq = tex(*scene_cls.equation, size=40).to_edge(UP, buff=0.4)
            self.play(ReplacementTransform(equation, eq), run_time=0.8)
            equation = eq
            ends = self.reverse(tr, scheduler, color, side)
            if scheduler == "ddpm":
                title, shown = (f"DDIM, {len(tr['ddim_t']) - 1} steps", "DDPM's end points and histogram clear. "
                                + reverse_words(tr, "ddim", DDIM))
            else:
                title, shown = "Summary", (f"The last frame: {name}'s {tr[scheduler + '_paths'].shape[1]} paths, "
                                           f"their end points, and the histogram of all "
                                           f"{len(tr[scheduler + '_final'])} samples on q(x_0).")
            self.slide(samples_notes(tr, scheduler, name, K), title=title, description=shown)
            if scheduler == "ddpm":
                self.play(FadeOut(ends), run_time=0.5)
        self.wait(1.5)


    def heatmap(self, axes: Axes, tr) -> ImageMobject:
        """q(x_t) on (t, x): columns are the recorded t, rows x from +3 (top) to -3."""
        image = ImageMobject(shade_pixels(tr["density"].T[::-1], vmax=float(np.percentile(tr["density"], 99.5))))
        image.set_resampling_algorithm(RESAMPLING_ALGORITHMS["bilinear"])
        image.stretch_to_fit_width(axes.x_length).stretch_to_fit_height(axes.y_length)
        return image.move_to(at(axes, axes.x_range[1] / 2, 0))

    def sideways(self, side: Axes, density: np.ndarray, color: str, width: float = 3) -> VMobject:
        """A density over x drawn along the side axes' vertical axis."""
        return polyline(self.sideways_points(side, density), color, width)

    def sideways_points(self, side: Axes, density: np.ndarray) -> np.ndarray:
        return along(side, np.clip(density, 0, side.x_range[1]), self.tr["grid"][:, 0])

    def reverse(self, tr, scheduler: str, color: str, side: Axes) -> VGroup:
        """Paths from x_T (at t = T) back to t = 0, drawn as the sampler goes; then where all samples land."""
        axes = self.axes
        state_t = tr[f"{scheduler}_t"] + 1  # the state after alpha_bar[t]: t + 1 noising steps; 0 is clean
        xs = np.clip(tr[f"{scheduler}_paths"][:, :, 0], -EXTENT, EXTENT)
        k = ValueTracker(0)
        paths = VGroup(*[Path(stroke_color=color, stroke_width=2.5) for _ in range(xs.shape[1])])

        def grow(_):
            n = int(round(k.get_value())) + 1
            for i, path in enumerate(paths):
                path.trace(along(axes, state_t[:n], xs[:n, i]))

        grow(None)
        self.sweep(k, grow, [paths], (len(state_t) - 1, 5))
        final = tr[f"{scheduler}_final"][:, 0]
        ends = VGroup(*[Dot(at(axes, 0, x), radius=0.05, color=P.x0) for x in xs[-1]])
        hist, edges = np.histogram(final, bins=60, range=(-EXTENT, EXTENT), density=True)
        bars = VGroup(*[Rectangle(width=max(at(side, min(h, side.x_range[1]), 0)[0] - at(side, 0, 0)[0], 1e-3),
                                  height=at(side, 0, hi)[1] - at(side, 0, lo)[1], stroke_width=0,
                                  fill_color=color, fill_opacity=0.55
                                  ).move_to(at(side, 0, (lo + hi) / 2), aligned_edge=LEFT)
                        for h, lo, hi in zip(hist, edges, edges[1:], strict=False)])
        data = self.sideways(side, tr["data_density"], P.x0)
        note = label(f"{len(final)} samples", size=24, color=color).next_to(side, DOWN, buff=0.15).align_to(side, RIGHT)
        self.play(FadeIn(ends), FadeIn(bars), FadeIn(note), Create(data), run_time=1.0)
        self.checkpoint = {f"{scheduler}_paths": paths, f"{scheduler}_ends": ends, f"{scheduler}_bars": bars,
                           "hist_edges": edges}
        self.wait(1.0)
        return VGroup(ends, bars, note, data, paths)


class ToyDiffusion2D(ToyScene):
    """A smiley of points diffusing into N(0, I), the field -eps_hat(x, t), and DDPM and DDIM back."""
    model = "mixture:smiley"
    extent = EXTENT_2D
    traced = 3

    def construct(self):
        tr = self.tr = self.toy_trajectory()
        words = self.words = mixture_words(tr.manifest["model"]["name"])
        subtitle, notes, then = title_words(tr, words, self.components, schedule_in_words(tr.spec.schedule))
        self.title_slide("Diffusion in two dimensions", subtitle, notes=notes, then=then)
        equation = self.equation = tex(*EQUATION, size=44, colors=SIGNAL | NOISE).to_edge(UP, buff=0.4)
        left = self.left = Cloud(CLOUD).move_to(LEFT * 3.4 + DOWN * 0.05)
        left.show(tr["x0"], P.x0)
        caption = VGroup(label(f"{len(tr['x0'])} points x₀", size=24, color=P.x0),
                         label(f"of a mixture of {in_words(self.components)} small Gaussians", size=24, color=P.x0))
        caption.arrange(DOWN, buff=0.1).next_to(left, DOWN, buff=0.15)
        self.play(Write(equation), run_time=1.2)
        self.play(FadeIn(left), FadeIn(caption), run_time=1.0)

        # Forward: every point follows the chain; the numbers of the equation beside it
        f = ValueTracker(0)  # index into forward_t
        t_value = Number(0, num_decimal_places=0, font_size=36, color=P.time)
        coef_a = Number(1, num_decimal_places=4, font_size=36, color=P.x0)
        coef_b = Number(0, num_decimal_places=4, font_size=36, color=P.eps)
        numbers = VGroup(on_baseline(tex("t", "=", size=36, colors={"t": P.time}), t_value, buff=0.15),
                         on_baseline(tex(r"\sqrt{\bar\alpha_t}", "=", size=36, colors=SIGNAL), coef_a, buff=0.15),
                         on_baseline(tex(r"\sqrt{1-\bar\alpha_t}", "=", size=36, colors=NOISE), coef_b, buff=0.15)
                         ).arrange(DOWN, aligned_edge=LEFT, buff=0.35).move_to(RIGHT * 3.4 + UP * 0.6)
        sds = (1, 2)
        circles = VGroup(*[DashedVMobject(Circle(radius=r * left.frame.width / (2 * EXTENT_2D), color=P.eps,
                                                 stroke_width=2), num_dashes=36).move_to(left.frame) for r in sds])
        circles_label = label(" and ".join(f"{r}σ" for r in sds) + " of N(0, I)", size=24, color=P.eps)
        circles_label.next_to(numbers, DOWN, buff=0.6)
        circles_label.align_to(numbers, LEFT)
        alpha_bar = tr["alpha_bar"]
        T = len(alpha_bar)
        notes, title, description = forward_slide(tr, words, sds)
        self.slide(notes, title=title, description=description)

        def forward(_):
            i = int(round(f.get_value()))
            t = tr["forward_t"][i]
            left.show(tr["forward"][i], P.x_t)
            t_value.set_value(t)
            coef_a.set_value(np.sqrt(alpha_bar[t]))
            coef_b.set_value(np.sqrt(1 - alpha_bar[t]))

        new_caption = label("x_t: each point, noised step by step", size=24, color=P.x_t).move_to(caption)
        self.play(FadeIn(numbers), FadeIn(circles), FadeIn(circles_label), ReplacementTransform(caption, new_caption),
                  run_time=0.8)
        # the smiley goes early (alpha_bar falls fastest at first): the first 15 % of the steps as slowly as the rest
        self.sweep(f, forward, [left.image, numbers], (int(np.searchsorted(tr["forward_t"], 0.15 * T)), 3.5),
                   (len(tr["forward_t"]) - 1, 3.5))
        self.wait(1)
        self.field_words = field_slides(tr, words)
        notes, title, description = self.field_words[0]
        self.slide(notes, title=title, description=description)

        # The field -eps_hat(x, t): where the denoiser pushes each point, from t = T down to 0
        self.play(FadeOut(circles), FadeOut(circles_label), run_time=0.4)
        self.field_view(tr, left, numbers, t_value, coef_a, coef_b, new_caption)

        # Reverse: DDPM and DDIM side by side from the same x_T, a few points traced
        self.play(FadeOut(numbers), run_time=0.4)
        self.side_by_side(tr, left)

    def field_view(self, tr, left: Cloud, numbers, t_value, coef_a, coef_b, caption) -> None:
        grid = tr["grid"]
        inside = np.abs(grid).max(1) < EXTENT_2D - 0.05
        starts = left.to_scene(grid[inside])
        spacing = left.frame.width / (2 * EXTENT_2D) * (grid[1, 0] - grid[0, 0])  # the grid is x-fastest
        alpha_bar = tr["alpha_bar"]
        arrows = VMobject(stroke_color=P.eps_hat, stroke_width=2.5)

        def vectors(i: int) -> np.ndarray:
            """-eps_hat as arrows: |eps_hat| = 3 spans one grid spacing, longer ones are capped there."""
            v = -tr["eps_hat_field"][i][inside]
            norm = np.linalg.norm(v, axis=1, keepdims=True)
            v = v / np.maximum(norm, 1e-9) * 0.9 * spacing * np.minimum(norm / 3, 1)
            return np.column_stack([v, np.zeros(len(v))])

        k = ValueTracker(len(tr["forward_t"]) - 1)

        def field(_):
            i = int(round(k.get_value()))
            t = tr["forward_t"][i]
            arrows.set_points(arrow_field(starts, vectors(i)))
            t_value.set_value(t)
            coef_a.set_value(np.sqrt(alpha_bar[t]))
            coef_b.set_value(np.sqrt(1 - alpha_bar[t]))
            self.field_index = i

        field(None)
        self.field_caption = on_baseline(tex(r"-\hat\epsilon(x_t, t)", size=32),
                                         tex(r"\text{on a grid, exact}", size=28).set_color(P.dim),
                                         buff=0.2).move_to(caption)
        self.field_caption[0].set_color(P.eps_hat)
        # under the arrows, faintly, the data they point at
        veil = Square(left.frame.width, stroke_width=0, fill_color=P.background, fill_opacity=0.55).move_to(left.frame)
        self.play(FadeIn(veil), run_time=0.4)
        left.show(tr["x0"], P.x0)
        self.play(ReplacementTransform(caption, self.field_caption), Create(arrows), run_time=1.0)
        T = len(alpha_bar)  # from t = T to T / 5 quickly, then slowly down to 2 % of T, close to the data
        fifth, near = int(np.searchsorted(tr["forward_t"], 0.2 * T)), int(np.searchsorted(tr["forward_t"], 0.02 * T))
        notes, title, description = self.field_words[1]
        self.slide(notes, title=title, description=description)
        self.sweep(k, field, [arrows, numbers], (fifth, 3.5), (near, 4))
        self.arrows = arrows
        self.wait(1)
        notes, title, description = self.field_words[2]
        self.slide(notes, title=title, description=description)
        self.play(FadeOut(arrows), FadeOut(veil), run_time=0.6)

    def side_by_side(self, tr, left: Cloud) -> None:
        right = self.right = Cloud(CLOUD).move_to(RIGHT * 3.4 + DOWN * 0.05)
        clouds = {"ddpm": left, "ddim": right}
        names = {"ddpm": f"DDPM, {len(tr['ddpm_t']) - 1} steps", "ddim": f"DDIM, {len(tr['ddim_t']) - 1} steps"}
        t_values = {s: Number(tr[f"{s}_frame_t"][0], num_decimal_places=0, font_size=26, color=P.time, text=True)
                    for s in clouds}
        headers = VGroup(*[on_baseline(label(names[s], size=26), label("t", size=26, color=P.time, italic=True),
                                       label("=", size=26), t_values[s], buff=0.15).next_to(clouds[s], DOWN, buff=0.15)
                           for s in clouds])
        traces = {s: VGroup(*[Path(stroke_color=P.text, stroke_width=2) for _ in range(self.traced)]) for s in clouds}
        equations = VGroup(*[tex(*cls.equation, size=30).next_to(clouds[s], UP, buff=0.2)
                             for s, cls in (("ddpm", DDPM), ("ddim", DDIM))])
        traced = "black" if P is LIGHT else "white"
        tail_note = label(f"{traced}: {in_words(self.traced)} points traced from x_T (dot); DDPM: the last {DDPM_TAIL} "
                          "steps", size=24, color=P.dim)
        tail_note.next_to(headers, DOWN, buff=0.12).set_x(0)
        starts = VGroup(*[Dot(left.to_scene(tr["ddpm_paths"][0, :self.traced])[j], radius=0.05, color=P.text)
                          for j in range(self.traced)])
        starts_right = starts.copy().shift(right.frame.get_center() - left.frame.get_center())
        for s, cloud in clouds.items():
            cloud.show(tr[f"{s}_frames"][0], P.x_t)
        self.play(FadeOut(self.field_caption), FadeOut(self.equation), FadeIn(right), FadeIn(headers),
                  FadeIn(equations), FadeIn(tail_note), run_time=0.8)
        self.play(FadeIn(starts), FadeIn(starts_right), run_time=0.5)
        notes, title, description = back_slide(tr, self.words)
        self.slide(notes, title=title, description=description)
        k = ValueTracker(0)  # normalised time, in DISPLAY_FRAMES states

        def reverse(_):
            j = int(round(k.get_value()))
            for s, cloud in clouds.items():
                frames = len(tr[f"{s}_frame_t"])
                cloud.show(tr[f"{s}_frames"][j], P.x_t if j < frames - 1 else P.x0)
                t_values[s].set_value(max(tr[f"{s}_frame_t"][j], 0))
                # the traced points: every recorded state up to this frame
                n = int(round(j / (frames - 1) * (len(tr[f"{s}_paths"]) - 1))) + 1
                first = max(0, n - DDPM_TAIL) if s == "ddpm" else 0
                for i, trace in enumerate(traces[s]):
                    trace.trace(cloud.to_scene(np.clip(tr[f"{s}_paths"][first:n, i], -EXTENT_2D, EXTENT_2D)))
            self.frame_index = j

        reverse(None)
        self.sweep(k, reverse, [left.image, right.image, *t_values.values(), *traces.values()],
                   (len(tr["ddpm_frame_t"]) - 1, 8))
        self.clouds, self.traces = clouds, traces
        sd, fine_steps = f"{tr['stray_sd']:g}", len(tr["ddpm_t"]) - 1
        (off_notes, off_words), (summary_notes, summary_words) = strays_slides(tr, self.words)
        self.slide(off_notes, title="Off the strokes", description=off_words)
        self.wait(2)
        # DDIM's few large steps leave some points between the strokes: its discretisation error
        strays = self.strays = VGroup(
            label(f"off the strokes (> {sd} sd): {tr['ddpm_stray']:.1%}", size=24, color=P.dim),
            label(f"off: {tr['ddim_stray']:.1%}; with {fine_steps} steps: {tr['ddim_fine_stray']:.1%}", size=24,
                  color=P.dim))
        for note, header, cloud in zip(strays, headers, (left, right), strict=False):
            note.next_to(header, DOWN, buff=0.12).set_x(cloud.get_x())
        self.play(FadeOut(tail_note), FadeOut(starts), FadeOut(starts_right), FadeIn(strays), run_time=0.6)
        self.slide(summary_notes, title="Summary", description=summary_words)
        self.wait(2)
