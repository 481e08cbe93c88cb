"""The schedules experiment and NoiseSchedules against independent truth: the betas written out as the
papers define them and diffusers' own schedulers, the noising equation on the stored images, DDIM run
by diffusers' DDIMScheduler.step, and the scene's pixels and numbers against the recording."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from test_scenes import corr, crop, render

from cache.config import Settings
from cache.mixtures import MIXTURES
from tests.conftest import counts_and_times, other_recordings, render_described, scene_cache_for_module

scene_cache_folder, scene_cache = scene_cache_for_module("steps = 20\n")
T = 1000


def written_out(name: str) -> np.ndarray:
    """alpha_bar of 1000 steps by each schedule's definition, with no diffusers code."""
    if name == "linear":  # Ho et al. (2020): betas linear in 1e-4..0.02
        betas = np.linspace(1e-4, 0.02, T)
    elif name == "scaled_linear":  # Stable Diffusion: sqrt(beta) linear in sqrt(0.00085)..sqrt(0.012)
        betas = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, T) ** 2
    else:  # Nichol and Dhariwal (2021) eq. 17: f(t) = cos^2((t/T + 0.008) / 1.008 pi/2), betas capped at 0.999
        f = np.cos((np.arange(T + 1) / T + 0.008) / 1.008 * np.pi / 2) ** 2
        betas = np.minimum(1 - f[1:] / f[:-1], 0.999)
    return np.cumprod(1 - betas)


def recorded(experiment: str = "schedules") -> dict[str, np.ndarray]:
    from sampling.build import build
    return build([experiment], Settings(model="mixture:smiley", steps=20))[0].load()


def test_alpha_bar_and_log_snr_are_the_schedules_as_defined_and_as_diffusers_makes_them():
    from diffusers import DDPMScheduler

    from cache.beta_schedules import SCHEDULES
    tr = recorded()
    for r, name in enumerate(SCHEDULES):
        expected = written_out(name)
        assert np.allclose(tr["alpha_bar"][r], expected, rtol=1e-5, atol=1e-9), name
        diffusers = DDPMScheduler(num_train_timesteps=T, **SCHEDULES[name]).alphas_cumprod.double().numpy()
        assert np.allclose(tr["alpha_bar"][r], diffusers, rtol=1e-6, atol=1e-12), name
        snr = expected / (1 - expected)
        assert np.allclose(tr["log_snr"][r], np.log(snr), atol=1e-3 + 1e-5 * np.abs(np.log(snr)))
        assert tr["steps_in_window"][r] == ((snr >= 0.1) & (snr <= 10)).sum()
    # where each spends its steps: cosine and scaled linear linger at mid SNR far longer than linear
    assert tr["steps_in_window"][0] < min(tr["steps_in_window"][1:])


def test_the_same_image_and_noise_are_noised_to_the_same_t_under_each_schedule():
    from cache.datasets import load_dataset
    from cache.store import to_display
    tr = recorded()
    assert np.array_equal(tr["x0"], to_display(load_dataset("emoji-faces", 32)[0]))
    x0, eps = (tr[k].astype(np.float64) / 127.5 - 1 for k in ("x0", "eps"))
    clipped_normal = np.clip(np.random.default_rng(0).standard_normal(1_000_000), -1, 1).std()
    assert abs(eps.std() - clipped_normal) < 0.05 and abs(eps.mean()) < 0.1  # N(0, I) shown in [-1, 1]
    for r in range(3):
        for i, t in enumerate(tr["image_t"]):
            a = tr["alpha_bar"][r][t]
            expected = np.sqrt(a) * x0 + np.sqrt(1 - a) * eps  # eq. (4) on the stored (rounded) x_0 and eps
            shown = tr["x_t"][r, i].astype(np.float64) / 127.5 - 1
            inside = (np.abs(expected) < 0.98) & (np.abs(eps) < 0.99)  # what display did not clip
            assert np.abs(shown - expected)[inside].max() <= 2.5 / 127.5, (r, t)


def test_ddim_under_each_schedule_is_diffusers_ddim_with_the_exact_denoiser():
    from diffusers import DDIMScheduler

    from cache.beta_schedules import SCHEDULES
    from sampling.loading import load_model
    tr = recorded()
    model = load_model("mixture:smiley")
    x_T = torch.from_numpy(tr["x_T"][:64]).view(-1, 2, 1, 1)
    for r, name in enumerate(SCHEDULES):
        exact = model.with_schedule(name)
        for c, steps in enumerate(tr["step_counts"]):
            scheduler = DDIMScheduler.from_config(exact.files.scheduler_config)
            assert not scheduler.config.clip_sample  # a mixture's x0_hat is never clipped
            scheduler.set_timesteps(int(steps))
            assert scheduler.timesteps[0] == tr["ddim_t"][r, c]
            x = x_T.clone()
            for t in scheduler.timesteps:
                x = scheduler.step(exact(x, t.repeat(len(x))), t, x).prev_sample
            assert np.allclose(x.flatten(1).numpy(), tr["ddim_final"][r, c, :64], atol=2e-4), (name, steps)
    # and the stray shares are the finals', counted here
    mix = MIXTURES["smiley"]()
    for r in range(3):
        for c in range(len(tr["step_counts"])):
            d = np.linalg.norm(tr["ddim_final"][r, c][:, None] - mix.means[None], axis=2) / mix.stds[None]
            assert tr["ddim_stray"][r, c] == pytest.approx((d.min(1) > 3).mean())


def test_the_toy_experiment_takes_any_schedule_into_its_spec_and_key():
    from cache.model_files import locate_local
    from cache.specs import specs_for
    from cache.store import trajectory_key
    from sampling.build import build
    model = locate_local("mixture:1d")
    keys = {s: trajectory_key(model.identity(), specs_for("toy", Settings(model="mixture:1d", schedule=s),
                                                          model)[0].key_fields(), "float32")
            for s in ("linear", "squaredcos_cap_v2")}
    assert keys["linear"] != keys["squaredcos_cap_v2"]
    tr = build(["toy"], Settings(model="mixture:1d", steps=10, schedule="squaredcos_cap_v2"))[0].load()
    assert np.allclose(tr["alpha_bar"], written_out("squaredcos_cap_v2"), rtol=1e-5, atol=1e-9)


@pytest.mark.slow
def test_schedules_frames_show_the_recorded_images_and_numbers():
    from scenes import schedules
    scene, frame = render(schedules.NoiseSchedules, slides=3)  # the slide break after the sweep to the last t
    tr = scene.tr
    i = scene.frame_index
    assert i == len(tr["image_t"]) - 1
    for r, panel in enumerate(scene.panels):
        assert corr(crop(frame, panel.image, 32), tr["x_t"][r, i]) > 0.97
    notes = "\n".join(scene.slide_notes)
    t = tr["image_t"][len(tr["image_t"]) // 2]
    for r in range(3):
        assert f"{np.sqrt(tr['alpha_bar'][r][t]):.2f}" in notes


@pytest.mark.slow
def test_schedules_summary_shows_the_recorded_clouds_counts_and_strays():
    from test_toy_scenes import lit

    from scenes import schedules
    scene, frame = render(schedules.NoiseSchedules, slides=None)
    tr = scene.tr
    notes = "\n".join(scene.slide_notes)  # the notes of the slide after the sweep: alpha_bar_T of each schedule
    for r in range(3):
        assert f"{tr['alpha_bar'][r][-1]:.2e}" in notes
    for c, row in enumerate(scene.clouds):
        for r, cloud in enumerate(row):
            final = tr["ddim_final"][r, c]
            assert lit(frame, cloud.to_scene(final[np.abs(final).max(1) < 1.9]), schedules.P.x0).mean() > 0.9
            assert scene.strays[c][r].text == f"offthestrokes:{tr['ddim_stray'][r, c] * 100:.1f}%"
    counts = [t.text for t in scene.counts]
    assert counts == [f"{n}:{tr['steps_in_window'][r]}of{T}" for r, n in
                      enumerate(("linear", "cosine", "scaledlinear"))]
    notes = "\n".join(scene.slide_notes)
    assert all(f"{tr['ddim_stray'][r, c]:.1%}" in notes for r in range(3) for c in range(2))
    assert all(re.search(rf"\b{n}\b", notes) for n in tr["steps_in_window"])


@pytest.mark.slow
def test_titles_and_descriptions_take_their_numbers_from_the_recording(tmp_path, monkeypatch):
    """A recording of another size (a 300-step schedule, 53 points, DDIM with 7 and 30 steps, another SNR window
    and another distance off the strokes): every count, t and setting in the slides' titles and descriptions
    follows it, none of the default recording's is left, and every slide lasts some time."""
    from scenes import schedules
    other_recordings(monkeypatch, tmp_path, train_steps=300, points=53, step_counts=(7, 30), snr_low=0.2,
                     snr_high=5.0, stray_sd=2.5)
    scene, described = render_described(schedules.NoiseSchedules)
    tr = scene.tr
    assert (tr["alpha_bar"].shape[1], len(tr["x_T"]), list(tr["step_counts"])) == (300, 53, [7, 30])
    half = tr["image_t"][len(tr["image_t"]) // 2]
    assert len(described) == 7 and "over t from 0 to 300" in described[0]
    assert described[1].startswith(f"t = 0 to {half}: t runs from 0 to {half}")
    assert described[2].startswith(f"t = {half} to 299: ")
    assert "between 0.2 and 5" in described[3] and '"linear: ' + f'{tr["steps_in_window"][0]} of 300"' in described[3]
    assert '"DDIM 7 steps" and "DDIM 30 steps"' in described[4] and '"53 points of the same x_T"' in described[4]
    assert "further than 2.5 sd" in described[5]
    assert f"with 30 steps, linear {tr['ddim_stray'][0, 1]:.1%}" in described[5]
    assert len(set(described)) == len(described)
    assert not re.findall(r"\b(2000|1000|999|980|900|500|50|0\.1|3 sd)\b", counts_and_times("\n".join(described)))
