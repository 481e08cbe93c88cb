"""A trained diffusers UNet2DModel as a Denoiser: loaded by one `from_pretrained` path for every model folder."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel

from cache.model_files import ModelError, ModelFiles, refetch_hint

from .denoiser import Denoiser
from .resources import check_fits

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
VARIANCE_TYPES = ("fixed_small", "fixed_small_log", "fixed_large")


def first_words(err: BaseException, limit: int = 160) -> str:
    """What a library says went wrong, in a few words: the innermost cause (diffusers wraps the reader's
    own words), its first two lines, its first sentence."""
    while err.__cause__ or err.__context__:
        err = err.__cause__ or err.__context__
    text = " ".join(line.strip() for line in str(err).strip().splitlines()[:2]) or type(err).__name__
    text = text.split(". ")[0]
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_scheduler(files: ModelFiles) -> None:
    """A scheduler config that diffusers can make both schedulers of, for an epsilon-prediction model."""
    cfg = files.scheduler_config
    for scheduler in (DDPMScheduler, DDIMScheduler):
        try:
            scheduler.from_config(cfg)
        except Exception as err:  # diffusers' own: NotImplementedError, ValueError, TypeError
            raise ModelError(f"{files.name}: its scheduler_config.json cannot make a {scheduler.__name__} "
                             f"({type(err).__name__}: {first_words(err)}); {refetch_hint(files.name)}") from None
    if cfg.get("prediction_type", "epsilon") != "epsilon":
        raise ModelError(f"{files.name}: predicts {cfg['prediction_type']!r}; diffviz shows epsilon-prediction models")
    if cfg.get("thresholding"):
        raise ModelError(f"{files.name}: uses dynamic thresholding, which diffviz does not implement")
    if cfg.get("variance_type", "fixed_small") not in VARIANCE_TYPES:
        raise ModelError(f"{files.name}: variance_type {cfg['variance_type']!r} is not one of {VARIANCE_TYPES}")


@dataclass
class UNetDenoiser(Denoiser):
    """A loaded UNet as the function eps_hat(x_t, t), with its schedulers.

    The UNet runs in `dtype`; batches that do not fit in GPU memory are split in halves until they
    do, and the smaller size is kept.
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


def load_unet(files: ModelFiles, device: str, dtype: str, compile: bool = False) -> UNetDenoiser:
    """The UNet of a model folder on `device` (resolved already) in `dtype`; NHWC on CUDA."""
    check_scheduler(files)
    try:  # before anything is allocated: a config from elsewhere may ask for more than the machine has
        fits = check_fits(files.name, files.config, device, DTYPES[dtype].itemsize)
    except MemoryError as err:
        raise ModelError(str(err)) from None
    try:  # the weights file read_model_folder chose (diffusers would log an error for a .bin-only folder)
        unet = UNet2DModel.from_pretrained(files.unet_dir, torch_dtype=DTYPES[dtype],
                                           use_safetensors=files.weights.suffix == ".safetensors")
    except Exception as err:  # a weights file that is empty, truncated or of another architecture
        raise ModelError(f"{files.weights} cannot be loaded ({first_words(err)}); {refetch_hint(files.name)}") \
            from None
    unet = unet.to(device).eval()
    if device == "cuda":
        unet = unet.to(memory_format=torch.channels_last)
    if compile:
        unet = torch.compile(unet)
    # on the CPU, where running out of memory kills the process, batches are split to what fits; a GPU
    # says when it runs out, and the batch is halved then
    return UNetDenoiser(files, unet, device, dtype, chunk=fits if device == "cpu" else None)
