"""Generalisation against memorisation: the trained UNet and the exact denoiser of its own training
images, DDIM from the same noises. The exact denoiser is the loss's true minimiser, and it can
only give back training images; the network, which fits the loss less well, makes new faces.

    manim -qh scenes/memorisation.py GeneraliseOrMemorise
"""
from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, ValueTracker, VGroup

from scenes.kit.base import DiffvizScene
from scenes.kit.numbers import Number
from scenes.kit.palette import P
from scenes.kit.panels import Panel
from scenes.kit.text import label, on_baseline

SIDE = 1.55            # panel height
NAMES_LEFT = -6.4      # the left column of row names ...
LEFT_OF_PANELS = -1.45 # ... and where the panels begin
ROW_Y = (1.45, -0.75)


def nearest_words(tr) -> str:
    """The description of the nearest training images' slide: each output's distance to its nearest
    training image, and how far apart the two rows' ranges lie."""
    unet, exact = tr["unet_nearest_distance"], tr["exact_nearest_distance"]
    return ("The exact denoiser's row gives way to the training image nearest to each UNet output. "
            "Under them, the distances: UNet output to this image, "
            + ", ".join(f"{d:.2f}" for d in unet) + "; exact output to its own nearest, "
            + ", ".join(f"{d:.2f}" for d in exact) + ". Then a note: the exact outputs are copies "
            f"(distance at most {exact.max():.2f}); the UNet's are {unet.min():.1f} to "
            f"{unet.max():.1f} away, faces of its own.")


def summary_slide(tr) -> tuple[str, str]:
    """The notes and the description of the last slide: the distances to the nearest training images."""
    unet, exact = tr["unet_nearest_distance"], tr["exact_nearest_distance"]
    n, N = tr["unet_x"].shape[1], int(tr["training_count"])
    return (f"Distances (L2 over all pixels, values in [-1, 1]) to the nearest of the {N} training "
            f"images: UNet {', '.join(f'{d:.2f}' for d in unet)}; exact {', '.join(f'{d:.2f}' for d in exact)}.",
            f"The last frame: the UNet's {n} outputs over their nearest training images, "
            f"{unet.min():.1f} to {unet.max():.1f} away; the exact denoiser's were copies, within "
            f"{exact.max():.2f}.")


class GeneraliseOrMemorise(DiffvizScene):
    def construct(self):
        tr = self.tr = self.trajectory("memorisation")
        S, n, N = len(tr["t"]), tr["unet_x"].shape[1], int(tr["training_count"])
        self.title_slide("Generalise or memorise?", f"the trained UNet against the exact denoiser of its {N} "
                                                     "training images",
                         notes=f"The trained UNet against the exact denoiser of its {N} training images (what a "
                               "network that memorised them would do), from the same starting noises.",
                         then=f"Then two rows of {n} noise images: top, the trained UNet, its learnt eps_hat(x_t, t); "
                              f"bottom, the exact denoiser, E[x_0 | x_t] over its {N} images. Above: DDIM, one "
                              f"starting noise per column, t = {tr['t'][0]}.")
        rows = {"unet": Group(*[Panel(tr["unet_x"][0, i], SIDE, P.x_t) for i in range(n)]),
                "exact": Group(*[Panel(tr["exact_x"][0, i], SIDE, P.x_t) for i in range(n)])}
        for row, y in zip(rows.values(), (ROW_Y[0], ROW_Y[1]), strict=False):
            row.arrange(RIGHT, buff=0.45).move_to([0, y, 0]).align_to([LEFT_OF_PANELS, 0, 0], LEFT)
        names = {"unet": self.name_of(rows["unet"], "trained UNet", "its learnt ε̂(xₜ, t)"),
                 "exact": self.name_of(rows["exact"], "exact denoiser", f"E[x₀ | xₜ] over its {N} images")}
        t_value = Number(tr["t"][0], num_decimal_places=0, font_size=30, color=P.time, text=True)
        header = on_baseline(label("DDIM, one starting noise per column,", size=30),
                             label("t", size=30, color=P.time, italic=True), label("=", size=30), t_value,
                             buff=0.2).to_edge(UP, buff=0.4)
        self.play(FadeIn(header), *[FadeIn(r) for r in rows.values()], *[FadeIn(m) for m in names.values()],
                  run_time=1.0)
        self.panels = rows
        self.slide(f"{n} starting noises, the same for both rows; DDIM with {S} steps.", title=f"DDIM, {S} steps",
                   description=f"Both rows denoise together as t falls from {tr['t'][0]} to 0 in {S} DDIM steps: each "
                               "column turns from one noise into two images, one per row.")

        k = ValueTracker(0)

        def step(_):
            i = int(round(k.get_value()))
            for key, row in rows.items():
                for j, panel in enumerate(row):
                    panel.show(tr[f"{key}_x"][i, j])
            t_value.set_value(tr["t"][i] if i < S else 0)
            self.step = i

        self.sweep(k, step, [*[p.image for row in rows.values() for p in row], t_value], (S, 6))
        for row in rows.values():
            self.play(*[p.frame.animate.set_color(P.x0) for p in row], run_time=0.3)
        unet, exact = tr["unet_nearest_distance"], tr["exact_nearest_distance"]
        self.slide("Same noise, two answers: the exact denoiser lands on a training image, the UNet on a face "
                   "of its own.", title="The nearest training images",
                   description=nearest_words(tr))

        # Each result beside its nearest training image, and how far it is from it
        self.play(FadeOut(names["exact"]), FadeOut(rows["exact"]), run_time=0.6)
        nearest = Group(*[Panel(tr["unet_nearest"][i], SIDE, P.x0) for i in range(n)])
        nearest.arrange(RIGHT, buff=0.45).move_to([0, ROW_Y[1], 0]).align_to(rows["unet"], LEFT)
        near_name = self.name_of(nearest, "nearest training", f"image to the UNet's, of {N}")
        self.distances = {}
        rows_of_numbers, captions = VGroup(), VGroup()
        # the UNet's distance is to the image shown above; the exact output's to its own nearest one
        rows_named = (("unet", "UNet output → this image"), ("exact", "exact output → its nearest"))
        for r, (key, title) in enumerate(rows_named):
            y = nearest.get_bottom()[1] - 0.35 - 0.4 * r
            numbers = [Number(d, num_decimal_places=2, font_size=28, color=P.text).move_to([panel.get_x(), y, 0])
                       for d, panel in zip(tr[f"{key}_nearest_distance"], nearest, strict=False)]
            self.distances[key] = numbers
            rows_of_numbers.add(VGroup(*numbers))
            captions.add(label(title, size=24, color=P.dim).move_to([0, y, 0])
                         .align_to([NAMES_LEFT, 0, 0], LEFT))
        self.play(FadeIn(nearest), FadeIn(near_name), run_time=0.8)
        self.play(FadeIn(rows_of_numbers), FadeIn(captions), run_time=0.8)
        self.nearest = nearest
        note = label(f"exact: copies (distance ≤ {exact.max():.2f});  UNet: {unet.min():.1f} to {unet.max():.1f} "
                     "away, faces of its own", size=24, color=P.text)
        note.to_edge(DOWN, buff=0.4)
        self.play(FadeIn(note), run_time=0.6)
        notes, description = summary_slide(tr)
        self.slide(notes, title="Summary", description=description)
        self.wait(3)

    @classmethod
    def settings(cls, configured):
        """The configured model where `diffviz train` made it, else the embedded one (a hub model's
        training images are not on this machine)."""
        from cache.specs import memorisation_model
        return configured.replace(model=memorisation_model(configured))

    def name_of(self, row: Group, name: str, detail: str) -> VGroup:
        """A row's name in the left column, level with the row."""
        return (VGroup(label(name, size=28), label(detail, size=24, color=P.dim))
                .arrange(DOWN, aligned_edge=LEFT, buff=0.1)
                .move_to([0, row.get_y(), 0]).align_to([NAMES_LEFT, 0, 0], LEFT))
