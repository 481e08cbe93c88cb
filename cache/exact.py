"""Models without weights: a data distribution whose optimal denoiser has a closed form, named
like any model, without torch.

    mixture:1d        a 1D mixture of three Gaussians, as in chapter 18 of Understanding Deep Learning
    mixture:smiley    a 2D mixture of small Gaussians along a smiley face
    exact:FOLDER      the images of a folder (or exact:emoji-faces, the embedded model's training
                      set): a mixture of one delta per image, what a network that memorised them does

Every one is a mixture sum_k w_k N(mu_k, s_k^2 I); an image folder has s_k = 0. Data lives in
[-1, 1] like images, and the schedule is the embedded model's, so the same samplers run on both.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import PROJECT_ROOT
from .models import ModelError

SCHEDULER_CONFIG = PROJECT_ROOT / "sampling" / "models" / "emoji-faces-32" / "scheduler_config.json"
PREFIXES = ("mixture:", "exact:")
RECIPES = {"emoji-faces": 32}  # built-in datasets (sampling/datasets.py) and the side they are made at


@dataclass(frozen=True)
class Mixture:
    """sum_k w_k N(mu_k, s_k^2 I): weights (K,), means (K, D), stds (K,), all float64."""
    weights: np.ndarray
    means: np.ndarray
    stds: np.ndarray

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sha256(self) -> str:
        return hashlib.sha256(b"".join(np.ascontiguousarray(a, np.float64).tobytes()
                                       for a in (self.weights, self.means, self.stds))).hexdigest()


def _mixture(parts: list[tuple[float, list[float], float]]) -> Mixture:
    w, mu, s = zip(*parts)
    w = np.array(w, np.float64)
    return Mixture(w / w.sum(), np.array(mu, np.float64), np.array(s, np.float64))


def one_d() -> Mixture:
    """Three bumps of different widths and weights, like the book's figure 18.2."""
    return _mixture([(0.3, [-0.6], 0.08), (0.45, [0.05], 0.12), (0.25, [0.65], 0.06)])


def smiley() -> Mixture:
    """A face outline, two eyes and a mouth, drawn with 104 small Gaussians."""
    parts = []
    for a in np.linspace(0, 2 * np.pi, 64, endpoint=False):  # the outline
        parts.append((1.0, [0.82 * np.cos(a), 0.82 * np.sin(a)], 0.025))
    for x in (-0.3, 0.3):  # the eyes, a little taller than wide
        for dy in np.linspace(-0.09, 0.09, 5):
            parts.append((1.0, [x, 0.28 + dy], 0.035))
    for a in np.linspace(np.radians(205), np.radians(335), 30):  # the mouth
        parts.append((1.0, [0.5 * np.cos(a), 0.05 + 0.5 * np.sin(a)], 0.025))
    return _mixture(parts)


MIXTURES = {"1d": one_d, "smiley": smiley}


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

    def identity(self) -> dict:
        """Everything that determines a trajectory: the data (by content) and the schedule."""
        return {"name": self.name, "data_sha256": self.data_sha256, "shape": list(self.shape),
                "scheduler_config": {k: v for k, v in self.scheduler_config.items() if k != "_diffusers_version"}}


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
_FOLDERS: dict[tuple, tuple[int, str]] = {}


def _folder(name: str, folder: Path) -> tuple[int, str]:
    """(side, sha256 of the files) of an image folder; the side is the smallest image's longer side."""
    from PIL import Image
    fix = "give exact:FOLDER a folder of PNG/JPEG images, or exact:emoji-faces"
    if not folder.is_dir():
        raise ModelError(f"model {name!r}: {folder} is not a folder; {fix}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ModelError(f"model {name!r}: {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}); {fix}")
    memo = (str(folder.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if memo not in _FOLDERS:
        digest, sides = hashlib.sha256(), []
        for p in files:
            try:
                with Image.open(p) as im:
                    im.verify()
                    sides.append(max(im.size))
            except Exception:
                raise ModelError(f"model {name!r}: {p} is not an image Pillow can read; remove it from "
                                      f"the folder") from None
            digest.update(p.name.encode() + b"\0" + p.read_bytes())
        _FOLDERS[memo] = (min(sides), digest.hexdigest())
    return _FOLDERS[memo]


def _recipe_sha256(recipe: str, side: int) -> str:
    """A built-in dataset is named by its pixels: rendering it again must give the same images."""
    from sampling.datasets import load_dataset  # PIL and numpy only
    try:
        pixels = load_dataset(recipe, side)
    except FileNotFoundError as err:
        raise ModelError(f"model 'exact:{recipe}': {err}") from None
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


_RECIPES: dict[tuple, str] = {}


def locate_exact(name: str) -> ExactFiles:
    """The ExactFiles of 'mixture:NAME' or 'exact:FOLDER'; ModelError with the fix otherwise."""
    scheduler = json.loads(SCHEDULER_CONFIG.read_text())
    kind, _, source = name.partition(":")
    if kind == "mixture":
        if source not in MIXTURES:
            raise ModelError(f"model {name!r}: no such mixture; the mixtures are "
                                  f"{', '.join('mixture:' + m for m in MIXTURES)}")
        m = MIXTURES[source]()
        return ExactFiles(name, source, (m.dim, 1, 1), m.sha256(), scheduler)
    if not source:
        raise ModelError(f"model {name!r}: name the images, as exact:FOLDER or exact:emoji-faces")
    if source in RECIPES:
        key = (source, RECIPES[source])
        if key not in _RECIPES:
            _RECIPES[key] = _recipe_sha256(*key)
        return ExactFiles(name, source, (3, RECIPES[source], RECIPES[source]), _RECIPES[key], scheduler)
    folder = Path(source).expanduser()
    side, digest = _folder(name, folder)
    return ExactFiles(f"exact:{folder.resolve()}", str(folder.resolve()), (3, side, side), digest, scheduler)
