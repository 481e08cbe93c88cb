"""A model's name resolved to its files on this machine, and what determines its outputs, without torch.

Every kind of model name is resolved here, by `locate_local`:

    embedded          the project's own UNet (sampling/models/emoji-faces-32/)
    FOLDER            a local diffusers model folder
    owner/name        a hub id already in the local Hugging Face cache (downloading is sampling's business)
    mixture:NAME      a Gaussian mixture (cache/mixtures.py): a model without weights
    mixture:FILE.json a drawing saved by the explorer's sandbox (cache/drawings.py), the same kind of mixture
    exact:FOLDER      the images of a folder (or exact:emoji-faces, the embedded model's training set):
                      a mixture of one delta per image, what a network that memorised them does

A model without weights has an exact denoiser instead of a UNet, and the embedded model's schedule;
a mixture's x0_hat is never clipped (its data may reach beyond [-1, 1]), and its recordings may
diffuse it with another beta schedule (cache/beta_schedules.py), which their spec names.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .beta_schedules import DEFAULT_SCHEDULE, with_schedule
from .config import EMBEDDED, PROJECT_ROOT
from .datasets import IMAGE_SUFFIXES, DatasetError, image_files, load_dataset, open_image
from .drawings import DrawingError, is_drawing, read_drawing
from .errors import DiffvizError
from .mixtures import MIXTURES, Mixture

EMBEDDED_DIR = PROJECT_ROOT / "sampling" / "models" / "emoji-faces-32"
SCHEDULER_CONFIG = EMBEDDED_DIR / "scheduler_config.json"  # the schedule of the models without weights
WEIGHT_FILES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
MODEL_FILES = ["config.json", "scheduler_config.json", "model_index.json", *WEIGHT_FILES,
               *(f"unet/{f}" for f in ("config.json", *WEIGHT_FILES)), "scheduler/scheduler_config.json"]
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
WITHOUT_WEIGHTS = ("mixture:", "exact:")  # the prefixes of the models without weights
RECIPES = {"emoji-faces": 32}  # built-in datasets (cache/datasets.py) and the side they are made at


class ModelError(DiffvizError, ValueError):
    """A model that cannot be used; the message names it and says what to do."""


def records_in_seconds(name: str) -> bool:
    """Whether a missing trajectory of this model may be recorded where it is needed: the embedded
    model and the models without weights need nothing downloaded and record in seconds on a CPU."""
    return name == EMBEDDED or name.startswith(WITHOUT_WEIGHTS)


@dataclass(frozen=True)
class ModelFiles:
    """The files of one UNet2DModel and its scheduler config."""
    name: str
    unet_dir: Path
    config: dict
    scheduler_config: dict
    weights: Path

    @property
    def image_size(self) -> int:
        size = self.config["sample_size"]
        return size if isinstance(size, int) else size[0]

    @property
    def num_train_timesteps(self) -> int:
        return int(self.scheduler_config.get("num_train_timesteps", 1000))

    def identity(self) -> dict:
        """Everything about the model that determines a trajectory."""
        return {"name": self.name, "weights_sha256": file_sha256(self.weights),
                "scheduler_config": {k: v for k, v in self.scheduler_config.items() if k != "_diffusers_version"}}


@dataclass(frozen=True)
class ExactFiles:
    """What names a model without weights, as ModelFiles names a UNet: its data and its schedule."""
    name: str
    source: str                # the mixture's name, a folder, or a recipe name
    shape: tuple[int, int, int]  # (C, H, W): (D, 1, 1) for a mixture
    data_sha256: str
    scheduler_config: dict

    @property
    def image_size(self) -> int:
        return self.shape[-1]

    @property
    def num_train_timesteps(self) -> int:
        return int(self.scheduler_config.get("num_train_timesteps", 1000))

    @property
    def is_mixture(self) -> bool:
        return self.name.startswith("mixture:")

    @property
    def is_drawing(self) -> bool:
        """A drawing of the sandbox's (mixture:FILE.json): source is the file."""
        return is_drawing(self.name)

    def identity(self) -> dict:
        """Everything that determines a trajectory: the data (by content) and the schedule."""
        return {"name": self.name, "data_sha256": self.data_sha256, "shape": list(self.shape),
                "scheduler_config": {k: v for k, v in self.scheduler_config.items() if k != "_diffusers_version"}}


_HASHES: dict[tuple, str] = {}


def file_sha256(path: Path) -> str:
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if memo not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _HASHES[memo] = digest.hexdigest()
    return _HASHES[memo]


def refetch_hint(name: str) -> str:
    """How to get a model's files again, whatever kind of name it has."""
    if name == EMBEDDED:
        return f"restore the embedded model with `git checkout -- {EMBEDDED_DIR.relative_to(PROJECT_ROOT)}`"
    if HUB_ID.match(name) and not Path(name).expanduser().exists():
        return f"download the model again with `hf download {name} --force-download`"
    return "copy the model folder again, or write it again with save_pretrained()"


def _named(name: str) -> str:
    """How a message about one of a model's files begins: a folder model's files name it already."""
    return "" if Path(name).is_absolute() else f"{name}: "


def read_json(name: str, file: Path) -> dict:
    """A JSON object from one of a model's files; ModelError naming the file and the fix where it is not one."""
    try:
        value = json.loads(file.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        what = "is empty" if not file.read_bytes().strip() else f"is not valid JSON ({err})"
        raise ModelError(f"{_named(name)}{file} {what}; {refetch_hint(name)}") from None
    if not isinstance(value, dict):
        raise ModelError(f"{_named(name)}{file} holds a JSON {type(value).__name__}, not an object; "
                         f"{refetch_hint(name)}")
    return value


def read_model_folder(name: str, folder: Path) -> ModelFiles:
    """Check that a folder holds a diffusers UNet2DModel with a scheduler config, and read it."""
    folder = Path(folder)
    unet_dir = folder / "unet" if (folder / "unet" / "config.json").exists() else folder
    sched_file = next((p for p in (folder / "scheduler_config.json", folder / "scheduler" / "scheduler_config.json")
                       if p.exists()), None)
    if not (unet_dir / "config.json").exists():
        raise ModelError(f"{_named(name)}{folder} is not a diffusers model folder (no config.json)")
    config = read_json(name, unet_dir / "config.json")
    kind = config.get("_class_name")
    if kind != "UNet2DModel":
        what = {"UNet2DConditionModel": " (a text-conditioned model)", "VQModel": " (a latent autoencoder)",
                "AutoencoderKL": " (a latent autoencoder)"}.get(kind, "")
        raise ModelError(f"{name}: holds a {kind}{what}; diffviz shows unconditional pixel-space "
                         "UNet2DModel models such as google/ddpm-celebahq-256")
    size = config.get("sample_size")
    if not (isinstance(size, int) and size > 0 or isinstance(size, list) and size and isinstance(size[0], int)):
        raise ModelError(f"{_named(name)}{unet_dir / 'config.json'} gives no image size (sample_size is {size!r}); "
                         f"{refetch_hint(name)}")
    index = folder / "model_index.json"
    if index.exists() and "vqvae" in read_json(name, index):
        raise ModelError(f"{name}: is a latent diffusion pipeline (it has a vqvae); diffviz shows pixel-space models")
    if sched_file is None:
        raise ModelError(f"{_named(name)}{folder} has no scheduler_config.json; {refetch_hint(name)}")
    weights = next((unet_dir / f for f in WEIGHT_FILES if (unet_dir / f).exists()), None)
    if weights is None:
        raise ModelError(f"{_named(name)}{unet_dir} has no weights ({' or '.join(WEIGHT_FILES)}); "
                         f"{refetch_hint(name)}")
    return ModelFiles(name, unet_dir, config, read_json(name, sched_file), weights)


def hub_snapshot(name: str) -> Path | None:
    """The local copy of a hub model, or None where there is none (no network is used)."""
    from huggingface_hub import snapshot_download
    try:
        return Path(snapshot_download(name, allow_patterns=MODEL_FILES, local_files_only=True))
    except Exception:
        return None


_FOLDERS: dict[tuple, tuple[int, str]] = {}


def _folder(name: str, folder: Path) -> tuple[int, str]:
    """(side, sha256 of the files) of an image folder; the side is the smallest image's longer side."""
    fix = "give exact:FOLDER a folder of PNG/JPEG images, or exact:emoji-faces"
    if not folder.is_dir():
        raise ModelError(f"model {name!r}: {folder} is not a folder; {fix}")
    try:
        files = image_files(folder)
    except DatasetError:
        raise ModelError(f"model {name!r}: {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                         f"{fix}") from None
    memo = (str(folder.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if memo not in _FOLDERS:
        digest, sides = hashlib.sha256(), []
        for p in files:
            try:
                sides.append(max(open_image(p, "remove it from the folder").size))
            except DatasetError as err:
                raise ModelError(f"model {name!r}: {err}") from None
            digest.update(p.name.encode() + b"\0" + p.read_bytes())
        _FOLDERS[memo] = (min(sides), digest.hexdigest())
    return _FOLDERS[memo]


_RECIPES: dict[tuple, str] = {}


def _recipe_sha256(recipe: str, side: int) -> str:
    """A built-in dataset is named by its pixels: rendering it again must give the same images."""
    if (recipe, side) not in _RECIPES:
        try:
            pixels = load_dataset(recipe, side)
        except DatasetError as err:
            raise ModelError(f"model 'exact:{recipe}': {err}") from None
        _RECIPES[recipe, side] = hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()
    return _RECIPES[recipe, side]


def drawn_mixture(name: str, path: Path) -> Mixture:
    """The mixture of a drawing file (cache/drawings.py); ModelError naming the model and the fix."""
    try:
        return read_drawing(path)
    except DrawingError as err:
        raise ModelError(f"model {name!r}: {err}") from None


def mixture_of(files: ExactFiles) -> Mixture:
    """The mixture of mixture:NAME or mixture:FILE.json; a drawing edited since it was located is refused."""
    if not files.is_drawing:
        return MIXTURES[files.source]()
    m = drawn_mixture(files.name, Path(files.source))
    if m.sha256() != files.data_sha256:
        raise ModelError(f"model {files.name!r}: {files.source} changed while diffviz was reading it; run it again")
    return m


def locate_exact(name: str) -> ExactFiles:
    """The ExactFiles of 'mixture:NAME' or 'exact:FOLDER'; ModelError with the fix otherwise."""
    scheduler = json.loads(SCHEDULER_CONFIG.read_text())  # the embedded model's schedule
    kind, _, source = name.partition(":")
    if kind == "mixture":
        unclipped = with_schedule(scheduler, DEFAULT_SCHEDULE) | {"clip_sample": False}
        if is_drawing(name):
            path = Path(source).expanduser().resolve()
            m = drawn_mixture(name, path)
            return ExactFiles(f"mixture:{path}", str(path), (m.dim, 1, 1), m.sha256(), unclipped)
        if source not in MIXTURES:
            raise ModelError(f"model {name!r}: no such mixture; the mixtures are "
                             f"{', '.join('mixture:' + m for m in MIXTURES)}, or a drawing mixture:FILE.json "
                             "that the explorer's sandbox saved")
        m = MIXTURES[source]()
        return ExactFiles(name, source, (m.dim, 1, 1), m.sha256(), unclipped)
    if not source:
        raise ModelError(f"model {name!r}: name the images, as exact:FOLDER or exact:emoji-faces")
    if source in RECIPES:
        side = RECIPES[source]
        return ExactFiles(name, source, (3, side, side), _recipe_sha256(source, side), scheduler)
    folder = Path(source).expanduser()
    side, digest = _folder(name, folder)
    return ExactFiles(f"exact:{folder.resolve()}", str(folder.resolve()), (3, side, side), digest, scheduler)


def locate_local(name: str) -> ModelFiles | ExactFiles:
    """The model's files on this machine (ExactFiles for a model without weights); ModelError where there are none."""
    if name.startswith(WITHOUT_WEIGHTS):
        return locate_exact(name)
    if name == EMBEDDED:
        return read_model_folder(name, EMBEDDED_DIR)
    path = Path(name).expanduser()
    if path.is_dir():
        return read_model_folder(str(path.resolve()), path)
    if path.exists() or name.startswith((".", "/", "~")) or not HUB_ID.match(name):
        raise ModelError(f"model {name!r} is neither 'embedded', a diffusers model folder, nor a hub id like "
                         "google/ddpm-celebahq-256")
    snapshot = hub_snapshot(name)
    if snapshot is None:
        raise ModelError(f"model {name!r} is not on this machine: run `hf download {name}` where there is "
                         f"network, or pass --model <local folder>")
    return read_model_folder(name, snapshot)
