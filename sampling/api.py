"""diffviz from Python: what `diffviz cache build`, `cache list` and `sample` do, as functions that return numpy
arrays. The same settings file, cache, keys and one-line errors as the command:

```python
from sampling import api

reverse = api.record("reverse")                # DDPM and DDIM, recorded or found in the cache
ddim = reverse[1]
ddim["x0_hat"][20]                             # x0_hat at step 20: uint8 (H, W, 3), the stored frame
ddim["alpha_bar_t"]                            # the step's numbers, as recorded
ddim.manifest["build_command"]                 # the command that records the same arrays

api.trajectory("reverse", 1)                   # the same, from the cache only (never records)
api.cached()                                   # what the cache holds
api.sample(n=4, steps=50)                      # images, as diffusers' DDIMPipeline draws them
```

Settings come from the settings file (`diffviz.toml`; DIFFVIZ_CONFIG names another) and are changed per call by
keyword, with the names of the file's keys: `api.record("reverse", model="google/ddpm-celebahq-256", steps=100)`.
Every fault is a `DiffvizError` whose message is one line naming the value and the fix; Jupyter shows that line
instead of a traceback. Reading the cache (`trajectory`, `cached`, `experiments`) never imports torch.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from cache import lookup, store
from cache.config import Settings, checked, load_settings
from cache.errors import DiffvizError
from cache.experiments import EXPERIMENTS
from cache.experiments import experiment as experiment_named
from cache.lookup import Trajectory

__all__ = ["DiffvizError", "Trajectory", "Cached", "experiments", "settings", "record", "trajectory", "cached",
           "sample"]


def _one_line(fn: Callable) -> Callable:
    """Re-raise diffviz's own errors from here, not from deep inside; a missing file is one too."""
    @functools.wraps(fn)
    def checked_call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DiffvizError as err:
            raise err.with_traceback(None) from None
        except FileNotFoundError as err:
            raise DiffvizError(str(err)) from None
    return checked_call


def _experiment(name: str) -> None:
    """An unknown experiment as a DiffvizError, before anything is imported or read."""
    try:
        experiment_named(name)
    except KeyError as err:
        raise DiffvizError(err.args[0]) from None


def experiments() -> dict[str, str]:
    """Every experiment `record` takes, by name, with the line that says what it records."""
    return {e.name: e.about for e in EXPERIMENTS}


@_one_line
def settings(config: str | Path | None = None, **values) -> Settings:
    """The settings file (`config`, else DIFFVIZ_CONFIG, else diffviz.toml) with `values` put in, each checked
    as the file's keys are: `settings(steps=100).steps == 100`."""
    return load_settings(Path(config) if config else None).replace(**checked(values, "api: "))


def _recorded(entry: store.Entry) -> Trajectory:
    return Trajectory(entry.manifest["spec"], entry.manifest, entry.load())


@_one_line
def record(experiment: str, *, config: str | Path | None = None, device: str = "auto", force: bool = False,
           report: Callable[[str], None] | None = print, **values) -> list[Trajectory]:
    """Every recording of `experiment`, in order, for the settings (the file's, with `values` put in): found in
    the cache, or recorded into it as `diffviz cache build EXPERIMENT` records them (the same keys, so the
    command and the scenes find them), `force` records again. A mixture experiment (toy, guidance, flow, ...) is
    recorded on its mixtures, as the command does; memorisation on a model `diffviz train` made.
    `report` is called with each line the command prints (None: silent)."""
    _experiment(experiment)  # before torch is imported
    from cache.specs import specs_for

    from . import quiet_diffusers
    from .build import build, plan_builds
    from .loading import load_model

    quiet_diffusers()
    say = report or (lambda line: None)
    store.check_writable()
    plans = []
    for s, wanted in plan_builds(settings(config, **values), [experiment], say):
        model = load_model(s.model, device=device, dtype=s.dtype)
        for name in wanted:  # every setting checked before anything records
            specs_for(name, s, model.files)
        plans.append((s, wanted, model))
    return [_recorded(entry) for s, wanted, model in plans
            for entry in build(wanted, s, device=device, force=force, report=say, model=model)]


@_one_line
def trajectory(experiment: str, index: int = 0, *, config: str | Path | None = None, mixture: str = "",
               **values) -> Trajectory:
    """The `index`-th recording of `experiment` from the cache, as the scenes find it; it never records:
    MissingTrajectory (a DiffvizError) names the command that does. A mixture experiment is read from the
    configured mixture, else `mixture` ('1d', 'smiley'), else the one its scene shows."""
    _experiment(experiment)
    s = settings(config, **values)
    s = s.replace(model=lookup.model_for(experiment, s, mixture))
    try:
        return lookup.trajectory(experiment, index, s)
    except IndexError:
        count = len(lookup.every_trajectory(experiment, s))
        raise DiffvizError(f"{experiment} has {count} recordings (index 0..{count - 1}), not index {index}") from None


@dataclass(frozen=True)
class Cached:
    """One folder of the cache, as `diffviz cache list` shows it; `problem` says why a broken one cannot be
    read (and how to record it again), None for a whole one."""
    key: str
    experiment: str
    index: int | None
    model: str
    spec: dict
    problem: str | None = None

    def load(self) -> Trajectory:
        """Its recording, arrays checked against the manifest's checksum."""
        if self.problem:
            raise DiffvizError(self.problem)
        entry = next(e for e in store.entries() if isinstance(e, store.Entry) and e.key == self.key)
        return _recorded(entry)


@_one_line
def cached() -> list[Cached]:
    """Every recording the cache holds (DIFFVIZ_CACHE, else the checkout's or the user's), broken ones
    included with their problem."""
    found = []
    for e in store.entries():
        if isinstance(e, store.CacheError):
            name = e.folder.name if e.folder else ""
            found.append(Cached(name.rpartition("-")[2], name.rpartition("-")[0], None, "", {}, str(e)))
        else:
            m = e.manifest
            found.append(Cached(e.key, e.experiment, m.get("index"), m["model"]["name"], m["spec"]))
    return found


@_one_line
def sample(model: str | None = None, scheduler: str = "ddim", steps: int = 50, seed: int = 0, n: int = 16,
           eta: float = 0.0, device: str = "auto", dtype: str = "float32") -> np.ndarray:
    """n images, float32 (n, C, H, W) in [-1, 1], drawn exactly as diffusers' DDPMPipeline / DDIMPipeline draw
    them from the same seed (as `diffviz sample`); `model` defaults to the settings file's."""
    from cache.specs import SpecError

    from . import quiet_diffusers
    from .sample import sample_images
    quiet_diffusers()
    if scheduler not in ("ddpm", "ddim"):
        raise DiffvizError(f"scheduler={scheduler!r}: 'ddpm' or 'ddim'")
    if not 1 <= n <= 1024:
        raise SpecError("n", f"n={n}: between 1 and 1024 images")
    if not 0 <= eta <= 1:
        raise SpecError("eta", f"eta={eta}: DDIM's eta is within 0..1")
    return sample_images(model or settings().model, scheduler, steps, seed, n, device, dtype, eta)
