"""What each recording is: small typed specs whose fields, with the model and dtype, are the cache key.

Step counts index the scheduler as diffusers does: `scheduler.timesteps` runs from the noisiest
step (index 0) to the cleanest (index steps-1).
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

from .beta_schedules import SCHEDULES
from .config import EMBEDDED, Settings
from .datasets import DatasetError, open_image
from .errors import DiffvizError
from .experiments import EXPERIMENTS as DECLARED
from .experiments import experiment as declared
from .experiments import names
from .model_files import ExactFiles, ModelError, ModelFiles, locate_exact, locate_local, read_json, refetch_hint


class SpecError(DiffvizError, ValueError):
    """A setting out of range: `param` names it, the message gives the value and what is allowed."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Spec:
    experiment: ClassVar[str]

    def key_fields(self) -> dict:
        return {"experiment": self.experiment, **asdict(self)}

    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items())


@dataclass(frozen=True)
class Forward(Spec):
    """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps at every schedule step, and the chain."""
    experiment: ClassVar[str] = "forward"
    image: str
    steps: int
    seed: int


@dataclass(frozen=True)
class Reverse(Spec):
    """One reverse run from one noise, every step recorded."""
    experiment: ClassVar[str] = "reverse"
    scheduler: str
    steps: int
    seed: int
    eta: float = 0.0


@dataclass(frozen=True)
class ForwardBackward(Spec):
    """Noise x_0 to scheduler.timesteps[forward_timestep], denoise with DDIM; and the whole grid."""
    experiment: ClassVar[str] = "forward_backward"
    image: str
    steps: int
    seed: int
    forward_timestep: int
    grid_levels: int


@dataclass(frozen=True)
class SimilarNoise(Spec):
    """Two DDIM runs from two similar noises: a patch replaced, or a global mix with scaling s."""
    experiment: ClassVar[str] = "similar_noise"
    kind: str
    steps: int
    seed: int
    patch_size: int = 0
    patch_x: int = 0
    patch_y: int = 0
    scaling: float = 0.0


@dataclass(frozen=True)
class NoiseSweep(Spec):
    """Output distance against noise distance, for several patch sizes and several scalings."""
    experiment: ClassVar[str] = "noise_sweep"
    steps: int
    seed: int
    patch_sizes: tuple[int, ...]
    scalings: tuple[float, ...]


@dataclass(frozen=True)
class DdimSteps(Spec):
    """One starting noise, DDIM at several step counts, and DDPM."""
    experiment: ClassVar[str] = "ddim_steps"
    seed: int
    step_counts: tuple[int, ...]
    ddpm_steps: int


@dataclass(frozen=True)
class Toy(Spec):
    """A cloud of points from a mixture: forward chain, the eps_hat field, DDPM and DDIM back."""
    experiment: ClassVar[str] = "toy"
    points: int
    paths: int
    steps: int
    ddpm_steps: int
    seed: int
    frames: int = 201     # forward states kept, evenly spaced over the training steps
    grid: int = 21        # q(x_t) and eps_hat are evaluated on grid points per axis ...
    extent: float = 2.0   # ... over [-extent, extent]
    stray_sd: float = 3.0  # a sample further than this many sd from every component is off the data
    schedule: str = "linear"  # the beta schedule (cache/beta_schedules.py) the mixture is diffused with

    def key_fields(self) -> dict:
        return super().key_fields() | {"betas": SCHEDULES[self.schedule]}


@dataclass(frozen=True)
class Schedules(Spec):
    """Beta schedules side by side: alpha_bar and log SNR, one image noised with the same eps under each,
    and DDIM on a 2D mixture from the same noise under each."""
    experiment: ClassVar[str] = "schedules"
    schedules: tuple[str, ...]    # names in cache/beta_schedules.py; the key holds their betas too
    points: int
    step_counts: tuple[int, ...]  # DDIM's
    seed: int
    image: str                    # exact:<dataset>: x_0 is one of the embedded model's training images ...
    image_index: int
    image_sha256: str             # ... the dataset by content
    frames: int = 101             # the t values of the image sweep, evenly spaced over the training steps
    snr_low: float = 0.1          # the SNR window whose steps are counted
    snr_high: float = 10.0
    stray_sd: float = 3.0

    def key_fields(self) -> dict:
        return super().key_fields() | {"betas": {name: SCHEDULES[name] for name in self.schedules}}


@dataclass(frozen=True)
class Guidance(Spec):
    """Classifier-free guidance with exact denoisers: eps_w = eps_u + w (eps_c - eps_u) on a labelled
    2D mixture, its fields at one t, and DDIM samples of one class at several w from the same noises."""
    experiment: ClassVar[str] = "guidance"
    condition: str                # the class c sampled
    points: int
    steps: int
    seed: int
    weights: tuple[float, ...]    # guidance scales w
    field_t: int                  # the t of the fields
    grid: int = 21                # fields on grid x grid points ...
    extent: float = 2.0           # ... over [-extent, extent]^2
    stray_sd: float = 3.0         # within this many sd of a component is on it


@dataclass(frozen=True)
class Flow(Spec):
    """Flow matching on a 2D mixture: x_s = (1 - s) x_0 + s eps, Euler on the exact velocity
    E[eps - x_0 | x_s], against DDIM with as many evaluations, from the same noises."""
    experiment: ClassVar[str] = "flow"
    points: int
    paths: int                    # points whose every state is kept
    seed: int
    step_counts: tuple[int, ...]  # Euler steps = DDIM steps = denoiser evaluations
    timestep_spacing: str = "trailing"  # DDIM's timesteps: from t = T - 1, where Euler starts at s = 1
    stray_sd: float = 3.0


@dataclass(frozen=True)
class Memorisation(Spec):
    """The trained UNet and the exact denoiser of its training images, DDIM from the same noises."""
    experiment: ClassVar[str] = "memorisation"
    steps: int
    seed: int
    samples: int
    training: str           # exact:<dataset or folder>, the model's training images
    training_sha256: str    # ... by content


# From the declaration (cache/experiments.py), for what imports them by these names:
EXPERIMENTS = names()  # every experiment's name
NOTEBOOK_EXPERIMENTS = tuple(e.name for e in DECLARED if e.family == "notebook")  # the seminar's
MIXTURE_EXPERIMENTS = {e.name: e.mixtures for e in DECLARED if e.mixtures}  # experiment -> its mixtures
USES = {e.name: set(e.uses) for e in DECLARED}  # experiment -> the settings validate() checks for it
TOY_POINTS = {1: 400, 2: 2000}  # by the mixture's dimension
TOY_GRID = {1: (241, 3.0), 2: (21, 2.0)}  # points per axis, extent: a fine density in 1D, arrows in 2D


def image_source(image: str) -> str:
    """'sample' (a DDIM sample of the model), or a file named by its content hash."""
    if image == "sample":
        return image
    path = Path(image)
    fix = "give a PNG/JPEG file or 'sample'"
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise SpecError("image", f"image file {image!r} {what}; {fix}")
    try:
        open_image(path, fix)  # decoded whole: a truncated file is refused now, not after recording
    except DatasetError:
        raise SpecError("image", f"image file {image!r} is not an image Pillow can read; {fix}") from None
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def specs_for(experiment: str, s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    """The recordings that make up one experiment, validated against the model: its declaration's `specs`."""
    if experiment not in EXPERIMENTS:
        raise SpecError("experiment",
                        f"unknown experiment {experiment!r}; the experiments are {', '.join(EXPERIMENTS)}")
    validate(s, model, experiment)
    return globals()[declared(experiment).specs](s, model)


# The experiments' specs (cache/experiments.py names each experiment's function): (Settings, model) -> [Spec]

def forward_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    return [Forward(image_source(s.image), s.steps, s.seed)]


def reverse_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    return [Reverse("ddpm", s.steps, s.seed), Reverse("ddim", s.steps, s.seed)]


def similar_noise_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    side = model.image_size
    sizes = tuple(sorted({max(1, round(side * f)) for f in (0.05, 0.1, 0.2, 0.35, 0.5, 1.0)}))
    return [SimilarNoise("patch", s.steps, s.seed, s.patch_size, s.patch_x, s.patch_y),
            SimilarNoise("global", s.steps, s.seed, scaling=s.noise_scaling),
            NoiseSweep(s.steps, s.seed, sizes, (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0))]


def forward_backward_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    return [ForwardBackward(image_source(s.image), s.steps, s.seed, s.forward_timestep, s.grid_levels)]


def ddim_steps_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    return [DdimSteps(s.seed, tuple(sorted(set(s.ddim_step_counts))), model.num_train_timesteps)]


def toy_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    dim = model.shape[0]
    grid, extent = TOY_GRID.get(dim, (9, 2.0))
    return [Toy(TOY_POINTS.get(dim, 1000), 8, s.steps, model.num_train_timesteps, s.seed, 201, grid, extent,
                schedule=s.schedule)]


def memorisation_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    training = training_images(model)
    return [Memorisation(s.steps, s.seed, 4, training, locate_exact(training).data_sha256)]


def schedules_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    images = "exact:emoji-faces"
    return [Schedules(tuple(SCHEDULES), TOY_POINTS[2], (10, 50), s.seed, images, 0, locate_exact(images).data_sha256)]


def guidance_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    condition = "mouth"  # the smiley's class
    if _is_drawing(model):  # a drawing's classes are its brushes: guided towards brush 1, against brush 0
        from .drawings import brush_counts
        from .model_files import mixture_of
        counts = brush_counts(mixture_of(model))
        if min(counts) == 0:
            raise SpecError("model", f"the guidance experiment needs a drawing of both brushes (brush 1 is the "
                            f"class it samples, brush 0 the rest); {model.source} has {counts[0]} points of brush 0 "
                            f"and {counts[1]} of brush 1: draw some with the other brush in the sandbox and save it "
                            "again")
        condition = "brush 1"
    return [Guidance(condition, TOY_POINTS[2], s.steps, s.seed, (0.0, 1.0, 3.0, 7.0),
                     round(0.3 * model.num_train_timesteps))]


def flow_specs(s: Settings, model: ModelFiles | ExactFiles) -> list[Spec]:
    return [Flow(TOY_POINTS[2], 8, s.seed, (1, 2, 5, 50))]


def experiments_for(model: ModelFiles | ExactFiles) -> list[str]:
    """What `diffviz cache build` records when no experiment is named: what this model can record."""
    if _is_mixture(model):
        return [e for e in MIXTURE_EXPERIMENTS if _records_on(model, e)]
    path = getattr(model, "unet_dir", None)
    trained = path is not None and (path / "training.json").exists()
    return [e.name for e in DECLARED if e.family == "notebook" or (e.family == "memorisation" and trained)]


def memorisation_model(s: Settings) -> str:
    """The model the memorisation experiment compares: the configured one where `diffviz train`
    made it (a training.json names its images), else the embedded model."""
    try:
        path = getattr(locate_local(s.model), "unet_dir", None)
    except ModelError:
        return EMBEDDED
    return s.model if path is not None and (path / "training.json").exists() else EMBEDDED


def training_images(model: ModelFiles | ExactFiles) -> str:
    """exact:<dataset> for a model that `diffviz train` made (its training.json names the dataset)."""
    path = getattr(model, "unet_dir", None)
    info = path / "training.json" if path is not None else None
    if info is None or not info.exists():
        raise SpecError("model", f"memorisation needs a model made by `diffviz train`, whose training.json names "
                        f"its training images; {model.name!r} has none (the embedded model has one)")
    spec = read_json(model.name, info).get("spec")
    dataset = spec.get("dataset") if isinstance(spec, dict) else None
    if not isinstance(dataset, str):
        raise ModelError(f"{info} names no training images (its spec.dataset); {refetch_hint(model.name)}")
    return "exact:" + dataset


def _is_mixture(model: ModelFiles | ExactFiles) -> bool:
    return getattr(model, "is_mixture", False)


def _is_drawing(model: ModelFiles | ExactFiles) -> bool:
    return getattr(model, "is_drawing", False)


DRAWN_LIKE = "smiley"  # a drawing (mixture:FILE.json) records what the 2D mixture records


def _records_on(model: ModelFiles | ExactFiles, experiment: str) -> bool:
    """Whether a mixture experiment records on this model: its own mixtures, and a drawing where the 2D one does."""
    on = MIXTURE_EXPERIMENTS[experiment]
    return _is_mixture(model) and (DRAWN_LIKE in on if _is_drawing(model) else model.source in on)


def validate(s: Settings, model: ModelFiles | ExactFiles, experiment: str | None = None) -> None:
    """The settings an experiment uses (all, without one) inside the range the model allows;
    SpecError naming the first that is not."""
    T, side = model.num_train_timesteps, model.image_size
    uses = USES[experiment] if experiment else set().union(*USES.values())
    on = MIXTURE_EXPERIMENTS.get(experiment)
    if on and not _records_on(model, experiment):
        drawn = ", or a drawing mixture:FILE.json" if DRAWN_LIKE in on else ""
        raise SpecError("model", f"the {experiment} experiment needs a mixture model "
                        f"({', '.join('mixture:' + m for m in on)}{drawn}), not {model.name!r}")
    if experiment is not None and not on and _is_mixture(model):
        raise SpecError("model", f"{model.name!r} is a low-dimensional mixture, not an image model: record "
                        f"the toy experiment with it, or use an image model for {experiment}")
    if s.schedule not in SCHEDULES:
        raise SpecError("schedule", f"schedule={s.schedule!r} is not one of {', '.join(SCHEDULES)}")
    if not 1 <= s.steps <= T:
        raise SpecError("steps", f"steps={s.steps} is outside 1..{T} (the model's num_train_timesteps)")
    if not 0 <= s.seed < 2**63:
        raise SpecError("seed", f"seed={s.seed} is outside 0..2**63-1")
    if s.dtype not in ("float32", "float16", "bfloat16"):
        raise SpecError("dtype", f"dtype={s.dtype!r} is not one of float32, float16, bfloat16")
    if "forward_timestep" in uses and not 0 <= s.forward_timestep < s.steps:
        raise SpecError("forward_timestep", f"forward_timestep={s.forward_timestep} is outside 0..{s.steps - 1} "
                        f"(an index into the {s.steps} scheduler timesteps)")
    if "patch" in uses and not 1 <= s.patch_size <= side:
        raise SpecError("patch_size", f"patch_size={s.patch_size} is outside 1..{side} (the image is {side}x{side})")
    for axis, pos in (("patch_x", s.patch_x), ("patch_y", s.patch_y)) if "patch" in uses else ():
        if not 0 <= pos <= side - s.patch_size:
            raise SpecError(axis, f"{axis}={pos} puts the {s.patch_size}px patch outside the {side}x{side} image; "
                            f"allowed: 0..{side - s.patch_size}")
    if "noise_scaling" in uses and not 0.0 <= s.noise_scaling <= 1.0:
        raise SpecError("noise_scaling", f"noise_scaling={s.noise_scaling} is outside [0, 1]")
    bad = [n for n in s.ddim_step_counts if not 1 <= n <= T]
    if "ddim_step_counts" in uses and (bad or not s.ddim_step_counts):
        raise SpecError("ddim_step_counts", f"ddim_step_counts={list(s.ddim_step_counts)} must be non-empty, "
                        f"each in 1..{T}")
    if "grid_levels" in uses and not 1 <= s.grid_levels <= s.steps:
        raise SpecError("grid_levels", f"grid_levels={s.grid_levels} is outside 1..{s.steps}")
    if "image" in uses:
        image_source(s.image)
