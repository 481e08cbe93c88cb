"""Train a small diffusers UNet2DModel with the DDPM objective (Ho et al. 2020, Algorithm 1).

The output is a diffusers model folder (config.json, diffusion_pytorch_model.safetensors,
scheduler_config.json), loadable by the same `from_pretrained` code as the hub models.
"""
from __future__ import annotations

import copy
import csv
import json
import math
import os
import pickle
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
from diffusers import DDPMScheduler, UNet2DModel

from cache.datasets import load_dataset
from cache.errors import DiffvizError
from cache.outputs import disk_full

from .unet import first_words

# The schedule of google/ddpm-celebahq-256 and google/ddpm-bedroom-256, so that alpha_bar_t,
# beta_t and sigma_t on screen mean the same for the embedded model as for theirs.
GOOGLE_SCHEDULER = dict(
    num_train_timesteps=1000,
    beta_start=0.0001,
    beta_end=0.02,
    beta_schedule="linear",
    variance_type="fixed_small",
    clip_sample=True,
    prediction_type="epsilon",
)

CHECKPOINT = "checkpoint.pt"
LOSS_LOG = "loss.csv"


@dataclass(frozen=True)
class TrainSpec:
    dataset: str = "emoji-faces"
    size: int = 32
    steps: int = 6000
    batch_size: int = 32
    lr: float = 5e-4
    warmup: int = 200
    ema_decay: float = 0.999
    seed: int = 0
    channels: tuple[int, ...] = (32, 64, 128)
    # GroupNorm's groups. diffusers' default, 32, puts one channel in each group at 32 channels: the
    # norm then takes away every channel's mean, the image's colour, at the full resolution (google's
    # models have 128 channels there, 4 a group). 8 gives these channels 4 a group too.
    norm_groups: int = 8
    dropout: float = 0.0  # in every ResNet block (Ho et al. use 0.1 on CIFAR-10 against overfitting)
    # Loss weight over t, Choi et al. 2022 ("Perception Prioritized Training of Diffusion Models", eq. 8,
    # k = 1): (1 + SNR(t))^-gamma, normalised to mean 1 over t. 0 is Ho et al.'s plain epsilon MSE; 1 shifts
    # weight from the nearly clean steps (fine detail) to the noisy ones (colour, layout). The model,
    # schedule and sampler stay the same: only how much each t counts in training changes.
    p2_gamma: float = 0.0


def loss_weights(alpha_bar: torch.Tensor, gamma: float) -> torch.Tensor:
    """Per t, the P2 weight (1 + SNR)^-gamma with SNR = alpha_bar / (1 - alpha_bar), mean 1 over t."""
    w = (1 + alpha_bar / (1 - alpha_bar)) ** -gamma  # = (1 - alpha_bar)^gamma
    return w / w.mean()


def make_unet(spec: TrainSpec) -> UNet2DModel:
    """A UNet2DModel with self-attention at the lowest resolution only."""
    levels = len(spec.channels)
    return UNet2DModel(
        sample_size=spec.size,
        in_channels=3,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=spec.channels,
        norm_num_groups=spec.norm_groups,
        dropout=spec.dropout,
        down_block_types=("DownBlock2D",) * (levels - 1) + ("AttnDownBlock2D",),
        up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (levels - 1),
    )


def _atomic_torch_save(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_model_folder(unet: UNet2DModel, scheduler: DDPMScheduler, out: Path, info: dict) -> None:
    """Write the EMA weights as float16 safetensors in a diffusers folder (atomically per file)."""
    staging = out / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    copy.deepcopy(unet).to(torch.float16).save_pretrained(staging, safe_serialization=True)
    scheduler.save_pretrained(staging)
    (staging / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    for f in staging.iterdir():
        os.replace(f, out / f.name)
    staging.rmdir()


class TrainError(DiffvizError, ValueError):
    """A training run that cannot start or go on; the message names the file and the fix."""


def _resume_from(path: Path, device: str, spec: TrainSpec) -> dict:
    """The checkpoint a run resumes from, checked to be one of this spec's."""
    fix = "delete it to train from step 0, or use another --out"
    try:  # weights_only: tensors, numbers, strings and containers; a pickle that would run code is refused
        ckpt = torch.load(path, map_location=device, weights_only=True)
        made_with = {"p2_gamma": 0.0} | dict(ckpt["spec"])  # checkpoints from before the weighting
    except pickle.UnpicklingError as err:  # a global the safe unpickler refuses: code, run by no diffviz command
        raise TrainError(f"{path} is not a checkpoint diffviz train can resume from: it asks to run code, which "
                         f"diffviz never does ({first_words(err)}); {fix}") from None
    except Exception as err:  # empty, truncated, or not a checkpoint of `diffviz train`
        raise TrainError(f"{path} is not a checkpoint diffviz train can resume from ({first_words(err)}); "
                         f"{fix}") from None
    if made_with != asdict(spec) | {"steps": made_with.get("steps")}:
        raise TrainError(f"{path} was made with other settings: {made_with}; use another --out")
    return ckpt


def train(
    spec: TrainSpec,
    out: Path,
    device: str = "cpu",
    checkpoint_every: int = 250,
    on_step: Callable[[int, float], None] | None = None,
    max_seconds: float | None = None,
) -> dict:
    """Train, resuming from out/checkpoint.pt where one exists; returns the training info.

    With max_seconds, stop after the first step that ends that many wall-clock seconds after this
    call began (a budget for this run, not part of the recipe: spec.steps stays the goal, and a later
    call resumes towards it); the checkpoint and the model folder are written at that step.
    A full disk stops it with TrainError: no half-written file stays, the last whole checkpoint does,
    and a new --out folder without one is removed."""
    began = time.perf_counter()
    out = Path(out)
    new_folder = not out.exists()
    try:
        return _train(spec, out, device, checkpoint_every, on_step, max_seconds, began)
    except OSError as err:
        if not disk_full(err):
            raise
        shutil.rmtree(out / ".staging", ignore_errors=True)
        (out / CHECKPOINT).with_suffix(".tmp").unlink(missing_ok=True)
        kept = (out / CHECKPOINT).exists()
        if new_folder and not kept:
            shutil.rmtree(out, ignore_errors=True)
        raise TrainError(f"the disk under {out} is full: training stopped, "
                         + ("its last checkpoint is kept; " if kept else "nothing was kept; ")
                         + "free some space and run the same command again"
                         + (" (it resumes from the checkpoint)" if kept else "")) from None


def _train(spec: TrainSpec, out: Path, device: str, checkpoint_every: int,
           on_step: Callable[[int, float], None] | None, max_seconds: float | None, began: float) -> dict:
    torch.manual_seed(spec.seed)
    images = torch.from_numpy(load_dataset(spec.dataset, spec.size))
    out.mkdir(parents=True, exist_ok=True)
    scheduler = DDPMScheduler(**GOOGLE_SCHEDULER)
    alpha_bar = scheduler.alphas_cumprod.to(device)
    weights = loss_weights(alpha_bar, spec.p2_gamma)

    unet = make_unet(spec).to(device)
    ema = copy.deepcopy(unet).requires_grad_(False)
    opt = torch.optim.AdamW(unet.parameters(), lr=spec.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / spec.warmup))
    gen = torch.Generator().manual_seed(spec.seed)
    step, seconds = 0, 0.0

    ckpt_path = out / CHECKPOINT
    if ckpt_path.exists():
        ckpt = _resume_from(ckpt_path, device, spec)
        unet.load_state_dict(ckpt["unet"])
        ema.load_state_dict(ckpt["ema"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        gen.set_state(ckpt["gen"])
        step, seconds = ckpt["step"], ckpt["seconds"]

    log_new = not (out / LOSS_LOG).exists()
    log = open(out / LOSS_LOG, "a", newline="")
    writer = csv.writer(log)
    if log_new:
        writer.writerow(["step", "loss", "lr", "seconds"])

    def info() -> dict:
        return {"spec": asdict(spec), "step": step, "seconds": round(seconds, 1),
                "dataset_size": len(images), "final_loss": running}

    running = math.nan
    ema_params, unet_params = list(ema.parameters()), list(unet.parameters())
    unet.train()
    while step < spec.steps:
        started = time.perf_counter()
        idx = torch.randint(len(images), (spec.batch_size,), generator=gen)
        x0 = images[idx]
        flip = torch.rand(spec.batch_size, generator=gen) < 0.5
        x0 = torch.where(flip[:, None, None, None], x0.flip(-1), x0).to(device)
        eps = torch.randn(x0.shape, generator=gen).to(device)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (spec.batch_size,), generator=gen).to(device)
        a = alpha_bar[t].view(-1, 1, 1, 1)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps  # q(x_t | x_0), Ho et al. eq. (4)
        eps_hat = unet(x_t, t).sample
        if spec.p2_gamma == 0:  # Ho et al.'s L_simple, as the shipped weights were trained, to the bit
            loss = torch.nn.functional.mse_loss(eps_hat, eps)
        else:
            loss = (weights[t] * (eps_hat - eps).square().mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        decay = min(spec.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_lerp_(ema_params, unet_params, 1 - decay)
        seconds += time.perf_counter() - started
        running = loss.item() if math.isnan(running) else 0.98 * running + 0.02 * loss.item()
        if on_step:
            on_step(step, running)
        out_of_time = max_seconds is not None and time.perf_counter() - began >= max_seconds
        if step % 50 == 0 or step == spec.steps or out_of_time:
            writer.writerow([step, f"{running:.5f}", f"{sched.get_last_lr()[0]:.2e}", f"{seconds:.1f}"])
            log.flush()
        if step % checkpoint_every == 0 or step == spec.steps or out_of_time:
            _atomic_torch_save({"unet": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                                "sched": sched.state_dict(), "gen": gen.get_state(), "step": step,
                                "seconds": seconds, "spec": asdict(spec)}, ckpt_path)
            save_model_folder(ema, scheduler, out, info())
        if out_of_time:
            break
    log.close()
    return info()
