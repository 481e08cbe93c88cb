"""The flow experiment and FlowMatching against independent truth: Monte-Carlo E[eps - x_0 | x_s] on samples
of the smiley, Euler's one step landing on the data's mean, DDIM as Euler on the flow in other coordinates,
the numbers recounted from the stored runs, and the scene's pixels and numbers against the recording."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from test_scenes import render
from test_toy_scenes import lit

from cache.config import Settings
from cache.mixtures import MIXTURES
from tests.conftest import counts_and_times, other_recordings, render_described, scene_cache_for_module

scene_cache_folder, scene_cache = scene_cache_for_module("steps = 20\n")


def recorded() -> dict[str, np.ndarray]:
    from sampling.build import build
    return build(["flow"], Settings(model="mixture:smiley", steps=20))[0].load()


def test_exact_velocity_matches_monte_carlo_over_samples_of_the_mixture():
    """E[eps - x_0 | x_s = z] by self-normalised importance sampling: x_0 from the data, weighted by the path's
    kernel N(z; (1 - s) x_0, s^2 I), with eps = (z - (1 - s) x_0) / s given x_0."""
    from sampling.exact_denoiser import ExactVelocity
    mix = MIXTURES["smiley"]()
    velocity = ExactVelocity(mix)
    rng = np.random.default_rng(2)
    k = rng.choice(len(mix.weights), size=600_000, p=mix.weights)
    x0 = mix.means[k] + mix.stds[k, None] * rng.standard_normal((len(k), 2))
    for s in (0.2, 0.5, 0.8, 1.0):
        for z in rng.standard_normal((3, 2)) * 0.7:
            log_w = -((z - (1 - s) * x0) ** 2).sum(1) / (2 * s ** 2)
            w = np.exp(log_w - log_w.max())
            expected = (w[:, None] * ((z - (1 - s) * x0) / s - x0)).sum(0) / w.sum()
            v = velocity(torch.tensor(z, dtype=torch.float32).view(1, 2, 1, 1), torch.tensor([s]))
            assert np.allclose(v.numpy().ravel(), expected, atol=0.03 / s), (s, z)


def test_ddim_is_euler_on_the_flow_in_its_coordinates():
    """With eps_hat exact, a DDIM step (eq. 12, eta = 0) is an Euler step of the flow in x / (sqrt(a) + sqrt(1 - a))
    at s = sqrt(1 - a) / (sqrt(a) + sqrt(1 - a)): both keep x0_hat and eps_hat and move along the straight line."""
    from sampling.exact_denoiser import ExactVelocity
    from sampling.loading import load_model
    from sampling.recorders import run
    from sampling.samplers import ddim_timesteps, sample_euler
    model = load_model("mixture:smiley").with_scheduler(timestep_spacing="trailing")
    x_T = torch.randn((200, 2, 1, 1), generator=torch.Generator().manual_seed(5))
    ddim = run(model, "ddim", 10, x_T.clone())  # 10 divides T: each step ends at the next step's t
    t, t_prev = ddim_timesteps(model.ddim(), 10)
    assert (t[1:] == t_prev[:-1]).all()
    a = torch.from_numpy(model.alpha_bar[t.numpy()]).double()
    s = torch.cat([(1 - a).sqrt() / (a.sqrt() + (1 - a).sqrt()), torch.zeros(1, dtype=torch.float64)])
    euler = sample_euler(ExactVelocity(model.mixture), (x_T.double() / (a[0].sqrt() + (1 - a[0]).sqrt())).float(),
                         s.float())
    assert np.allclose(euler.numpy(), ddim.numpy(), atol=1e-4)


def test_recorded_runs_their_numbers_and_the_one_step_mean():
    tr = recorded()
    mix = MIXTURES["smiley"]()
    counts = list(tr["step_counts"])
    # one Euler step from s = 1: x_1 - v(x_1, 1) = E[x_0], the data's mean, for every noise
    assert np.allclose(tr["euler_final"][counts.index(1)], mix.weights @ mix.means, atol=1e-5)
    assert np.allclose(tr["euler_frames"][:, 0], tr["x_T"]) and np.allclose(tr["ddim_frames"][:, 0], tr["x_T"])
    for r, n in enumerate(counts):
        for sampler in ("euler", "ddim"):
            states = tr[f"{sampler}_frames"][r].astype(np.float64)  # every state, some repeated (n <= 50)
            assert n <= states.shape[0] - 1
            length = np.linalg.norm(np.diff(states, axis=0), axis=2).sum(0)
            straight = (length / np.linalg.norm(states[-1] - states[0], axis=1)).mean()
            assert tr[f"{sampler}_straightness"][r] == pytest.approx(straight, rel=1e-4)
            d = np.linalg.norm(tr[f"{sampler}_final"][r][:, None] - mix.means[None], axis=2) / mix.stds[None]
            assert tr[f"{sampler}_stray"][r] == pytest.approx((d.min(1) > 3).mean())
        assert tr["euler_frame_s"][r, 0] == 1 and tr["euler_frame_s"][r, -1] == 0
        assert tr["ddim_frame_t"][r, 0] == 999 and tr["ddim_frame_t"][r, -1] == -1  # trailing: from t = T - 1
    assert tr["euler_straightness"][counts.index(1)] == pytest.approx(1)
    assert tr["euler_stray"][-1] < 0.05 and tr["ddim_stray"][-1] < 0.1  # 50 steps land on the strokes


@pytest.mark.slow
def test_flow_scene_shows_the_recorded_runs_paths_and_numbers():
    from scenes import flow
    scene, frame = render(flow.FlowMatching, slides=None)
    tr = scene.tr
    for sampler, row in scene.clouds.items():
        for r, cloud in enumerate(row):
            final = tr[f"{sampler}_final"][r]
            inside = np.abs(final).max(1) < 1.9
            assert lit(frame, cloud.to_scene(final[inside]), flow.P.x0).mean() > 0.9
            for i, trace in enumerate(scene.traces[sampler][r]):
                assert np.allclose(np.asarray(trace.get_anchors())[-1], cloud.to_scene(final[i:i + 1])[0], atol=1e-6)
            assert [t.text for t in scene.numbers[sampler][r]] == [
                f"off{tr[f'{sampler}_stray'][r] * 100:.1f}%",
                f"straight{tr[f'{sampler}_straightness'][r]:.2f}"]
    notes = scene.slide_notes[-1]
    for key in ("euler_stray", "ddim_stray"):
        assert all(f"{v:.1%}" in notes for v in tr[key])
    for key in ("euler_straightness", "ddim_straightness", "ddim_flow_straightness"):
        assert all(f"{v:.2f}" in notes for v in tr[key])


@pytest.mark.slow
def test_titles_and_descriptions_take_their_numbers_from_the_recording(tmp_path, monkeypatch):
    """A recording of another size (a 300-step schedule, 53 points, 1, 3, 8 and 30 steps, another distance off
    the strokes): every count, s, t and setting in the slides' titles and descriptions follows it, none of the
    default recording's is left, and every slide lasts some time."""
    import re

    from scenes import flow
    other_recordings(monkeypatch, tmp_path, train_steps=300, points=53, step_counts=(1, 3, 8, 30), stray_sd=4.0)
    scene, described = render_described(flow.FlowMatching)
    tr = scene.tr
    assert (len(tr["x_T"]), list(tr["step_counts"]), tr["ddim_frame_t"][0, 0]) == (53, [1, 3, 8, 30], 299)
    assert len(described) == 4
    assert '"1 step", "3 steps", "8 steps" and "30 steps"' in described[0] and "the same 53 points" in described[0]
    assert "DDIM from t = 299 to 0" in described[1] and "lands near one spot, the data's mean" in described[1]
    assert '"off: further than 4 sd' in described[2] and f"30 steps, off {tr['euler_stray'][3]:.1%}" in described[2]
    assert f"With 30 steps, Euler leaves {tr['euler_stray'][3]:.1%}" in described[3]
    assert len(set(described)) == len(described)
    assert not re.findall(r"\b(2000|1000|999|2|5|50|3 sd)\b", counts_and_times("\n".join(described)))
