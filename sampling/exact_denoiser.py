"""The exact denoiser: eps_hat(x_t, t) of a data distribution known in closed form, no training.

For data sum_k w_k N(mu_k, s_k^2 I) the forward marginal is again a mixture,
q(x_t | k) = N(sqrt(alpha_bar_t) mu_k, (alpha_bar_t s_k^2 + 1 - alpha_bar_t) I), so E[x_0 | x_t]
follows by Bayes: the posterior over components, times each component's Gaussian posterior mean.
Then eps_hat = (x_t - sqrt(alpha_bar_t) E[x_0 | x_t]) / sqrt(1 - alpha_bar_t), Ho et al. (2020)
eq. (4) solved for eps: the denoiser that minimises the training loss exactly. An image folder
is the same mixture with s_k = 0: a softmax over the training images, which at high resolution
picks one of them, i.e. memorisation.

The same Bayes rule gives classifier-free guidance with exact denoisers (p(x | c) is the mixture
of class c's components) and the velocity of flow matching (x_s = (1 - s) x_0 + s eps is the same
kind of Gaussian corruption, with scale 1 - s and noise variance s^2).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from cache.beta_schedules import with_schedule
from cache.datasets import load_dataset
from cache.mixtures import Mixture
from cache.model_files import ExactFiles, locate_exact, mixture_of

from .denoiser import Denoiser


def posterior_mean(mixture: Mixture, x: np.ndarray, scale: np.ndarray, noise_var: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(E[x_0 | x] (B, D), p(k | x) (B, K)) for x = scale x_0 + sqrt(noise_var) n, x_0 from the mixture and
    n ~ N(0, I): x (B, D) float64, scale and noise_var (B, 1). Given k, x ~ N(scale mu_k, var_k I) with
    var_k = scale^2 s_k^2 + noise_var: Bayes over k (by log-sum-exp), then each Gaussian's posterior mean."""
    means, variances = mixture.means, mixture.stds ** 2
    var = scale ** 2 * variances + noise_var                                              # (B, K)
    dist_sq = np.maximum((x ** 2).sum(1, keepdims=True) - 2 * scale * (x @ means.T)
                         + scale ** 2 * (means ** 2).sum(1), 0)
    log_p = np.log(mixture.weights) - 0.5 * x.shape[1] * np.log(var) - dist_sq / (2 * var)
    p_k = np.exp(log_p - log_p.max(1, keepdims=True))
    p_k /= p_k.sum(1, keepdims=True)
    gain = scale * variances / var                                                        # (B, K)
    return (p_k * (1 - gain * scale)) @ means + (p_k * gain).sum(1, keepdims=True) * x, p_k


@dataclass
class ExactDenoiser(Denoiser):
    """A Mixture as the function eps_hat(x_t, t), called as every Denoiser: x (B, C, H, W), t (B,) int64.

    Computed in float64 on the CPU (the weights become one-hot at high resolution; log-sum-exp
    keeps them finite), returned as float32 on x's device.
    """
    files: ExactFiles
    mixture: Mixture
    device: str = "cpu"
    dtype: str = "float32"
    calls: int = field(default=0)

    def __post_init__(self):
        self.alpha_bar = self.ddpm().alphas_cumprod.double().numpy()  # (T,)

    def with_scheduler(self, **changes) -> "ExactDenoiser":
        """The same data under another scheduler config (these keys changed), e.g. timestep_spacing."""
        return replace(self, files=replace(self.files, scheduler_config=self.files.scheduler_config | changes),
                       calls=0)

    def with_schedule(self, schedule: str) -> "ExactDenoiser":
        """The same data diffused with another beta schedule of cache/beta_schedules.py."""
        return self.with_scheduler(**with_schedule({}, schedule))

    def posterior(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(E[x_0 | x_t] as (B, D) float64, p(k | x_t) as (B, K)) for x (B, C, H, W), t (B,).

        In numpy: these are many small element-wise operations, which torch's thread pool slows
        down several times over on a busy machine."""
        x = x.detach().cpu().double().flatten(1).numpy()                  # (B, D)
        a = self.alpha_bar[t.cpu().numpy()][:, None]                       # (B, 1)
        x0_mean, p_k = posterior_mean(self.mixture, x, np.sqrt(a), 1 - a)
        return torch.from_numpy(x0_mean), torch.from_numpy(p_k)

    def eps_hat(self, x: torch.Tensor, t: torch.Tensor) -> np.ndarray:
        """eps_hat (B, D) float64: Ho et al. (2020) eq. (4) solved for eps, with E[x_0 | x_t] for x_0."""
        x0_mean, _ = self.posterior(x, t)
        a = self.alpha_bar[t.cpu().numpy()][:, None]
        return (x.detach().cpu().double().flatten(1).numpy() - np.sqrt(a) * x0_mean.numpy()) / np.sqrt(1 - a)

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.from_numpy(self.eps_hat(x, t)).float().view(x.shape).to(x.device)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.files.shape


class GuidedDenoiser(Denoiser):
    """Classifier-free guidance (Ho and Salimans 2022) with exact denoisers: eps_w = eps_u + w (eps_c - eps_u),
    eps_u of p(x), eps_c of p(x | c). w = 0 is unconditional, w = 1 conditional, w > 1 extrapolates past it."""

    def __init__(self, unconditional: ExactDenoiser, conditional: ExactDenoiser, w: float):
        self.unconditional, self.conditional, self.w = unconditional, conditional, w
        self.files, self.device, self.dtype, self.calls = unconditional.files, "cpu", "float32", 0

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        eps_u = self.unconditional.eps_hat(x, t)
        eps_w = eps_u + self.w * (self.conditional.eps_hat(x, t) - eps_u)
        return torch.from_numpy(eps_w).float().view(x.shape).to(x.device)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.files.shape


@dataclass
class ExactVelocity:
    """The velocity of flow matching for data from a Mixture, exactly: on the path x_s = (1 - s) x_0 + s eps
    (rectified flow), v(x_s, s) = E[eps - x_0 | x_s]. With E[x_0 | x_s] by Bayes (scale 1 - s, noise variance
    s^2) and E[eps | x_s] = (x_s - (1 - s) E[x_0 | x_s]) / s, it is v = (x_s - E[x_0 | x_s]) / s.
    Called with x (B, D, 1, 1) and s (B,) in (0, 1]; returns float32 like x."""
    mixture: Mixture
    calls: int = 0

    def __call__(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        z = x.detach().cpu().double().flatten(1).numpy()
        s = s.detach().cpu().double().numpy()[:, None]
        x0_mean, _ = posterior_mean(self.mixture, z, 1 - s, s ** 2)
        return torch.from_numpy((z - x0_mean) / s).float().view(x.shape).to(x.device)


def training_images(files: ExactFiles) -> np.ndarray:
    """The images of exact:FOLDER (or a recipe) as float32 (N, 3, H, W) in [-1, 1], as training sees them."""
    return load_dataset(files.source, files.image_size)


def load_exact(name: str) -> ExactDenoiser:
    files = locate_exact(name)
    if files.is_mixture:
        return ExactDenoiser(files, mixture_of(files))
    images = training_images(files).reshape(-1, int(np.prod(files.shape))).astype(np.float64)
    n = len(images)
    return ExactDenoiser(files, Mixture(np.full(n, 1 / n), images, np.zeros(n)))
