"""`diffviz train` writes a diffusers folder that the project's own loader reads."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from diffusers import DDPMScheduler
from PIL import Image

from cache.datasets import EMOJI_FACES, EMOJI_FONT, EMOJI_FONT_VARIABLE, DatasetError, emoji_faces, render_emoji
from sampling.cli import main
from sampling.loading import load_model
from sampling.train import GOOGLE_SCHEDULER, loss_weights


def image_folder(tmp_path, count: int, shape: tuple[int, int, int]):
    """tmp_path/images with `count` random PNG images of `shape` (H, W, 3)."""
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, shape, np.uint8)).save(images / f"{i}.png")
    return images


@pytest.mark.slow
def test_train_20_steps_on_a_folder_writes_a_loadable_model(tmp_path):
    images = image_folder(tmp_path, 4, (20, 24, 3))
    out = tmp_path / "model"
    args = ["train", "--dataset", str(images), "--out", str(out), "--size", "16", "--steps", "20",
            "--batch-size", "4", "--device", "cpu"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    model = load_model(str(out), device="cpu")
    assert model.shape == (3, 16, 16)
    assert model.ddpm().config.beta_end == 0.02
    rows = list(csv.DictReader(open(out / "loss.csv")))
    assert rows[-1]["step"] == "20"
    # resuming goes on from step 20 rather than starting over
    result = CliRunner().invoke(main, [a if a != "20" else "25" for a in args])
    assert result.exit_code == 0, result.output
    assert list(csv.DictReader(open(out / "loss.csv")))[-1]["step"] == "25"
    assert "after 25 steps" in result.output


def test_the_recipe_options_reach_the_written_model(tmp_path):
    images = image_folder(tmp_path, 1, (8, 8, 3))
    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", "--dataset", str(images), "--out", str(out), "--size", "8",
                                       "--steps", "1", "--batch-size", "2", "--device", "cpu", "--channels", "64,32",
                                       "--norm-groups", "16", "--ema-decay", "0.99",
                                       "--dropout", "0.25", "--p2-gamma", "0.5"])
    assert result.exit_code == 0, result.output
    unet = load_model(str(out), device="cpu").unet
    assert tuple(unet.config.block_out_channels) == (64, 32)
    assert unet.config.norm_num_groups == 16
    assert unet.conv_norm_out.num_groups == 16 and unet.conv_norm_out.num_channels == 64
    assert unet.config.dropout == 0.25 and unet.down_blocks[0].resnets[0].dropout.p == 0.25
    spec = json.loads((out / "training.json").read_text())["spec"]
    assert spec["ema_decay"] == 0.99 and spec["p2_gamma"] == 0.5


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0])
def test_p2_loss_weights_are_choi_et_al_eq_8_over_google_schedule(gamma):
    # the truth from the papers, in float64: alpha_bar_t = prod_s (1 - beta_s), betas linear 1e-4..0.02 over
    # 1000 steps (Ho et al.); SNR = alpha_bar / (1 - alpha_bar); P2 weight (k + SNR)^-gamma with k = 1
    alpha_bar = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))
    snr = alpha_bar / (1 - alpha_bar)
    expected = (1 + snr) ** -gamma
    expected /= expected.mean()
    weights = loss_weights(DDPMScheduler(**GOOGLE_SCHEDULER).alphas_cumprod, gamma).double().numpy()
    np.testing.assert_allclose(weights, expected, rtol=1e-3)  # float32 1 - alpha_bar near t = 0
    if gamma:
        assert weights[0] < 0.05 * weights[-1]  # the nearly clean step counts for little, the noisiest most


def test_a_checkpoint_from_before_the_p2_option_resumes_as_gamma_0(tmp_path):
    images = image_folder(tmp_path, 1, (8, 8, 3))
    out = tmp_path / "model"
    args = ["train", "--dataset", str(images), "--out", str(out), "--size", "8", "--steps", "1",
            "--batch-size", "2", "--device", "cpu"]
    assert CliRunner().invoke(main, args).exit_code == 0
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    del ckpt["spec"]["p2_gamma"]  # as written before the option existed
    torch.save(ckpt, out / "checkpoint.pt")
    result = CliRunner().invoke(main, [a if a != "1" else "2" for a in args])
    assert result.exit_code == 0 and "after 2 steps" in result.output, result.output
    result = CliRunner().invoke(main, [a if a != "1" else "3" for a in args] + ["--p2-gamma", "1"])
    assert result.exit_code == 1 and "made with other settings" in result.output, result.output


def test_emoji_faces_recipe_renders_every_face_from_the_font():
    faces = emoji_faces(32)
    assert faces.shape == (len(EMOJI_FACES), 3, 32, 32)
    assert faces.min() >= -1 and faces.max() <= 1
    # yellow round faces on white: the centre is yellow (red and green high, blue low), the corner white
    centre = faces[:, :, 12:20, 12:20].mean(axis=(0, 2, 3))
    assert centre[0] > 0.3 and centre[1] > 0.0 and centre[2] < -0.3
    assert (faces[:, :, 0, 0] > 0.9).all()


def test_max_minutes_stops_the_run_and_writes_the_model_at_the_step_reached(tmp_path):
    images = image_folder(tmp_path, 2, (8, 8, 3))
    out = tmp_path / "model"
    # a limit of 0.06 s: the first step ends past it, so the run stops there, far short of --steps
    args = ["train", "--dataset", str(images), "--out", str(out), "--size", "8", "--steps", "100000",
            "--batch-size", "2", "--device", "cpu", "--max-minutes", "0.001"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "stopped at the 0.001-minute limit" in result.output
    info = json.loads((out / "training.json").read_text())
    assert 1 <= info["step"] < 100000 and info["spec"]["steps"] == 100000
    assert list(csv.DictReader(open(out / "loss.csv")))[-1]["step"] == str(info["step"])
    assert load_model(str(out), device="cpu").shape == (3, 8, 8)
    # the checkpoint is at that step: running again resumes from it
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "training.json").read_text())["step"] > info["step"]


def test_the_emoji_font_is_read_from_where_diffviz_emoji_font_says(tmp_path, monkeypatch):
    face = np.asarray(render_emoji(EMOJI_FACES[0], 32))
    (tmp_path / "NotoColorEmoji.ttf").symlink_to(EMOJI_FONT)
    monkeypatch.setenv(EMOJI_FONT_VARIABLE, str(tmp_path / "NotoColorEmoji.ttf"))
    assert (np.asarray(render_emoji(EMOJI_FACES[0], 32)) == face).all()
    monkeypatch.setenv(EMOJI_FONT_VARIABLE, str(tmp_path / "missing.ttf"))
    with pytest.raises(DatasetError, match=EMOJI_FONT_VARIABLE):
        emoji_faces(32)
