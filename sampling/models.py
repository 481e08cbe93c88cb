"""Loading a diffusers UNet2DModel and its scheduler: hub id, local folder or the embedded default."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlparse

import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel
from diffusers.utils import logging as diffusers_logging

from cache.models import HUB_ID, MODEL_FILES, ModelError, ModelFiles, locate_local, read_model_folder

DEVICES = ("auto", "cuda", "mps", "cpu")
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
VARIANCE_TYPES = ("fixed_small", "fixed_small_log", "fixed_large")
diffusers_logging.set_verbosity_error()  # its advice to install accelerate drowns our own messages


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


def locate(name: str) -> ModelFiles:
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


def check_scheduler(files: ModelFiles) -> None:
    cfg = files.scheduler_config
    if cfg.get("prediction_type", "epsilon") != "epsilon":
        raise ModelError(f"{files.name}: predicts {cfg['prediction_type']!r}; diffviz shows epsilon-prediction models")
    if cfg.get("thresholding"):
        raise ModelError(f"{files.name}: uses dynamic thresholding, which diffviz does not implement")
    if cfg.get("variance_type", "fixed_small") not in VARIANCE_TYPES:
        raise ModelError(f"{files.name}: variance_type {cfg['variance_type']!r} is not one of {VARIANCE_TYPES}")


class Schedulers:
    """The diffusers schedulers of a model's scheduler_config (self.files), as its samplers use them."""

    def ddpm(self) -> DDPMScheduler:
        return DDPMScheduler.from_config(self.files.scheduler_config)

    def ddim(self) -> DDIMScheduler:
        return DDIMScheduler.from_config(self.files.scheduler_config)


@dataclass
class Model(Schedulers):
    """A loaded UNet as the function eps_hat(x_t, t), with its schedulers.

    Called with x: (B, C, H, W) float32 on any device and t: (B,) int64, it returns eps_hat as
    float32 on x's device. The UNet runs in `dtype`; batches that do not fit in GPU memory are
    split in halves until they do, and the smaller size is kept.
    """
    files: ModelFiles
    unet: UNet2DModel
    device: str
    dtype: str
    chunk: int | None = None
    calls: int = field(default=0)

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        out = torch.empty(x.shape, dtype=torch.float32, device=x.device)
        start = 0
        while start < len(x):
            n = min(self.chunk or len(x), len(x) - start)
            try:
                with torch.inference_mode():
                    part = x[start:start + n].to(self.device, DTYPES[self.dtype])
                    if self.device == "cuda":
                        part = part.contiguous(memory_format=torch.channels_last)
                    out[start:start + n] = self.unet(part, t[start:start + n].to(self.device)).sample.float()
                start += n
            except torch.cuda.OutOfMemoryError:
                if n == 1:
                    raise
                self.chunk = n // 2
                torch.cuda.empty_cache()
        return out

    @property
    def shape(self) -> tuple[int, int, int]:
        cfg = self.unet.config
        return (cfg.in_channels, self.files.image_size, self.files.image_size)


def load_model(name: str, device: str = "auto", dtype: str = "float32", compile: bool = False) -> Model:
    """Load a UNet2DModel by the same `from_pretrained` path for every kind of model name; a model
    without weights (mixture:NAME, exact:FOLDER) is its exact denoiser, on the CPU."""
    if dtype not in DTYPES:
        raise ModelError(f"--dtype {dtype}: not one of {', '.join(DTYPES)}")
    if name.startswith(("mixture:", "exact:")):
        from .exact import load_exact
        resolve_device(device)
        return load_exact(name)
    device = resolve_device(device)
    files = locate(name)
    check_scheduler(files)
    unet = UNet2DModel.from_pretrained(files.unet_dir, torch_dtype=DTYPES[dtype]).to(device).eval()
    if device == "cuda":
        unet = unet.to(memory_format=torch.channels_last)
    if compile:
        unet = torch.compile(unet)
    return Model(files, unet, device, dtype)
