"""The settings file `diffviz.toml`, read by `diffviz cache build` and by the scenes alike, and where the
cache is. In a checkout (this file's folder's parent holds pyproject.toml and render.sh) both are the
project's: its diffviz.toml and cache/trajectories. An installed copy (`pip install .`) takes the current
folder's diffviz.toml and a per-user cache ($XDG_CACHE_HOME/diffviz, else ~/.cache/diffviz)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import DiffvizError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # a checkout, or site-packages where installed
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "render.sh").is_file()
EMBEDDED = "embedded"


class ConfigError(DiffvizError, ValueError):
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


def default_config() -> Path:
    """The settings file read when none is named: the project's in a checkout, else the current folder's."""
    return PROJECT_ROOT / "diffviz.toml" if IN_CHECKOUT else Path.cwd() / "diffviz.toml"


def config_path() -> Path:
    return Path(os.environ.get("DIFFVIZ_CONFIG", default_config()))


def _named_by(path: Path | None) -> str:
    """How to go back to the settings file read by default from one that was named."""
    whose = "the project's" if IN_CHECKOUT else "this folder's"
    if path is not None:
        return f"fix the path, or leave --config out for {whose} {default_config()}"
    return f"fix DIFFVIZ_CONFIG, or unset it for {whose} {default_config()}"


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file (`path`, else DIFFVIZ_CONFIG, else default_config()). Only the default one
    may be absent: then the defaults. Unknown keys and wrong types are errors."""
    file = Path(path) if path else config_path()
    if not file.is_file():
        if file == default_config() and not file.exists():
            return Settings()
        named = "" if path is not None else "DIFFVIZ_CONFIG="
        what = "is a folder, not a settings file" if file.is_dir() else "does not exist"
        raise ConfigError(f"{named}{file} {what}; {_named_by(path)}")
    try:
        raw = tomllib.loads(file.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text, so not a TOML settings file; {_named_by(path)}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file}: not valid TOML ({err}); fix it there (the project's diffviz.toml "
                          f"shows every key)") from None
    return Settings().replace(**checked(raw, f"{file}: "))


def checked(raw: dict, where: str = "") -> dict:
    """Settings values by field name, each checked against the field's type (an int where a float is wanted
    is taken; a list of ints for a tuple); ConfigError naming the key (after `where`) and what it must be."""
    known = {f.name: f for f in fields(Settings)}
    defaults = Settings()
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{where}unknown key {key!r}; the keys are {', '.join(known)}")
        expected = type(getattr(defaults, key))
        if expected is tuple:
            if not (isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool)
                                                             for v in value)):
                raise ConfigError(f"{where}{key} must be a list of integers, not {value!r}")
            value = tuple(value)
        elif expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{where}{key} must be {expected.__name__}, not {value!r}")
        values[key] = value
    return values


def cache_root() -> Path:
    """DIFFVIZ_CACHE, else the checkout's cache/trajectories, else the per-user cache."""
    if os.environ.get("DIFFVIZ_CACHE"):
        return Path(os.environ["DIFFVIZ_CACHE"])
    if IN_CHECKOUT:
        return PROJECT_ROOT / "cache" / "trajectories"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "diffviz"
