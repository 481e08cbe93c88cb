"""What the samplers and recordings take as a model: eps_hat(x_t, t), with the model's schedulers.

Two kinds: a trained UNet (sampling/unet.py) and the exact denoiser of a distribution known in
closed form (sampling/exact_denoiser.py); sampling/loading.py makes either from a model name.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from diffusers import DDIMScheduler, DDPMScheduler

from cache.model_files import ExactFiles, ModelFiles


class Denoiser(ABC):
    """eps_hat(x_t, t): called with x (B, C, H, W) float32 on any device and t (B,) int64, it returns
    eps_hat as float32 on x's device. Every kind has these attributes:"""
    files: ModelFiles | ExactFiles  # the model's name, identity and scheduler_config
    device: str                     # where it computes
    dtype: str                      # its precision
    calls: int                      # how often it was called (batched calls count once)

    @abstractmethod
    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """eps_hat for x (B, C, H, W) at timesteps t (B,)."""

    @property
    @abstractmethod
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one sample."""

    def ddpm(self) -> DDPMScheduler:
        """The model's DDPM scheduler, as its scheduler_config says."""
        return DDPMScheduler.from_config(self.files.scheduler_config)

    def ddim(self) -> DDIMScheduler:
        """The model's DDIM scheduler, as its scheduler_config says."""
        return DDIMScheduler.from_config(self.files.scheduler_config)
