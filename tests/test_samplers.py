"""The samplers against diffusers' own pipelines and schedulers (CPU, float32)."""
from __future__ import annotations

import pytest
import torch
from diffusers import DDIMPipeline, DDPMPipeline, UNet2DModel
from diffusers.utils.torch_utils import randn_tensor

from sampling.loading import load_model
from sampling.samplers import Schedule, ddim_timesteps, ddpm_timesteps, sample_ddim, sample_ddpm, stack_runs
from tests.conftest import make_model_folder

TOL = 1e-5


def pipeline_images(pipe_cls, folder, scheduler, steps, seed, n=2, **kw):
    unet = UNet2DModel.from_pretrained(folder)
    pipe = pipe_cls(unet=unet, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    out = pipe(batch_size=n, generator=torch.Generator().manual_seed(seed), num_inference_steps=steps,
               output_type="np", **kw)
    return out.images  # (n, H, W, C) in [0, 1]


def ours(model, sampler, steps, seed, n=2, **kw):
    sched = model.ddpm() if sampler is sample_ddpm else model.ddim()
    t, t_prev = (ddpm_timesteps if sampler is sample_ddpm else ddim_timesteps)(sched, steps)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((n, *model.shape), generator=gen)
    x = sampler(model, x, Schedule.of(sched), t, t_prev, generator=gen, **kw)
    return (x / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).numpy()  # the pipelines' output_type="np"


def test_ddpm_matches_ddpm_pipeline(tiny_model):
    model = load_model(str(tiny_model), device="cpu")
    expected = pipeline_images(DDPMPipeline, tiny_model, model.ddpm(), steps=20, seed=3)
    assert abs(ours(model, sample_ddpm, 20, 3) - expected).max() <= TOL


@pytest.mark.parametrize("eta", [0.0, 0.7])
def test_ddim_matches_ddim_pipeline(tiny_model, eta):
    model = load_model(str(tiny_model), device="cpu")
    expected = pipeline_images(DDIMPipeline, tiny_model, model.ddim(), steps=10, seed=5, eta=eta)
    assert abs(ours(model, sample_ddim, 10, 5, eta=eta) - expected).max() <= TOL


@pytest.mark.parametrize("config", [
    dict(beta_schedule="scaled_linear", clip_sample=False, timestep_spacing="trailing"),
    dict(beta_schedule="squaredcos_cap_v2", clip_sample=True, clip_sample_range=0.5, timestep_spacing="linspace"),
    dict(beta_schedule="linear", variance_type="fixed_large", timestep_spacing="leading", steps_offset=1),
])
def test_samplers_match_pipelines_for_other_scheduler_configs(tmp_path, config):
    folder = make_model_folder(tmp_path / "m", scheduler=config)
    model = load_model(str(folder), device="cpu")
    pipelines = ((DDPMPipeline, model.ddpm(), sample_ddpm), (DDIMPipeline, model.ddim(), sample_ddim))
    for pipe_cls, sched, sampler in pipelines:
        expected = pipeline_images(pipe_cls, folder, sched, steps=7, seed=1)
        assert abs(ours(model, sampler, 7, 1) - expected).max() <= TOL, pipe_cls.__name__


@pytest.mark.parametrize("kind", ["ddpm", "ddim"])
def test_recorded_steps_equal_scheduler_step(tiny_model, kind):
    """x0_hat and x_prev reported at every step equal scheduler.step() on the same input."""
    model = load_model(str(tiny_model), device="cpu")
    sched = model.ddpm() if kind == "ddpm" else model.ddim()
    sampler = sample_ddpm if kind == "ddpm" else sample_ddim
    t, t_prev = (ddpm_timesteps if kind == "ddpm" else ddim_timesteps)(sched, 12)
    steps = []
    x = torch.randn((1, *model.shape), generator=torch.Generator().manual_seed(0))
    sampler(model, x, Schedule.of(sched), t, t_prev, generator=torch.Generator().manual_seed(1),
            callback=steps.append)
    assert len(steps) == 12
    for s in steps:
        out = sched.step(s.eps_hat, int(s.t[0]), s.x_t, **({} if kind == "ddim" else {"generator": None}),
                         **({"variance_noise": None} if kind == "ddim" else {}))
        assert abs(out.pred_original_sample - s.x0_hat).max() <= TOL
        if kind == "ddim" or int(s.t[0]) == 0:
            assert abs(out.prev_sample - s.x_prev).max() <= TOL
        else:  # ancestral step: the scheduler drew its own z; the recorded sigma_t is its variance's root
            sigma = float(sched._get_variance(int(s.t[0])) ** 0.5)
            assert abs(float(s.sigma_t[0]) - sigma) <= 1e-6
            # and x_prev is the scheduler's mean (its step with a known z, less sigma_t z) plus sigma_t times ours
            known = torch.Generator().manual_seed(7)
            out = sched.step(s.eps_hat, int(s.t[0]), s.x_t, generator=known)
            drawn = randn_tensor(s.x_t.shape, generator=torch.Generator().manual_seed(7))
            assert abs(out.prev_sample - sigma * drawn + sigma * s.z - s.x_prev).max() <= TOL
            assert s.z.abs().max() > 0.5, "the step drew fresh noise"
    assert [int(s.t[0]) for s in steps] == sched.timesteps.tolist()


def test_batched_rows_of_different_lengths_equal_serial_runs():
    """Runs that start late and stop early in one batch give what each gives alone.

    On the trained embedded model: a random-weight UNet is a chaotic map that amplifies the
    1e-6 differences between batched and single convolutions into anything.
    """
    model = load_model("embedded", device="cpu")
    sched = model.ddim()
    schedule = Schedule.of(sched)
    runs = [ddim_timesteps(model.ddim(), n) for n in (3, 50, 10, 7)]
    x = torch.randn((4, *model.shape), generator=torch.Generator().manual_seed(2))
    t, t_prev = stack_runs(runs)
    batched = sample_ddim(model, x, schedule, t, t_prev)
    for b, (ts, ps) in enumerate(runs):
        serial = sample_ddim(model, x[b:b + 1], schedule, ts, ps)
        # float32 rounding of kernels that depend on the batch size, as in test_engine.py (3e-5): measured
        # 1.05e-5 with the embedded weights of 2026-12-01; an 8-bit level is 7.8e-3
        assert abs(batched[b] - serial[0]).max() <= 3e-5


@pytest.mark.parametrize("eta", [0.0, 0.6])
def test_ddim_step_record_is_eq_12_with_the_schedulers_sigma(tiny_model, eta):
    """sigma_t, sqrt(alpha_bar_prev) and sqrt(1 - alpha_bar_prev - sigma_t^2) as DDIMScheduler has them for
    this eta, and x_prev = sqrt_alpha_bar_prev x0_hat + direction_coef eps_hat + sigma_t z from the record alone."""
    model = load_model(str(tiny_model), device="cpu")
    sched = model.ddim()
    t, t_prev = ddim_timesteps(sched, 8)
    steps = []
    x = torch.randn((2, *model.shape), generator=torch.Generator().manual_seed(0))
    sample_ddim(model, x, Schedule.of(sched), t, t_prev, eta=eta, generator=torch.Generator().manual_seed(1),
                callback=steps.append)
    for s in steps:
        ti, tp = int(s.t[0]), int(s.t_prev[0])
        alpha_bar_prev = float(sched.alphas_cumprod[tp] if tp >= 0 else sched.final_alpha_cumprod)
        sigma = eta * float(sched._get_variance(ti, tp)) ** 0.5
        assert s.sigma_t.tolist() == pytest.approx([sigma] * 2, abs=1e-6)
        assert s.sqrt_alpha_bar_prev.tolist() == pytest.approx([alpha_bar_prev ** 0.5] * 2, abs=1e-6)
        assert s.direction_coef.tolist() == pytest.approx([(1 - alpha_bar_prev - sigma ** 2) ** 0.5] * 2, abs=1e-6)
        a, b, c = (getattr(s, name).view(-1, 1, 1, 1) for name in ("sqrt_alpha_bar_prev", "direction_coef", "sigma_t"))
        x_prev = a * s.x0_hat + b * s.eps_hat + c * s.z
        assert abs(x_prev - s.x_prev).max() <= TOL
    assert (max(float(s.sigma_t.max()) for s in steps) > 0) == (eta > 0)
