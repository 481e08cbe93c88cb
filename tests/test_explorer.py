"""The explorer (`diffviz web`, tools/explorer.py) in a real browser: headless Chromium opens the page from
file:// with its default file access and no network, and every view shows its recording's frames (the
pixels of its canvases, and of a screenshot, against the cache's uint8 frames) and numbers (the page's text
against the trajectory). The recordings are made here with a small random-weight model (16x16, a 100-step
schedule) and, for memorisation, the embedded model at 5 steps."""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import SHORT_SCHEDULE, make_model_folder

pytestmark = pytest.mark.slow  # a browser, on recordings made here

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SETTINGS = "steps = 5\nforward_timestep = 2\npatch_size = 6\npatch_x = 4\npatch_y = 2\nddim_step_counts = [2, 5]\n" \
           "grid_levels = 3\n"
TOY_POINTS = 120  # of the smiley's 2000: seconds to record, not a minute
VIEWS = ["forward", "reverse-ddpm", "reverse-ddim", "patch", "global", "noise-sweep", "grid", "ddim-steps", "toy-1d",
         "toy-2d", "memorisation", "schedules", "guidance", "flow"]
EVERY_FIFTH = np.arange(0, 51, 5)  # the frames of guidance and flow the page carries (tools/explorer.py CLOUD_FRAMES)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A cache of every experiment, its settings file, and the explorer written from it: (folder, env)."""
    folder = tmp_path_factory.mktemp("explorer")
    model = make_model_folder(folder / "model", scheduler=SHORT_SCHEDULE)
    (folder / "diffviz.toml").write_text(f'model = "{model}"\n{SETTINGS}')
    env = {"DIFFVIZ_CACHE": str(folder / "cache"), "DIFFVIZ_CONFIG": str(folder / "diffviz.toml")}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        from cache.config import load_settings
        from sampling.build import build
        settings = load_settings()
        build(["forward", "reverse", "forward_backward", "similar_noise", "ddim_steps"], settings, device="cpu")
        build(["memorisation"], settings.replace(model="embedded"), device="cpu")
        from cache import specs
        mp.setitem(specs.TOY_POINTS, 2, TOY_POINTS)
        mp.setitem(specs.TOY_POINTS, 1, TOY_POINTS)
        build(["toy", "schedules", "guidance", "flow"], settings.replace(model="mixture:smiley"), device="cpu")
        build(["toy"], settings.replace(model="mixture:1d"), device="cpu")
        made = web(folder / "out")
    assert "wrote" in made.output and made.exit_code == 0, made.output
    return folder, env


@pytest.fixture(autouse=True)
def use_recorded(request, monkeypatch):
    if "recorded" in request.fixturenames:
        for k, v in request.getfixturevalue("recorded")[1].items():
            monkeypatch.setenv(k, v)
        from cache import specs
        monkeypatch.setitem(specs.TOY_POINTS, 2, TOY_POINTS)
        monkeypatch.setitem(specs.TOY_POINTS, 1, TOY_POINTS)


def shown(text_value: float, value, digits: int) -> bool:
    """The page's number is the value, rounded to the digits it shows (compared in float64)."""
    return abs(text_value - float(value)) <= 0.5 * 10 ** -digits + 1e-9


def web(out: Path):
    from sampling.cli import main
    return CliRunner().invoke(main, ["web", "--out", str(out)], catch_exceptions=False)


def tr(experiment: str, index: int = 0, model: str | None = None):
    from cache.config import load_settings
    from cache.lookup import trajectory
    s = load_settings()
    return trajectory(experiment, index, s.replace(model=model) if model else s)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine: `apt-get install chromium` (./test.sh installs it through "
                    "tools/bootstrap.sh where it runs as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package drives chromium: "
                                   "pip install -e .[test]")
    with sync_api.sync_playwright() as p:
        # --no-sandbox: root in a container has no user namespaces; file:// access stays at its default
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def canvas_pixels(page, selector: str) -> np.ndarray:
    """The RGB pixels (H, W, 3) a canvas holds, read back from the browser."""
    data, w, h = page.eval_on_selector(selector, """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = '';
        for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode(...d.subarray(i, i + 8192));
        return [btoa(s), c.width, c.height];
    }""")
    return np.frombuffer(base64.b64decode(data), np.uint8).reshape(h, w, 4)[..., :3]


class Page:
    """One tab on the explorer, offline, with every console error and request it made."""

    def __init__(self, browser, index: Path, fragment: str = ""):
        self.context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(index.as_uri() + fragment)
        self.page.wait_for_selector("body[data-ready='1']", timeout=20000)

    def pixels(self, selector: str) -> np.ndarray:
        return canvas_pixels(self.page, selector)

    def number(self, view: str, name: str) -> float:
        return float(self.page.text_content(f"#{view} [data-name='{name}']"))

    def type_into(self, selector: str, value) -> None:
        self.page.fill(selector, str(value))
        self.page.press(selector, "Tab")  # a typed field takes its value on change, as a person leaves it

    def label(self, selector: str) -> str:
        return self.page.get_attribute(selector, "aria-label")

    def close(self):
        self.context.close()


@pytest.fixture
def page(browser, recorded):
    p = Page(browser, recorded[0] / "out" / "explorer" / "index.html")
    yield p
    p.close()


def test_the_page_opens_from_file_offline_with_every_view_and_no_console_error(page, recorded):
    assert page.errors == []
    assert all(url.startswith(("file://", "data:")) for url in page.requests), page.requests
    links = page.page.eval_on_selector_all("#contents a", "as => as.map(a => a.getAttribute('href'))")
    assert links == [f"#{v}" for v in VIEWS] + ["#sandbox"]  # the sandbox computes: tests/test_sandbox.py
    assert page.page.locator(".katex").count() > 20  # the equations, typeset by KaTeX carried in the folder
    assert (recorded[0] / "out" / "explorer" / "katex" / "katex.min.js").exists()
    for view in [*VIEWS, "sandbox"]:  # every view, opened from the contents bar, has a labelled slider
        page.page.click(f"#contents a[href='#{view}']")
        slider = page.page.locator(f"#{view} input[type=range]")
        slider.wait_for(state="visible", timeout=3000)  # the view is shown on the hashchange that follows
        assert page.page.locator(f"label[for='{slider.get_attribute('id')}']").count() == 1
    assert page.errors == []


def test_forward_forms_x_t_at_every_t_from_the_recorded_x0_eps_and_alpha_bar(page):
    from cache.store import to_display
    forward = tr("forward")
    alpha_bar = forward["alpha_bar"]
    assert page.page.get_attribute("#forward-slider", "max") == str(len(alpha_bar) - 1)
    for k, t in enumerate(forward["t"]):  # where the recording kept x_t, the page's x_t is that frame
        page.type_into("#forward-field", t)
        assert abs(page.pixels("#forward canvas[data-array='x_t']").astype(int) - forward["x_t"][k]).max() <= 1
        assert shown(page.number("forward", "alpha_bar"), alpha_bar[t], 4)
        assert shown(page.number("forward", "sqrt_alpha_bar"), np.sqrt(np.float64(alpha_bar[t])), 4)
        assert f"t = {t}" in page.label("#forward canvas[data-array='x_t']")
    t = 37  # and between them, Ho et al. eq. (4) from the float arrays
    page.type_into("#forward-field", t)
    x_t = np.sqrt(np.float64(alpha_bar[t])) * forward["x0_float"] + np.sqrt(1 - alpha_bar[t]) * forward["eps_float"]
    assert abs(page.pixels("#forward canvas[data-array='x_t']").astype(int) - to_display(x_t)).max() <= 1
    assert shown(page.number("forward", "sqrt_one_minus_alpha_bar"), np.sqrt(1 - np.float64(alpha_bar[t])), 4)
    assert (page.pixels("#forward canvas[data-array='x0']") == forward["x0"]).all()
    assert page.errors == []


@pytest.mark.parametrize("view, index", [("reverse-ddpm", 0), ("reverse-ddim", 1)])
def test_reverse_link_and_arrow_keys_show_that_steps_frames_and_coefficients(browser, recorded, view, index):
    rev = tr("reverse", index)
    i = 2
    page = Page(browser, recorded[0] / "out" / "explorer" / "index.html", f"#{view}/t={rev['t'][i]}")
    try:
        for step in (i, i + 1):
            panels = {"x": rev["x"][step], "eps_hat": rev["eps_hat"][step], "x0_hat": rev["x0_hat"][step]}
            for name, frame in panels.items():
                assert (page.pixels(f"#{view} canvas[data-array='{name}']") == frame).all(), (name, step)
                assert f"t = {rev['t'][step]}" in page.label(f"#{view} canvas[data-array='{name}']")
            assert (page.pixels(f"#{view} canvas[data-array='x_prev']") == rev["x"][step + 1]).all()  # x_{t-1}
            assert page.number(view, "t") == rev["t"][step]
            for name in (["inv_sqrt_alpha_t", "beta_t_over_sqrt_one_minus_alpha_bar_t", "sigma_t"] if index == 0
                         else ["sqrt_alpha_bar_prev", "direction_coef"]):
                assert shown(page.number(view, name), rev[name][step], 4)
            assert page.page.input_value(f"#{view}-field") == str(rev["t"][step])
            page.page.evaluate("document.activeElement && document.activeElement.blur()")
            page.page.keyboard.press("ArrowRight")  # outside an input, the arrow keys step the view
        assert page.page.evaluate("location.hash") == f"#{view}/t={rev['t'][i + 2]}"  # a link to this step
        assert page.errors == []
    finally:
        page.close()


def test_a_screenshot_of_a_panel_shows_the_recorded_pixels(browser, recorded):
    rev = tr("reverse", 1)
    page = Page(browser, recorded[0] / "out" / "explorer" / "index.html", f"#reverse-ddim/t={rev['t'][3]}")
    try:
        import io

        from PIL import Image
        canvas = page.page.locator("#reverse-ddim canvas[data-array='x']").first
        shot = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
        frame = rev["x"][3]
        h, w = frame.shape[:2]
        border = 4  # the frame around the image, in the colour of x_t (explorer.css)
        inner = (shot.shape[0] - 2 * border) / h
        centres = (border + (np.arange(h) + 0.5) * inner).astype(int)
        assert abs(shot[np.ix_(centres, centres)] - frame).max() <= 2
    finally:
        page.close()


def test_perturbation_views_run_both_in_sync_with_distances_and_a_flicker(page):
    from scenes.kit.panels import heat_pixels
    for view, index in (("patch", 0), ("global", 1)):
        sim = tr("similar_noise", index)
        page.page.click(f"#contents a[href='#{view}']")
        page.type_into(f"#{view}-field", sim["t"][3])
        assert (page.pixels(f"#{view} canvas[data-array='x[:, 0]']") == sim["x"][3, 0]).all()
        assert (page.pixels(f"#{view} canvas[data-array='x[:, 1]']") == sim["x"][3, 1]).all()
        vmax = float(np.percentile(sim["x_heatmap"], 99.5))
        assert (page.pixels(f"#{view} canvas[data-array='x_heatmap']") == heat_pixels(sim["x_heatmap"][3], vmax)).all()
        assert shown(page.number(view, "x_distance"), sim["x_distance"][3], 2)
        assert shown(page.number(view, "x0_hat_distance"), sim["x0_hat_distance"][2], 2)
        assert shown(page.number(view, "noise_distance"), sim["noise_distance"], 2)
        page.page.click(f"#{view} button:text('flicker a/b')")  # panel a alternates between a and b
        page.page.wait_for_function(f"document.querySelector(\"#{view} canvas[data-array='x[:, 0]']\")"
                                    ".getAttribute('aria-label').startsWith('run b')", timeout=3000)
        assert (page.pixels(f"#{view} canvas[data-array='x[:, 0]']") == sim["x"][3, 1]).all()
        page.page.click(f"#{view} button:text('flicker a/b')")
    assert page.errors == []


def test_grid_shows_the_picked_row_and_column_large(page):
    fb = tr("forward_backward")
    page.page.click("#contents a[href='#grid']")
    row, column = 1, 3
    page.page.select_option("#grid-row", str(row))
    page.type_into("#grid-field", column)
    assert (page.pixels("#grid figure.large canvas") == fb["grid"][row, column]).all()
    r = fb["grid_rows"][row]
    assert shown(page.number("grid", "distance"), fb["column_distance"][r, column], 2)
    assert f"t = {fb['row_t'][r]}" in page.label("#grid figure.large canvas")
    assert page.errors == []


def test_ddim_step_counts_advance_in_one_normalised_time(page):
    ds = tr("ddim_steps")
    page.page.click("#contents a[href='#ddim-steps']")
    j = 25
    page.type_into("#ddim-steps-field", j)
    for r, count in enumerate(ds["step_counts"]):
        assert (page.pixels(f"#ddim-steps canvas[data-array='frames[{r}]']") == ds["frames"][r, j]).all()
        label = page.label(f"#ddim-steps canvas[data-array='frames[{r}]']")
        assert f"step {ds['frame_steps'][r, j]} of {count}" in label
        assert shown(page.number("ddim-steps", f"distance{r}"), ds["distance_to_reference"][r], 2)
    assert page.errors == []


def test_memorisation_shows_both_denoisers_and_the_nearest_training_images(page):
    mem = tr("memorisation", model="embedded")
    page.page.click("#contents a[href='#memorisation']")
    page.type_into("#memorisation-field", mem["t"][2])
    for k in range(mem["unet_x"].shape[1]):
        assert (page.pixels(f"#memorisation canvas[data-array='unet {k}']") == mem["unet_x"][2, k]).all()
        assert (page.pixels(f"#memorisation canvas[data-array='exact {k}']") == mem["exact_x"][2, k]).all()
        assert (page.pixels(f"#memorisation canvas[data-array='exact_nearest {k}']") == mem["exact_nearest"][k]).all()
    distances = page.page.eval_on_selector_all("#memorisation [data-name='unet_nearest_distance']",
                                               "es => es.map(e => e.textContent)")
    assert distances == [f"distance {d:.2f}" for d in mem["unet_nearest_distance"]]
    assert page.errors == []


def toy_states(toy, process: str) -> tuple[np.ndarray, np.ndarray]:
    """A toy recording's states and their t as the page keeps them: 51 of the forward states, every kept
    frame of DDPM and DDIM."""
    keep = np.unique(np.round(np.linspace(0, len(toy["forward_t"]) - 1, 51)).astype(int))
    states = {"forward": toy["forward"][keep], "ddpm": toy["ddpm_frames"], "ddim": toy["ddim_frames"]}[process]
    t = {"forward": toy["forward_t"][keep], "ddpm": toy["ddpm_frame_t"], "ddim": toy["ddim_frame_t"]}[process]
    return states, t


@pytest.mark.parametrize("process", ["forward", "ddpm", "ddim"])
def test_toy_2d_draws_that_frames_points(page, process):
    from scenes.kit.palette import DARK
    toy = tr("toy", model="mixture:smiley")
    points, t = toy_states(toy, process)
    page.page.click("#contents a[href='#toy-2d']")
    page.page.select_option("#toy-2d-mode", process)
    j = 10
    page.type_into("#toy-2d-field", j)
    assert page.number("toy-2d", "t") == t[j]
    if process == "forward":
        assert shown(page.number("toy-2d", "sqrt_alpha_bar"), np.sqrt(np.float64(toy["alpha_bar"][t[j]])), 4)
    pixels = page.pixels("#toy-2d canvas")
    side, extent = pixels.shape[0], float(page.page.get_attribute("#toy-2d canvas", "data-extent"))
    cols = np.round((points[j, :, 0] + extent) / (2 * extent) * side).astype(int)
    rows = np.round((extent - points[j, :, 1]) / (2 * extent) * side).astype(int)
    inside = (cols >= 1) & (cols < side - 1) & (rows >= 1) & (rows < side - 1)
    assert inside.mean() > 0.9
    colour = [int(DARK.x_t[i:i + 2], 16) for i in (1, 3, 5)]
    assert (pixels[rows[inside], cols[inside]] == colour).all()  # a dot of x_t's colour where each point is
    assert f"t = {t[j]}" in page.label("#toy-2d canvas")
    assert page.errors == []


def rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def quantised(a) -> np.ndarray:
    """The page's copy of 2D points: int16 of x * 4096 (tools/explorer.py quantised), read back."""
    return np.round(np.asarray(a, np.float64) * 4096) / 4096


def assert_cloud(page, selector: str, points: np.ndarray, colour: str) -> None:
    """A dot of `colour` where each recorded point falls on the canvas (y up, over [-extent, extent]^2)."""
    pixels = page.pixels(selector)
    side, extent = pixels.shape[0], float(page.page.get_attribute(selector, "data-extent"))
    cols = np.round((points[:, 0] + extent) / (2 * extent) * side).astype(int)
    rows = np.round((extent - points[:, 1]) / (2 * extent) * side).astype(int)
    inside = (cols >= 1) & (cols < side - 1) & (rows >= 1) & (rows < side - 1)
    assert inside.mean() > 0.9, selector
    assert (pixels[rows[inside], cols[inside]] == rgb(colour)).all(), selector


@pytest.mark.parametrize("process", ["forward", "ddpm", "ddim"])
def test_toy_1d_shows_the_density_over_t_and_x_and_that_states_histogram(page, process):
    from scenes.kit.panels import heat_pixels
    toy = tr("toy", model="mixture:1d")
    states, t = toy_states(toy, process)
    page.page.click("#contents a[href='#toy-1d']")
    page.page.select_option("#toy-1d-mode", process)
    extent = float(toy.manifest["spec"]["extent"])
    for j in (10, len(t) - 1):
        page.type_into("#toy-1d-field", j)
        assert page.number("toy-1d", "t") == t[j]
        if process == "forward":
            assert shown(page.number("toy-1d", "sqrt_alpha_bar"), np.sqrt(np.float64(toy["alpha_bar"][t[j]])), 4)
        counts = page.page.get_attribute("#toy-1d svg[data-array='histogram']", "data-counts")
        expected = np.bincount(np.floor((quantised(states[j, :, 0]) + extent) / (2 * extent / 40)).astype(int)
                               .clip(-1, 40) + 1, minlength=42)[1:41]  # bins over [-extent, extent), the rest off
        assert [int(c) for c in counts.split(",")] == expected.tolist()
        assert f"t = {t[j]}" in page.label("#toy-1d svg[data-array='histogram']")
    if process != "forward":  # the last state: the samples, and their share off the data
        assert shown(page.number("toy-1d", "stray"), 100 * toy[f"{process}_stray"], 1)
    vmax = float(np.percentile(toy["density"], 99.5))
    assert (page.pixels("#toy-1d canvas[data-array='density']") == heat_pixels(toy["density"].T[::-1], vmax)).all()
    page.page.evaluate("document.activeElement && document.activeElement.blur()")
    page.page.keyboard.press("Home")
    page.page.keyboard.press("ArrowRight")
    assert page.number("toy-1d", "t") == t[1]
    assert page.page.evaluate("location.hash") == f"#toy-1d/process={process}/frame=1"
    assert page.errors == []


def test_noise_sweep_plots_output_against_noise_distance_with_each_pairs_output(browser, recorded):
    sweep = tr("similar_noise", 2)
    sizes = len(sweep["patch_sizes"])
    k = sizes + 2  # the third global scaling, from a link
    page = Page(browser, recorded[0] / "out" / "explorer" / "index.html", f"#noise-sweep/pair={k}")
    try:
        assert (page.pixels("#noise-sweep canvas[data-array='base']") == sweep["base"]).all()
        for pair in (k, 1):
            if pair != k:
                page.type_into("#noise-sweep-field", pair)
            kind, i = ("patch", pair) if pair < sizes else ("global", pair - sizes)
            assert (page.pixels("#noise-sweep canvas[data-array='outputs']") == sweep["outputs"][pair]).all()
            assert shown(page.number("noise-sweep", "noise_distance"), sweep[f"{kind}_noise_distance"][i], 2)
            assert shown(page.number("noise-sweep", "output_distance"), sweep[f"{kind}_output_distance"][i], 2)
            dot = page.page.locator(f"#noise-sweep svg circle[data-series='{kind}']")
            assert float(dot.get_attribute("data-x")) == pytest.approx(sweep[f"{kind}_noise_distance"][i], rel=1e-6)
            assert float(dot.get_attribute("data-y")) == pytest.approx(sweep[f"{kind}_output_distance"][i], rel=1e-6)
            what = f"{sweep['patch_sizes'][i]}x{sweep['patch_sizes'][i]} patch" if kind == "patch" \
                else f"s = {sweep['scalings'][i]:g}"
            assert what in page.label("#noise-sweep canvas[data-array='outputs']")
        assert page.page.evaluate("location.hash") == "#noise-sweep/pair=1"
        assert page.errors == []
    finally:
        page.close()


def test_schedules_shows_each_schedules_coefficients_image_and_ddim_samples(page):
    from scenes.kit.palette import DARK
    sch = tr("schedules", model="mixture:smiley")
    page.page.click("#contents a[href='#schedules']")
    j = 40  # of the 101 recorded t: the page keeps every other one
    t = int(sch["image_t"][j])
    page.type_into("#schedules-field", t)
    assert page.number("schedules", "t") == t
    for r in range(len(sch["alpha_bar"])):
        assert (page.pixels(f"#schedules canvas[data-array='x_t[{r}]']") == sch["x_t"][r, j]).all()
        assert shown(page.number("schedules", f"alpha_bar{r}"), sch["alpha_bar"][r, t], 4)
        assert shown(page.number("schedules", f"log_snr{r}"), sch["log_snr"][r, t], 3)
        assert f"t = {t}" in page.label(f"#schedules canvas[data-array='x_t[{r}]']")
    for q, count in enumerate(sch["step_counts"]):
        page.page.select_option("#schedules-steps", str(q))
        for r in range(len(sch["alpha_bar"])):
            assert_cloud(page, f"#schedules canvas[data-array='ddim_final[{r}]']", quantised(sch["ddim_final"][r, q]),
                         DARK.x0)
            assert f"{count} steps" in page.label(f"#schedules canvas[data-array='ddim_final[{r}]']")
            assert shown(page.number("schedules", f"stray{r}"), 100 * sch["ddim_stray"][r, q], 1)
    assert page.page.evaluate("location.hash") == f"#schedules/t={t}/steps={len(sch['step_counts']) - 1}"
    assert page.errors == []


def test_guidance_shows_each_ws_samples_from_the_same_noises(page):
    from scenes.kit.palette import DARK
    gd = tr("guidance", model="mixture:smiley")
    page.page.click("#contents a[href='#guidance']")
    for j in (3, len(EVERY_FIFTH) - 1):
        page.type_into("#guidance-field", j)
        frame = EVERY_FIFTH[j]
        assert page.number("guidance", "t") == gd["frame_t"][frame]
        for k, w in enumerate(gd["weights"]):
            assert_cloud(page, f"#guidance canvas[data-array='frames[{k}]']", quantised(gd["frames"][k, frame]),
                         DARK.x0 if j == len(EVERY_FIFTH) - 1 else DARK.x_t)
            assert f"w = {w:g}" in page.label(f"#guidance canvas[data-array='frames[{k}]']")
            assert shown(page.number("guidance", f"spread{k}"), gd["spread"][k], 3)
            assert shown(page.number("guidance", f"on_class{k}"), 100 * gd["on_class"][k], 1)
            assert shown(page.number("guidance", f"coverage{k}"), 100 * gd["coverage"][k], 1)
    assert_cloud(page, "#guidance canvas[data-array='reference']", quantised(gd["reference"]), DARK.x0)
    assert shown(page.number("guidance", "true_spread"), gd["true_spread"], 3)
    assert page.errors == []


def test_flow_shows_euler_and_ddim_at_each_step_count_with_their_straightness(browser, recorded):
    from scenes.kit.palette import DARK
    fl = tr("flow", model="mixture:smiley")
    page = Page(browser, recorded[0] / "out" / "explorer" / "index.html", "#flow/steps=2/frame=4")
    try:
        for r, j in ((2, 4), (len(fl["step_counts"]) - 1, 7)):
            if r != 2:
                page.page.select_option("#flow-steps", str(r))
                page.type_into("#flow-field", j)
            frame = EVERY_FIFTH[j]
            assert_cloud(page, "#flow canvas[data-array='euler']", quantised(fl["euler_frames"][r, frame]), DARK.x_t)
            assert_cloud(page, "#flow canvas[data-array='ddim']", quantised(fl["ddim_frames"][r, frame]), DARK.x_t)
            assert shown(page.number("flow", "s"), fl["euler_frame_s"][r, frame], 2)
            assert page.number("flow", "t") == fl["ddim_frame_t"][r, frame]
            assert f"{fl['step_counts'][r]} steps" in page.label("#flow canvas[data-array='euler']")
            for name in ("euler_straightness", "ddim_straightness", "ddim_flow_straightness"):
                assert shown(page.number("flow", name), fl[name][r], 3)
            assert shown(page.number("flow", "euler_stray"), 100 * fl["euler_stray"][r], 1)
        page.page.evaluate("document.activeElement && document.activeElement.blur()")
        page.page.keyboard.press("End")
        assert_cloud(page, "#flow canvas[data-array='euler']", quantised(fl["euler_final"][r]), DARK.x0)
        assert page.page.evaluate("location.hash") == f"#flow/steps={r}/frame={len(EVERY_FIFTH) - 1}"
        assert page.errors == []
    finally:
        page.close()


def test_every_control_of_every_view_is_labelled(page):
    unlabelled = page.page.eval_on_selector_all(
        "main input, main select", "es => es.filter(e => !e.id || !document.querySelector(`label[for='${e.id}']`))"
        ".map(e => e.outerHTML)")
    assert unlabelled == []
    ids = page.page.eval_on_selector_all("main [id]", "es => es.map(e => e.id)")
    assert len(ids) == len(set(ids))


def test_the_theme_toggle_gives_the_scenes_light_palette(page):
    from scenes.kit.palette import DARK, LIGHT
    var = "getComputedStyle(document.documentElement).getPropertyValue('--{}').trim()"
    assert page.page.evaluate(var.format("x0")) == DARK.x0
    page.page.click("#theme-toggle")
    assert page.page.evaluate(var.format("x0")) == LIGHT.x0
    assert page.page.evaluate(var.format("background")) == LIGHT.background
    assert page.page.get_attribute("#theme-toggle", "aria-pressed") == "true"
    colours = page.page.eval_on_selector_all("#forward .equation .katex [style*='color']",
                                             "es => es.map(e => getComputedStyle(e).color)")
    r, g, b = (int(LIGHT.x0[i:i + 2], 16) for i in (1, 3, 5))
    assert f"rgb({r}, {g}, {b})" in colours  # the equation typeset again, x_0 in the light blue
    page.page.click("#theme-toggle")


def test_a_corrupt_entry_is_named_with_its_rebuild_command_and_the_rest_is_shown(browser, recorded, tmp_path,
                                                                                 monkeypatch):
    folder = recorded[0]
    shutil.copytree(folder / "cache", tmp_path / "cache")
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    broken = next((tmp_path / "cache").glob("reverse-*"))
    from cache.store import read_entry
    if read_entry(broken).manifest["spec"]["scheduler"] != "ddim":
        broken = next(p for p in (tmp_path / "cache").glob("reverse-*") if p != broken)
    data = bytearray((broken / "trajectory.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (broken / "trajectory.npz").write_bytes(bytes(data))
    made = web(tmp_path / "out")
    assert made.exit_code == 0 and "BROKEN" in made.output and str(broken) in made.output
    page = Page(browser, tmp_path / "out" / "explorer" / "index.html")
    try:
        notice = page.page.text_content("#notices .broken")
        assert "Reverse: DDIM" in notice and str(broken) in notice and "is corrupt" in notice
        assert "diffviz cache build reverse --model" in notice
        links = page.page.eval_on_selector_all("#contents a", "as => as.map(a => a.getAttribute('href'))")
        assert links == [f"#{v}" for v in VIEWS if v != "reverse-ddim"] + ["#sandbox"]
        assert "(broken)" in page.page.text_content("#contents")
        assert page.page.locator("#reverse-ddpm canvas[data-array='x']").count() == 1
        assert page.errors == []
    finally:
        page.close()


def test_the_deck_links_to_the_explorer_where_both_were_made(tmp_path):
    from tools.deck import link_explorer
    (tmp_path / "deck.html").write_text("<html><body><div class='reveal'></div></body></html>")
    assert not link_explorer(tmp_path)  # no explorer: the deck is left alone
    assert "explorer" not in (tmp_path / "deck.html").read_text()
    (tmp_path / "explorer").mkdir()
    (tmp_path / "explorer" / "index.html").write_text("")
    assert link_explorer(tmp_path) and link_explorer(tmp_path)
    assert (tmp_path / "deck.html").read_text().count('href="explorer/index.html"') == 1


def test_the_recordings_of_a_page_are_its_data_scripts_only(recorded):
    """No fetch or XHR (file:// refuses them): every data file is a <script> of index.html."""
    out = recorded[0] / "out" / "explorer"
    html = (out / "index.html").read_text()
    for data in (out / "data").iterdir():
        assert f'<script src="data/{data.name}"></script>' in html
    js = (out / "explorer.js").read_text()
    assert "fetch(" not in js and "XMLHttpRequest" not in js
    assert os.path.getsize(out / "index.html") < 10_000


def test_a_configured_drawing_is_what_the_2d_views_show(tmp_path, monkeypatch):
    """diffviz.toml names a drawing (mixture:FILE.json) and its toy experiment is recorded: `diffviz web` writes the
    toy-2d view from the drawing's recording (its points, decoded, are that recording's x_0 and its DDIM frames),
    titled and noted as the drawing, not the smiley; the 1D view stays mixture:1d's, guidance (not recorded)
    is missing with the drawing's build command, and the notebook widget shows the recording in the same view."""
    import json

    from cache import specs
    from tests.test_toy_scenes import ring_drawing
    model = ring_drawing(tmp_path)
    (tmp_path / "diffviz.toml").write_text(f'model = "{model}"\nsteps = 5\n')
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(tmp_path / "diffviz.toml"))
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(specs.TOY_POINTS, 2, TOY_POINTS)
    from cache.config import load_settings
    from cache.lookup import trajectory
    from sampling.build import build
    build(["toy"], load_settings(), device="cpu")
    build(["toy"], load_settings().replace(model="mixture:smiley"), device="cpu")  # the smiley's, there too
    made = web(tmp_path / "out")
    assert made.exit_code == 0, made.output
    data = tmp_path / "out" / "explorer" / "data"

    def read(script: str) -> dict:
        text = (data / script).read_text()
        return json.loads(text[text.index("=") + 1:].strip().rstrip(";"))
    view, meta = read("toy-2d.js"), (data / "meta.js").read_text()  # window.DIFFVIZ = {meta: {...}, views: {}};
    meta = json.loads(meta[meta.index("{meta: ") + len("{meta: "):meta.rindex(", views: {}}")])
    recording = trajectory("toy", 0, load_settings())
    assert recording.manifest["model"]["name"] == model == view["model"]
    decode = lambda b64: np.frombuffer(base64.b64decode(b64), "<i2").astype(np.float64) / view["quant"]  # noqa: E731
    assert view["points"] == len(recording["x0"]) == TOY_POINTS
    np.testing.assert_allclose(decode(view["x0"]), recording["x0"].ravel(), atol=0.5 / view["quant"])
    np.testing.assert_allclose(decode(view["ddim"]), recording["ddim_frames"].ravel(), atol=0.5 / view["quant"])
    smiley = trajectory("toy", 0, load_settings().replace(model="mixture:smiley"))
    assert not np.allclose(decode(view["x0"]), smiley["x0"].ravel(), atol=0.01)  # not the smiley's points
    assert view["title"] == meta["titles"]["toy-2d"] == "Toy 2D: your drawing's points"
    assert view["shown"] == "your drawing" and "smiley" not in json.dumps(meta["titles"])
    assert "toy-1d" not in meta["views"]  # mixture:1d, not recorded here: the drawing stands in for the 2D one only
    missing = {m["id"]: m["message"] for m in meta["missing"]}
    assert f"--model {model}" in missing["guidance"] and "toy-1d" in missing
    from tools.widget import view_of  # the notebook widget shows the drawing's recording in the same view
    view_id, title, shown = view_of(recording)
    assert (view_id, title, shown["points"], shown["x0"]) == ("toy-2d", view["title"], view["points"], view["x0"])
