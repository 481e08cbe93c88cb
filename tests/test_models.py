"""Loading models: local folders offline, the embedded default, and clear refusals."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from safetensors import safe_open

from cache.model_files import EMBEDDED_DIR, ModelError
from sampling.loading import load_model


def test_local_folder_loads_with_hub_offline(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    assert model.shape == (3, 16, 16)
    assert model.files.weights.name == "diffusion_pytorch_model.safetensors"
    assert model.ddim().config.num_train_timesteps == 1000


def test_embedded_model_loads_by_the_hub_code_path_with_googles_schedule():
    model = load_model("embedded", device="cpu")
    assert type(model.unet).__name__ == "UNet2DModel"
    assert model.files.unet_dir == EMBEDDED_DIR
    cfg = model.ddpm().config
    assert (cfg.beta_schedule, cfg.beta_start, cfg.beta_end, cfg.num_train_timesteps, cfg.prediction_type) == \
        ("linear", 0.0001, 0.02, 1000, "epsilon")
    weights = EMBEDDED_DIR / "diffusion_pytorch_model.safetensors"
    assert weights.stat().st_size <= 10 * 2**20
    with safe_open(weights, "pt") as f:
        assert len(list(f.keys())) > 100
    assert (EMBEDDED_DIR / "README.md").exists(), "the model card"


def test_unknown_hub_id_offline_fails_fast_with_the_fix():
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "sampling.cli", "sample", "--model", "google/ddpm-celebahq-256",
                          "--n", "1", "--out", "/tmp/never.png"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": "/tmp/empty-home"})
    assert time.monotonic() - started < 10
    assert run.returncode == 1
    assert "google/ddpm-celebahq-256" in run.stderr and "hf download google/ddpm-celebahq-256" in run.stderr
    assert "--model <local folder>" in run.stderr and "Traceback" not in run.stderr


def test_conditional_model_folder_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"_class_name": "UNet2DConditionModel"}))
    with pytest.raises(ModelError, match="text-conditioned"):
        load_model(str(tmp_path), device="cpu")


def test_folder_without_model_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not a diffusers model folder"):
        load_model(str(tmp_path), device="cpu")


def test_cuda_without_gpu_is_refused(tiny_model):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ModelError, match="no CUDA GPU"):
        load_model(str(tiny_model), device="cuda")
