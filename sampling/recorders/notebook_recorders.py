"""The recorders of the seminar's experiments (family "notebook" of cache/experiments.py), on an image model."""
from __future__ import annotations

import numpy as np
import torch

from cache.specs import DdimSteps, Forward, ForwardBackward, NoiseSweep, Reverse, SimilarNoise

from ..denoiser import Denoiser
from ..metrics import heatmap, l2
from ..samplers import Schedule, Step, add_noise, ddim_timesteps, ddpm_timesteps, sample_ddim, sample_ddpm, stack_runs
from . import recorder
from .recording import DISPLAY_FRAMES, Recording, StepLog, _np, load_image, run, starting_noise


@recorder("forward", image=True)
def record_forward(model: Denoiser, spec: Forward, image_path: str | None = None) -> Recording:
    gen = torch.Generator().manual_seed(spec.seed)
    x0 = load_image(model, spec.image, image_path, gen)
    eps = starting_noise(model, 1, gen)
    sched = model.ddpm()
    alpha_bar = sched.alphas_cumprod.float().to(x0.device)
    T = len(alpha_bar)
    t = torch.tensor(sorted(set(ddpm_timesteps(sched, spec.steps)[0].tolist()) | {T - 1}))
    x_t = add_noise(x0, eps, alpha_bar[t].view(-1, 1, 1, 1))
    # The chain q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), one training step at a time.
    betas, chain, x = sched.betas.float().to(x0.device), [], x0
    for step in range(T):
        x = (1 - betas[step]) ** 0.5 * x + betas[step] ** 0.5 * starting_noise(model, 1, gen)
        if step in set(t.tolist()):
            chain.append(x)
    chain = torch.cat(chain)
    a = alpha_bar[t].view(-1, 1, 1, 1)
    return Recording(
        images={"x0": x0[0], "eps": eps[0], "x_t": x_t, "chain": chain},
        numbers={"t": t.numpy(), "alpha_bar": _np(alpha_bar), "betas": _np(betas),
                 "x0_float": _np(x0[0]), "eps_float": _np(eps[0]),
                 "sqrt_alpha_bar": _np(a.flatten() ** 0.5), "sqrt_one_minus_alpha_bar": _np((1 - a.flatten()) ** 0.5),
                 # the spread of what is not signal: sqrt(1 - alpha_bar_t) either way
                 "closed_form_noise_std": _np((x_t - a ** 0.5 * x0).flatten(1).std(1)),
                 "chain_noise_std": _np((chain - a ** 0.5 * x0).flatten(1).std(1))})



@recorder("reverse")
def record_reverse(model: Denoiser, spec: Reverse) -> Recording:
    gen = torch.Generator().manual_seed(spec.seed)
    x_T = starting_noise(model, 1, gen)
    log = StepLog()
    x_0 = run(model, spec.scheduler, spec.steps, x_T, spec.eta, gen, log)
    t, t_prev = log.stack("t")[:, 0], log.stack("t_prev")[:, 0]
    xs = torch.cat([x_T.cpu(), log.stack("x_prev")[:, 0]])
    return Recording(
        images={"x": xs, "eps_hat": log.stack("eps_hat")[:, 0], "x0_hat": log.stack("x0_hat")[:, 0],
                "z": log.stack("z")[:, 0]},
        numbers={"t": t.numpy(), "t_prev": t_prev.numpy(), "x_final": _np(x_0[0]),
                 "clipped": _np(log.stack("clipped")[:, 0]),
                 **{name: _np(log.stack(name)[:, 0]) for name in log.steps[0].coefficients}},
        variant=spec.scheduler)



@recorder("forward_backward", image=True)
def record_forward_backward(model: Denoiser, spec: ForwardBackward, image_path: str | None = None) -> Recording:
    """Row r of the grid is noised to scheduler.timesteps[N-1-r] (more noise further down) with
    fresh noise, then denoised by DDIM; every row and the single run share one batch."""
    gen = torch.Generator().manual_seed(spec.seed)
    x0 = load_image(model, spec.image, image_path, gen)
    sched = model.ddim()
    schedule = Schedule.of(sched)
    t_all, prev_all = ddim_timesteps(sched, spec.steps)
    N = spec.steps
    levels = [spec.forward_timestep] + [N - 1 - r for r in range(N)]  # the single run, then the grid rows
    eps = starting_noise(model, len(levels), gen)
    starts = t_all[levels].to(x0.device)
    x_t = add_noise(x0, eps, schedule.at(starts))
    t, t_prev = stack_runs([(t_all[i:], prev_all[i:]) for i in levels])
    # columns: x_0, the noised image, then the image after each denoising step
    columns = torch.full((len(levels), N + 2, *model.shape), float("nan"))
    columns[:, 0], columns[:, 1] = x0.cpu(), x_t.cpu()

    def keep(s: Step) -> None:
        columns[s.rows, s.i + 2] = s.x_prev.cpu()

    final = sample_ddim(model, x_t, schedule, t, t_prev, callback=keep)
    steps_taken = torch.tensor([N - i for i in levels])
    distance = (columns - x0.cpu()).flatten(2).norm(dim=2)  # (rows, columns), nan after a row ends
    shown = sorted({round(v) for v in np.linspace(0, N - 1, min(spec.grid_levels, N))})
    last = columns[torch.arange(len(levels)), steps_taken + 1]
    padded = torch.where(torch.isnan(columns), last[:, None], columns)
    return Recording(
        images={"x0": x0[0], "noised": x_t[0], "reconstruction": final[0], "single_steps": padded[0],
                "grid": padded[1:][shown]},
        numbers={"t": t_all.numpy(), "forward_t": np.int64(t_all[spec.forward_timestep]),
                 "row_t": starts[1:].cpu().numpy(), "row_steps": steps_taken[1:].numpy(),
                 "grid_rows": np.array(shown), "column_distance": _np(distance[1:]),
                 "final_distance": _np(l2(final[1:], x0)), "distance": _np(l2(final[:1], x0))[0],
                 "difference": _np(heatmap(final[:1], x0))[0], "x0_float": _np(x0[0]),
                 "reconstruction_float": _np(final[0])})



def perturb_patch(noise: torch.Tensor, fresh: torch.Tensor, size: int, x: int, y: int) -> torch.Tensor:
    """noise with the size x size square at column x, row y replaced by fresh noise."""
    out = noise.clone()
    out[..., y:y + size, x:x + size] = fresh[..., y:y + size, x:x + size]
    return out



def perturb_global(noise: torch.Tensor, fresh: torch.Tensor, s: float) -> torch.Tensor:
    """sqrt(1 - s^2) noise + s fresh: still N(0, I), at a distance that grows with s."""
    return (1 - s ** 2) ** 0.5 * noise + s * fresh



@recorder("similar_noise")
def record_similar_noise(model: Denoiser, spec: SimilarNoise) -> Recording:
    gen = torch.Generator().manual_seed(spec.seed)
    noise_a, fresh = starting_noise(model, 1, gen), starting_noise(model, 1, gen)
    noise_b = (perturb_patch(noise_a, fresh, spec.patch_size, spec.patch_x, spec.patch_y) if spec.kind == "patch"
               else perturb_global(noise_a, fresh, spec.scaling))
    log = StepLog()
    final = run(model, "ddim", spec.steps, torch.cat([noise_a, noise_b]), callback=log)
    xs = torch.cat([torch.cat([noise_a, noise_b]).cpu()[None], log.stack("x_prev")])  # (S+1, 2, C, H, W)
    x0s = log.stack("x0_hat")
    return Recording(
        images={"x": xs, "x0_hat": x0s},
        numbers={"t": _np(log.stack("t")[:, 0]).astype(np.int64),
                 "noise_distance": _np(l2(noise_a, noise_b))[0], "noise_heatmap": _np(heatmap(noise_a, noise_b))[0],
                 "x_distance": _np(l2(xs[:, 0], xs[:, 1])), "x0_hat_distance": _np(l2(x0s[:, 0], x0s[:, 1])),
                 "x_heatmap": _np(heatmap(xs[:, 0], xs[:, 1])).astype(np.float16),
                 "x0_hat_heatmap": _np(heatmap(x0s[:, 0], x0s[:, 1])).astype(np.float16),
                 "output_distance": _np(l2(final[:1], final[1:]))[0], "final_float": _np(final),
                 "patch": np.array([spec.patch_x, spec.patch_y, spec.patch_size])})



@recorder("noise_sweep")
def record_noise_sweep(model: Denoiser, spec: NoiseSweep) -> Recording:
    gen = torch.Generator().manual_seed(spec.seed)
    noise, fresh = starting_noise(model, 1, gen), starting_noise(model, 1, gen)
    side = model.shape[-1]
    patched = [perturb_patch(noise, fresh, n, (side - n) // 2, (side - n) // 2) for n in spec.patch_sizes]
    mixed = [perturb_global(noise, fresh, s) for s in spec.scalings]
    final = run(model, "ddim", spec.steps, torch.cat([noise, *patched, *mixed]))
    variants = torch.cat([*patched, *mixed])
    k = len(patched)
    noise_d, out_d = _np(l2(variants, noise)), _np(l2(final[1:], final[:1]))
    return Recording(
        images={"base": final[0], "outputs": final[1:]},
        numbers={"patch_sizes": np.array(spec.patch_sizes), "scalings": np.array(spec.scalings),
                 "patch_noise_distance": noise_d[:k], "patch_output_distance": out_d[:k],
                 "global_noise_distance": noise_d[k:], "global_output_distance": out_d[k:]})



@recorder("ddim_steps")
def record_ddim_steps(model: Denoiser, spec: DdimSteps) -> Recording:
    """DDIM at each step count in one batch (short runs leave early), then DDPM; states kept at
    DISPLAY_FRAMES points of normalised time, so the runs can advance side by side."""
    gen = torch.Generator().manual_seed(spec.seed)
    x_T = starting_noise(model, 1, gen)
    counts = list(spec.step_counts)
    keep_at = [sorted({round(p * n) for p in np.linspace(0, 1, DISPLAY_FRAMES)}) for n in counts + [spec.ddpm_steps]]
    frames = torch.zeros((len(counts) + 1, DISPLAY_FRAMES, *model.shape))
    frames[:, 0] = x_T.cpu()

    def keeper(offset: int):
        def keep(s: Step) -> None:
            for row, x in zip(s.rows.tolist(), s.x_prev.cpu(), strict=False):
                done = s.i + 1
                for j, at in enumerate(keep_at[row + offset]):
                    if at == done:
                        frames[row + offset, j] = x
        return keep

    def ddim_runs(m: Denoiser) -> torch.Tensor:
        ddim = m.ddim()
        t, t_prev = stack_runs([ddim_timesteps(ddim, n) for n in counts])
        return sample_ddim(m, x_T.expand(len(counts), -1, -1, -1).clone(), Schedule.of(ddim), t, t_prev,
                           callback=keeper(0))

    def ddpm_run(m: Denoiser) -> torch.Tensor:
        ddpm = m.ddpm()
        t, t_prev = ddpm_timesteps(ddpm, spec.ddpm_steps)
        return sample_ddpm(m, x_T.clone(), Schedule.of(ddpm), t, t_prev, generator=gen, callback=keeper(len(counts)))

    from ..engine import run_together  # the DDIM runs and the DDPM run share each UNet call
    finals = torch.cat(run_together(model, [ddim_runs, ddpm_run])[0])
    reference = finals[counts.index(max(counts))]
    frame_steps = np.zeros((len(keep_at), DISPLAY_FRAMES), np.int64)
    for r, at in enumerate(keep_at):  # a run with fewer than DISPLAY_FRAMES steps holds each state longer
        index = np.searchsorted(at, np.linspace(0, 1, DISPLAY_FRAMES) * at[-1], side="right") - 1
        frames[r] = frames[r, :len(at)][torch.as_tensor(index)] if len(at) < DISPLAY_FRAMES else frames[r]
        frame_steps[r] = np.asarray(at)[index] if len(at) < DISPLAY_FRAMES else at
    return Recording(
        images={"frames": frames, "finals": finals},
        numbers={"step_counts": np.array(counts + [spec.ddpm_steps]), "is_ddpm": np.array([0] * len(counts) + [1]),
                 "frame_steps": frame_steps,
                 "distance_to_reference": _np(l2(finals, reference[None])), "finals_float": _np(finals)})

