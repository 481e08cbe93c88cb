"""A model name made a Denoiser: a hub id (downloaded where missing), a local folder, the embedded
model, or a model without weights (mixture:NAME, exact:FOLDER); and the device it runs on."""
from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import torch

from cache.model_files import (
    HUB_ID,
    MODEL_FILES,
    WITHOUT_WEIGHTS,
    ExactFiles,
    ModelError,
    ModelFiles,
    locate_local,
    read_model_folder,
)

from .denoiser import Denoiser
from .exact_denoiser import load_exact
from .unet import DTYPES, load_unet

DEVICES = ("auto", "cuda", "mps", "cpu")


def resolve_device(name: str) -> str:
    """'auto' picks cuda, then mps, then cpu; asking for a device that is not here is an error."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if name == "cuda" and not cuda:
        raise ModelError("--device cuda: this machine has no CUDA GPU that torch can use; use --device cpu")
    if name == "mps" and not mps:
        raise ModelError("--device mps: this machine has no Apple GPU that torch can use; use --device cpu")
    if name not in DEVICES:
        raise ModelError(f"--device {name}: not one of {', '.join(DEVICES)}")
    return name


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the model hub answers at all, decided in seconds rather than after retries."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def locate(name: str) -> ModelFiles | ExactFiles:
    """The model's files, downloading a hub model that is not here yet."""
    try:
        return locate_local(name)
    except ModelError:
        if not HUB_ID.match(name) or os.path.exists(name) or not hub_reachable():
            raise
    from huggingface_hub import snapshot_download
    try:
        return read_model_folder(name, snapshot_download(name, allow_patterns=MODEL_FILES))
    except ModelError:
        raise
    except Exception as err:  # unknown repo, gated repo, broken connection
        raise ModelError(f"model {name!r} could not be downloaded ({type(err).__name__}: {err}); "
                         f"check the id, or pass --model <local folder>") from None


def load_model(name: str, device: str = "auto", dtype: str = "float32", compile: bool = False) -> Denoiser:
    """Load a UNet2DModel by the same `from_pretrained` path for every kind of model name; a model
    without weights (mixture:NAME, exact:FOLDER) is its exact denoiser, on the CPU."""
    if dtype not in DTYPES:
        raise ModelError(f"--dtype {dtype}: not one of {', '.join(DTYPES)}")
    if name.startswith(WITHOUT_WEIGHTS):
        resolve_device(device)
        return load_exact(name)
    device = resolve_device(device)
    return load_unet(locate(name), device, dtype, compile)
