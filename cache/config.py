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


DEFAULT_CONFIG = PROJECT_ROOT / "diffviz.toml"


def config_path() -> Path:
    return Path(os.environ.get("DIFFVIZ_CONFIG", DEFAULT_CONFIG))


def _named_by(path: Path | None) -> str:
    """How to go back to the project's own settings file from one that was named."""
    if path is not None:
        return f"fix the path, or leave --config out for the project's {DEFAULT_CONFIG}"
    return f"fix DIFFVIZ_CONFIG, or unset it for the project's {DEFAULT_CONFIG}"


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file (`path`, else DIFFVIZ_CONFIG, else the project's diffviz.toml). Only the
    project's own file may be absent: then the defaults. Unknown keys and wrong types are errors."""
    file = Path(path) if path else config_path()
    if not file.is_file():
        if file == DEFAULT_CONFIG and not file.exists():
            return Settings()
        named = "" if path is not None else "DIFFVIZ_CONFIG="
        what = "is a folder, not a settings file" if file.is_dir() else "does not exist"
        raise ConfigError(f"{named}{file} {what}; {_named_by(path)}")
    try:
        raw = tomllib.loads(file.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text, so not a TOML settings file; {_named_by(path)}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file}: not valid TOML ({err}); fix it there (the project's {DEFAULT_CONFIG.name} "
                          f"shows every key)") from None
    known = {f.name: f for f in fields(Settings)}
    defaults = Settings()
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{file}: unknown key {key!r}; the keys are {', '.join(known)}")
        expected = type(getattr(defaults, key))
        if expected is tuple:
            if not (isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
                raise ConfigError(f"{file}: {key} must be a list of integers, not {value!r}")
            value = tuple(value)
        elif expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{file}: {key} must be {expected.__name__}, not {value!r}")
        values[key] = value
    return Settings().replace(**values)


def cache_root() -> Path:
    return Path(os.environ.get("DIFFVIZ_CACHE", PROJECT_ROOT / "cache" / "trajectories"))
