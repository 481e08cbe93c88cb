"""The Gaussian mixtures behind the models without weights (cache/model_files.py names them).

    mixture:1d        a 1D mixture of three Gaussians, as in chapter 18 of Understanding Deep Learning
    mixture:smiley    a 2D mixture of small Gaussians along a smiley face, labelled by its parts
                      (outline, eyes, mouth): the classes of classifier-free guidance

An image folder (exact:FOLDER) is the same kind of mixture, one delta per image (s_k = 0). Data
lives in [-1, 1] like images, so the same samplers run on both.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mixture:
    """sum_k w_k N(mu_k, s_k^2 I): weights (K,), means (K, D), stds (K,), all float64. A labelled
    mixture also has the class of each component, labels (K,) int, indexing `classes`."""
    weights: np.ndarray
    means: np.ndarray
    stds: np.ndarray
    labels: np.ndarray | None = None
    classes: tuple[str, ...] = ()

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sha256(self) -> str:
        arrays = [np.ascontiguousarray(a, np.float64).tobytes() for a in (self.weights, self.means, self.stds)]
        if self.labels is not None:  # a labelled mixture is named by its classes as well
            arrays += [np.ascontiguousarray(self.labels, np.int64).tobytes(), "\0".join(self.classes).encode()]
        return hashlib.sha256(b"".join(arrays)).hexdigest()

    def of_class(self, name: str) -> "Mixture":
        """p(x | c): the components of class `name`, their weights renormalised (Bayes with p(c) = their sum)."""
        keep = self.class_components(name)
        return Mixture(self.weights[keep] / self.weights[keep].sum(), self.means[keep], self.stds[keep])

    def class_components(self, name: str) -> np.ndarray:
        """(K,) bool: the components of class `name`."""
        if name not in self.classes:
            raise KeyError(f"no class {name!r}; the classes are {', '.join(self.classes) or 'none (unlabelled)'}")
        return self.labels == self.classes.index(name)


def _mixture(parts: list[tuple[float, list[float], float]] | dict[str, list]) -> Mixture:
    """A mixture of (weight, mean, std) parts; a dict of such lists by class name makes a labelled one."""
    classes = tuple(parts) if isinstance(parts, dict) else ()
    labels = np.concatenate([np.full(len(parts[c]), i) for i, c in enumerate(classes)]) if classes else None
    w, mu, s = zip(*(sum(parts.values(), []) if classes else parts), strict=True)
    w = np.array(w, np.float64)
    return Mixture(w / w.sum(), np.array(mu, np.float64), np.array(s, np.float64), labels, classes)


def one_d() -> Mixture:
    """Three bumps of different widths and weights, like the book's figure 18.2."""
    return _mixture([(0.3, [-0.6], 0.08), (0.45, [0.05], 0.12), (0.25, [0.65], 0.06)])


def smiley() -> Mixture:
    """A face outline, two eyes and a mouth, drawn with 104 small Gaussians; the three parts are its classes."""
    outline = [(1.0, [0.82 * np.cos(a), 0.82 * np.sin(a)], 0.025)
               for a in np.linspace(0, 2 * np.pi, 64, endpoint=False)]
    eyes = [(1.0, [x, 0.28 + dy], 0.035) for x in (-0.3, 0.3)  # a little taller than wide
            for dy in np.linspace(-0.09, 0.09, 5)]
    mouth = [(1.0, [0.5 * np.cos(a), 0.05 + 0.5 * np.sin(a)], 0.025)
             for a in np.linspace(np.radians(205), np.radians(335), 30)]
    return _mixture({"outline": outline, "eyes": eyes, "mouth": mouth})


MIXTURES = {"1d": one_d, "smiley": smiley}


# ---- a drawing as a mixture: the rule the explorer's sandbox (tools/explorer_page/sandbox.js) mirrors ----
DRAWN_SD_MIN, DRAWN_SD_MAX = 0.01, 0.1  # the widths a drawn component may have
DRAWN_SD_ALONE = 0.05                   # the width of a drawing of a single point


def drawn_sd(points: np.ndarray) -> np.ndarray:
    """The width rule: s_k = half the distance from point k to its nearest other point, kept within
    [DRAWN_SD_MIN, DRAWN_SD_MAX] (DRAWN_SD_ALONE for a drawing of one point). Points drawn along a stroke
    so overlap their neighbours into a smooth ridge; a lone point stays a bump of width 0.1."""
    points = np.asarray(points, np.float64)
    if len(points) == 1:
        return np.array([DRAWN_SD_ALONE])
    d = np.sqrt(((points[:, None, :] - points[None]) ** 2).sum(2))
    np.fill_diagonal(d, np.inf)
    return np.clip(d.min(1) / 2, DRAWN_SD_MIN, DRAWN_SD_MAX)


def mixture_from_points(points, classes=None) -> Mixture:
    """A drawing as a Gaussian mixture: one component per point (K, 2), equal weights 1 / K, mean the point,
    sd by drawn_sd's rule. classes (K,) int, optional: each point's brush, which labels the mixture with
    classes 'brush 0', 'brush 1', ... (the classes of guidance)."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    if len(points) == 0:
        raise ValueError("a drawing needs at least one point")
    K = len(points)
    labels, names = None, ()
    if classes is not None:
        labels = np.asarray(classes, np.int64).reshape(K)
        names = tuple(f"brush {c}" for c in range(int(labels.max()) + 1))
    return Mixture(np.full(K, 1 / K), points, drawn_sd(points), labels, names)
