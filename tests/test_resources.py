"""sampling/resources.py: what a UNet2DModel config asks of the machine, estimated before anything is
allocated; the weights' figure against the parameters diffusers builds for the same config."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from diffusers import UNet2DModel

from sampling.resources import check_fits, unet_bytes

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "embedded": {k: v for k, v in json.loads((ROOT / "sampling/models/emoji-faces-32/config.json").read_text()).items()
                 if not k.startswith("_")},
    "google-256": dict(sample_size=256, layers_per_block=2, block_out_channels=(128, 128, 256, 256, 512, 512),
                       down_block_types=("DownBlock2D",) * 4 + ("AttnDownBlock2D", "DownBlock2D"),
                       up_block_types=("UpBlock2D", "AttnUpBlock2D") + ("UpBlock2D",) * 4),
    "three-layers": dict(sample_size=64, layers_per_block=3, block_out_channels=(64, 192, 256),
                         down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
                         up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D")),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_the_weights_estimate_is_within_15_percent_of_the_parameters_diffusers_builds(name):
    with torch.device("meta"):  # the model's structure, no memory
        built = UNet2DModel.from_config(CONFIGS[name])
    params = sum(p.numel() for p in built.parameters())
    weights, _ = unet_bytes(CONFIGS[name], dtype_bytes=2)
    assert weights / (2 * params) == pytest.approx(1, abs=0.15)


def test_a_config_past_the_machines_memory_is_refused_naming_the_setting_and_a_sane_one_fits():
    huge_image = CONFIGS["embedded"] | {"sample_size": 100_000}
    with pytest.raises(MemoryError, match=r"^m: its config.json asks for sample_size 100000 \(the image side\): "
                                          r"one image needs about [\d,.]+ GiB of activations, and this machine has"):
        check_fits("m", huge_image, "cpu", 4)
    wide = CONFIGS["embedded"] | {"block_out_channels": [8192, 16384, 32768], "layers_per_block": 4}
    with pytest.raises(MemoryError, match=r"asks for block_out_channels \[8192, 16384, 32768\] with "
                                          r"layers_per_block 4: its weights need about [\d,.]+ GiB"):
        check_fits("m", wide, "cpu", 4)
    assert check_fits("embedded", CONFIGS["embedded"], "cpu", 4) > 100  # images at a time, on any machine here
