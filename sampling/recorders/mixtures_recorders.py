"""The recorders of the experiments on the mixtures (family "mixtures" of cache/experiments.py): the model is a
mixture's exact denoiser, points are (N, D, 1, 1) to the samplers."""
from __future__ import annotations

import numpy as np
import torch
from diffusers.utils.torch_utils import randn_tensor

from cache.specs import Flow, Guidance, Schedules, Toy

from ..metrics import sd_distance, spread, straightness, stray
from ..samplers import add_noise, ddim_timesteps, sample_euler
from . import recorder
from .recording import Recording, StepLog, _kept_states, _np, run


@recorder("toy")
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



def draw_mixture(mix, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points of sum_k w_k N(mu_k, s_k^2 I), (n, D) float32: a component by its weight, then its Gaussian;
    and the components (n,)."""
    k = torch.multinomial(torch.from_numpy(mix.weights), n, replacement=True, generator=gen)
    x0 = (torch.from_numpy(mix.means)[k] + torch.from_numpy(mix.stds)[k, None] *
          torch.randn((n, mix.dim), generator=gen, dtype=torch.float64)).float()
    return x0, k



@recorder("schedules")
def record_schedules(model, spec: Schedules) -> Recording:
    """Under each beta schedule: alpha_bar and log SNR of every training step, how many steps have SNR in
    the window, one image noised with the same eps at the same t, and DDIM on the mixture from one x_T."""
    from cache.model_files import locate_exact

    from ..exact_denoiser import training_images
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



@recorder("guidance")
def record_guidance(model, spec: Guidance) -> Recording:
    """Classifier-free guidance with the exact denoisers of p(x) and p(x | c): the three fields at field_t,
    and DDIM samples of class c at each w from the same noises, with their spread and where they land."""
    from ..exact_denoiser import ExactDenoiser, GuidedDenoiser
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



@recorder("flow")
def record_flow(model, spec: Flow) -> Recording:
    """From the same noises: Euler on the exact velocity of the path x_s = (1 - s) x_0 + s eps, and DDIM on the
    model's schedule, each with every step count (one denoiser evaluation a step)."""
    from ..exact_denoiser import ExactVelocity
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

