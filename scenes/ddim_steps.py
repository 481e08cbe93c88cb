"""One starting noise, DDIM with several step counts and DDPM, advancing in the same normalised time.

    manim -qh scenes/ddim_steps.py DdimStepCounts
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, FadeIn, Group, ValueTracker, VGroup

from scenes.kit.base import DiffvizScene
from scenes.kit.numbers import Counter, Number
from scenes.kit.palette import P
from scenes.kit.panels import Panel
from scenes.kit.text import label, on_baseline, tex


def run_names(tr) -> list[str]:
    """Each run's name: "DDIM 5 steps", "DDPM 1000 steps"."""
    return [f"{'DDPM' if d else 'DDIM'} {n} steps" for n, d in zip(tr["step_counts"], tr["is_ddpm"], strict=False)]


def reference_of(tr) -> str:
    """The reference run: the DDIM run with the most steps."""
    return run_names(tr)[int(np.argmax(np.where(tr["is_ddpm"] == 0, tr["step_counts"], -1)))]


def title_words(tr) -> tuple[str, str]:
    """The title slide's notes, and what the frames after the card show."""
    counts, is_ddpm = tr["step_counts"], tr["is_ddpm"]
    ddim_counts = ", ".join(str(n) for n, d in zip(counts, is_ddpm, strict=True) if not d)
    return ("One starting noise; DDIM with " + ddim_counts
            + " steps, and DDPM, advancing together in the same normalised time.",
            f"Then {len(counts)} images of that noise side by side, named " + ", ".join(run_names(tr))
            + '; each has a step counter at 0, and above them all "0% of the way".')


def all_runs_words(tr) -> str:
    """The description of the sweep: the step counters run up to each run's step count."""
    return ("All runs go from noise to image together, in the same normalised time: the share "
            "at the top climbs from 0 to 100 % of the way while the step counters run up to "
            + ", ".join(f"{n}" for n in tr["step_counts"]) + " steps.")


def distances_slide(tr) -> tuple[str, str]:
    """The notes and the description of the last slide: each run's distance to the reference."""
    names, reference = run_names(tr), reference_of(tr)
    return (f"Distance of each result to {reference}: " + "; ".join(
        f"{run}: {float(d):.2f}" for run, d in zip(names, tr["distance_to_reference"], strict=False)) + ".",
        "Under each result, its distance to the reference ||x - x_ref||, the reference being "
        f"{reference}: " + "; ".join(f"{run}, {float(d):.2f}"
                                     for run, d in zip(names, tr["distance_to_reference"], strict=True)) + ".")


class DdimStepCounts(DiffvizScene):
    def construct(self):
        tr = self.tr = self.trajectory("ddim_steps")
        counts, is_ddpm = tr["step_counts"], tr["is_ddpm"]
        F = tr["frames"].shape[1]
        runs = [("DDPM" if d else "DDIM", f"{n} steps") for n, d in zip(counts, is_ddpm, strict=False)]
        notes, then = title_words(tr)
        self.title_slide("How many steps?", "the same starting noise, DDIM at several step counts, and DDPM",
                         notes=notes, then=then)
        h = min(2.6, 13.0 / len(counts) - 0.9)
        colors = [P.x0_hat if not d else P.x_t for d in is_ddpm]
        captions = [VGroup(*[label(line, size=28) for line in run]).arrange(DOWN, buff=0.12) for run in runs]
        panels = [Panel(tr["frames"][r, 0], h, c, caption)
                  for r, (caption, c) in enumerate(zip(captions, colors, strict=True))]
        Group(*panels).arrange(RIGHT, buff=0.9).move_to(UP * 0.5)
        self.panels = panels
        k = ValueTracker(0)
        steps = [Counter("step", 0, f"/ {n}", size=24).next_to(p.caption, DOWN, buff=0.15)
                 for p, n in zip(panels, counts, strict=False)]
        progress = Counter("", 0, "% of the way", size=30, color=P.dim).to_edge(UP, buff=0.6)

        def follow(_):
            j = int(round(k.get_value()))
            self.frame_index = j
            for p, s, n, r in zip(panels, steps, counts, range(len(panels)), strict=False):
                p.show(tr["frames"][r, j])
                s.set(int(round(j / (F - 1) * n)))
            progress.set(round(100 * j / (F - 1)))

        self.frame_index = 0
        self.play(*[FadeIn(p) for p in panels], *[FadeIn(s) for s in steps], FadeIn(progress), run_time=0.8)
        self.wait(1)
        self.slide("All runs from noise to image, side by side, looping.", loop=True, title="All runs at once",
                   description=all_runs_words(tr))
        self.sweep(k, follow, [*[p.image for p in panels], *steps, progress], (F - 1, 8))
        self.wait(0.5)  # hold the last state: an animation's last frame falls just short of its end
        reference = reference_of(tr)
        notes, description = distances_slide(tr)
        self.slide(notes, title="Distances to the reference", description=description)
        distances = [on_baseline(tex(r"\|x - x_{\text{ref}}\| =", size=30),
                                 Number(float(d), num_decimal_places=2, font_size=30, color=P.time), buff=0.1)
                     .next_to(s, DOWN, buff=0.2) for d, s in zip(tr["distance_to_reference"], steps, strict=False)]
        self.numbers = [d[1] for d in distances]
        note = self.note = label(f"ref = {reference}", size=26, color=P.dim).to_edge(DOWN, buff=0.5)
        self.play(*[FadeIn(d) for d in distances], FadeIn(note), run_time=0.8)
        self.wait(4)
