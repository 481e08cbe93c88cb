"""The recordings: each turns one spec (cache/specs.py) into arrays, by running the samplers once.

A recorder is registered by the kind of recording it makes (Spec.experiment, as cache/experiments.py declares
each experiment's `records`) in the module of its experiment's family: notebook_recorders.py,
mixtures_recorders.py, memorisation_recorders.py. A recording is two dicts: `images`, float32 (..., C, H, W)
in model units (stored for display as uint8), and `numbers`, stored exactly as computed; together they hold
exactly the arrays that cache/stored_arrays.py lists for the experiment. Noise is drawn as diffusers'
pipelines draw it: a CPU torch.Generator seeded with the spec's seed, randn_tensor of shape (n, C, H, W).
"""
from __future__ import annotations

import importlib
from typing import Callable

from cache.experiments import FAMILIES
from cache.specs import Spec
from cache.stored_arrays import stored_arrays

from ..denoiser import Denoiser
from .recording import Recording, run, starting_noise

__all__ = ["RECORDERS", "Recording", "record", "recorder", "run", "starting_noise"]

RECORDERS: dict[str, Callable] = {}  # kind of recording (Spec.experiment) -> its recorder (model, spec) -> Recording
TAKES_IMAGE: set[str] = set()  # the kinds whose recorder also takes the path of the image file x_0 is read from


def recorder(kind: str, image: bool = False) -> Callable[[Callable], Callable]:
    """Registers the decorated function as the recorder of `kind`; image: it takes image_path too."""
    def register(fn: Callable) -> Callable:
        if kind in RECORDERS:
            raise RuntimeError(f"two recorders of {kind}: {RECORDERS[kind].__qualname__} and {fn.__qualname__}")
        RECORDERS[kind] = fn
        if image:
            TAKES_IMAGE.add(kind)
        return fn
    return register


for _family in FAMILIES:  # each family's module registers its recorders
    importlib.import_module(f".{_family}_recorders", __name__)


def record(model: Denoiser, spec: Spec, image_path: str | None = None) -> Recording:
    """The recording of one spec, holding exactly the arrays that cache/stored_arrays.py lists for it."""
    made_by = RECORDERS[spec.experiment]
    recording = made_by(model, spec, image_path) if spec.experiment in TAKES_IMAGE else made_by(model, spec)
    written = sorted([*recording.images, *recording.numbers])
    listed = sorted(stored_arrays(spec.experiment, recording.variant))
    if written != listed:
        raise RuntimeError(f"the {spec.experiment} recording ({recording.variant}) wrote {written}, but "
                           f"cache/stored_arrays.py lists {listed}")
    return recording
