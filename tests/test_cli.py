"""The `diffviz` command, as a user calls it."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from diffusers import DDIMPipeline, DDIMScheduler, UNet2DModel

from cache import store
from cache.config import Settings
from cache.lookup import trajectory
from sampling.cli import main
from tests.conftest import make_model_folder

SMALL = ["--steps", "4", "--ddim-steps", "2,4", "--patch-size", "4", "--patch-x", "2", "--patch-y", "3",
         "--grid-levels", "3", "--forward-timestep", "1"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("config", [
    dict(beta_schedule="linear", clip_sample=True),
    dict(beta_schedule="scaled_linear", clip_sample=False, timestep_spacing="trailing"),
    dict(beta_schedule="squaredcos_cap_v2", timestep_spacing="linspace", set_alpha_to_one=False),
])
def test_sample_npy_equals_ddim_pipeline(tmp_path, config):
    ddim_only = {k: config.pop(k) for k in ["set_alpha_to_one"] if k in config}
    folder = make_model_folder(tmp_path / "m", scheduler=config)
    cfg_file = folder / "scheduler_config.json"
    cfg_file.write_text(json.dumps(json.loads(cfg_file.read_text()) | ddim_only))
    out = tmp_path / "x.npy"
    result = run("sample", "--model", folder, "--scheduler", "ddim", "--steps", 10, "--seed", 0, "--n", 2,
                 "--out", out)
    assert result.exit_code == 0, result.output
    pipe = DDIMPipeline(unet=UNet2DModel.from_pretrained(folder), scheduler=DDIMScheduler.from_pretrained(folder))
    pipe.set_progress_bar_config(disable=True)
    expected = pipe(batch_size=2, generator=torch.Generator().manual_seed(0), num_inference_steps=10,
                    output_type="np").images
    ours = np.load(out)
    assert ours.shape == (2, 3, 16, 16) and ours.dtype == np.float32
    assert abs((ours / 2 + 0.5).clip(0, 1).transpose(0, 2, 3, 1) - expected).max() <= 1e-5


def test_sample_png_is_a_grid_of_n_images(tmp_path, tiny_model):
    """The PNG holds, 2 x 2 on white with 1-pixel gaps, upscaled without smoothing, the very images
    that --out x.npy gives (which test_sample_npy_equals_ddim_pipeline checks against diffusers)."""
    from PIL import Image
    out = tmp_path / "grid.png"
    assert run("sample", "--model", tiny_model, "--n", 4, "--steps", 3, "--out", out).exit_code == 0
    assert run("sample", "--model", tiny_model, "--n", 4, "--steps", 3, "--out", tmp_path / "x.npy").exit_code == 0
    images = np.load(tmp_path / "x.npy")  # (4, 3, 16, 16) in [-1, 1]
    grid = np.asarray(Image.open(out).convert("RGB"))
    scale = grid.shape[1] // (2 * 16 + 3)
    assert grid.shape == (scale * 35, scale * 35, 3) and scale > 1
    cells = grid[::scale, ::scale]  # one pixel per image pixel
    assert (cells[[0, 17, 34]] == 255).all() and (cells[:, [0, 17, 34]] == 255).all()
    for k, image in enumerate(images):
        r, c = divmod(k, 2)
        expected = np.round((image.transpose(1, 2, 0) + 1) * 127.5)
        assert np.abs(cells[1 + 17 * r:17 + 17 * r, 1 + 17 * c:17 + 17 * c] - expected).max() <= 1


@pytest.mark.slow
def test_cache_build_records_every_experiment_then_reuses_them(tiny_model):
    first = run("cache", "build", "--model", tiny_model, *SMALL)
    assert first.exit_code == 0, first.output
    # the model's 8 recordings, and the mixtures' 5 (toy on both mixtures, schedules, guidance, flow)
    assert first.output.count("recorded") == 13
    listing = run("cache", "list").output.strip().splitlines()
    assert len(listing) == 13
    assert {line.split()[1] for line in listing} == {"forward", "reverse", "forward_backward", "similar_noise",
                                                     "noise_sweep", "ddim_steps", "toy", "schedules", "guidance",
                                                     "flow"}
    second = run("cache", "build", "--model", tiny_model, *SMALL)
    assert second.output.count("cached") == 13 and "recorded" not in second.output
    key = listing[0].split()[0]
    shown = run("cache", "show", key)
    assert '"arrays_sha256"' in shown.output and "weights_sha256" in shown.output


def test_corrupted_arrays_are_reported_then_rebuilt(tiny_model):
    assert run("cache", "build", "reverse", "--model", tiny_model, *SMALL).exit_code == 0
    s = Settings(model=str(tiny_model), steps=4, patch_size=4, patch_x=2, patch_y=3, grid_levels=3,
                 forward_timestep=1, ddim_step_counts=(2, 4))
    entry = [e for e in store.entries() if e.manifest["spec"].get("scheduler") == "ddpm"][0]
    data = bytearray((entry.path / "trajectory.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (entry.path / "trajectory.npz").write_bytes(bytes(data))
    with pytest.raises(store.CacheError, match="corrupt.*diffviz cache build reverse"):
        trajectory("reverse", 0, s)
    again = run("cache", "build", "reverse", "--model", tiny_model, *SMALL)
    assert "corrupt" in again.output and again.output.count("recorded") == 1
    assert trajectory("reverse", 0, s)["x"].shape == (5, 16, 16, 3)


@pytest.mark.parametrize("args, words", [
    (["--steps", "0"], ["steps=0", "1..1000"]),
    (["--steps", "1001"], ["steps=1001", "1..1000"]),
    (["--steps", "10", "--forward-timestep", "10"], ["forward_timestep=10", "0..9"]),
    (["--patch-size", "8", "--patch-x", "10"], ["patch_x=10", "outside the 16x16 image", "0..8"]),
    (["--patch-size", "17"], ["patch_size=17", "1..16"]),
    (["--noise-scaling", "1.5"], ["noise_scaling=1.5", "[0, 1]"]),
    (["--image", "no-such.png"], ["no-such.png", "does not exist"]),
    (["--ddim-steps", "10,x"], ["10,x", "comma-separated"]),
])
def test_out_of_range_settings_are_bad_parameters(tiny_model, args, words):
    result = CliRunner().invoke(main, ["cache", "build", "--model", str(tiny_model), *SMALL, *args])
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert not store.entries()


def test_unknown_config_key_is_named(tmp_path, tiny_model):
    cfg = tmp_path / "diffviz.toml"
    cfg.write_text('model = "embedded"\npatch.size = 4\n')
    result = CliRunner().invoke(main, ["cache", "build", "--config", str(cfg)])
    assert result.exit_code == 2 and "unknown key 'patch'" in result.output


def test_wrong_type_in_config_is_named(tmp_path):
    cfg = tmp_path / "diffviz.toml"
    cfg.write_text('steps = "fifty"\n')
    result = CliRunner().invoke(main, ["cache", "build", "--config", str(cfg)])
    assert result.exit_code == 2 and "steps must be int" in result.output


def test_mixture_experiments_are_recorded_on_their_mixtures_and_by_a_plain_build():
    from sampling.build import plan_builds

    def plan(names):
        return [(s.model, e) for s, e in plan_builds(Settings(), names)]
    assert plan(["schedules", "guidance", "flow"]) == [("mixture:smiley", ["schedules", "guidance", "flow"])]
    assert plan(["toy", "reverse"]) == [("mixture:1d", ["toy"]), ("mixture:smiley", ["toy"]), ("embedded", ["reverse"])]
    assert plan([]) == [("mixture:1d", ["toy"]), ("mixture:smiley", ["toy", "schedules", "guidance", "flow"]),
                        ("embedded", [])]  # [] : all the embedded model can record
    assert [(s.model, e) for s, e in plan_builds(Settings(model="mixture:smiley"), [])] == [("mixture:smiley", [])]


def test_a_schedule_that_diffusers_does_not_define_is_a_bad_parameter():
    result = CliRunner().invoke(main, ["cache", "build", "toy", "--schedule", "sigmoid"])
    assert result.exit_code == 2 and "squaredcos_cap_v2" in result.output
    assert not store.entries()
