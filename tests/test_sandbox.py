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
CLASSES = np.array([0, 0, 0, 1, 1, 0, 1, 1, 0, 0])  # two brushes: the guidance tests' classes
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
              monkeypatch, w: float | None = None) -> np.ndarray:
    """Python's samplers on the exact denoiser of POINTS' mixture, in float64; with w, classifier-free guidance
    towards 'brush 1' as GuidedDenoiser combines it (eps_u + w (eps_c - eps_u)), each eps by ExactDenoiser.eps_hat
    of the mixture and of Mixture.of_class, their alpha_bar in float64 (diffusers keeps it in float32)."""
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
    if w is not None:
        from sampling.exact_denoiser import ExactDenoiser, GuidedDenoiser
        files = locate_exact("mixture:smiley")  # its schedule; the data are the drawing's
        labelled = mixture_from_points(POINTS, CLASSES)
        guided = GuidedDenoiser(ExactDenoiser(files, labelled), ExactDenoiser(files, labelled.of_class("brush 1")), w)
        for d in (guided.unconditional, guided.conditional):
            d.alpha_bar = ab

        def eps_hat(z, t):  # GuidedDenoiser.__call__ without its float32 result
            eps_u = guided.unconditional.eps_hat(z, t)
            return torch.from_numpy(eps_u + guided.w * (guided.conditional.eps_hat(z, t) - eps_u)).view(-1, 2, 1, 1)
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


@pytest.mark.parametrize("sampler, steps, w", [("ddim", 50, 3.0), ("ddim", 20, 7.0), ("ddim", 50, 1.0),
                                              ("ddpm", 50, 3.0), ("ddpm", 100, 7.0)])
def test_the_page_guides_as_python(page, monkeypatch, sampler, steps, w):
    rng = np.random.default_rng(100 + steps)
    noise = rng.standard_normal((N, 2))
    added = rng.standard_normal((steps, N, 2)) if sampler == "ddpm" else None
    js = page.page.evaluate("o => diffvizSandbox.sample(o).final", {
        "mixture": {"points": POINTS.flatten().tolist(), "classes": CLASSES.tolist()}, "sampler": sampler,
        "steps": steps, "schedule": "linear", "noise": noise.flatten().tolist(), "guidance": {"cls": 1, "w": w},
        "added": added.flatten().tolist() if added is not None else None})
    ours = reference(sampler, steps, "linear", noise, added, monkeypatch, w=w)
    diff = np.abs(np.array(js).reshape(N, 2) - ours).max()
    print(f"guided {sampler}-{steps} w={w}: max |page - python| = {diff:.2e}")
    assert diff <= TOLERANCE
    # and guidance did something: unguided, the samples differ (w = 0 is unconditional)
    unguided = reference(sampler, steps, "linear", noise, added, monkeypatch)
    assert np.abs(unguided - ours).max() > 0.05


def test_pruning_far_components_changes_nothing_measurable(page):
    """Components more than PRUNE below the top log-weight are skipped; without the pruning, the same run."""
    a = np.linspace(0, 6 * np.pi, 300)
    spiral = np.stack([0.04 * a * np.cos(a), 0.04 * a * np.sin(a)], 1).round(2)
    rng = np.random.default_rng(7)
    options = {"mixture": {"points": spiral.flatten().tolist(), "classes": (np.arange(300) % 2).tolist()},
               "sampler": "ddim", "steps": 50, "schedule": "linear", "noise": rng.standard_normal(400).tolist(),
               "guidance": {"cls": 1, "w": 3}}
    pruned, full = (np.array(page.page.evaluate("o => diffvizSandbox.sample(o).final", options | {"prune": prune}))
                    for prune in (None, 746))
    assert np.abs(pruned - full).max() <= 1e-12


def test_guidance_needs_points_of_the_class_and_a_number(page):
    base = {"mixture": {"points": POINTS.flatten().tolist(), "classes": [0] * len(POINTS)}, "sampler": "ddim",
            "steps": 5, "schedule": "linear", "noise": [0.1, 0.2]}
    for guidance, words in (({"cls": 1, "w": 3}, "brush 1 has no points"), ({"cls": 0, "w": None}, "is not a number")):
        message = page.page.evaluate("""o => { try { diffvizSandbox.sample(o); return 'no error'; }
            catch (e) { return e.message; } }""", base | {"guidance": guidance})
        assert words in message, message


def test_without_workers_the_view_runs_in_slices_to_the_same_samples(page):
    """The fallback where no worker can be made: the page's own thread, in slices, the same run (two moons, one a
    brush, guided towards it)."""
    try:
        page.page.evaluate("diffvizSandbox.useWorker = false; location.hash = "
                           "'#sandbox/preset=two moons/n=200/sampler=ddim/steps=20/schedule=linear/class=1/w=3'")
        page.page.wait_for_function("diffvizSandbox.state.preset === 'two moons' && diffvizSandbox.state.done",
                                    timeout=60000)
        assert page.page.get_attribute("#sandbox", "data-engine") == "slices"
        diff = page.page.evaluate("""() => { const st = diffvizSandbox.state;
            const r = diffvizSandbox.sample({mixture: {points: st.points, classes: st.classes}, sampler: 'ddim',
              steps: 20, schedule: 'linear', guidance: {cls: 1, w: 3}, noise: diffvizSandbox.gaussians(400, 1)}).final;
            const f = st.frames[st.frames.length - 1];
            return Math.max(...r.map((v, i) => Math.abs(v - f[i]))); }""")
        assert diff < 1e-6
    finally:
        page.page.evaluate("diffvizSandbox.useWorker = true")


def test_a_link_restores_the_drawing_and_every_control_is_labelled(browser, page_file):  # noqa: F811
    drawn = [0.5, -0.25, 0.12, 0.9, -1.0, 0.33] + [round(0.01 * k - 0.5, 2) for k in range(2 * 17)]
    classes = [0, 1, 1] + [k % 3 == 0 for k in range(17)]  # 20 points: the class bits span 3 bytes
    p = Page(browser, page_file, "#sandbox")
    code = p.page.evaluate("d => diffvizSandbox.encode(d)", drawn)
    bits = p.page.evaluate("c => diffvizSandbox.encodeClasses(c)", classes)
    assert len(bits) <= 4  # one bit a point
    p.context.close()
    fragment = f"#sandbox/p={code}/c={bits}/n=200/sampler=ddpm/steps=20/schedule=scaled_linear/class=1/w=2.5/frame=10"
    p = Page(browser, page_file, fragment)
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    state = p.page.evaluate("({points: diffvizSandbox.state.points, n: diffvizSandbox.state.n, "
                            "sampler: diffvizSandbox.state.sampler, steps: diffvizSandbox.state.steps, "
                            "schedule: diffvizSandbox.state.schedule, classes: diffvizSandbox.state.classes, "
                            "cls: diffvizSandbox.state.cls, w: diffvizSandbox.state.w, "
                            "guided: diffvizSandbox.state.guidance})")
    assert state == {"points": drawn, "n": 200, "sampler": "ddpm", "steps": 20, "schedule": "scaled_linear",
                     "classes": [int(c) for c in classes], "cls": 1, "w": 2.5, "guided": {"cls": 1, "w": 2.5}}
    assert p.page.input_value("#sandbox-slider") == "10" and p.page.input_value("#sandbox-w") == "2.5"
    # the run went to workers made from a Blob URL, which file:// allows, each a share of the points (the check
    # below holds their merged frames, DDPM's noises included, to the one synchronous run)
    cores = p.page.evaluate("navigator.hardwareConcurrency")
    assert p.page.get_attribute("#sandbox", "data-engine") == ("worker" if cores < 2 else f"{min(cores, 4, 2)} workers")
    # the view's guided run is the synchronous sampler's, from the page's own noises
    final = p.page.evaluate("""() => { const st = diffvizSandbox.state, N = st.n, S = st.steps;
        const r = diffvizSandbox.sample({mixture: {points: st.points, classes: st.classes}, sampler: 'ddpm', steps: S,
          schedule: st.schedule, guidance: {cls: 1, w: 2.5}, noise: diffvizSandbox.gaussians(2 * N, 1),
          added: diffvizSandbox.gaussians(2 * N * S, 2)}).final;
        const f = st.frames[st.frames.length - 1];
        return Math.max(...r.map((v, i) => Math.abs(v - f[i]))); }""")
    assert final < 1e-6  # the view keeps float32 frames
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
    # nothing but the page's files and the worker's Blob URL (made in the page: no network)
    assert p.errors == [] and all(u.startswith(("file://", "blob:")) for u in p.requests), (p.errors, p.requests)
    p.context.close()


def test_a_typed_word_becomes_points_inside_its_glyphs_and_a_link_restores_it(browser, page_file):  # noqa: F811
    p = Page(browser, page_file, "#sandbox/n=200/steps=10")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    shapes = {}
    for word in ("I", "T"):
        p.type_into("#sandbox-word", word)
        p.page.wait_for_function(f"diffvizSandbox.state.word === '{word}'")
        p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
        state = p.page.evaluate("({points: diffvizSandbox.state.points, classes: diffvizSandbox.state.classes, "
                                "preset: diffvizSandbox.state.preset})")
        xy = np.array(state["points"]).reshape(-1, 2)
        assert state["preset"] == "word" and 20 <= len(xy) <= 600 and state["classes"] == [0] * len(xy)
        shapes[word] = xy
    hash_ = p.page.evaluate("location.hash")
    assert "/word=T/" in hash_ and "p=" not in hash_
    p.context.close()
    # I: one upright bar, narrow and tall, about the middle of the square
    x, y = shapes["I"].T
    assert np.ptp(x) < 0.3 and np.ptp(y) > 0.6 and abs(np.median(x)) < 0.2
    # T: a wide bar across the top; below it, a stem as narrow as the I
    x, y = shapes["T"].T
    top = y > y.max() - 0.15
    print(f"I: {len(shapes['I'])} points, {np.ptp(shapes['I'][:, 0]):.2f} wide, {np.ptp(shapes['I'][:, 1]):.2f} tall; "
          f"T: bar {np.ptp(x[top]):.2f} wide, stem {np.ptp(x[~top]):.2f}")
    assert np.ptp(x[top]) > 0.45 and np.ptp(x[~top]) < 0.4 * np.ptp(x[top]) and (~top).sum() > 10
    assert abs(np.median(x[~top]) - (x[top].min() + x[top].max()) / 2) < 0.1  # the stem under the bar's middle
    # the link restores the word's points
    p = Page(browser, page_file, hash_)
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    assert p.page.evaluate("diffvizSandbox.state.points") == shapes["T"].flatten().tolist()
    assert p.page.input_value("#sandbox-word") == "T" and p.page.input_value("#sandbox-preset") == "word"
    assert p.errors == []
    p.context.close()


def test_the_keyboard_reaches_every_control_and_draws_with_both_brushes(browser, page_file):  # noqa: F811
    from scenes.kit.palette import DARK
    p = Page(browser, page_file, "#sandbox/n=200/steps=10")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    # every control has a name, and Tab reaches each of them (and the drawing square) in turn
    focusable = "#sandbox input, #sandbox select, #sandbox button, #sandbox canvas[tabindex]"
    controls = p.page.evaluate("""s => [...document.querySelectorAll(s)].map(n => ({id: n.id, tag: n.tagName,
        name: n.tagName === 'BUTTON' ?
        n.textContent.trim() : n.tagName === 'CANVAS' ? n.getAttribute('aria-label') :
        (document.querySelector(`label[for="${n.id}"]`) || {}).textContent}))""", focusable)
    assert all(c["name"] for c in controls), controls
    assert {"sandbox-word", "sandbox-brush", "sandbox-class", "sandbox-w", "sandbox-save", "sandbox-canvas"} <= {
        c["id"] for c in controls}
    p.page.focus("#sandbox-preset")
    reached = set()
    for _ in range(3 * len(controls)):
        reached.add(p.page.evaluate("document.activeElement.id || document.activeElement.textContent"))
        p.page.keyboard.press("Tab")
    assert {c["id"] or c["name"] for c in controls} <= reached, {c["id"] or c["name"] for c in controls} - reached
    # drawing: clear, then arrows move the cursor (0.04 a press, 0.2 with Shift), Enter and Space place a point with
    # the brush, Delete erases the point nearest the cursor; the explorer's slider does not move meanwhile
    p.page.click("#sandbox-clear")
    slider = p.page.input_value("#sandbox-slider")
    p.page.focus("#sandbox-canvas")
    for key in ["ArrowRight"] * 5 + ["Enter"]:
        p.page.keyboard.press(key)
    p.page.select_option("#sandbox-brush", "1")
    p.page.focus("#sandbox-canvas")
    for key in ["ArrowUp"] * 10 + ["Space", "Shift+ArrowLeft", "Enter", "ArrowDown", "Space", "ArrowUp", "Delete"]:
        p.page.keyboard.press(key)
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    state = p.page.evaluate("({points: diffvizSandbox.state.points, classes: diffvizSandbox.state.classes, "
                            "cursor: diffvizSandbox.state.cursor, preset: diffvizSandbox.state.preset})")
    assert state == {"points": [0.2, 0, 0.2, 0.4, 0, 0.36], "classes": [0, 1, 1], "cursor": [0, 0.4], "preset": "drawn"}
    assert p.page.input_value("#sandbox-slider") == slider
    assert "p=" in p.page.evaluate("location.hash")
    # the cursor is visible: a ring of brush 1's colour, 7 pixels around it, while the square has the focus
    ring = [(210 + 7, 210 - 42), (210 - 7, 210 - 42), (210, 210 - 42 - 7)]  # (0, 0.4): 420 pixels span [-2, 2]
    brush = np.array([int(DARK.eps[i:i + 2], 16) for i in (1, 3, 5)])
    shown = p.pixels("#sandbox-canvas")
    assert all(np.abs(shown[y, x].astype(int) - brush).max() < 40 for x, y in ring), [shown[y, x] for x, y in ring]
    p.page.focus("#sandbox-word")
    shown = p.pixels("#sandbox-canvas")
    assert not any(np.abs(shown[y, x].astype(int) - brush).max() < 40 for x, y in ring)
    assert p.errors == []
    p.context.close()


def test_a_saved_drawing_records_and_its_video_shows_it(browser, page_file, tmp_path, monkeypatch):  # noqa: F811
    """Save in Chromium (the download itself), record it with `diffviz cache build toy guidance --model
    mixture:FILE` into a cache of its own, render ToyDiffusion2D's first slide from it: its x_0 cloud lies on
    the drawing's strokes and nowhere else."""
    import json

    from click.testing import CliRunner
    from test_scenes import render
    from test_toy_scenes import lit

    from sampling.cli import main
    from scenes import toy
    vertical = [[-0.6, round(-0.6 + 0.04 * k, 2)] for k in range(31)]      # an L: brush 0 up...
    horizontal = [[round(-0.56 + 0.04 * k, 2), -0.6] for k in range(1, 28)]  # ...brush 1 across
    points, classes = vertical + horizontal, [0] * len(vertical) + [1] * len(horizontal)
    p = Page(browser, page_file, "#sandbox")
    code, bits = p.page.evaluate("([d, c]) => [diffvizSandbox.encode(d), diffvizSandbox.encodeClasses(c)]",
                                 [sum(points, []), classes])
    p.context.close()
    p = Page(browser, page_file, f"#sandbox/p={code}/c={bits}/n=200/steps=10")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    with p.page.expect_download() as download:
        p.page.click("#sandbox-save")
    saved = tmp_path / "drawing.json"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "drawing.json"
    assert json.loads(saved.read_text()) == {"format": "diffviz-drawing", "version": 1, "points": points,
                                             "classes": classes}
    assert p.errors == []
    p.context.close()

    (tmp_path / "diffviz.toml").write_text(f'model = "mixture:{saved}"\nsteps = 20\n')
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(tmp_path / "diffviz.toml"))
    done = CliRunner().invoke(main, ["cache", "build", "toy", "guidance", "--model", f"mixture:{saved}"],
                              prog_name="diffviz", catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "condition=brush 1" in done.output  # guidance samples brush 1's points
    scene, frame = render(toy.ToyDiffusion2D, slides=1)
    assert scene.components == len(points) and scene.tr.manifest["model"]["name"] == f"mixture:{saved}"
    on = np.array([[x, y] for x, y in points])
    assert lit(frame, scene.left.to_scene(on), toy.P.x0).mean() > 0.9
    rng = np.random.default_rng(0)
    elsewhere = rng.uniform(-1.9, 1.9, (4000, 2))
    elsewhere = elsewhere[np.linalg.norm(elsewhere[:, None] - on[None], axis=2).min(1) > 0.25]
    assert lit(frame, scene.left.to_scene(elsewhere), toy.P.x0).mean() < 0.02


BAD_DRAWINGS = [  # (the file's bytes, whether the page's message is Python's word for word, not only its start)
    (b"", True), (b"[1, 2]", True), (b"\xff\xfe{}", True), (b" " * (256 * 1024 + 1), True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, NaN]], "classes": [0]}', False),
    ('\ufeff{"format": "diffviz-drawing", "version": 1, "points": [[0, 0]], "classes": [0]}'.encode(), False),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0]], "classes": [0], "colour": "red"}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0]]}', True),
    (b'{"format": "png", "version": 1, "points": [[0, 0]], "classes": [0]}', True),
    (b'{"format": "diffviz-drawing", "version": true, "points": [[0, 0]], "classes": [0]}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [], "classes": []}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": ' + str([[0, 0]] * 601).encode() + b', "classes": '
     + str([0] * 601).encode() + b"}", True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0], [0]], "classes": [0, 0]}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0], [0.5, 1.5]], "classes": [0, 1]}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0], [0.5, 1e999]], "classes": [0, 1]}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0], [0, "1"]], "classes": [0, 1]}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0], [0.5, 0.5]], "classes": [0]}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0], [0.5, 0.5]], "classes": [0, 2]}', True),
    (b'{"format": "diffviz-drawing", "version": 1, "points": [[0, 0], [0.5, 0.5]], "classes": [0, false]}', True),
]


def test_a_saved_drawing_loads_back_and_a_file_that_is_not_one_is_named(browser, page_file, tmp_path):  # noqa: F811
    """"load a drawing" (a labelled file input): the file the page saved loads back to the same points and brushes
    after the drawing was cleared, and the link follows; each file that cache/drawings.py refuses is refused by the
    page too, with one line in the sandbox's status in Python's words (the file's name for its path), the drawing
    left as it was, and no console error."""
    from cache.drawings import DrawingError, read_drawing
    points = [[0.5, -0.25], [0.12, 0.9], [-1.0, 0.33], [-1.27, 1.27], [0.333, -0.5]]
    classes = [0, 1, 1, 0, 1]
    p = Page(browser, page_file, "#sandbox")
    code, bits = p.page.evaluate("([d, c]) => [diffvizSandbox.encode(d), diffvizSandbox.encodeClasses(c)]",
                                 [sum(points[:4], []), classes[:4]])
    p.context.close()
    p = Page(browser, page_file, f"#sandbox/p={code}/c={bits}/n=200/steps=10")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    assert p.page.locator("label[for='sandbox-load']").text_content() == "load a drawing"
    # a point placed with the keyboard at the cursor (0, 0) with brush 1, then saved
    p.page.select_option("#sandbox-brush", "1")
    p.page.focus("#sandbox-canvas")
    p.page.keyboard.press("Enter")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    drawn = p.page.evaluate("({points: diffvizSandbox.state.points, classes: diffvizSandbox.state.classes})")
    assert drawn == {"points": sum(points[:4], []) + [0, 0], "classes": classes[:4] + [1]}
    with p.page.expect_download() as download:
        p.page.click("#sandbox-save")
    saved = tmp_path / "drawing.json"
    download.value.save_as(saved)
    hash_ = p.page.evaluate("location.hash")
    p.page.click("#sandbox-clear")
    p.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
    assert p.page.evaluate("diffvizSandbox.state.points") == []
    p.page.set_input_files("#sandbox-load", str(saved))
    p.page.wait_for_selector("#sandbox[data-loaded='drawing.json'][data-run='done']", timeout=60000)
    state = p.page.evaluate("({points: diffvizSandbox.state.points, classes: diffvizSandbox.state.classes, "
                            "preset: diffvizSandbox.state.preset, frames: diffvizSandbox.state.frames.length})")
    assert state["points"] == drawn["points"] and state["classes"] == drawn["classes"] and state["preset"] == "drawn"
    assert state["frames"] > 0 and p.page.evaluate("location.hash").split("/frame=")[0] == hash_.split("/frame=")[0]
    mixture = read_drawing(saved)  # what Python records from the file is what the page holds
    np.testing.assert_array_equal(mixture.means.ravel(), state["points"])
    # a file written by hand (the page's own rule is the file's: 3 decimals stay as written)
    (tmp_path / "by-hand.json").write_text('{"format": "diffviz-drawing", "version": 1, "points": '
                                           f'{points}, "classes": {classes}}}')
    p.page.set_input_files("#sandbox-load", str(tmp_path / "by-hand.json"))
    p.page.wait_for_selector("#sandbox[data-loaded='by-hand.json'][data-run='done']", timeout=60000)
    assert p.page.evaluate("diffvizSandbox.state.points") == sum(points, [])
    assert p.page.evaluate("diffvizSandbox.state.classes") == classes
    for k, (content, word_for_word) in enumerate(BAD_DRAWINGS):
        bad = tmp_path / f"bad-{k}.json"
        bad.write_bytes(content)
        with pytest.raises(DrawingError) as refused:
            read_drawing(bad)
        python = str(refused.value).replace(str(bad), bad.name)
        p.page.evaluate("document.querySelector('#sandbox').dataset.loaded = ''")
        p.page.set_input_files("#sandbox-load", str(bad))
        p.page.wait_for_selector("#sandbox[data-loaded='refused']", timeout=10000)
        shown = p.page.text_content("#sandbox-status")
        assert "\n" not in shown and shown.startswith(bad.name)
        if word_for_word:
            assert shown == python, (content[:80], shown, python)
        else:
            assert shown.startswith(f"{bad.name} is not valid JSON (") and python.startswith(f"{bad.name} is not valid "
                                                                                              "JSON (")
        assert p.page.evaluate("diffvizSandbox.state.points") == sum(points, [])  # the drawing as it was
    assert p.errors == [], p.errors
    p.context.close()
