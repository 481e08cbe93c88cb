"""The samplers: one plain loop each, in the style of k-diffusion, reporting every step to a callback.

Tensors: x is (B, C, H, W) float32 (x_T in, x_0 out); a run's timesteps are given per step and
per sample, t and t_prev of shape (S, B) (or (S,) for a batch that moves together). A negative
t means the sample sits this step out, so runs of different lengths and starting points share
one batch: a row of the noising-then-denoising grid starts late, a 10-step DDIM run ends early.
t_prev < 0 means the last step, to alpha_bar = `final_alpha_bar`.

The arithmetic follows diffusers' DDPMScheduler.step and DDIMScheduler.step term by term, so
that recorded values equal what `scheduler.step()` returns.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Callable, ClassVar

import torch
from diffusers.utils.torch_utils import randn_tensor

Generator = torch.Generator | list[torch.Generator] | None


@dataclass(frozen=True)
class Step:
    """What a sampler reports after each step: k-diffusion's callback, with the papers' names.

    For the B' samples that took part in the step (`rows` of the batch): images (B', C, H, W),
    numbers (B',). DdpmStep and DdimStep add the coefficients of their update equation.
    """
    i: int                        # the step's index in the run
    rows: torch.Tensor            # the samples of the batch that took part, int64
    t: torch.Tensor               # int64
    t_prev: torch.Tensor          # int64; negative on the last step, which ends at the final alpha_bar
    x_t: torch.Tensor             # the state before the step
    eps_hat: torch.Tensor         # the model's predicted noise eps_hat(x_t, t)
    x0_hat: torch.Tensor          # the predicted x_0, Ho et al. (2020) eq. (15), clipped where the scheduler clips
    x_prev: torch.Tensor          # the state after the step, x_{t_prev}
    z: torch.Tensor               # the fresh N(0, I) noise the step added (zeros where it added none)
    clipped: torch.Tensor         # the share of x0_hat's values that the clipping changed
    alpha_bar_t: torch.Tensor
    alpha_bar_prev: torch.Tensor  # alpha_bar_{t_prev}
    sigma_t: torch.Tensor         # the standard deviation of the noise the step adds (0 where none)

    coefficients: ClassVar[tuple[str, ...]] = ("alpha_bar_t", "alpha_bar_prev", "sigma_t")  # per-sample numbers

    def cpu(self) -> "Step":
        """The same step with every tensor detached and on the host, to be kept."""
        return replace(self, **{f.name: getattr(self, f.name).detach().cpu() for f in fields(self)
                                if torch.is_tensor(getattr(self, f.name))})


@dataclass(frozen=True)
class DdpmStep(Step):
    """An ancestral step, Ho et al. (2020) eq. (11):
    x_{t-1} = inv_sqrt_alpha_t (x_t - beta_t_over_sqrt_one_minus_alpha_bar_t eps_hat) + sigma_t z,
    computed through the posterior mean of eq. (7): mu_tilde_x0_coef x0_hat + mu_tilde_xt_coef x_t."""
    inv_sqrt_alpha_t: torch.Tensor                        # 1 / sqrt(alpha_t)
    beta_t_over_sqrt_one_minus_alpha_bar_t: torch.Tensor  # beta_t / sqrt(1 - alpha_bar_t)
    mu_tilde_x0_coef: torch.Tensor  # sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t)
    mu_tilde_xt_coef: torch.Tensor  # sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)

    coefficients: ClassVar[tuple[str, ...]] = Step.coefficients + (
        "inv_sqrt_alpha_t", "beta_t_over_sqrt_one_minus_alpha_bar_t", "mu_tilde_x0_coef", "mu_tilde_xt_coef")


@dataclass(frozen=True)
class DdimStep(Step):
    """A DDIM step, Song et al. (2021) eq. (12), with sigma_t of eq. (16) (0 at eta = 0):
    x_{t-1} = sqrt_alpha_bar_prev x0_hat + direction_coef eps_hat + sigma_t z."""
    sqrt_alpha_bar_prev: torch.Tensor  # sqrt(alpha_bar_{t-1})
    direction_coef: torch.Tensor       # sqrt(1 - alpha_bar_{t-1} - sigma_t^2): sqrt(1 - alpha_bar_{t-1}) at eta = 0

    coefficients: ClassVar[tuple[str, ...]] = Step.coefficients + ("sqrt_alpha_bar_prev", "direction_coef")


Callback = Callable[[Step], None] | None


@dataclass(frozen=True)
class Schedule:
    """The noise schedule of one diffusers scheduler."""
    alpha_bar: torch.Tensor          # (T,) float32: scheduler.alphas_cumprod
    final_alpha_bar: torch.Tensor    # alpha_bar after the last step (DDPM: 1; DDIM: set_alpha_to_one)
    clip: float | None               # clip_sample_range where clip_sample is on
    variance_type: str = "fixed_small"

    @classmethod
    def of(cls, scheduler) -> "Schedule":
        cfg = scheduler.config
        final = getattr(scheduler, "final_alpha_cumprod", None)
        return cls(scheduler.alphas_cumprod.float(), torch.as_tensor(1.0 if final is None else final).float(),
                   cfg.clip_sample_range if cfg.clip_sample else None, cfg.get("variance_type", "fixed_small"))

    def at(self, t: torch.Tensor) -> torch.Tensor:
        """alpha_bar_t for t >= 0, the final alpha_bar for t < 0; shaped (B, 1, 1, 1)."""
        a = torch.where(t >= 0, self.alpha_bar.to(t.device)[t.clamp(min=0)], self.final_alpha_bar.to(t.device))
        return a.view(-1, 1, 1, 1)


def ddpm_timesteps(scheduler, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(t, t_prev), each (S,), as DDPMScheduler.set_timesteps and previous_timestep give them."""
    scheduler.set_timesteps(steps)
    t = scheduler.timesteps.clone()
    return t, torch.stack([torch.as_tensor(scheduler.previous_timestep(s)) for s in t]).long()


def ddim_timesteps(scheduler, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(t, t_prev), each (S,): DDIMScheduler's timesteps and t - T // S, as its step() computes."""
    scheduler.set_timesteps(steps)
    t = scheduler.timesteps.clone()
    return t, t - scheduler.config.num_train_timesteps // steps


def stack_runs(runs: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample (t, t_prev) of different lengths -> (S, B) tables, each run starting at step 0."""
    S = max(len(t) for t, _ in runs)
    t = torch.full((S, len(runs)), -1, dtype=torch.long)
    t_prev = torch.full((S, len(runs)), -1, dtype=torch.long)
    for b, (ts, ps) in enumerate(runs):
        t[: len(ts), b], t_prev[: len(ps), b] = ts, ps
    return t, t_prev


def add_noise(x0: torch.Tensor, eps: torch.Tensor, alpha_bar_t: torch.Tensor) -> torch.Tensor:
    """q(x_t | x_0) in closed form, Ho et al. (2020) eq. (4): sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps."""
    return alpha_bar_t ** 0.5 * x0 + (1 - alpha_bar_t) ** 0.5 * eps


def _per_sample(t: torch.Tensor, batch: int) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=torch.long).cpu()  # the step tables stay on the host (see _active)
    return t[:, None].expand(-1, batch) if t.dim() == 1 else t


def _active(x: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor, i: int):
    """The rows that take part in step i (on the host, where the t tables live: choosing them costs
    the device no synchronisation), with their t, t_prev and x_t."""
    rows = (t[i] >= 0).nonzero().squeeze(1)
    return rows, t[i, rows].to(x.device), t_prev[i, rows].to(x.device), x[rows.to(x.device)]


def _noise(like: torch.Tensor, rows: torch.Tensor, generator: Generator) -> torch.Tensor:
    """Fresh N(0, I) for the active rows, drawn as diffusers' randn_tensor draws it."""
    if isinstance(generator, list):
        return randn_tensor(like.shape, generator=[generator[r] for r in rows.tolist()],
                            device=like.device, dtype=like.dtype)
    return randn_tensor(like.shape, generator=generator, device=like.device, dtype=like.dtype)


def _x0_hat(x, eps, alpha_bar_t, clip):
    """Predicted x_0 from predicted noise, Ho et al. (2020) eq. (15), clipped where the scheduler clips."""
    x0 = (x - (1 - alpha_bar_t) ** 0.5 * eps) / alpha_bar_t ** 0.5
    clipped = (x0.abs() > clip).flatten(1).float().mean(1) if clip is not None else x.new_zeros(len(x))
    return (x0.clamp(-clip, clip) if clip is not None else x0), clipped


def sample_ddpm(model, x: torch.Tensor, schedule: Schedule, t, t_prev, generator: Generator = None,
                callback: Callback = None) -> torch.Tensor:
    """Implements ancestral sampling, Algorithm 2 of Ho et al. (2020), as DDPMScheduler.step does.

    x_{t-1} = 1/sqrt(alpha_t) (x_t - beta_t/sqrt(1 - alpha_bar_t) eps_hat) + sigma_t z, written
    through the posterior mean of eq. (7) so that a clipped x0_hat is honoured as diffusers does.
    """
    t, t_prev = _per_sample(t, len(x)), _per_sample(t_prev, len(x))
    for i in range(len(t)):
        rows, ti, tp, x_t = _active(x, t, t_prev, i)
        eps_hat = model(x_t, ti)
        # 1. alphas, betas of this step (the step may skip many training steps)
        alpha_bar_t, alpha_bar_prev = schedule.at(ti), schedule.at(tp)
        alpha_t = alpha_bar_t / alpha_bar_prev
        beta_t = 1 - alpha_t
        # 2. predicted x_0, eq. (15), clipped as the scheduler says
        x0_hat, clipped = _x0_hat(x_t, eps_hat, alpha_bar_t, schedule.clip)
        # 3. posterior mean mu~_t, eq. (7)
        mu_tilde_x0_coef = (alpha_bar_prev ** 0.5 * beta_t) / (1 - alpha_bar_t)
        mu_tilde_xt_coef = alpha_t ** 0.5 * (1 - alpha_bar_prev) / (1 - alpha_bar_t)
        mean = mu_tilde_x0_coef * x0_hat + mu_tilde_xt_coef * x_t
        # 4. sigma_t: "fixed_small" is the posterior variance beta~_t, eq. (7); "fixed_large" is beta_t
        variance = torch.clamp((1 - alpha_bar_prev) / (1 - alpha_bar_t) * beta_t, min=1e-20)
        if schedule.variance_type == "fixed_large":
            variance = beta_t
        sigma_t = torch.where(ti.view(-1, 1, 1, 1) > 0, variance ** 0.5, 0.0)
        z = _noise(x_t, rows, generator) if bool((t[i, rows] > 0).any()) else torch.zeros_like(x_t)
        x_prev = mean + sigma_t * z
        if callback:
            callback(DdpmStep(i, rows, ti, tp, x_t, eps_hat, x0_hat, x_prev, z, clipped, alpha_bar_t.flatten(),
                              alpha_bar_prev.flatten(), sigma_t.flatten(),
                              inv_sqrt_alpha_t=(1 / alpha_t ** 0.5).flatten(),
                              beta_t_over_sqrt_one_minus_alpha_bar_t=(beta_t / (1 - alpha_bar_t) ** 0.5).flatten(),
                              mu_tilde_x0_coef=mu_tilde_x0_coef.flatten(), mu_tilde_xt_coef=mu_tilde_xt_coef.flatten()))
        x = x.index_copy(0, rows.to(x.device), x_prev)
    return x


def sample_ddim(model, x: torch.Tensor, schedule: Schedule, t, t_prev, eta: float = 0.0,
                generator: Generator = None, callback: Callback = None) -> torch.Tensor:
    """Implements DDIM, eq. (12) of Song et al. (2021), with eta as in eq. (16), as DDIMScheduler.step does.

    x_{t_prev} = sqrt(alpha_bar_prev) x0_hat + sqrt(1 - alpha_bar_prev - sigma_t^2) eps_hat + sigma_t z.
    """
    t, t_prev = _per_sample(t, len(x)), _per_sample(t_prev, len(x))
    for i in range(len(t)):
        rows, ti, tp, x_t = _active(x, t, t_prev, i)
        eps_hat = model(x_t, ti)
        # 2. alphas, betas
        alpha_bar_t, alpha_bar_prev = schedule.at(ti), schedule.at(tp)
        # 3. predicted x_0, eq. (12); 4. clipped as the scheduler says
        x0_hat, clipped = _x0_hat(x_t, eps_hat, alpha_bar_t, schedule.clip)
        # 5. sigma_t(eta), eq. (16)
        variance = (1 - alpha_bar_prev) / (1 - alpha_bar_t) * (1 - alpha_bar_t / alpha_bar_prev)
        sigma_t = eta * variance ** 0.5
        # 6. direction pointing to x_t; 7. x_{t_prev}, eq. (12)
        direction_coef = (1 - alpha_bar_prev - sigma_t ** 2) ** 0.5
        x_prev = alpha_bar_prev ** 0.5 * x0_hat + direction_coef * eps_hat
        z = _noise(x_t, rows, generator) if eta > 0 else torch.zeros_like(x_t)
        if eta > 0:
            x_prev = x_prev + sigma_t * z
        if callback:
            callback(DdimStep(i, rows, ti, tp, x_t, eps_hat, x0_hat, x_prev, z, clipped, alpha_bar_t.flatten(),
                              alpha_bar_prev.flatten(), sigma_t.flatten(),
                              sqrt_alpha_bar_prev=(alpha_bar_prev ** 0.5).flatten(),
                              direction_coef=direction_coef.flatten()))
        x = x.index_copy(0, rows.to(x.device), x_prev)
    return x


@dataclass(frozen=True)
class FlowStep:
    """What sample_euler reports after each step, with flow matching's names: s = 1 is noise, s = 0 data."""
    i: int
    s: torch.Tensor        # (B,) the time of the state before the step
    s_next: torch.Tensor   # (B,) the time after it
    x_s: torch.Tensor      # the state before the step
    v_hat: torch.Tensor    # the velocity v(x_s, s): E[eps - x_0 | x_s] for the exact one
    x_next: torch.Tensor   # x_s + (s_next - s) v_hat

    def cpu(self) -> "FlowStep":
        return replace(self, **{f.name: getattr(self, f.name).detach().cpu() for f in fields(self)
                                if torch.is_tensor(getattr(self, f.name))})


def sample_euler(velocity, x: torch.Tensor, s: torch.Tensor, callback: Callable[[FlowStep], None] | None = None
                 ) -> torch.Tensor:
    """Implements Euler's method on the flow's ODE dx/ds = v(x, s) from s[0] = 1 (noise) down the times s,
    the sampler of rectified flow (Liu et al. 2023, eq. 1) and flow matching (Lipman et al. 2023):
    x_{s_next} = x_s + (s_next - s) v(x_s, s)."""
    for i in range(len(s) - 1):
        s_i, s_next = s[i].expand(len(x)), s[i + 1].expand(len(x))
        v_hat = velocity(x, s_i)
        x_next = x + (s[i + 1] - s[i]) * v_hat
        if callback:
            callback(FlowStep(i, s_i, s_next, x, v_hat, x_next))
        x = x_next
    return x
