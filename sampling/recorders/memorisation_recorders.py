"""The recorder of the memorisation experiment (family "memorisation" of cache/experiments.py)."""
from __future__ import annotations

import numpy as np
import torch

from cache.specs import Memorisation

from ..denoiser import Denoiser
from ..metrics import l2
from . import recorder
from .recording import Recording, StepLog, _np, run, starting_noise


@recorder("memorisation")
def record_memorisation(model: Denoiser, spec: Memorisation) -> Recording:
    """DDIM from the same noises with the trained UNet and with the exact denoiser of its training
    images; each output's nearest training image and the distance to it."""
    from ..exact_denoiser import load_exact, training_images
    exact = load_exact(spec.training)
    training = torch.from_numpy(training_images(exact.files))
    gen = torch.Generator().manual_seed(spec.seed)
    x_T = starting_noise(model, spec.samples, gen)
    images, numbers = {}, {"training_count": np.int64(len(training))}
    for name, m in (("unet", model), ("exact", exact)):
        log = StepLog()
        final = run(m, "ddim", spec.steps, x_T.clone(), callback=log).cpu()
        distance = (final[:, None] - training[None]).flatten(2).norm(dim=2)  # (samples, N)
        nearest = distance.argmin(1)
        images |= {f"{name}_x": torch.cat([x_T.cpu()[None], log.stack("x_prev")]),
                   f"{name}_x0_hat": log.stack("x0_hat"),
                   f"{name}_nearest": training[nearest]}
        numbers |= {f"{name}_nearest_index": nearest.numpy(), f"{name}_nearest_distance": _np(distance.min(1).values),
                    f"{name}_final_float": _np(final)}
        numbers["t"] = log.stack("t")[:, 0].numpy()
    numbers["unet_exact_distance"] = _np(l2(torch.from_numpy(numbers["unet_final_float"]),
                                            torch.from_numpy(numbers["exact_final_float"])))
    return Recording(images=images, numbers=numbers)

