"""The Gaussian mixtures behind the models without weights (cache/model_files.py names them).

    mixture:1d        a 1D mixture of three Gaussians, as in chapter 18 of Understanding Deep Learning
    mixture:smiley    a 2D mixture of small Gaussians along a smiley face

An image folder (exact:FOLDER) is the same kind of mixture, one delta per image (s_k = 0). Data
lives in [-1, 1] like images, so the same samplers run on both.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mixture:
    """sum_k w_k N(mu_k, s_k^2 I): weights (K,), means (K, D), stds (K,), all float64."""
    weights: np.ndarray
    means: np.ndarray
    stds: np.ndarray

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sha256(self) -> str:
        return hashlib.sha256(b"".join(np.ascontiguousarray(a, np.float64).tobytes()
                                       for a in (self.weights, self.means, self.stds))).hexdigest()


def _mixture(parts: list[tuple[float, list[float], float]]) -> Mixture:
    w, mu, s = zip(*parts)
    w = np.array(w, np.float64)
    return Mixture(w / w.sum(), np.array(mu, np.float64), np.array(s, np.float64))


def one_d() -> Mixture:
    """Three bumps of different widths and weights, like the book's figure 18.2."""
    return _mixture([(0.3, [-0.6], 0.08), (0.45, [0.05], 0.12), (0.25, [0.65], 0.06)])


def smiley() -> Mixture:
    """A face outline, two eyes and a mouth, drawn with 104 small Gaussians."""
    parts = []
    for a in np.linspace(0, 2 * np.pi, 64, endpoint=False):  # the outline
        parts.append((1.0, [0.82 * np.cos(a), 0.82 * np.sin(a)], 0.025))
    for x in (-0.3, 0.3):  # the eyes, a little taller than wide
        for dy in np.linspace(-0.09, 0.09, 5):
            parts.append((1.0, [x, 0.28 + dy], 0.035))
    for a in np.linspace(np.radians(205), np.radians(335), 30):  # the mouth
        parts.append((1.0, [0.5 * np.cos(a), 0.05 + 0.5 * np.sin(a)], 0.025))
    return _mixture(parts)


MIXTURES = {"1d": one_d, "smiley": smiley}
