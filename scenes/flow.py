"""Flow matching, exactly: the straight path x_s = (1 - s) x_0 + s eps, the velocity E[eps - x_0 | x_s]
of the smiley in closed form, Euler on it with 1, 2, 5 and 50 steps against DDIM with as many.

    manim -qh scenes/flow.py FlowMatching
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, Dot, FadeIn, FadeOut, ValueTracker, VGroup, Write

from cache.drawings import MixtureWords, mixture_words, two_d_mixture
from scenes.kit.base import DiffvizScene
from scenes.kit.narration import in_words, listed
from scenes.kit.palette import P
from scenes.kit.plots import EXTENT_2D, Cloud, Path
from scenes.kit.text import label, tex

PATH_EQUATION = [r"x_s = (1-s)\,", "x_0", r"+\, s\,", r"\epsilon", r"\qquad v(x_s, s) = \mathbb{E}[\,", r"\epsilon",
                 "-", "x_0", r"\mid x_s]"]
COLUMNS = (-3.3, -0.6, 2.1, 4.8)


def run_numbers(tr, sampler: str, steps: list[str]) -> str:
    """One sampler's runs in words, each named by its `steps` ("1 step", "8 steps"): the share of its
    points off the strokes, and how straight its paths are."""
    return "; ".join(f"{h}, off {tr[f'{sampler}_stray'][r]:.1%}, straight "
                     f"{tr[f'{sampler}_straightness'][r]:.2f}" for r, h in enumerate(steps))


def title_notes(tr, words: MixtureWords, counts: list[int]) -> str:
    """The title slide's notes: the mixture, the step counts, the noises."""
    return (f"Flow matching on {words.the}: the straight path from x_0 to eps, and its exact "
            f"velocity. Euler with {', '.join(map(str, counts))} steps against DDIM with as many "
            f"evaluations, from the same {len(tr['x_T'])} noises.")


def noise_to_data_slide(tr, words: MixtureWords, counts: list[int], traced: int,
                        spacing: str) -> tuple[str, str, str]:
    """(notes, title, description) of the slide of both samplers running from noise to the data; DDIM's
    timesteps spaced as `spacing` says."""
    mean = (" With one step every point of both rows lands near one spot, the data's mean."
            if counts[0] == 1 else "")
    return (f"Top: Euler on dx/ds = v(x, s) from s = 1 to 0. Bottom: DDIM on the model's schedule, "
            f"{spacing} timesteps (from t = {tr['ddim_frame_t'][0, 0]}). White: {traced} points traced.",
            f"Noise to {words.name}",
            "All the plots run together in the same normalised time, Euler from s = "
            f"{tr['euler_frame_s'][0, 0]:g} to {tr['euler_frame_s'][0, -1]:g}, DDIM from t = "
            f"{tr['ddim_frame_t'][0, 0]} to {max(tr['ddim_frame_t'][0, -1], 0)}: the noise "
            f"gathers in, a blurred blob with few steps, {words.face} with the most, and the "
            "marked points draw their paths." + mean)


def summary_slide(tr, counts: list[int], steps: list[str]) -> tuple[str, str]:
    """The notes and the description of the last slide: off the strokes and straightness, per step count."""
    notes = ("Off the strokes (> " + f"{tr['stray_sd']:g}" + " sd): Euler " + ", ".join(
        f"{tr['euler_stray'][r]:.1%}" for r in range(len(counts))) + "; DDIM " + ", ".join(
        f"{tr['ddim_stray'][r]:.1%}" for r in range(len(counts))) + f" at {', '.join(map(str, counts))} steps. "
        "Straightness: Euler " + ", ".join(f"{tr['euler_straightness'][r]:.2f}" for r in range(len(counts)))
        + "; DDIM " + ", ".join(f"{tr['ddim_straightness'][r]:.2f}" for r in range(len(counts)))
        + " in its own x_t, " + ", ".join(f"{tr['ddim_flow_straightness'][r]:.2f}" for r in range(len(counts)))
        + " in the flow's coordinates x_t / (sqrt(alpha_bar_t) + sqrt(1 - alpha_bar_t))."
        + (" The exact flow of a mixture is not straight: its paths head for the mean first, then bend to a "
           "stroke." if tr["euler_straightness"][-1] > 1.1 else ""))
    description = (f"The last frame holds. With {steps[-1]}, Euler leaves {tr['euler_stray'][-1]:.1%} of its "
                   f"points off the strokes and DDIM {tr['ddim_stray'][-1]:.1%}; with {steps[0]}, "
                   f"{tr['euler_stray'][0]:.1%} and {tr['ddim_stray'][0]:.1%}. Euler's paths have straightness "
                   f"{tr['euler_straightness'][0]:.2f} with {steps[0]} and {tr['euler_straightness'][-1]:.2f} "
                   f"with {steps[-1]}"
                   + (": the exact flow of a mixture is not straight, its paths head for the mean first, then "
                      "bend to a stroke." if tr["euler_straightness"][-1] > 1.1 else "."))
    return notes, description


class FlowMatching(DiffvizScene):
    """Both samplers from the same noises at every step count, side by side in normalised time, a few paths
    traced; then each run's share off the strokes and the straightness of its paths."""
    traced = 8

    @classmethod
    def settings(cls, configured):
        return configured.replace(model=two_d_mixture(configured.model))  # or a drawing

    def construct(self):
        tr = self.tr = self.trajectory("flow")
        counts = [int(n) for n in tr["step_counts"]]
        N = len(tr["x_T"])
        spacing = tr.spec.timestep_spacing
        steps = [f"{n} step{'s' * (n > 1)}" for n in counts]
        words = self.words = mixture_words(tr.manifest["model"]["name"])
        self.title_slide("Flow matching", "the straight path, its exact velocity, and DDIM",
                         notes=title_notes(tr, words, counts),
                         then="Then at the top x_s = (1 - s) x_0 + s eps and v(x_s, s) = E[eps - x_0 | x_s]; below, "
                              f"square plots in two rows of {in_words(len(counts))}, the top row labelled "
                              f'"Euler on v", the bottom one "DDIM ({spacing})", the columns headed '
                              + listed(f'"{h}"' for h in steps) + f". Every plot shows the same {N} points of "
                              f"noise; {in_words(self.traced)} of them are marked with dots.")
        equation = tex(*PATH_EQUATION, size=36).to_edge(UP, buff=0.45)
        side = 1.75  # two rows of plots, each with two lines of numbers under it, and the legend at the bottom
        rows = {"euler": 1.6, "ddim": -1.0}
        clouds = self.clouds = {s: [Cloud(side).move_to([x, y, 0]) for x in COLUMNS] for s, y in rows.items()}
        row_labels = VGroup(label("Euler\non v", size=24), label(f"DDIM\n({spacing})", size=24))
        for row_label, s in zip(row_labels, rows, strict=True):
            row_label.next_to(clouds[s][0], LEFT, buff=0.2)
        headers = VGroup(*[label(h, size=24, color=P.time).next_to(cloud, UP, buff=0.1)
                           for h, cloud in zip(steps, clouds["euler"], strict=True)])
        for row in clouds.values():
            for cloud in row:
                cloud.show(tr["x_T"], P.x_t)
        traces = self.traces = {s: [VGroup(*[Path(stroke_color=P.text, stroke_width=1.2, stroke_opacity=0.7)
                                            for _ in range(self.traced)])
                                    for _ in counts] for s in rows}
        starts = VGroup(*[Dot(cloud.to_scene(tr["x_T"][:self.traced])[j], radius=0.035, color=P.text)
                          for s in rows for cloud in clouds[s] for j in range(self.traced)])
        self.play(Write(equation), run_time=1.0)
        self.play(*[FadeIn(cl) for row in clouds.values() for cl in row], FadeIn(row_labels), FadeIn(headers),
                  FadeIn(starts), run_time=0.8)
        notes, title, description = noise_to_data_slide(tr, words, counts, self.traced, spacing)
        self.slide(notes, title=title, description=description)
        k = ValueTracker(0)
        frames = tr["euler_frames"].shape[1]

        def move(_):
            j = self.frame_index = int(round(k.get_value()))
            for s, row in clouds.items():
                for r, cloud in enumerate(row):
                    cloud.show(tr[f"{s}_frames"][r, j], P.x_t if j < frames - 1 else P.x0)
                    for i, trace in enumerate(traces[s][r]):
                        trace.trace(cloud.to_scene(np.clip(tr[f"{s}_paths"][r, :j + 1, i], -EXTENT_2D, EXTENT_2D)))

        moving = [cl.image for row in clouds.values() for cl in row] + [t for row in traces.values() for t in row]
        self.sweep(k, move, moving, (frames - 1, 7))
        sd = f"{tr['stray_sd']:g}"
        in_row = {s: run_numbers(tr, s, steps) for s in rows}
        self.slide("The same noises, the same number of denoiser evaluations. With one step every point lands near "
                   "the data's mean E[x_0]: the velocity at s = 1 knows nothing else.",
                   title="Off the strokes, and how straight",
                   description="The dots clear. Under each plot two numbers, explained by the legend at the bottom: "
                               f'"off: further than {sd} sd from every Gaussian", "straight: path length / distance '
                               f'between its ends". Euler: {in_row["euler"]}. DDIM: {in_row["ddim"]}.')
        numbers = self.numbers = {s: [VGroup(label(f"off {tr[f'{s}_stray'][r]:.1%}", size=24),
                                             label(f"straight {tr[f'{s}_straightness'][r]:.2f}", size=24))
                                      .arrange(DOWN, buff=0.06).next_to(clouds[s][r], DOWN, buff=0.12)
                                      for r in range(len(counts))] for s in rows}
        legend = label(f"off: further than {sd} sd from every Gaussian\n"
                       "straight: path length / distance between its ends", size=24,
                       color=P.dim).to_edge(DOWN, buff=0.42)
        self.play(FadeOut(starts), *[FadeIn(n) for row in numbers.values() for n in row], FadeIn(legend), run_time=0.8)
        notes, description = summary_slide(tr, counts, steps)
        self.slide(notes, title="Summary", description=description)
        self.wait(2)

