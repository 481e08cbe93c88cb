"""The settings file `diffviz.toml`, read by `diffviz cache build` and by the scenes alike."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EMBEDDED = "embedded"


class ConfigError(ValueError):
    """A settings file that cannot be used as it is; the message says which key and why."""


@dataclass(frozen=True)
class Settings:
    """The original notebooks' config.yaml, key for key, plus seed, dtype and the image source."""
    model: str = EMBEDDED           # model
    steps: int = 50                 # model.timesteps
    forward_timestep: int = 10      # forward.timestep
    patch_size: int = 8             # patch.size
    patch_x: int = 12               # patch.position.x
    patch_y: int = 8                # patch.position.y
    noise_scaling: float = 0.5      # noise.scaling
    seed: int = 0
    dtype: str = "float32"
    image: str = "sample"
    ddim_step_counts: tuple[int, ...] = (10, 50, 1000)
    grid_levels: int = 8
    schedule: str = "linear"        # the beta schedule of the toy recordings (cache/beta_schedules.py)

    def replace(self, **changes) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in changes.items() if v is not None})
        return Settings(**values)


def config_path() -> Path:
    return Path(os.environ.get("DIFFVIZ_CONFIG", PROJECT_ROOT / "diffviz.toml"))


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; a missing file means the defaults. Unknown keys and wrong types are errors."""
    path = Path(path) if path else config_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    known = {f.name: f for f in fields(Settings)}
    defaults = Settings()
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown key {key!r}; the keys are {', '.join(known)}")
        expected = type(getattr(defaults, key))
        if expected is tuple:
            if not (isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
                raise ConfigError(f"{path}: {key} must be a list of integers, not {value!r}")
            value = tuple(value)
        elif expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{path}: {key} must be {expected.__name__}, not {value!r}")
        values[key] = value
    return Settings().replace(**values)


def cache_root() -> Path:
    return Path(os.environ.get("DIFFVIZ_CACHE", PROJECT_ROOT / "cache" / "trajectories"))
