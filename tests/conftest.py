"""Small diffusers models made here, in the format of the hub models, and an isolated cache."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest


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
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(tmp_path / "no-settings-file.toml"))  # the defaults
    return tmp_path / "cache"


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
