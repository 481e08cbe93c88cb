"""`diffviz cache build`: record the specs of each experiment that the cache does not hold yet."""
from __future__ import annotations

import platform
import time
from datetime import datetime, timezone
from importlib.metadata import version
from typing import Callable

from cache import store
from cache.config import Settings
from cache.lookup import build_command
from cache.specs import specs_for

from .experiments import record
from .models import Model, load_model


def _manifest(model: Model, spec, settings: Settings, experiment: str, index: int, seconds: float, calls: int,
              recording) -> dict:
    return {
        "model": model.files.identity(), "spec": spec.key_fields(), "dtype": model.dtype, "device": model.device,
        "experiment": experiment, "index": index, "build_command": build_command(experiment, settings),
        "images": sorted(recording.images), "seconds": round(seconds, 3), "unet_calls": calls,
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


def _record(model: Model, spec, settings: Settings, experiment: str, index: int, key: str, report) -> store.Entry:
    started, calls = time.perf_counter(), model.calls
    recording = record(model, spec, settings.image)
    seconds = time.perf_counter() - started
    arrays = {name: store.to_display(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
              for name, x in recording.images.items()} | recording.numbers
    entry = store.write(key, arrays, _manifest(model, spec, settings, experiment, index, seconds,
                                               model.calls - calls, recording))
    report(f"recorded {spec.experiment:17s} {spec.label()} in {seconds:.1f} s, {model.calls - calls} UNet calls")
    return entry


def build(experiments: list[str], settings: Settings, device: str = "auto", force: bool = False,
          report: Callable[[str], None] = lambda line: None, model: Model | None = None) -> list[store.Entry]:
    """Record every spec of the experiments that is missing (or all with force); returns their entries."""
    model = model or load_model(settings.model, device=device, dtype=settings.dtype)
    # every setting is checked before anything is recorded
    plan = [(experiment, index, spec) for experiment in experiments
            for index, spec in enumerate(specs_for(experiment, settings, model.files))]
    done = []
    for experiment, index, spec in plan:
        key = store.trajectory_key(model.files.identity(), spec.key_fields(), model.dtype)
        with store.key_lock(key):  # a second build of this key waits here, then finds it cached
            entry = None if force else _cached(key, spec, report)
            if entry is not None:
                report(f"cached   {spec.experiment:17s} {spec.label()}")
            else:
                entry = _record(model, spec, settings, experiment, index, key, report)
        done.append(entry)
    return done
