"""What every recorder shares: the Recording it returns, the noise it draws, one reverse run, x_0 from an image,
the log of a run's steps."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image

from ..denoiser import Denoiser
from ..samplers import Schedule, Step, ddim_timesteps, ddpm_timesteps, sample_ddim, sample_ddpm

DISPLAY_FRAMES = 51  # states kept per run where a run is longer (ddim_steps at 1000 steps)


@dataclass
class Recording:
    images: dict[str, np.ndarray] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    variant: str | None = None  # which arrays of cache/stored_arrays.py beyond the experiment's own



def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().numpy()



def starting_noise(model: Denoiser, n: int, generator: torch.Generator) -> torch.Tensor:
    return randn_tensor((n, *model.shape), generator=generator, device=torch.device(model.device))



def run(model: Denoiser, scheduler: str, steps: int, x_T: torch.Tensor, eta: float = 0.0,
        generator: torch.Generator | None = None, callback=None) -> torch.Tensor:
    """One reverse run of `steps` steps with the model's own DDPM or DDIM schedule, from x_T to x_0."""
    if scheduler == "ddpm":
        sched = model.ddpm()
        t, t_prev = ddpm_timesteps(sched, steps)
        return sample_ddpm(model, x_T, Schedule.of(sched), t, t_prev, generator=generator, callback=callback)
    sched = model.ddim()
    t, t_prev = ddim_timesteps(sched, steps)
    return sample_ddim(model, x_T, Schedule.of(sched), t, t_prev, eta=eta, generator=generator, callback=callback)



def load_image(model: Denoiser, source: str, path: str, generator: torch.Generator) -> torch.Tensor:
    """x_0 as (1, C, H, W) in [-1, 1]: an image file (converted to RGB, resized to the model), or a DDIM sample."""
    C, H, W = model.shape
    if source == "sample":
        steps = min(50, model.files.num_train_timesteps)
        return run(model, "ddim", steps, starting_noise(model, 1, generator)).clamp(-1, 1)
    image = Image.open(path).convert("RGB")  # palette, grey and alpha images become RGB (alpha dropped)
    side = min(image.size)  # the centred square, then the model's size
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((W, H), Image.LANCZOS)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None].to(model.device)



class StepLog:
    """A callback that keeps the Step the sampler reports at every step, for a batch that moves together."""

    def __init__(self):
        self.steps: list[Step] = []

    def __call__(self, step: Step) -> None:
        self.steps.append(step.cpu())

    def stack(self, name: str) -> torch.Tensor:
        """One field of every step, stacked: (S, B, ...)."""
        return torch.stack([getattr(s, name) for s in self.steps])



def _kept_states(steps: int) -> np.ndarray:
    """Indices of DISPLAY_FRAMES states of a run of `steps` steps, evenly spaced in normalised time."""
    return np.round(np.linspace(0, steps, DISPLAY_FRAMES)).astype(int)

