"""The recordings against closed forms and diffusers' own scheduler functions."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers.utils.torch_utils import randn_tensor

from cache.specs import DdimSteps, Forward, ForwardBackward, NoiseSweep, Reverse, SimilarNoise
from sampling.loading import load_model
from sampling.recorders import record
from sampling.samplers import Schedule, ddim_timesteps, ddpm_timesteps, sample_ddim, sample_ddpm


def norm(x) -> float:
    """The Euclidean norm over every value, in float64."""
    return float(np.linalg.norm(np.asarray(x, np.float64).ravel()))


def test_forward_equals_add_noise_at_every_step(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Forward("sample", 10, 0))
    sched = model.ddpm()
    x0, eps = rec.images["x0"][None], rec.images["eps"][None]
    for t, x_t in zip(rec.numbers["t"], rec.images["x_t"], strict=False):
        expected = sched.add_noise(x0, eps, torch.tensor([int(t)]))
        assert abs(x_t - expected[0]).max() <= 1e-6
    abar = sched.alphas_cumprod.numpy()[rec.numbers["t"]]
    assert np.allclose(rec.numbers["sqrt_alpha_bar"], abar ** 0.5)
    assert rec.numbers["t"][0] == 0 and rec.numbers["t"][-1] == 999


def test_forward_keeps_x0_eps_and_alpha_bar_exact_so_every_t_can_be_formed(tiny_model):
    """The explorer forms x_t at every t from x0_float, eps_float and alpha_bar: these must be the
    recording's own, unrounded, and give its x_t (Ho et al. eq. 4) at the steps it kept."""
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Forward("sample", 10, 0))
    x0, eps, abar = rec.numbers["x0_float"], rec.numbers["eps_float"], rec.numbers["alpha_bar"]
    assert x0.dtype == eps.dtype == abar.dtype == np.float32 and len(abar) == 1000
    assert np.allclose(abar, model.ddpm().alphas_cumprod.numpy())
    assert (x0 == rec.images["x0"].numpy()).all() and (eps == rec.images["eps"].numpy()).all()
    for t, x_t in zip(rec.numbers["t"], rec.images["x_t"].numpy(), strict=True):
        assert abs(np.sqrt(abar[t]) * x0 + np.sqrt(1 - abar[t]) * eps - x_t).max() <= 1e-6


def test_forward_chain_reaches_the_closed_form_noise_level(tiny_model):
    """x_t built one beta at a time has the spread sqrt(1 - alpha_bar_t) of the one-jump form."""
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Forward("sample", 10, 1))
    expected = np.sqrt(1 - model.ddpm().alphas_cumprod.double().numpy()[rec.numbers["t"]])
    assert np.allclose(rec.numbers["sqrt_one_minus_alpha_bar"], expected, rtol=1e-5)
    late = expected > 0.3  # where the noise is large enough to measure its spread from 768 values
    assert np.allclose(rec.numbers["chain_noise_std"][late], expected[late], rtol=0.12)
    assert np.allclose(rec.numbers["closed_form_noise_std"][late], expected[late], rtol=0.12)


@pytest.mark.parametrize("scheduler", ["ddpm", "ddim"])
def test_reverse_records_every_step_as_diffusers_steps_it(tiny_model, scheduler):
    """Every recorded step against diffusers' scheduler.step() on the same x_t and eps_hat, and the
    coefficients shown on screen against scheduler.alphas_cumprod by the papers' formulas, written out."""
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, Reverse(scheduler, 8, 0))
    x, eps_hat, x0_hat, z = (rec.images[name] for name in ("x", "eps_hat", "x0_hat", "z"))
    assert x.shape == (9, 3, 16, 16) and eps_hat.shape == (8, 3, 16, 16)
    sched = model.ddpm() if scheduler == "ddpm" else model.ddim()
    sched.set_timesteps(8)
    assert rec.numbers["t"].tolist() == sched.timesteps.tolist()
    alpha_bar, T = sched.alphas_cumprod.double().numpy(), sched.config.num_train_timesteps
    c = rec.numbers
    for i, t in enumerate(sched.timesteps.tolist()):
        # the previous timestep and alpha_bar there, as each scheduler's step() takes them
        prev = sched.previous_timestep(t) if scheduler == "ddpm" else t - T // 8
        a_t = alpha_bar[t]
        a_prev = alpha_bar[prev] if prev >= 0 else (1.0 if scheduler == "ddpm" else float(sched.final_alpha_cumprod))
        assert rec.numbers["t_prev"][i] == prev
        assert c["alpha_bar_t"][i] == pytest.approx(a_t, rel=1e-5)
        assert c["alpha_bar_prev"][i] == pytest.approx(a_prev, rel=1e-5)
        if scheduler == "ddpm":
            # Ho et al. (2020), Algorithm 2, with alpha_t = alpha_bar_t / alpha_bar_prev for a strided schedule;
            # sigma_t^2 = beta~_t = (1 - alpha_bar_prev) / (1 - alpha_bar_t) beta_t, eq. (7); no noise at t = 0
            alpha = a_t / a_prev
            beta = 1 - alpha
            assert c["inv_sqrt_alpha_t"][i] == pytest.approx(1 / np.sqrt(alpha), rel=1e-5)
            assert c["beta_t_over_sqrt_one_minus_alpha_bar_t"][i] == pytest.approx(beta / np.sqrt(1 - a_t), rel=1e-5)
            sigma = np.sqrt((1 - a_prev) / (1 - a_t) * beta) if t > 0 else 0.0
            assert c["sigma_t"][i] == pytest.approx(sigma, rel=1e-5, abs=1e-12)
            out = sched.step(eps_hat[i][None], t, x[i][None], generator=torch.Generator().manual_seed(i))
            drawn = randn_tensor(x[i][None].shape, generator=torch.Generator().manual_seed(i)) if t > 0 else 0
            mean = out.prev_sample - float(sched._get_variance(t)) ** 0.5 * drawn  # diffusers' step, less its noise
            assert abs(x[i + 1] - (mean[0] + c["sigma_t"][i] * z[i])).max() <= 1e-5
        else:
            # Song et al. (2021), eq. (12) at eta = 0: no noise, the direction to x_t is sqrt(1 - alpha_bar_prev)
            assert c["sqrt_alpha_bar_prev"][i] == pytest.approx(np.sqrt(a_prev), rel=1e-5)
            assert c["direction_coef"][i] == pytest.approx(np.sqrt(1 - a_prev), rel=1e-5) and c["sigma_t"][i] == 0
            out = sched.step(eps_hat[i][None], t, x[i][None], eta=0.0)
            assert abs(x[i + 1] - out.prev_sample[0]).max() <= 1e-5
        assert abs(x0_hat[i] - out.pred_original_sample[0]).max() <= 1e-5
    assert abs(rec.numbers["x_final"] - x[-1].numpy()).max() == 0


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
        # batched rows against one run alone: float32 rounding of batch-size-dependent kernels, measured
        # up to 1.4e-5 with the embedded model's weights (an 8-bit level is 7.8e-3)
        assert abs(grid[r, -1] - serial[0]).max() <= 3e-5
    # the single run: noised to timesteps[2], denoised alone, and its distance to x_0 over all values
    assert rec.numbers["forward_t"] == t[2]
    alone = sample_ddim(model, rec.images["noised"][None], Schedule.of(sched), t[2:], t_prev[2:])[0]
    assert abs(rec.images["reconstruction"] - alone).max() <= 3e-5
    assert np.isclose(rec.numbers["distance"], norm(alone - x0), rtol=1e-5)


def test_patch_perturbation_changes_only_the_patch(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    rec = record(model, SimilarNoise("patch", 4, 0, patch_size=5, patch_x=3, patch_y=7))
    heat = rec.numbers["noise_heatmap"]
    inside = np.zeros_like(heat, bool)
    inside[7:12, 3:8] = True
    assert (heat[~inside] == 0).all() and (heat[inside] > 0).all()
    # the two noises, drawn again here: b is a with the 5x5 square at column 3, row 7 taken from the fresh one
    gen = torch.Generator().manual_seed(0)
    n_a, fresh = torch.randn((3, 16, 16), generator=gen), torch.randn((3, 16, 16), generator=gen)
    n_b = n_a.clone()
    n_b[:, 7:12, 3:8] = fresh[:, 7:12, 3:8]
    a, b = rec.images["x"][0]
    assert (a == n_a).all() and (b == n_b).all()
    assert np.isclose(rec.numbers["noise_distance"], norm(fresh[:, 7:12, 3:8] - n_a[:, 7:12, 3:8]), rtol=1e-5)
    sched = model.ddim()
    finals = sample_ddim(model, torch.stack([n_a, n_b]), Schedule.of(sched), *ddim_timesteps(sched, 4))
    assert abs(rec.numbers["final_float"] - finals.numpy()).max() <= 1e-5
    assert np.isclose(rec.numbers["output_distance"], norm(finals[0] - finals[1]), rtol=1e-4)


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
    # and each is the distance of the two noises, drawn again here: a centred n x n patch, or the mix with s
    gen = torch.Generator().manual_seed(0)
    noise, fresh = torch.randn((3, 16, 16), generator=gen).double(), torch.randn((3, 16, 16), generator=gen).double()
    patch = [norm((fresh - noise)[:, (16 - n) // 2:(16 + n) // 2, (16 - n) // 2:(16 + n) // 2]) for n in (2, 8, 16)]
    mixed = [norm((np.sqrt(1 - s * s) - 1) * noise + s * fresh) for s in (0.1, 0.5, 1.0)]
    assert np.allclose(rec.numbers["patch_noise_distance"], patch, rtol=1e-5)
    assert np.allclose(rec.numbers["global_noise_distance"], mixed, rtol=1e-5)


def test_ddim_steps_runs_equal_separate_runs():
    model = load_model("embedded", device="cpu")
    rec = record(model, DdimSteps(0, (2, 5, 9), 20))
    gen = torch.Generator().manual_seed(0)
    x_T = torch.randn((1, *model.shape), generator=gen)
    finals = []
    for k, n in enumerate((2, 5, 9)):
        sched = model.ddim()
        t, t_prev = ddim_timesteps(sched, n)
        states = [x_T[0]]  # the state after each step of the run made alone
        alone = sample_ddim(model, x_T, Schedule.of(sched), t, t_prev,
                            callback=lambda s, kept=states: kept.append(s.x_prev[0]))
        assert abs(rec.images["finals"][k] - alone[0]).max() <= 1e-5
        assert abs(rec.images["frames"][k, -1] - alone[0]).max() <= 1e-5
        steps = rec.numbers["frame_steps"][k]  # each frame says how many steps its state had taken
        assert steps[0] == 0 and steps[-1] == n and (np.diff(steps) >= 0).all()
        for j, step in enumerate(steps):
            assert abs(rec.images["frames"][k, j] - states[step]).max() <= 1e-5
        finals.append(alone[0])
    # DDPM, 20 steps, its fresh noise drawn from the same generator after x_T
    sched = model.ddpm()
    finals.append(sample_ddpm(model, x_T, Schedule.of(sched), *ddpm_timesteps(sched, 20), generator=gen)[0])
    assert abs(rec.images["finals"][3] - finals[3]).max() <= 1e-4
    assert (rec.images["frames"][:, 0] == x_T[0]).all()
    # distances to DDIM with the most steps (9), over all values of the runs made here
    assert rec.numbers["distance_to_reference"][2] == 0
    assert np.allclose(rec.numbers["distance_to_reference"], [norm(f - finals[2]) for f in finals], atol=1e-4)
    assert min(rec.numbers["distance_to_reference"][[0, 1, 3]]) > 0.01


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
