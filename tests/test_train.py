"""`diffviz train` writes a diffusers folder that the project's own loader reads."""
from __future__ import annotations

import csv

import numpy as np
from click.testing import CliRunner
from PIL import Image

from cache.datasets import EMOJI_FACES, emoji_faces
from sampling.cli import main
from sampling.loading import load_model


def test_train_20_steps_on_a_folder_writes_a_loadable_model(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), np.uint8)).save(images / f"{i}.png")
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


def test_emoji_faces_recipe_renders_every_face_from_the_font():
    faces = emoji_faces(32)
    assert faces.shape == (len(EMOJI_FACES), 3, 32, 32)
    assert faces.min() >= -1 and faces.max() <= 1
    # yellow round faces on white: the centre is yellow (red and green high, blue low), the corner white
    centre = faces[:, :, 12:20, 12:20].mean(axis=(0, 2, 3))
    assert centre[0] > 0.3 and centre[1] > 0.0 and centre[2] < -0.3
    assert (faces[:, :, 0, 0] > 0.9).all()
