"""The measures the recordings store: distances between runs, where samples land against a mixture, how
spread and how straight the samples and their paths are. Pure functions of tensors and arrays."""
from __future__ import annotations

import numpy as np
import torch


def l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distance per sample over all of C x H x W, as the original notebook measured it."""
    return (a - b).flatten(1).norm(dim=1)



def heatmap(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean over channels of |a - b|: (B, C, H, W) -> (B, H, W)."""
    return (a - b).abs().mean(dim=1)



def stray(mix, x: np.ndarray, sd: float) -> np.float64:
    """The fraction of points x (N, D) further than sd standard deviations from every component's mean."""
    return np.float64((sd_distance(mix.means, mix.stds, x).min(axis=1) > sd).mean())



def sd_distance(means: np.ndarray, stds: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(N, K): each point's distance to each component's mean, in that component's sd."""
    return np.linalg.norm(x[:, None, :] - means[None], axis=2) / stds[None]



def spread(x: np.ndarray) -> np.float64:
    """The RMS distance of points x (N, D) to their mean."""
    return np.float64(np.sqrt(((x - x.mean(0)) ** 2).sum(1).mean()))



def straightness(states: np.ndarray) -> np.float64:
    """Mean over points of a path's length over the distance between its ends: states (S+1, N, D)."""
    length = np.linalg.norm(np.diff(states, axis=0), axis=2).sum(0)
    return np.float64((length / np.linalg.norm(states[-1] - states[0], axis=1)).mean())

