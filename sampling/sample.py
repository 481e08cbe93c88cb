"""`diffviz sample`: images drawn exactly as diffusers' DDPMPipeline and DDIMPipeline draw them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cache.outputs import written_aside
from cache.store import to_display

from .loading import load_model
from .recorders import run, starting_noise


def sample_images(model_name: str, scheduler: str, steps: int, seed: int, n: int, device: str = "auto",
                  dtype: str = "float32", eta: float = 0.0) -> np.ndarray:
    """float32 (n, C, H, W) in [-1, 1]; x_T from a CPU torch.Generator seeded with `seed`, as the pipelines."""
    from cache.specs import SpecError
    model = load_model(model_name, device=device, dtype=dtype)
    T = model.files.num_train_timesteps
    if not 1 <= steps <= T:
        raise SpecError("steps", f"steps={steps} is outside 1..{T} (the model's num_train_timesteps)")
    gen = torch.Generator().manual_seed(seed)
    x_T = starting_noise(model, n, gen)
    x_0 = run(model, scheduler, steps, x_T, eta, gen)
    return x_0.clamp(-1, 1).cpu().numpy()


def save_grid(images: np.ndarray, out: Path, scale: int | None = None) -> None:
    """A near-square grid, upscaled with nearest-neighbour so that small images stay honest."""
    pixels = to_display(images)  # (n, H, W, 3)
    n, H, W, _ = pixels.shape
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    pad = max(1, H // 16)
    grid = np.full((rows * (H + pad) + pad, cols * (W + pad) + pad, 3), 255, np.uint8)
    for k, img in enumerate(pixels):
        r, c = divmod(k, cols)
        grid[pad + r * (H + pad): pad + r * (H + pad) + H, pad + c * (W + pad): pad + c * (W + pad) + W] = img
    scale = scale or max(1, 256 // H)
    Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST).save(out)


def write_images(images: np.ndarray, out: Path) -> None:
    """--out FILE.npy: the float32 array; FILE.png: the grid. Written aside and renamed, so that a failed
    write (a full disk) leaves no file, nor half of one."""
    with written_aside(out) as staged:
        if out.suffix.lower() == ".npy":
            np.save(staged, images)
        else:
            save_grid(images, staged)
