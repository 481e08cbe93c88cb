"""The recordings against closed forms and diffusers' own scheduler functions."""
from __future__ import annotations

import numpy as np
import torch

from cache.specs import DdimSteps, Forward, ForwardBackward, NoiseSweep, Reverse, SimilarNoise
from sampling.experiments import record, l2
from sampling.loading import load_model
from sampling.samplers import Schedule, ddim_timesteps, sample_ddim


def test_forward_equals_add_noise_at_every_step(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Forward("sample", 10, 0))
    sched = model.ddpm()
    x0, eps = rec.images["x0"][None], rec.images["eps"][None]
    for t, x_t in zip(rec.numbers["t"], rec.images["x_t"]):
        expected = sched.add_noise(x0, eps, torch.tensor([int(t)]))
        assert abs(x_t - expected[0]).max() <= 1e-6
    abar = sched.alphas_cumprod.numpy()[rec.numbers["t"]]
    assert np.allclose(rec.numbers["sqrt_alpha_bar"], abar ** 0.5)
    assert rec.numbers["t"][0] == 0 and rec.numbers["t"][-1] == 999


def test_forward_chain_reaches_the_closed_form_noise_level(tiny_model):
    """x_t built one beta at a time has the spread sqrt(1 - alpha_bar_t) of the one-jump form."""
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Forward("sample", 10, 1))
    expected = rec.numbers["sqrt_one_minus_alpha_bar"]
    late = expected > 0.3  # where the noise is large enough to measure its spread from 768 values
    assert np.allclose(rec.numbers["chain_noise_std"][late], expected[late], rtol=0.12)
    assert np.allclose(rec.numbers["closed_form_noise_std"][late], expected[late], rtol=0.12)


def test_reverse_records_every_step(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Reverse("ddpm", 8, 0))
    assert rec.images["x"].shape == (9, 3, 16, 16) and rec.images["eps_hat"].shape == (8, 3, 16, 16)
    sched = model.ddpm()
    sched.set_timesteps(8)
    assert list(rec.numbers["t"]) == sched.timesteps.tolist()
    beta = 1 - rec.numbers["alpha_bar_t"] / rec.numbers["alpha_bar_prev"]
    assert np.allclose(rec.numbers["inv_sqrt_alpha_t"], 1 / np.sqrt(1 - beta), rtol=1e-5)
    assert np.allclose(rec.numbers["beta_t_over_sqrt_one_minus_alpha_bar_t"],
                       beta / np.sqrt(1 - rec.numbers["alpha_bar_t"]), rtol=1e-5)
    assert rec.numbers["sigma_t"][-1] == 0 and (rec.numbers["sigma_t"][:-1] > 0).all()


def test_every_kind_of_recording_lists_its_stored_arrays():
    """cache/stored_arrays.py has an entry for every spec's experiment, and nothing else."""
    from cache.specs import Spec
    from cache.stored_arrays import STORED_ARRAYS
    assert set(STORED_ARRAYS) == {cls.experiment for cls in Spec.__subclasses__()}


def test_grid_first_column_is_x0_and_rows_equal_serial_ddim():
    model = load_model("embedded", device="cpu")
    spec = ForwardBackward("sample", 6, 0, 2, 6)
    rec = record(model, spec)
    grid, x0 = rec.images["grid"], rec.images["x0"]
    assert grid.shape[:2] == (6, 8)
    assert (grid[:, 0] == x0).all()
    sched = model.ddim()
    t, t_prev = ddim_timesteps(sched, 6)
    for r in range(6):  # row r: noised to timesteps[5 - r], then 6 - (5 - r) = r + 1 steps
        i = 5 - r
        assert rec.numbers["row_steps"][r] == r + 1 and rec.numbers["row_t"][r] == t[i]
        serial = sample_ddim(model, grid[r, 1][None], Schedule.of(sched), t[i:], t_prev[i:])
        assert abs(grid[r, -1] - serial[0]).max() <= 1e-5
    assert np.isclose(rec.numbers["distance"], float(l2(rec.images["reconstruction"][None], x0[None])), rtol=1e-5)


def test_patch_perturbation_changes_only_the_patch(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, SimilarNoise("patch", 4, 0, patch_size=5, patch_x=3, patch_y=7))
    heat = rec.numbers["noise_heatmap"]
    inside = np.zeros_like(heat, bool)
    inside[7:12, 3:8] = True
    assert (heat[~inside] == 0).all() and (heat[inside] > 0).all()
    a, b = rec.images["x"][0]
    assert np.isclose(rec.numbers["noise_distance"], float((a - b).norm()), rtol=1e-5)
    final = rec.numbers["final_float"]
    assert np.isclose(rec.numbers["output_distance"], np.linalg.norm(final[0] - final[1]), rtol=1e-5)


def test_global_perturbation_is_the_scaled_mix(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    s = 0.3
    rec = record(model, SimilarNoise("global", 4, 0, scaling=s))
    gen = torch.Generator().manual_seed(0)
    n_a, fresh = torch.randn((1, 3, 16, 16), generator=gen), torch.randn((1, 3, 16, 16), generator=gen)
    assert abs(rec.images["x"][0, 1] - ((1 - s * s) ** 0.5 * n_a + s * fresh)[0]).max() <= 1e-6


def test_sweep_noise_distance_grows_with_patch_and_scaling(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, NoiseSweep(3, 0, (2, 8, 16), (0.1, 0.5, 1.0)))
    assert (np.diff(rec.numbers["patch_noise_distance"]) > 0).all()
    assert (np.diff(rec.numbers["global_noise_distance"]) > 0).all()


def test_ddim_steps_runs_equal_separate_runs():
    model = load_model("embedded", device="cpu")
    rec = record(model, DdimSteps(0, (2, 5, 9), 20))
    gen = torch.Generator().manual_seed(0)
    x_T = torch.randn((1, *model.shape), generator=gen)
    for k, n in enumerate((2, 5, 9)):
        sched = model.ddim()
        t, t_prev = ddim_timesteps(sched, n)
        alone = sample_ddim(model, x_T, Schedule.of(sched), t, t_prev)
        assert abs(rec.images["finals"][k] - alone[0]).max() <= 1e-5
        assert abs(rec.images["frames"][k, -1] - alone[0]).max() <= 1e-5
    assert (rec.images["frames"][:, 0] == x_T[0]).all()
    assert rec.numbers["distance_to_reference"][2] == 0


def test_an_image_of_another_size_and_mode_is_centre_cropped_and_resized(tiny_model, tmp_path):
    from PIL import Image
    from cache.specs import SpecError, image_source
    path = tmp_path / "wide.png"
    pixels = np.zeros((40, 80, 4), np.uint8)
    pixels[:, 20:60] = (255, 0, 0, 128)  # the centred 40x40 square is red; the sides are transparent black
    Image.fromarray(pixels, "RGBA").save(path)
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Forward(image_source(str(path)), 3, 0), str(path))
    x0 = rec.images["x0"]
    assert x0.shape == (3, 16, 16)
    assert torch.allclose(x0[0], torch.ones(16, 16), atol=1e-2) and (x0[1:] < -0.99).all()
    (tmp_path / "broken.png").write_bytes(b"not a png")
    import pytest
    with pytest.raises(SpecError, match="not an image"):
        image_source(str(tmp_path / "broken.png"))
