"""Every experiment, declared once: what it records, with which settings and models, its build command, the
scenes that read it and its views in the explorer. Everything else reads this list: cache/specs.py (specs_for,
validate, experiments_for), cache/lookup.py (build_command), `diffviz cache build` (its choices and help),
sampling/recorders/ (a recorder for every kind of recording, by name), ./render.sh (its scenes),
tools/explorer.py (its views) and tools/stamp.py (what a scene reads).

Standard library only, and so is everything it imports: ./render.sh --list runs it with the system python3
before set-up (`python3 -m cache.experiments --scenes`). What needs numpy is named here and found when used:
`specs` names a function of cache/specs.py, `records` the recorders of sampling/recorders/<family>_recorders.py.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

FAMILIES = {  # family -> what its experiments record, and on which model; sampling/recorders/<family>_recorders.py
    "notebook": "the seminar's experiments, on the configured image model",
    "mixtures": "on the low-dimensional mixtures of cache/mixtures.py, with their exact denoisers",
    "memorisation": "on a model that `diffviz train` made, against the exact denoiser of its training images",
}

FLAGS = {  # Settings field -> its option of `diffviz cache build`, for the build commands
    "image": "--image", "forward_timestep": "--forward-timestep", "grid_levels": "--grid-levels",
    "patch_size": "--patch-size", "patch_x": "--patch-x", "patch_y": "--patch-y", "noise_scaling": "--noise-scaling",
    "ddim_step_counts": "--ddim-steps", "schedule": "--schedule",
}
LEFT_OUT_AT = {"schedule": "linear"}  # a build command names these only where they differ from this value


@dataclass(frozen=True)
class View:
    """A view of the explorer (tools/explorer.py makes its data from one recording of the experiment)."""
    id: str                    # the page's name for it: index.html#<id>/...
    title: str
    index: int = 0             # which recording of the experiment (its `specs`, in order)
    mixture: str = ""          # for an experiment recorded on several mixtures: the one it shows
    scenes: tuple[str, ...] = ()  # the scenes of its experiment it shows, file:Class (every scene has a view)


@dataclass(frozen=True)
class Experiment:
    name: str                  # `diffviz cache build NAME`
    family: str                # a key of FAMILIES
    about: str                 # one line, for `diffviz cache build --help` and the explorer
    specs: str                 # the function of cache/specs.py: (Settings, model files) -> its list of Specs
    records: tuple[str, ...] = ()   # the kinds of recording (Spec.experiment) its specs are; () is (name,)
    uses: tuple[str, ...] = ()      # the settings validate() checks for it (cache/specs.py)
    options: tuple[str, ...] = ()   # the Settings fields its build command names (FLAGS), beyond model/steps/...
    mixtures: tuple[str, ...] = ()  # family "mixtures": the mixtures it is recorded on
    scenes: tuple[str, ...] = ()    # the scenes that read it, file:Class (scenes/<file>.py), in render order
    views: tuple[View, ...] = ()    # its views in the explorer; none: a listing of its recordings

    def kinds(self) -> tuple[str, ...]:
        return self.records or (self.name,)


EXPERIMENTS: tuple[Experiment, ...] = (  # in render order: ./render.sh renders their scenes in this order
    Experiment(
        "forward", "notebook", "x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps at every step, and the chain",
        "forward_specs", uses=("image",), options=("image",), scenes=("forward:ForwardProcess",),
        views=(View("forward", "Forward: adding noise", scenes=("forward:ForwardProcess",)),)),
    Experiment(
        "reverse", "notebook", "one DDPM and one DDIM run from one noise, every step recorded",
        "reverse_specs", scenes=("reverse:ReverseProcess", "reverse:ReverseProcessDDIM"),
        views=(View("reverse-ddpm", "Reverse: DDPM", 0, scenes=("reverse:ReverseProcess",)),
               View("reverse-ddim", "Reverse: DDIM", 1, scenes=("reverse:ReverseProcessDDIM",)))),
    Experiment(
        "similar_noise", "notebook",
        "DDIM from two similar noises (a patch redrawn, a global mix), and output against noise distance",
        "similar_noise_specs", records=("similar_noise", "noise_sweep"), uses=("patch", "noise_scaling"),
        options=("patch_size", "patch_x", "patch_y", "noise_scaling"),
        scenes=("similar_noise:PatchPerturbation", "similar_noise:GlobalPerturbation",
                "similar_noise:PerturbationSweep"),
        views=(View("patch", "Patch perturbation", 0, scenes=("similar_noise:PatchPerturbation",)),
               View("global", "Global perturbation", 1, scenes=("similar_noise:GlobalPerturbation",)),
               View("noise-sweep", "Perturbation sweep: output against noise distance", 2,
                    scenes=("similar_noise:PerturbationSweep",)))),
    Experiment(
        "forward_backward", "notebook", "an image noised to one level and denoised by DDIM, and the grid of levels",
        "forward_backward_specs", uses=("image", "forward_timestep", "grid_levels"),
        options=("image", "forward_timestep", "grid_levels"),
        scenes=("forward_backward:NoiseThenDenoise", "forward_backward:NoiseDenoiseGrid"),
        views=(View("grid", "Noise, then denoise: the grid",
                    scenes=("forward_backward:NoiseThenDenoise", "forward_backward:NoiseDenoiseGrid")),)),
    Experiment(
        "ddim_steps", "notebook", "one noise, DDIM at several step counts, and DDPM",
        "ddim_steps_specs", uses=("ddim_step_counts",), options=("ddim_step_counts",),
        scenes=("ddim_steps:DdimStepCounts",),
        views=(View("ddim-steps", "DDIM step counts", scenes=("ddim_steps:DdimStepCounts",)),)),
    Experiment(
        "toy", "mixtures", "a mixture's points: the forward chain, the eps_hat field, DDPM and DDIM back",
        "toy_specs", options=("schedule",), mixtures=("1d", "smiley"),
        scenes=("toy:ToyDiffusion1D", "toy:ToyDiffusion2D"),
        views=(View("toy-1d", "Toy 1D: q(x_t) over t and x", mixture="1d", scenes=("toy:ToyDiffusion1D",)),
               View("toy-2d", "Toy 2D: a smiley of points", mixture="smiley", scenes=("toy:ToyDiffusion2D",)))),
    Experiment(
        "memorisation", "memorisation", "the trained UNet and the exact denoiser of its training images, from the "
        "same noises", "memorisation_specs", scenes=("memorisation:GeneraliseOrMemorise",),
        views=(View("memorisation", "Generalise or memorise", scenes=("memorisation:GeneraliseOrMemorise",)),)),
    Experiment(
        "schedules", "mixtures", "beta schedules side by side: alpha_bar, log SNR, an image and DDIM under each",
        "schedules_specs", mixtures=("smiley",), scenes=("schedules:NoiseSchedules",),
        views=(View("schedules", "Noise schedules", scenes=("schedules:NoiseSchedules",)),)),
    Experiment(
        "guidance", "mixtures", "classifier-free guidance with exact denoisers, at several guidance scales",
        "guidance_specs", mixtures=("smiley",), scenes=("guidance:ClassifierFreeGuidance",),
        views=(View("guidance", "Classifier-free guidance", scenes=("guidance:ClassifierFreeGuidance",)),)),
    Experiment(
        "flow", "mixtures", "flow matching (Euler on the exact velocity) against DDIM, as many evaluations each",
        "flow_specs", mixtures=("smiley",), scenes=("flow:FlowMatching",),
        views=(View("flow", "Flow matching against DDIM", scenes=("flow:FlowMatching",)),)),
)


def names() -> tuple[str, ...]:
    return tuple(e.name for e in EXPERIMENTS)


def experiment(name: str) -> Experiment:
    """The declaration of `name`; KeyError naming the experiments where there is none."""
    for e in EXPERIMENTS:
        if e.name == name:
            return e
    raise KeyError(f"unknown experiment {name!r}; the experiments are {', '.join(names())}")


def scenes() -> tuple[str, ...]:
    """Every scene, file:Class, in render order."""
    return tuple(scene for e in EXPERIMENTS for scene in e.scenes)


def reads(scene: str) -> tuple[str, ...]:
    """The experiments a scene (file:Class) reads."""
    return tuple(e.name for e in EXPERIMENTS if scene in e.scenes)


def views_of(scene: str) -> tuple[str, ...]:
    """The explorer's views (their ids) that show a scene (file:Class)."""
    return tuple(v.id for e in EXPERIMENTS for v in e.views if scene in v.scenes)


def main(argv: list) -> int:
    """--scenes: every scene, one a line; --reads SCENE...: the experiments those scenes read, each once."""
    if argv[:1] == ["--scenes"] and len(argv) == 1:
        print("\n".join(scenes()))
        return 0
    if argv[:1] == ["--reads"]:
        unknown = [s for s in argv[1:] if s not in scenes()]
        if unknown:
            print(f"cache.experiments: no scene {', '.join(unknown)}; --scenes names them", file=sys.stderr)
            return 2
        print("\n".join(e for e in names() if any(e in reads(s) for s in argv[1:])))
        return 0
    print("usage: python3 -m cache.experiments --scenes | --reads FILE:CLASS ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
