"""Finding a model's files on this machine and naming what determines its outputs, without torch.

A model is named by "embedded" (the project's own), a local diffusers folder, or a hub id
already in the local Hugging Face cache. Downloading is sampling's business. Models without
weights (mixture:NAME, exact:FOLDER) are in cache/exact.py.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .config import EMBEDDED, PROJECT_ROOT

EMBEDDED_DIR = PROJECT_ROOT / "sampling" / "models" / "emoji-faces-32"
WEIGHT_FILES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
MODEL_FILES = ["config.json", "scheduler_config.json", "model_index.json", *WEIGHT_FILES,
               *(f"unet/{f}" for f in ("config.json", *WEIGHT_FILES)), "scheduler/scheduler_config.json"]
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


class ModelError(ValueError):
    """A model that cannot be used; the message names it and says what to do."""


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


def read_model_folder(name: str, folder: Path) -> ModelFiles:
    """Check that a folder holds a diffusers UNet2DModel with a scheduler config, and read it."""
    folder = Path(folder)
    unet_dir = folder / "unet" if (folder / "unet" / "config.json").exists() else folder
    sched_file = next((p for p in (folder / "scheduler_config.json", folder / "scheduler" / "scheduler_config.json")
                       if p.exists()), None)
    if not (unet_dir / "config.json").exists():
        raise ModelError(f"{name}: {folder} is not a diffusers model folder (no config.json)")
    config = json.loads((unet_dir / "config.json").read_text())
    kind = config.get("_class_name")
    if kind != "UNet2DModel":
        what = {"UNet2DConditionModel": " (a text-conditioned model)", "VQModel": " (a latent autoencoder)",
                "AutoencoderKL": " (a latent autoencoder)"}.get(kind, "")
        raise ModelError(f"{name}: holds a {kind}{what}; diffviz shows unconditional pixel-space "
                         "UNet2DModel models such as google/ddpm-celebahq-256")
    index = folder / "model_index.json"
    if index.exists() and "vqvae" in json.loads(index.read_text()):
        raise ModelError(f"{name}: is a latent diffusion pipeline (it has a vqvae); diffviz shows pixel-space models")
    if sched_file is None:
        raise ModelError(f"{name}: {folder} has no scheduler_config.json")
    weights = next((unet_dir / f for f in WEIGHT_FILES if (unet_dir / f).exists()), None)
    if weights is None:
        raise ModelError(f"{name}: {unet_dir} has no weights ({' or '.join(WEIGHT_FILES)})")
    return ModelFiles(name, unet_dir, config, json.loads(sched_file.read_text()), weights)


def hub_snapshot(name: str) -> Path | None:
    """The local copy of a hub model, or None where there is none (no network is used)."""
    from huggingface_hub import snapshot_download
    try:
        return Path(snapshot_download(name, allow_patterns=MODEL_FILES, local_files_only=True))
    except Exception:
        return None


def locate_local(name: str) -> ModelFiles:
    """The model's files on this machine (ExactFiles for a model without weights); ModelError where there are none."""
    if name.startswith(("mixture:", "exact:")):
        from .exact import locate_exact
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
