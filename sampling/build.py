"""`diffviz cache build`: record the specs of each experiment that the cache does not hold yet."""
from __future__ import annotations

import contextlib
import platform
import time
from datetime import datetime, timezone
from importlib.metadata import version
from typing import Callable

from cache import store
from cache.config import Settings
from cache.lookup import build_command
from cache.mixtures import MIXTURES
from cache.specs import MIXTURE_EXPERIMENTS, memorisation_model, specs_for

from .denoiser import Denoiser
from .engine import run_together
from .loading import load_model
from .recorders import record


def _manifest(model: Denoiser, spec, settings: Settings, experiment: str, index: int, seconds: float,
              recording) -> dict:
    return {
        "model": model.files.identity(), "spec": spec.key_fields(), "dtype": model.dtype, "device": model.device,
        "experiment": experiment, "index": index, "build_command": build_command(experiment, settings),
        "images": sorted(recording.images), "seconds": round(seconds, 3),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {p: version(p) for p in ("torch", "diffusers", "numpy")} | {"python": platform.python_version()},
        "reproducibility": ("bit-identical on this CPU with these versions" if model.device == "cpu"
                            and model.dtype == "float32" else
                            f"{model.device}/{model.dtype}: kernels may differ from CPU float32 in the last bits; "
                            "reduced precision changes images visibly"),
    }


def _cached(key: str, spec, report) -> store.Entry | None:
    """The stored entry, if it is whole; a broken one is reported and recorded again."""
    try:
        entry = store.find(key, spec.experiment)
        if entry is not None:
            entry.load()  # checks the checksum
        return entry
    except store.CacheError as err:
        report(f"{err}; recording it again")
        return None


def _timed(fn, *args):
    started = time.perf_counter()
    return fn(*args), time.perf_counter() - started


def _store(model: Denoiser, spec, settings: Settings, experiment: str, index: int, key: str, recording,
           seconds: float) -> store.Entry:
    arrays = {name: store.to_display(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
              for name, x in recording.images.items()} | recording.numbers
    return store.write(key, arrays, _manifest(model, spec, settings, experiment, index, seconds, recording))


def build(experiments: list[str], settings: Settings, device: str = "auto", force: bool = False,
          report: Callable[[str], None] = lambda line: None, model: Denoiser | None = None,
          progress: Callable[[int], None] | None = None) -> list[store.Entry]:
    """Record every spec of the experiments that is missing (or all with force); returns their entries.
    progress(batch size) follows every batched UNet call."""
    store.check_writable()  # before anything is loaded or recorded
    model = model or load_model(settings.model, device=device, dtype=settings.dtype)
    # every setting is checked before anything is recorded
    plan = [(experiment, index, spec) for experiment in experiments
            for index, spec in enumerate(specs_for(experiment, settings, model.files))]
    identity = model.files.identity()
    keys = [store.trajectory_key(identity, spec.key_fields(), model.dtype) for _, _, spec in plan]
    with contextlib.ExitStack() as locks:
        for key in sorted(set(keys)):  # a second build of these keys waits here, then finds them cached
            locks.enter_context(store.key_lock(key))
        entries = {key: None if force else _cached(key, spec, report)
                   for key, (_, _, spec) in zip(keys, plan, strict=True)}
        for key, (_, _, spec) in zip(keys, plan, strict=False):
            if entries[key] is not None:
                report(f"cached   {spec.experiment:17s} {spec.label()}")
        todo = [(key, item) for key, item in zip(keys, plan, strict=False) if entries[key] is None]
        started, calls = time.perf_counter(), model.calls
        recordings, pool = run_together(model, [lambda m, spec=item[2]: _timed(record, m, spec, settings.image)
                                                for _, item in todo], on_call=progress)
        for (key, (experiment, index, spec)), (recording, seconds) in zip(todo, recordings, strict=False):
            entries[key] = _store(model, spec, settings, experiment, index, key, recording, seconds)
            report(f"recorded {spec.experiment:17s} {spec.label()}")
        if todo:
            report(f"{len(todo)} recordings in {time.perf_counter() - started:.1f} s: {model.calls - calls} batched "
                   f"UNet calls, largest batch {max(pool.batch_sizes, default=0)}")
    return [entries[key] for key in keys]


def plan_builds(s: Settings, names: list[str], say: Callable[[str], None] = lambda line: None
                ) -> list[tuple[Settings, list[str]]]:
    """What to record with which model: the mixture experiments on their mixtures (unless one is configured),
    memorisation on a model that `diffviz train` made, the rest (all the model can, when none is named) on
    s's model; with none named and an image model, the mixture experiments as well."""
    builds, everything, names = [], not names, list(names)
    if not s.model.startswith("mixture:"):
        wanted = list(MIXTURE_EXPERIMENTS) if everything else [e for e in names if e in MIXTURE_EXPERIMENTS]
        names = [e for e in names if e not in MIXTURE_EXPERIMENTS]
        for mixture in MIXTURES:
            on = [e for e in wanted if mixture in MIXTURE_EXPERIMENTS[e]]
            builds += [(s.replace(model=f"mixture:{mixture}"), on)] if on else []
    if "memorisation" in names and memorisation_model(s) != s.model:
        names.remove("memorisation")
        say(f"memorisation: {s.model} names no training images (training.json); "
            f"recording {memorisation_model(s)}")
        builds.append((s.replace(model=memorisation_model(s)), ["memorisation"]))
    if names or not builds or everything:
        builds.append((s, names))
    return builds
