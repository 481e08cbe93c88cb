"""The explorer's sandbox (tools/explorer_page/sandbox.js) in headless Chromium from file://: its samples equal
Python's exact denoiser and samplers run in float64 (sampling/exact_denoiser.py posterior_mean through
sampling/samplers.py, in torch float64 on the CPU) for the same mixture and the same noises, to within 1e-6;
a link with a drawing restores it; every control is labelled; no console errors. The page is written from an
empty cache: the sandbox needs no recording."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.test_explorer import Page, browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow  # a browser

POINTS = np.array([[-0.5, 0.2], [-0.45, 0.25], [-0.4, 0.3], [0.3, -0.2], [0.33, -0.25], [0.6, 0.6],
                   [0.0, -0.7], [0.05, -0.72], [-0.8, -0.1], [0.9, 0.0]])
N = 48
TOLERANCE = 1e-6


def alpha_bar_float64(schedule: str) -> np.ndarray:
    """alphas_cumprod of diffusers' beta schedules (cache/beta_schedules.py), in float64."""
    T = 1000
    if schedule == "linear":
        betas = np.linspace(0.0001, 0.02, T)
    elif schedule == "scaled_linear":
        betas = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, T) ** 2
    else:
        f = lambda t: np.cos((t + 0.008) / 1.008 * np.pi / 2) ** 2  # noqa: E731
        i = np.arange(T)
        betas = np.minimum(1 - f((i + 1) / T) / f(i / T), 0.999)
    return np.cumprod(1 - betas)


def reference(sampler: str, steps: int, schedule: str, noise: np.ndarray, added: np.ndarray | None,
              monkeypatch) -> np.ndarray:
    from diffusers import DDIMScheduler, DDPMScheduler

    from cache.beta_schedules import with_schedule
    from cache.mixtures import mixture_from_points
    from cache.model_files import locate_exact
    from sampling import samplers
    from sampling.exact_denoiser import posterior_mean
    mix = mixture_from_points(POINTS)
    x = torch.from_numpy(noise.copy()).view(N, 2, 1, 1)
    if sampler == "euler":
        def velocity(z, s):
            z, s = z.flatten(1).numpy(), s.numpy()[:, None]
            m, _ = posterior_mean(mix, z, 1 - s, s ** 2)
            return torch.from_numpy((z - m) / s).view(N, 2, 1, 1)
        s = torch.linspace(1, 0, steps + 1, dtype=torch.float64)
        return samplers.sample_euler(velocity, x, s).flatten(1).numpy()
    ab = alpha_bar_float64(schedule)
    config = with_schedule(locate_exact("mixture:smiley").scheduler_config, schedule)

    def eps_hat(z, t):
        z, a = z.flatten(1).numpy(), ab[t.numpy()][:, None]
        m, _ = posterior_mean(mix, z, np.sqrt(a), 1 - a)
        return torch.from_numpy((z - np.sqrt(a) * m) / np.sqrt(1 - a)).view(-1, 2, 1, 1)
    schedule_ = samplers.Schedule(torch.from_numpy(ab), torch.tensor(1.0, dtype=torch.float64), None)
    if sampler == "ddim":
        t, t_prev = samplers.ddim_timesteps(DDIMScheduler.from_config(config), steps)
        return samplers.sample_ddim(eps_hat, x, schedule_, t, t_prev).flatten(1).numpy()
    calls = iter(torch.from_numpy(added.reshape(steps, N, 2, 1, 1)))
    monkeypatch.setattr(samplers, "_noise", lambda like, rows, generator: next(calls))  # the page's z, step by step
    t, t_prev = samplers.ddpm_timesteps(DDPMScheduler.from_config(config), steps)
    return samplers.sample_ddpm(eps_hat, x, schedule_, t, t_prev).flatten(1).numpy()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sandbox")
    (folder / "diffviz.toml").write_text('model = "mixture:smiley"\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIFFVIZ_CACHE", str(folder / "cache"))
        mp.setenv("DIFFVIZ_CONFIG", str(folder / "diffviz.toml"))
        from tools.explorer import write_explorer
        made = write_explorer(folder / "out")
    assert (made["folder"] / "sandbox.js").exists()
    return made["folder"] / "index.html"


@pytest.fixture(scope="module")
def page(browser, page_file):  # noqa: F811
    p = Page(browser, page_file, "#sandbox")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    yield p
    p.context.close()


def test_the_schedules_are_diffusers(page):
    from diffusers import DDPMScheduler

    from cache.beta_schedules import SCHEDULES
    for schedule in ("linear", "squaredcos_cap_v2", "scaled_linear"):
        ours = np.array(page.page.evaluate(f"Array.from(diffvizSandbox.alphaBar('{schedule}'))"))
        np.testing.assert_allclose(ours, alpha_bar_float64(schedule), rtol=0, atol=1e-15)
        theirs = DDPMScheduler(**SCHEDULES[schedule]).alphas_cumprod.double().numpy()  # float32 there
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_the_drawing_rule_is_pythons(page):
    from cache.mixtures import mixture_from_points
    js = page.page.evaluate("p => Array.from(diffvizSandbox.mixtureFromPoints(p).sd)", POINTS.flatten().tolist())
    np.testing.assert_allclose(js, mixture_from_points(POINTS).stds, rtol=0, atol=1e-15)


@pytest.mark.parametrize("sampler, steps, schedule", [
    ("ddim", 10, "linear"), ("ddim", 50, "linear"), ("ddim", 50, "squaredcos_cap_v2"), ("ddim", 50, "scaled_linear"),
    ("ddim", 1, "linear"), ("ddpm", 20, "linear"), ("ddpm", 1000, "linear"), ("ddpm", 50, "squaredcos_cap_v2"),
    ("euler", 10, None), ("euler", 50, None)])
def test_the_page_samples_as_python(page, monkeypatch, sampler, steps, schedule):
    rng = np.random.default_rng(steps)
    noise = rng.standard_normal((N, 2))
    added = rng.standard_normal((steps, N, 2)) if sampler == "ddpm" else None
    js = page.page.evaluate("o => diffvizSandbox.sample(o).final", {
        "mixture": {"points": POINTS.flatten().tolist()}, "sampler": sampler, "steps": steps,
        "schedule": schedule or "linear", "noise": noise.flatten().tolist(),
        "added": added.flatten().tolist() if added is not None else None})
    ours = reference(sampler, steps, schedule, noise, added, monkeypatch)
    diff = np.abs(np.array(js).reshape(N, 2) - ours).max()
    print(f"{sampler}-{steps} {schedule}: max |page - python| = {diff:.2e}")
    assert diff <= TOLERANCE


def test_a_link_restores_the_drawing_and_every_control_is_labelled(browser, page_file):  # noqa: F811
    drawn = [0.5, -0.25, 0.12, 0.9, -1.0, 0.33]
    p = Page(browser, page_file, "#sandbox")
    code = p.page.evaluate("d => diffvizSandbox.encode(d)", drawn)
    p.context.close()
    fragment = f"#sandbox/p={code}/n=200/sampler=ddpm/steps=20/schedule=scaled_linear/frame=10"
    p = Page(browser, page_file, fragment)
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    state = p.page.evaluate("({points: diffvizSandbox.state.points, n: diffvizSandbox.state.n, "
                            "sampler: diffvizSandbox.state.sampler, steps: diffvizSandbox.state.steps, "
                            "schedule: diffvizSandbox.state.schedule})")
    assert state == {"points": drawn, "n": 200, "sampler": "ddpm", "steps": 20, "schedule": "scaled_linear"}
    assert p.page.input_value("#sandbox-slider") == "10"
    unlabelled = p.page.evaluate("""[...document.querySelectorAll('#sandbox input, #sandbox select')]
        .filter(n => !document.querySelector(`label[for="${n.id}"]`)).map(n => n.outerHTML)""")
    assert unlabelled == []
    p.page.select_option("#sandbox-sampler", "euler")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    assert "sampler=euler" in p.page.evaluate("location.hash") and f"p={code}" in p.page.evaluate("location.hash")
    # drawing with the pointer adds points, and the link follows
    p.page.locator("#sandbox-canvas").scroll_into_view_if_needed()
    box = p.page.locator("#sandbox-canvas").bounding_box()
    p.page.mouse.move(box["x"] + 150, box["y"] + 150)
    p.page.mouse.down()
    for k in range(10):
        p.page.mouse.move(box["x"] + 150 + 8 * k, box["y"] + 150)
    p.page.mouse.up()
    assert len(p.page.evaluate("diffvizSandbox.state.points")) > 2 * 3
    assert p.errors == [] and all(u.startswith("file://") for u in p.requests), (p.errors, p.requests)
    p.context.close()
