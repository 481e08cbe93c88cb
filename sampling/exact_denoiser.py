"""The exact denoiser: eps_hat(x_t, t) of a data distribution known in closed form, no training.

For data sum_k w_k N(mu_k, s_k^2 I) the forward marginal is again a mixture,
q(x_t | k) = N(sqrt(alpha_bar_t) mu_k, (alpha_bar_t s_k^2 + 1 - alpha_bar_t) I), so E[x_0 | x_t]
follows by Bayes: the posterior over components, times each component's Gaussian posterior mean.
Then eps_hat = (x_t - sqrt(alpha_bar_t) E[x_0 | x_t]) / sqrt(1 - alpha_bar_t), Ho et al. (2020)
eq. (4) solved for eps: the denoiser that minimises the training loss exactly. An image folder
is the same mixture with s_k = 0: a softmax over the training images, which at high resolution
picks one of them, i.e. memorisation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from cache.datasets import load_dataset
from cache.mixtures import MIXTURES, Mixture
from cache.model_files import ExactFiles, locate_exact

from .denoiser import Denoiser


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
        self.means = self.mixture.means                       # (K, D)
        self.variances = self.mixture.stds ** 2               # (K,)
        self.log_weights = np.log(self.mixture.weights)       # (K,)
        self.mean_sq = (self.means ** 2).sum(1)               # (K,)
        self.alpha_bar = self.ddpm().alphas_cumprod.double().numpy()  # (T,)

    def posterior(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(E[x_0 | x_t] as (B, D) float64, p(k | x_t) as (B, K)) for x (B, C, H, W), t (B,).

        In numpy: these are many small element-wise operations, which torch's thread pool slows
        down several times over on a busy machine."""
        x = x.detach().cpu().double().flatten(1).numpy()                  # (B, D)
        a = self.alpha_bar[t.cpu().numpy()][:, None]                       # (B, 1)
        var = a * self.variances + (1 - a)                                 # (B, K): q(x_t | k) = N(sqrt(a) mu_k, var I)
        dist_sq = np.maximum((x ** 2).sum(1, keepdims=True) - 2 * np.sqrt(a) * (x @ self.means.T) + a * self.mean_sq, 0)
        log_p = self.log_weights - 0.5 * x.shape[1] * np.log(var) - dist_sq / (2 * var)
        p_k = np.exp(log_p - log_p.max(1, keepdims=True))                  # Bayes, by log-sum-exp
        p_k /= p_k.sum(1, keepdims=True)
        gain = np.sqrt(a) * self.variances / var                           # (B, K): Gaussian posterior per component
        x0_mean = (p_k * (1 - gain * np.sqrt(a))) @ self.means + (p_k * gain).sum(1, keepdims=True) * x
        return torch.from_numpy(x0_mean), torch.from_numpy(p_k)

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        x0_mean, _ = self.posterior(x, t)
        a = torch.from_numpy(self.alpha_bar[t.cpu().numpy()][:, None])
        eps_hat = (x.detach().cpu().double().flatten(1) - a.sqrt() * x0_mean) / (1 - a).sqrt()
        return eps_hat.float().view(x.shape).to(x.device)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.files.shape


def training_images(files: ExactFiles) -> np.ndarray:
    """The images of exact:FOLDER (or a recipe) as float32 (N, 3, H, W) in [-1, 1], as training sees them."""
    return load_dataset(files.source, files.image_size)


def load_exact(name: str) -> ExactDenoiser:
    files = locate_exact(name)
    if files.is_mixture:
        return ExactDenoiser(files, MIXTURES[files.source]())
    images = training_images(files).reshape(-1, int(np.prod(files.shape))).astype(np.float64)
    n = len(images)
    return ExactDenoiser(files, Mixture(np.full(n, 1 / n), images, np.zeros(n)))
