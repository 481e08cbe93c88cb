"""Why this schedule: three of diffusers' beta schedules side by side, with the same x_0, the same eps,
the same t, and DDIM on the smiley from the same noise under each.

    manim -qh scenes/schedules.py NoiseSchedules
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Axes, Create, FadeIn, FadeOut, Line, Rectangle, ValueTracker, VGroup, Write

from cache.beta_schedules import SPOKEN
from cache.drawings import MixtureWords, mixture_words, two_d_mixture
from scenes.kit.base import DiffvizScene
from scenes.kit.equations import EQUATION, NOISE, SIGNAL
from scenes.kit.narration import in_words, listed
from scenes.kit.numbers import Number
from scenes.kit.palette import P
from scenes.kit.panels import Panel
from scenes.kit.plots import Cloud, themed
from scenes.kit.text import label, on_baseline, tex

# One colour per schedule, in every beat of this scene (the colours of x_0, eps and x_t keep their meaning)
SCHEDULE_COLORS = {"linear": P.text, "squaredcos_cap_v2": P.accent, "scaled_linear": P.eps_hat}
COLUMNS = (-4.2, 0.1, 4.4)  # the coefficient plots and the images under them
CLOUD_COLUMNS = (-3.7, 0.1, 3.9)


def spoken(name: str) -> str:
    return SPOKEN.get(name, name)


def per_schedule(names, values) -> str:
    """"0.28 under linear, 0.70 under cosine and 0.53 under scaled linear": one value per schedule."""
    return listed(f"{v} under {spoken(n)}" for n, v in zip(names, values, strict=True))


def fewest_and_most(names, shares) -> str:
    """Under which schedules the fewest and the most points land off the strokes, the shares as on screen."""
    shown = [f"{s:.1%}" for s in shares]
    low, high = shown[int(np.argmin(shares))], shown[int(np.argmax(shares))]
    if low == high:
        return f"{low} under every schedule"
    fewest, most = (listed(spoken(n) for n, s in zip(names, shown, strict=True) if s == end) for end in (low, high))
    return f"fewest under {fewest}, {low}, most under {most}, {high}"


def log_snr_range(tr) -> tuple[int, int]:
    """The log SNR axis of the second beat: from the lowest log SNR to the highest, in fives."""
    return int(5 * np.floor(tr["log_snr"].min() / 5)), int(5 * np.ceil(tr["log_snr"].max() / 5))


def snr_description(tr, names, T: int) -> str:
    """What the second beat, NoiseSchedules.signal_to_noise(), shows: the log SNR curves of the schedules
    `names` over T steps, and how many steps each spends in the SNR window."""
    (lo, hi), (low, high) = log_snr_range(tr), tr["snr_window"]
    return ("The images and their numbers clear; the coefficient plots stay at the top. Below them, one plot "
            f"of log SNR(t) = log(alpha_bar_t / (1 - alpha_bar_t)) for all {in_words(len(names))} schedules, t "
            f"from 0 to {T} across and log SNR from {lo} to {hi} up, with a band where the SNR lies between "
            f"{low:g} and {high:g}. The curves fall from "
            + per_schedule(names, [f"{s[0]:.2f} to {s[-1]:.2f}" for s in tr["log_snr"]])
            + f'. Beside the plot, under "steps with SNR in [{low:g}, {high:g}]": '
            + listed(f'"{spoken(n)}: {tr["steps_in_window"][r]} of {T}"' for r, n in enumerate(names)) + ".")


def strays_note(sd: str, words: MixtureWords) -> str:
    """The note at the top of the last beat, over the shares of points off the strokes."""
    return f"off the strokes: further than {sd} sd from every Gaussian of {words.the}"


def ddim_slide(tr, words: MixtureWords, names, counts) -> tuple[str, str, str]:
    """(notes, title, description) of the slide of DDIM under each schedule, and its points off the strokes."""
    sd = f"{tr['stray_sd']:g}"
    return (f"DDIM on {words.the} with its exact denoiser, from the same {len(tr['x_T'])} noises under every "
            f"schedule, with {' and '.join(str(n) for n in counts)} steps.", "Off the strokes",
            f"Each plot jumps to where DDIM, with {words.whose} exact denoiser, takes its points: "
            f"into the shape of {words.the}, {words.sharp} where few land between its strokes, a "
            "blurred disc where many do. The note at the top "
            f'becomes "{strays_note(sd, words)}", '
            "and under each plot its share of points off the strokes: " + "; ".join(
                f"with {c} steps, " + ", ".join(f"{spoken(n)} {tr['ddim_stray'][r, i]:.1%}"
                                                for r, n in enumerate(names))
                for i, c in enumerate(counts)) + ".")


class NoiseSchedules(DiffvizScene):
    """sqrt(alpha_bar_t), sqrt(1 - alpha_bar_t) and log SNR of three schedules, one image noised under each as t
    sweeps, how many steps each spends at SNR between 0.1 and 10, and DDIM's strays on the smiley."""

    @classmethod
    def settings(cls, configured):
        return configured.replace(model=two_d_mixture(configured.model))  # or a drawing

    def construct(self):
        tr = self.tr = self.trajectory("schedules")
        names = self.names = list(tr.spec.schedules)
        T = tr["alpha_bar"].shape[1]
        t0 = tr["image_t"][0]
        self.title_slide("Noise schedules", " · ".join(spoken(n) for n in names),
                         notes=f"Three noise schedules of diffusers, T = {T} steps each: "
                               + ", ".join(f"{spoken(n)} ({n})" for n in names) + ". Same equation, different "
                               "alpha_bar_t.",
                         then=f"Those are the names of {in_words(len(names))} schedules. Then the equation x_t = "
                              "sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps at the top, and a plot under each "
                              f"schedule's name: sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t) over t from 0 to {T}. "
                              "sqrt(alpha_bar_t) falls from "
                              + per_schedule(names, [f"{np.sqrt(a[0]):.2f} to {np.sqrt(a[-1]):.2f}"
                                                      for a in tr["alpha_bar"]])
                              + "; sqrt(1 - alpha_bar_t) rises as it falls. Under each plot the same image x_0, "
                              f"noised with the same eps to t = {t0} under that schedule, and its log SNR: "
                              + per_schedule(names, [f"{tr['log_snr'][r][t0]:.2f}" for r in range(len(names))])
                              + f'. At the bottom "t = {t0}" and the note "x_0: a training image; the same eps under '
                              'every schedule".')
        self.coefficients(tr, T)
        self.signal_to_noise(tr, T)
        self.ddim_clouds(tr)

    def coefficients(self, tr, T: int) -> None:
        """Per schedule: both coefficients over t, a cursor, and x_0 noised with the same eps at that t."""
        names = self.names
        equation = self.equation = tex(*EQUATION, size=40, colors=SIGNAL | NOISE)
        ts = np.arange(T)
        axes, curves, headers, panels, cursors = [], VGroup(), VGroup(), [], VGroup()
        self.panels = panels  # one image per schedule, filled in below
        for r, (name, x) in enumerate(zip(names, COLUMNS, strict=False)):
            a = tr["alpha_bar"][r]
            ax = themed(Axes(x_range=[0, T, T // 2], y_range=[0, 1, 0.5], x_length=3.2, y_length=1.9, tips=False,
                             axis_config={"color": P.dim, "include_numbers": True, "font_size": 24}))
            ax.move_to([x, 1.45, 0])
            axes.append(ax)
            curves.add(ax.plot_line_graph(ts, np.sqrt(a), add_vertex_dots=False, line_color=P.x0, stroke_width=3),
                       ax.plot_line_graph(ts, np.sqrt(1 - a), add_vertex_dots=False, line_color=P.eps, stroke_width=3))
            header = label(spoken(name), size=28, color=SCHEDULE_COLORS.get(name, P.text))
            headers.add(header.next_to(ax, UP, buff=0.15))
            panels.append(Panel(tr["x_t"][r][0], 2.1, P.x_t).move_to([x, -1.4, 0]))
            cursors.add(Line(ax.c2p(0, 0), ax.c2p(0, 1), color=P.time, stroke_width=3))
        legend = VGroup(tex(r"\sqrt{\bar\alpha_t}", size=30, colors=SIGNAL),
                        tex(r"\sqrt{1-\bar\alpha_t}", size=30, colors=NOISE)).arrange(RIGHT, buff=0.4)
        VGroup(equation, legend).arrange(RIGHT, buff=0.6).to_edge(UP, buff=0.45)
        snr = [Number(tr["log_snr"][r][tr["image_t"][0]], num_decimal_places=2, font_size=26, color=P.x_t)
               for r in range(len(names))]
        snr_rows = VGroup(*[on_baseline(tex(r"\log \mathrm{SNR} =", size=26), n, buff=0.12)
                            .next_to(p, DOWN, buff=0.15) for n, p in zip(snr, panels, strict=False)])
        t_value = Number(tr["image_t"][0], num_decimal_places=0, font_size=32, color=P.time)
        t_group = on_baseline(tex("t", "=", size=32, colors={"t": P.time}), t_value, buff=0.12)
        footer = label("x₀: a training image; the same ε under every schedule", size=24, color=P.dim)
        VGroup(t_group, footer).arrange(RIGHT, buff=0.8).to_edge(DOWN, buff=0.45)
        self.play(Write(equation), FadeIn(legend), run_time=1.0)
        self.play(*[Create(ax) for ax in axes], FadeIn(headers), Create(curves), run_time=1.2)
        self.play(*[FadeIn(p) for p in panels], FadeIn(snr_rows), FadeIn(cursors), FadeIn(t_group), FadeIn(footer),
                  run_time=0.8)
        F = len(tr["image_t"])
        half = F // 2
        t0, t = tr["image_t"][0], tr["image_t"][half]
        self.slide(f"Top: sqrt(alpha_bar_t) (blue, x_0's share) and sqrt(1 - alpha_bar_t) (red, eps's share) over "
                   f"t = 0..{T - 1}. Below: the same x_0 and eps at the same t under each schedule.",
                   title=f"t = {t0} to {t}",
                   description=f"t runs from {t0} to {t}: a cursor moves along each plot and the "
                               f"{in_words(len(names))} images grow noisier, each at its own pace. At t = {t}, "
                               "sqrt(alpha_bar_t) is "
                               + per_schedule(names, [f"{np.sqrt(a[t]):.2f}" for a in tr["alpha_bar"]])
                               + "; the log SNR under the images reads "
                               + per_schedule(names, [f"{s[t]:.2f}" for s in tr["log_snr"]]) + ".")
        k = ValueTracker(0)  # index into image_t

        def follow(_):
            i = self.frame_index = int(round(k.get_value()))
            t = tr["image_t"][i]
            for r, ax in enumerate(axes):
                panels[r].show(tr["x_t"][r][i])
                cursors[r].put_start_and_end_on(ax.c2p(t, 0), ax.c2p(t, 1))
                snr[r].set_value(tr["log_snr"][r][t])
            t_value.set_value(t)

        self.sweep(k, follow, [*[p.image for p in panels], cursors, *snr, t_value], (half, 5))
        last = tr["image_t"][-1]
        self.slide(f"t = {t}: x_0 keeps " + ", ".join(
            f"{np.sqrt(tr['alpha_bar'][r][t]):.2f} ({spoken(n)})" for r, n in enumerate(names))
            + f" of its signal: {spoken(names[int(np.argmax(tr['alpha_bar'][:, t]))])} keeps the most, "
            f"{spoken(names[int(np.argmin(tr['alpha_bar'][:, t]))])} the least.", title=f"t = {t} to {last}",
            description=f"t runs on from {t} to {last}, the last step: the {in_words(len(names))} images grow "
                        f"noisier still, the {spoken(names[int(np.argmax(tr['alpha_bar'][:, -1]))])} one keeping the "
                        "most of x_0; the log SNR under the images falls to "
                        + per_schedule(names, [f"{tr['log_snr'][r][-1]:.2f}" for r in range(len(names))]) + ".")
        self.sweep(k, follow, [*[p.image for p in panels], cursors, *snr, t_value], (F - 1, 4))
        self.wait(0.5)
        self.slide(f"t = {tr['image_t'][-1]}: alpha_bar_T = " + ", ".join(
            f"{tr['alpha_bar'][r][-1]:.2e} (log SNR {tr['log_snr'][r][-1]:.1f}, {spoken(n)})"
            for r, n in enumerate(names)) + ". The larger alpha_bar_T, the more of x_0 is left at the last step.",
            title="Signal-to-noise ratio", description=snr_description(tr, names, T))
        self.kept = VGroup(curves, headers, cursors, legend, *axes)  # the top row stays for the next beat
        self.gone = [*panels, snr_rows, t_group, footer]

    def signal_to_noise(self, tr, T: int) -> None:
        """log SNR of every schedule on one axis, and how many steps each spends in the SNR window."""
        names = self.names
        # the axes count from the lowest log SNR, so that the t axis runs along the bottom
        lo, hi = log_snr_range(tr)
        ax = self.snr_axes = themed(Axes(x_range=[0, T, T // 4], y_range=[0, hi - lo, 5], x_length=6.2,
                                         y_length=2.7, tips=False, axis_config={"color": P.dim, "font_size": 24},
                                         x_axis_config={"include_numbers": True}))
        ax.y_axis.add_labels({v - lo: tex(f"{v}", size=24) for v in range(lo, hi + 1, 5)})
        ax.move_to(LEFT * 2.6 + DOWN * 1.7)
        window = np.log(tr["snr_window"]) - lo
        band = Rectangle(width=ax.x_length, height=ax.c2p(0, window[1])[1] - ax.c2p(0, window[0])[1], stroke_width=0,
                         fill_color=P.time, fill_opacity=0.15)
        band.move_to(ax.c2p(T / 2, window.mean()))
        ts = np.arange(T)
        self.snr_curves = VGroup(*[ax.plot_line_graph(ts, tr["log_snr"][r] - lo, add_vertex_dots=False, stroke_width=3,
                                                      line_color=SCHEDULE_COLORS.get(n, P.text))
                                   for r, n in enumerate(names)])
        y_label = tex(r"\log \mathrm{SNR}(t) = \log \frac{\bar\alpha_t}{1-\bar\alpha_t}", size=28)
        low, high = tr["snr_window"]
        title = label(f"steps with SNR in [{low:g}, {high:g}]", size=24, color=P.time)
        counts = self.counts = VGroup(*[label(f"{spoken(n)}: {tr['steps_in_window'][r]} of {T}", size=24,
                                              color=SCHEDULE_COLORS.get(n, P.text)) for r, n in enumerate(names)])
        table = VGroup(y_label, title, counts.arrange(DOWN, aligned_edge=LEFT, buff=0.2)).arrange(
            DOWN, aligned_edge=LEFT, buff=0.3)
        table.next_to(ax, RIGHT, buff=0.5).align_to(ax, UP)
        self.play(*[FadeOut(m) for m in self.gone], run_time=0.6)
        self.play(Create(ax), FadeIn(y_label), FadeIn(band), run_time=0.8)
        self.play(Create(self.snr_curves), run_time=1.5)
        self.play(FadeIn(table[1:]), run_time=0.6)
        self.slide("log SNR on one axis; the band is SNR in [" f"{low:g}, {high:g}], where x_t is neither almost "
                   "clean nor almost noise. Steps spent there: " + ", ".join(
                       f"{spoken(n)} {tr['steps_in_window'][r]}" for r, n in enumerate(names)) + f" of {T}.",
                   title="DDIM under each schedule",
                   description=f"Everything clears. Square plots in {in_words(len(tr['step_counts']))} rows and "
                               f"{in_words(len(names))} columns, the columns headed "
                               f"{listed(spoken(n) for n in names)}, the rows labelled "
                               + listed(f'"DDIM {n} steps"' for n in tr["step_counts"]) + ". Every plot shows the same "
                               f'cloud of noise, as the note at the top says: "{len(tr["x_T"])} points of the same '
                               'x_T".')
        self.wait(1)
        self.beat2 = VGroup(ax, band, self.snr_curves, table)

    def ddim_clouds(self, tr) -> None:
        """DDIM from the same x_T under each schedule, at each step count, and the share off the strokes."""
        names, counts = self.names, tr["step_counts"]
        self.play(FadeOut(self.kept), FadeOut(self.beat2), FadeOut(self.equation), run_time=0.6)
        side = 2.2
        rows = [1.45 - i * 2.85 for i in range(len(counts))]
        clouds = self.clouds = [[Cloud(side).move_to([x, y, 0]) for x in CLOUD_COLUMNS] for y in rows]
        headers = VGroup(*[label(spoken(n), size=26, color=SCHEDULE_COLORS.get(n, P.text))
                           .next_to(clouds[0][r], UP, buff=0.12) for r, n in enumerate(names)])
        row_labels = VGroup(*[label(f"DDIM\n{n} steps", size=24).next_to(clouds[i][0], LEFT, buff=0.2)
                              for i, n in enumerate(counts)])
        for row in clouds:
            for cloud in row:
                cloud.show(tr["x_T"], P.x_t)
        x_T_note = label(f"{len(tr['x_T'])} points of the same x_T", size=24, color=P.x_t).to_edge(UP, buff=0.45)
        self.play(*[FadeIn(c) for row in clouds for c in row], FadeIn(headers), FadeIn(row_labels), FadeIn(x_T_note),
                  run_time=0.8)
        sd = f"{tr['stray_sd']:g}"
        words = self.words = mixture_words(tr.manifest["model"]["name"])
        notes, title, description = ddim_slide(tr, words, names, counts)
        self.slide(notes, title=title, description=description)
        for i, row in enumerate(clouds):
            for r, cloud in enumerate(row):
                cloud.show(tr["ddim_final"][r, i], P.x0)
        strays = self.strays = [[label(f"off the strokes: {tr['ddim_stray'][r, i]:.1%}", size=24, color=P.dim)
                                 .next_to(clouds[i][r], DOWN, buff=0.1) for r in range(len(names))]
                                for i in range(len(counts))]
        note = label(strays_note(sd, words), size=24, color=P.dim).to_edge(UP, buff=0.45)
        self.play(FadeOut(x_T_note), FadeIn(note), *[FadeIn(s) for row in strays for s in row], run_time=0.8)
        self.slide("Off the strokes (> " + sd + " sd): " + "; ".join(
            f"{spoken(n)} " + ", ".join(f"{tr['ddim_stray'][r, i]:.1%} at {c} steps" for i, c in enumerate(counts))
            for r, n in enumerate(names)) + f". DDIM starts at t = {tr['ddim_t'][0, 0]} with {counts[0]} steps "
            "(diffusers' leading timesteps), where the schedules leave different amounts of x_0.", title="Summary",
            description="The last frame holds. Off the strokes, " + "; ".join(
                f"with {c} steps: {fewest_and_most(names, off)}"
                for c, off in zip(counts, tr["ddim_stray"].T, strict=True)) + ".")
        self.wait(2)

