"""The recordings: each turns one spec (cache/specs.py) into arrays, by running the samplers once.

A recording is two dicts: `images`, float32 (..., C, H, W) in model units (stored for display
as uint8), and `numbers`, stored exactly as computed; together they hold exactly the arrays that
cache/stored_arrays.py lists for the experiment. Noise is drawn as diffusers' pipelines draw
it: a CPU torch.Generator seeded with the spec's seed, randn_tensor of shape (n, C, H, W).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image

from cache.specs import (
    DdimSteps,
    Flow,
    Forward,
    ForwardBackward,
    Guidance,
    Memorisation,
    NoiseSweep,
    Reverse,
    Schedules,
    SimilarNoise,
    Spec,
    Toy,
)
from cache.stored_arrays import stored_arrays

from .denoiser import Denoiser
from .samplers import (
    Schedule,
    Step,
    add_noise,
    ddim_timesteps,
    ddpm_timesteps,
    sample_ddim,
    sample_ddpm,
    sample_euler,
    stack_runs,
)

DISPLAY_FRAMES = 51  # states kept per run where a run is longer (ddim_steps at 1000 steps)


@dataclass
class Recording:
    images: dict[str, np.ndarray] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    variant: str | None = None  # which arrays of cache/stored_arrays.py beyond the experiment's own


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().numpy()


def l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distance per sample over all of C x H x W, as the original notebook measured it."""
    return (a - b).flatten(1).norm(dim=1)


def heatmap(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean over channels of |a - b|: (B, C, H, W) -> (B, H, W)."""
    return (a - b).abs().mean(dim=1)


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


class StepLog:
    """A callback that keeps the Step the sampler reports at every step, for a batch that moves together."""

    def __init__(self):
        self.steps: list[Step] = []

    def __call__(self, step: Step) -> None:
        self.steps.append(step.cpu())

    def stack(self, name: str) -> torch.Tensor:
        """One field of every step, stacked: (S, B, ...)."""
        return torch.stack([getattr(s, name) for s in self.steps])


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

    from .engine import run_together  # the DDIM runs and the DDPM run share each UNet call
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


def _kept_states(steps: int) -> np.ndarray:
    """Indices of DISPLAY_FRAMES states of a run of `steps` steps, evenly spaced in normalised time."""
    return np.round(np.linspace(0, steps, DISPLAY_FRAMES)).astype(int)


def record_toy(model, spec: Toy) -> Recording:
    """Points x_0 of a mixture (model: an ExactDenoiser), the forward chain q(x_t | x_{t-1}) on all of
    them, q(x_t) on a grid (1D), the field eps_hat(z, t), and DDPM and DDIM back from one x_T.

    Points are (N, D, 1, 1) to the samplers (D channels of a 1x1 image) and (N, D) in the recording.
    """
    gen = torch.Generator().manual_seed(spec.seed)
    model = model.with_schedule(spec.schedule)  # a mixture's exact denoiser: numpy, nothing to pool
    mix = model.mixture
    D, N, P = mix.dim, spec.points, spec.paths
    # x_0 ~ sum_k w_k N(mu_k, s_k^2 I): a component by its weight, then its Gaussian
    k = torch.multinomial(torch.from_numpy(mix.weights), N, replacement=True, generator=gen)
    x0 = (torch.from_numpy(mix.means)[k] + torch.from_numpy(mix.stds)[k, None] *
          torch.randn((N, D), generator=gen, dtype=torch.float64)).float()
    sched = model.ddpm()
    betas, alpha_bar = sched.betas.float(), sched.alphas_cumprod.double()
    T = len(betas)
    forward_t = np.unique(np.round(np.linspace(0, T - 1, spec.frames)).astype(int))
    # The chain q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), one training step at a time
    x, kept, paths = x0, [], []
    for step in range(T):
        x = (1 - betas[step]) ** 0.5 * x + betas[step] ** 0.5 * torch.randn((N, D), generator=gen)
        paths.append(x[:P])
        if step in forward_t:
            kept.append(x)
    # eps_hat(z, t) on a grid, at every kept t
    axis = np.linspace(-spec.extent, spec.extent, spec.grid)
    grid = torch.from_numpy(np.stack(np.meshgrid(*[axis] * D, indexing="xy"), -1).reshape(-1, D)).float()
    field = torch.stack([model(grid.view(-1, D, 1, 1), torch.full((len(grid),), int(t))).view(-1, D)
                         for t in forward_t])
    numbers = {"x0": _np(x0), "component": k.numpy(), "forward_t": forward_t, "forward": _np(torch.stack(kept)),
               "forward_paths": _np(torch.stack(paths)), "alpha_bar": _np(alpha_bar), "grid": _np(grid),
               "eps_hat_field": _np(field)}
    # q(x_t) = sum_k w_k N(sqrt(alpha_bar_t) mu_k, alpha_bar_t s_k^2 + 1 - alpha_bar_t); x_0 at alpha_bar = 1
    if D == 1:
        a = np.concatenate([[1.0], alpha_bar.numpy()[forward_t]])[:, None, None]
        var = a * mix.stds ** 2 + 1 - a
        z = axis[None, :, None]
        density = (mix.weights * np.exp(-(z - np.sqrt(a) * mix.means[:, 0]) ** 2 / (2 * var))
                   / np.sqrt(2 * np.pi * var)).sum(-1).astype(np.float32)
        numbers |= {"data_density": density[0], "density": density[1:]}
    # Reverse: the same samplers as for images, from one x_T
    x_T = torch.randn((N, D, 1, 1), generator=gen)
    for scheduler, steps in (("ddpm", spec.ddpm_steps), ("ddim", spec.steps)):
        log = StepLog()
        final = run(model, scheduler, steps, x_T.clone(), generator=gen, callback=log)
        states = torch.cat([x_T[None], log.stack("x_prev")]).flatten(2)        # (S+1, N, D)
        state_t = torch.cat([log.stack("t")[:1, 0], log.stack("t_prev")[:, 0]]).clamp(min=-1)  # -1: the clean end
        keep = _kept_states(steps)
        numbers |= {f"{scheduler}_t": state_t.numpy(), f"{scheduler}_paths": _np(states[:, :P]),
                    f"{scheduler}_frames": _np(states[keep]), f"{scheduler}_frame_t": state_t[keep].numpy(),
                    f"{scheduler}_final": _np(final.flatten(1))}
    # How many samples land off the data: DDIM's few large steps against DDPM's, and against DDIM
    # with as many steps as DDPM (what remains is then the sampler's, not the step size's)
    fine = run(model, "ddim", spec.ddpm_steps, x_T.clone()).flatten(1)
    numbers |= {"ddpm_stray": stray(mix, numbers["ddpm_final"], spec.stray_sd),
                "ddim_stray": stray(mix, numbers["ddim_final"], spec.stray_sd),
                "ddim_fine_stray": stray(mix, _np(fine), spec.stray_sd), "stray_sd": np.float64(spec.stray_sd)}
    return Recording(numbers=numbers, variant=f"{D}d")


def stray(mix, x: np.ndarray, sd: float) -> np.float64:
    """The fraction of points x (N, D) further than sd standard deviations from every component's mean."""
    return np.float64((sd_distance(mix.means, mix.stds, x).min(axis=1) > sd).mean())


def sd_distance(means: np.ndarray, stds: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(N, K): each point's distance to each component's mean, in that component's sd."""
    return np.linalg.norm(x[:, None, :] - means[None], axis=2) / stds[None]


def draw_mixture(mix, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points of sum_k w_k N(mu_k, s_k^2 I), (n, D) float32: a component by its weight, then its Gaussian;
    and the components (n,)."""
    k = torch.multinomial(torch.from_numpy(mix.weights), n, replacement=True, generator=gen)
    x0 = (torch.from_numpy(mix.means)[k] + torch.from_numpy(mix.stds)[k, None] *
          torch.randn((n, mix.dim), generator=gen, dtype=torch.float64)).float()
    return x0, k


def record_schedules(model, spec: Schedules) -> Recording:
    """Under each beta schedule: alpha_bar and log SNR of every training step, how many steps have SNR in
    the window, one image noised with the same eps at the same t, and DDIM on the mixture from one x_T."""
    from cache.model_files import locate_exact

    from .exact_denoiser import training_images
    gen = torch.Generator().manual_seed(spec.seed)
    x0 = torch.from_numpy(training_images(locate_exact(spec.image))[spec.image_index])  # (C, H, W)
    eps = randn_tensor((1, *x0.shape), generator=gen)[0]
    x_T = torch.randn((spec.points, model.mixture.dim, 1, 1), generator=gen)
    alpha_bar, x_t, finals, strays, first_t = [], [], [], [], []
    for name in spec.schedules:
        m = model.with_schedule(name)
        a = m.ddpm().alphas_cumprod.double()
        image_t = np.round(np.linspace(0, len(a) - 1, spec.frames)).astype(int)
        alpha_bar.append(a.numpy())
        x_t.append(add_noise(x0[None], eps[None], a[image_t].float().view(-1, 1, 1, 1)))
        runs = [run(m, "ddim", steps, x_T.clone()).flatten(1) for steps in spec.step_counts]
        finals.append(np.stack([_np(f) for f in runs]))
        strays.append([stray(m.mixture, f, spec.stray_sd) for f in finals[-1]])
        first_t.append([int(ddim_timesteps(m.ddim(), steps)[0][0]) for steps in spec.step_counts])
    alpha_bar = np.stack(alpha_bar)
    snr = alpha_bar / (1 - alpha_bar)
    return Recording(
        images={"x0": x0, "eps": eps, "x_t": torch.stack(x_t)},
        numbers={"alpha_bar": alpha_bar, "log_snr": np.log(snr), "snr_window": np.array([spec.snr_low, spec.snr_high]),
                 "steps_in_window": ((snr >= spec.snr_low) & (snr <= spec.snr_high)).sum(1), "image_t": image_t,
                 "step_counts": np.array(spec.step_counts), "ddim_t": np.array(first_t), "x_T": _np(x_T.flatten(1)),
                 "ddim_final": np.stack(finals),
                 "ddim_stray": np.array(strays), "stray_sd": np.float64(spec.stray_sd)})


def spread(x: np.ndarray) -> np.float64:
    """The RMS distance of points x (N, D) to their mean."""
    return np.float64(np.sqrt(((x - x.mean(0)) ** 2).sum(1).mean()))


def record_guidance(model, spec: Guidance) -> Recording:
    """Classifier-free guidance with the exact denoisers of p(x) and p(x | c): the three fields at field_t,
    and DDIM samples of class c at each w from the same noises, with their spread and where they land."""
    from .exact_denoiser import ExactDenoiser, GuidedDenoiser
    gen = torch.Generator().manual_seed(spec.seed)
    mix = model.mixture
    own = mix.class_components(spec.condition)
    conditional = mix.of_class(spec.condition)
    eps_u, eps_c = ExactDenoiser(model.files, mix), ExactDenoiser(model.files, conditional)
    guided = [GuidedDenoiser(eps_u, eps_c, w) for w in spec.weights]
    axis = np.linspace(-spec.extent, spec.extent, spec.grid)
    grid = torch.from_numpy(np.stack(np.meshgrid(axis, axis, indexing="xy"), -1).reshape(-1, 2)).float()
    at_t = grid.view(-1, 2, 1, 1), torch.full((len(grid),), spec.field_t)
    x_T = torch.randn((spec.points, mix.dim, 1, 1), generator=gen)
    reference, _ = draw_mixture(conditional, spec.points, gen)
    frames, finals = [], []
    for g in guided:
        log = StepLog()
        finals.append(_np(run(g, "ddim", spec.steps, x_T.clone(), callback=log).flatten(1)))
        states = torch.cat([x_T[None], log.stack("x_prev")]).flatten(2)
        frames.append(_np(states[_kept_states(spec.steps)]))
    state_t = torch.cat([log.stack("t")[:1, 0], log.stack("t_prev")[:, 0]]).clamp(min=-1)
    # the truth: p(x | c)'s own spread, sum_k w_k (|mu_k - m|^2 + D s_k^2) with m its mean
    m = conditional.weights @ conditional.means
    square = ((conditional.means - m) ** 2).sum(1) + mix.dim * conditional.stds ** 2
    true_spread = np.sqrt(conditional.weights @ square)

    def near(x):  # (N, K_c): within stray_sd sd of each of the class's components
        return sd_distance(mix.means[own], mix.stds[own], x) <= spec.stray_sd

    return Recording(numbers={
        "weights": np.array(spec.weights), "class_components": own.astype(np.int64), "grid": _np(grid),
        "field_t": np.int64(spec.field_t), "eps_uncond_field": eps_u.eps_hat(*at_t),
        "eps_cond_field": eps_c.eps_hat(*at_t),
        "eps_guided_field": np.stack([_np(g(*at_t).flatten(1)) for g in guided]),
        "frame_t": state_t[_kept_states(spec.steps)].numpy(), "frames": np.stack(frames), "final": np.stack(finals),
        "reference": _np(reference), "spread": np.array([spread(f) for f in finals]),
        "true_spread": np.float64(true_spread),
        "on_class": np.array([near(f).any(1).mean() for f in finals]),
        "coverage": np.array([near(f).any(0).mean() for f in finals]),
        "reference_coverage": np.float64(near(_np(reference)).any(0).mean()), "stray_sd": np.float64(spec.stray_sd)})


def straightness(states: np.ndarray) -> np.float64:
    """Mean over points of a path's length over the distance between its ends: states (S+1, N, D)."""
    length = np.linalg.norm(np.diff(states, axis=0), axis=2).sum(0)
    return np.float64((length / np.linalg.norm(states[-1] - states[0], axis=1)).mean())


def record_flow(model, spec: Flow) -> Recording:
    """From the same noises: Euler on the exact velocity of the path x_s = (1 - s) x_0 + s eps, and DDIM on the
    model's schedule, each with every step count (one denoiser evaluation a step)."""
    from .exact_denoiser import ExactVelocity
    gen = torch.Generator().manual_seed(spec.seed)
    mix = model.mixture
    velocity, ddim = ExactVelocity(mix), model.with_scheduler(timestep_spacing=spec.timestep_spacing)
    x_T = torch.randn((spec.points, mix.dim, 1, 1), generator=gen)
    out = {k: [] for k in ("euler_frames", "euler_frame_s", "euler_final", "euler_straightness", "euler_stray",
                           "ddim_frames", "ddim_frame_t", "ddim_final", "ddim_straightness", "ddim_flow_straightness",
                           "ddim_stray")}
    for n in spec.step_counts:
        keep = _kept_states(n)
        s = torch.linspace(1, 0, n + 1, dtype=torch.float64).float()
        log = StepLog()
        sample_euler(velocity, x_T.clone(), s, callback=log)
        euler = _np(torch.cat([x_T[None], log.stack("x_next")]).flatten(2)).astype(np.float64)  # (n+1, N, D)
        log = StepLog()
        run(ddim, "ddim", n, x_T.clone(), callback=log)
        states = _np(torch.cat([x_T[None], log.stack("x_prev")]).flatten(2)).astype(np.float64)
        state_t = torch.cat([log.stack("t")[:1, 0], log.stack("t_prev")[:, 0]]).clamp(min=-1).numpy()
        a = np.where(state_t >= 0, ddim.alpha_bar[state_t.clip(0)], 1.0)[:, None, None]
        for name, value in {"euler_frames": euler[keep], "euler_frame_s": s.numpy()[keep], "euler_final": euler[-1],
                            "euler_straightness": straightness(euler),
                            "euler_stray": stray(mix, euler[-1], spec.stray_sd),
                            "ddim_frames": states[keep], "ddim_frame_t": state_t[keep], "ddim_final": states[-1],
                            "ddim_straightness": straightness(states),
                            "ddim_flow_straightness": straightness(states / (np.sqrt(a) + np.sqrt(1 - a))),
                            "ddim_stray": stray(mix, states[-1], spec.stray_sd)}.items():
            out[name].append(value)
    numbers = {k: np.stack(v).astype(np.float32) if k.endswith(("frames", "final")) else np.stack(v)
               for k, v in out.items()}
    numbers |= {"step_counts": np.array(spec.step_counts), "x_T": _np(x_T.flatten(1)),
                "euler_paths": numbers["euler_frames"][:, :, :spec.paths],
                "ddim_paths": numbers["ddim_frames"][:, :, :spec.paths], "stray_sd": np.float64(spec.stray_sd)}
    return Recording(numbers=numbers)


def record_memorisation(model: Denoiser, spec: Memorisation) -> Recording:
    """DDIM from the same noises with the trained UNet and with the exact denoiser of its training
    images; each output's nearest training image and the distance to it."""
    from .exact_denoiser import load_exact, training_images
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


def _recording(model: Denoiser, spec: Spec, image_path: str | None) -> Recording:
    if isinstance(spec, Forward):
        return record_forward(model, spec, image_path)
    if isinstance(spec, ForwardBackward):
        return record_forward_backward(model, spec, image_path)
    return {Reverse: record_reverse, SimilarNoise: record_similar_noise, NoiseSweep: record_noise_sweep,
            DdimSteps: record_ddim_steps, Toy: record_toy, Memorisation: record_memorisation,
            Schedules: record_schedules, Guidance: record_guidance, Flow: record_flow}[type(spec)](model, spec)


def record(model: Denoiser, spec: Spec, image_path: str | None = None) -> Recording:
    """The recording of one spec, holding exactly the arrays that cache/stored_arrays.py lists for it."""
    recording = _recording(model, spec, image_path)
    written = sorted([*recording.images, *recording.numbers])
    listed = sorted(stored_arrays(spec.experiment, recording.variant))
    if written != listed:
        raise RuntimeError(f"the {spec.experiment} recording ({recording.variant}) wrote {written}, but "
                           f"cache/stored_arrays.py lists {listed}")
    return recording
