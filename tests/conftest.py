"""Small diffusers models made here, in the format of the hub models, and an isolated cache; recordings of
another size than the default ones, and a whole scene rendered small with its slides' descriptions."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # ./test.sh runs two pytest-xdist workers
if WORKER:  # each its own manim media folder: two LaTeX runs of one formula into one file would collide
    from pathlib import Path

    # one thread of torch's (and its programs') each: two workers of two threads on two cores only contend
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    os.environ["DIFFVIZ_MEDIA"] = str(Path(__file__).resolve().parents[1] / "media" / f"tests-{WORKER}")
    from manim import config

    config.media_dir = os.environ["DIFFVIZ_MEDIA"]


# a 100-step schedule for make_model_folder: recordings of a few steps in seconds
SHORT_SCHEDULE = dict(num_train_timesteps=100, beta_schedule="linear", clip_sample=True, variance_type="fixed_small")


def make_model_folder(folder, size=16, scheduler=None, seed=0, attention=True):
    """A random-weight UNet2DModel and a scheduler config, saved as the hub models are; without
    `attention`, convolutions only (attention over the 128x128 grid of a 256x256 model costs seconds
    and gigabytes a call)."""
    import torch
    from diffusers import DDPMScheduler, UNet2DModel

    torch.manual_seed(seed)
    attn = "Attn" if attention else ""
    unet = UNet2DModel(sample_size=size, in_channels=3, out_channels=3, layers_per_block=1,
                       block_out_channels=(8, 16), norm_num_groups=4,
                       down_block_types=("DownBlock2D", f"{attn}DownBlock2D"),
                       up_block_types=(f"{attn}UpBlock2D", "UpBlock2D"), add_attention=attention)
    unet.save_pretrained(folder)
    DDPMScheduler(**(scheduler or dict(beta_schedule="linear", clip_sample=True, variance_type="fixed_small"))
                  ).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    defaults = tmp_path / "defaults.toml"  # empty: the defaults (a settings file that is named must exist)
    defaults.write_text("")
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(defaults))
    return tmp_path / "cache"


# Short runs for the tests that call render.sh: every scene renders in seconds at -ql.
RENDER_SETTINGS = "steps = 20\nforward_timestep = 8\nddim_step_counts = [5, 20]\ngrid_levels = 4\n"


def render_env(folder) -> dict:
    """The environment of a render.sh run of its own under `folder`: RENDER_SETTINGS as its settings file,
    its own cache and media, the default theme, no network."""
    (folder / "diffviz.toml").write_text(RENDER_SETTINGS)
    env = os.environ | {"DIFFVIZ_CONFIG": str(folder / "diffviz.toml"), "DIFFVIZ_CACHE": str(folder / "cache"),
                        "DIFFVIZ_MEDIA": str(folder / "media"), "HF_HUB_OFFLINE": "1"}
    env.pop("DIFFVIZ_THEME", None)
    return env


def scene_cache_for_module(settings: str):
    """Fixtures for a module of scene tests: one cache and one settings file (`settings`, TOML) that
    all its tests share, so each trajectory is recorded once per module. Bind both names:
    `scene_cache_folder, scene_cache = scene_cache_for_module("steps = 20\n")`."""
    @pytest.fixture(scope="module", name="scene_cache_folder")
    def folder(tmp_path_factory):
        folder = tmp_path_factory.mktemp("scene-cache")
        (folder / "diffviz.toml").write_text(settings)
        return folder

    @pytest.fixture(autouse=True, name="scene_cache")
    def use(isolated_cache, scene_cache_folder, monkeypatch):
        monkeypatch.setenv("DIFFVIZ_CACHE", str(scene_cache_folder / "cache"))
        monkeypatch.setenv("DIFFVIZ_CONFIG", str(scene_cache_folder / "diffviz.toml"))

    return folder, use


def other_recordings(monkeypatch, tmp_path, *, train_steps: int, points: int, **fields) -> None:
    """Record, into a cache of their own, recordings of another size than the default ones: a schedule of
    `train_steps` steps, `points` points in every 2D mixture recording, and each field named in `fields`
    of a recording's spec set to the value given. A number that a scene types in, instead of reading it
    from its recording, then shows as one of the default recordings'."""
    import dataclasses
    import json

    from cache import lookup, model_files, specs
    from sampling import build
    schedule = json.loads(model_files.SCHEDULER_CONFIG.read_text()) | {"num_train_timesteps": train_steps}
    (tmp_path / "scheduler_config.json").write_text(json.dumps(schedule))
    monkeypatch.setattr(model_files, "SCHEDULER_CONFIG", tmp_path / "scheduler_config.json")
    monkeypatch.setitem(specs.TOY_POINTS, 2, points)
    made_by = specs.specs_for

    def specs_for(*args, **kwargs):
        return [dataclasses.replace(spec, **{k: v for k, v in fields.items() if hasattr(spec, k)})
                for spec in made_by(*args, **kwargs)]
    for module in (lookup, build):  # where the recordings are looked up and where they are made
        monkeypatch.setattr(module, "specs_for", specs_for)
    (tmp_path / "diffviz.toml").write_text("steps = 20\n")
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(tmp_path / "diffviz.toml"))
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))


def render_described(scene_cls):
    """The whole scene, rendered small; and its slides' titles and descriptions, one slide a line, each
    slide checked as tools/captions.py checks it: both texts there, and some time before the next slide."""
    from manim import tempconfig
    from test_captions import captions
    from test_scenes import LOW
    with tempconfig(LOW | {"pixel_height": 270, "pixel_width": 480, "frame_rate": 3}):
        scene = scene_cls()
        scene.render()
    record = {"scene": scene_cls.__name__, "duration": scene.video_time, "slides": scene.slide_breaks}
    for key in ("title", "description"):
        captions.cues(record, key)
    return scene, [f"{s['title']}: {s['description']}" for s in scene.slide_breaks]


def counts_and_times(text: str) -> str:
    """The text without the measured values in it (numbers with two decimals or more, percentages,
    powers of ten), leaving the counts, times and settings that a recording's spec decides."""
    import re
    return re.sub(r"-?\d+\.\d+e[-+]?\d+|-?\d+\.\d{2,}|-?\d+(\.\d+)?%", "#", text)
