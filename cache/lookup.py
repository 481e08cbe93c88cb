"""What scenes call: the trajectory for the configured model and settings, found by its key.

The cache only finds: a missing trajectory is MissingTrajectory, with the command that records it.
Whether to record it on the spot instead is the caller's decision (scenes/kit/base.py).
"""
from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass

import numpy as np

from . import store
from .config import Settings, load_settings
from .drawings import two_d_mixture
from .errors import DiffvizError
from .experiments import FLAGS, LEFT_OUT_AT
from .experiments import experiment as experiment_named
from .model_files import ModelError, locate_local
from .specs import Spec, memorisation_model, specs_for


class MissingTrajectory(DiffvizError, LookupError):
    """No trajectory for these settings; the message is the command that makes it."""


@dataclass(frozen=True, repr=False)
class Trajectory:
    """One recording: its spec, its manifest (model, settings, versions, build command) and its arrays by name
    (images as uint8 (..., H, W, 3), the stored frames; numbers as recorded). trajectory["x0_hat"] is an array."""
    spec: Spec
    manifest: dict
    arrays: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @property
    def experiment(self) -> str:
        return self.manifest["experiment"]

    @property
    def index(self) -> int:
        """Which recording of its experiment it is (cache/specs.py specs_for, in order)."""
        return self.manifest["index"]

    def __repr__(self) -> str:
        spec = ", ".join(f"{k}={v}" for k, v in self.manifest["spec"].items() if k != "experiment")
        arrays = ", ".join(f"{name} {a.dtype}{tuple(a.shape)}" for name, a in self.arrays.items())
        return (f"<Trajectory {self.experiment}[{self.index}] of {self.manifest['model']['name']}: {spec}; "
                f"arrays {arrays}>")


def model_for(experiment: str, s: Settings, mixture: str = "") -> str:
    """The model `diffviz cache build` records `experiment` with for these settings: a mixture experiment on the
    configured mixture (or `mixture`, or its last), a configured drawing (mixture:FILE.json) standing in for the
    2D mixture, as in the scenes; memorisation on a model `diffviz train` made, the rest on s.model."""
    e = experiment_named(experiment)
    if e.mixtures:
        configured = s.model.removeprefix("mixture:")
        shown = mixture or (configured if configured in e.mixtures else e.mixtures[-1])
        return two_d_mixture(s.model, f"mixture:{shown}")
    return memorisation_model(s) if e.family == "memorisation" else s.model


def build_command(experiment: str, s: Settings) -> str:
    """The exact `diffviz cache build` that records `experiment` for these settings."""
    words = ["diffviz", "cache", "build", experiment, "--model", s.model, "--steps", str(s.steps),
             "--seed", str(s.seed),
             "--dtype", s.dtype]
    for field in experiment_named(experiment).options:  # the settings the experiment uses, as options
        value = getattr(s, field)
        if not (field in LEFT_OUT_AT and value == LEFT_OUT_AT[field]):
            words += [FLAGS[field], ",".join(map(str, value)) if isinstance(value, tuple) else str(value)]
    return shlex.join(words)


def _recorded_elsewhere(command: str, index: int) -> store.Entry | None:
    """For a hub model whose files are not on this machine (a cache copied from a GPU machine):
    the entry that the same build command recorded, if exactly one set of weights made it."""
    found = [e for e in store.entries() if isinstance(e, store.Entry)
             and e.manifest.get("build_command") == command and e.manifest.get("index") == index]
    if len({e.manifest["model"].get("weights_sha256") for e in found}) > 1:
        raise store.CacheError(f"the cache holds several trajectories for `{command}`, made from different "
                               f"weights; remove the stale ones with `diffviz cache clear`")
    return found[0] if found else None


def trajectory(experiment: str, index: int = 0, settings: Settings | None = None) -> Trajectory:
    """The `index`-th recording of `experiment` (see specs_for) for the settings file's model.

    Missing, MissingTrajectory says which command records it; IndexError past the experiment's last recording.
    """
    s = settings or load_settings()
    try:
        model = locate_local(s.model)
    except ModelError:
        model = None
    if model is not None:
        spec = specs_for(experiment, s, model)[index]
        key = store.trajectory_key(model.identity(), spec.key_fields(), s.dtype)
        entry = store.find(key, spec.experiment)
    else:
        spec, entry = None, _recorded_elsewhere(build_command(experiment, s), index)
    if entry is None:
        raise MissingTrajectory(f"no {experiment} trajectory of {s.model} in the cache; record it with: "
                                f"{build_command(experiment, s)}")
    return Trajectory(spec or entry.manifest["spec"], entry.manifest, entry.load())


def every_trajectory(experiment: str, settings: Settings | None = None) -> list[Trajectory]:
    """Every recording of `experiment`, in order (see specs_for): the first as trajectory() finds it
    (MissingTrajectory where it is not recorded), the others up to the first that is missing."""
    found = [trajectory(experiment, 0, settings)]
    with contextlib.suppress(IndexError, MissingTrajectory):
        while True:
            found.append(trajectory(experiment, len(found), settings))
    return found

