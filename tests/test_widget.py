"""The notebook widget (tools/widget.py) in headless Chromium, hosted the way anywidget's front end hosts it in
JupyterLab, Notebook 7 and VS Code: the widget's _css in a <style> of the document's head, its _esm imported from
a blob: URL, its default export's render({model, el}) called with a model whose get() answers the widget's
synced state (as the kernel sent it: ipywidgets' own serialisation, JSON). Its canvases must hold the cache's
uint8 frames pixel for pixel, its keys and typed field must step it, and it must style nothing outside itself.
The recordings are made here with a small random-weight model (16x16, a 100-step schedule, 5 steps)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SHORT_SCHEDULE, make_model_folder
from tests.test_explorer import Page, browser, canvas_pixels  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow  # a browser

HOST = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>a notebook's output area</title></head>
<body style="background: rgb(255, 255, 255)">
<p id="before">a notebook cell above</p>
%(outputs)s
<script type="module">
const states = %(states)s;
for (const [i, state] of states.entries()) {
  // anywidget: the style under the widget class's id in the head (one per class, replaced, not added again),
  // the module from a blob: URL, then render
  const style = document.getElementById(state._anywidget_id) ||
    document.head.appendChild(Object.assign(document.createElement("style"), {id: state._anywidget_id}));
  style.textContent = state._css;
  const url = URL.createObjectURL(new Blob([state._esm], {type: "text/javascript"}));
  const widget = (await import(url)).default;
  const model = {get: (name) => state[name], set() {}, save_changes() {}, on() {}, off() {}, send() {}};
  await widget.render({model, el: document.getElementById(`output-${i}`)});
}
document.body.dataset.ready = "1";
</script></body></html>
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("widget")
    model = make_model_folder(folder / "model", scheduler=SHORT_SCHEDULE)
    (folder / "diffviz.toml").write_text(f'model = "{model}"\nsteps = 5\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIFFVIZ_CACHE", str(folder / "cache"))
        mp.setenv("DIFFVIZ_CONFIG", str(folder / "diffviz.toml"))
        from sampling import api
        reverse = api.record("reverse", report=None)
        forward = api.record("forward", report=None)
    return folder, reverse, forward


def open_host(browser, folder, widgets) -> Page:  # noqa: F811
    """A page holding the widgets' output areas, each widget's state as ipywidgets serialises it (JSON)."""
    states = json.dumps([w.get_state() for w in widgets])
    outputs = "\n".join(f'<div class="output" id="output-{i}"></div>' for i in range(len(widgets)))
    (folder / "host.html").write_text(HOST % {"outputs": outputs, "states": states})
    return Page(browser, folder / "host.html")


def test_show_draws_the_caches_frames_and_steps_by_key_and_typed_t(browser, recorded):  # noqa: F811
    from tools.widget import show
    folder, reverse, _ = recorded
    ddim = reverse[1]
    page = open_host(browser, folder, [show(ddim)])
    try:
        view = "w1-reverse-ddim"
        page.page.wait_for_selector(".diffviz-widget[data-ready='1']")
        for step in (0, 1):
            for name in ("x", "eps_hat", "x0_hat"):
                assert (page.pixels(f"#{view} canvas[data-array='{name}']") == ddim[name][step]).all(), (name, step)
            assert (page.pixels(f"#{view} canvas[data-array='x_prev']") == ddim["x"][step + 1]).all()
            assert page.page.input_value(f"#{view}-field") == str(ddim["t"][step])
            page.page.focus(".diffviz-widget")
            page.page.keyboard.press("ArrowRight")  # the widget's own keys, not the notebook's
        page.type_into(f"#{view}-field", ddim["t"][3])
        assert (page.pixels(f"#{view} canvas[data-array='x0_hat']") == ddim["x0_hat"][3]).all()
        assert float(page.page.text_content(f"#{view} [data-name='t']")) == ddim["t"][3]
        # the style is the widget's alone: the notebook's page keeps its own background and text
        assert page.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        assert page.page.evaluate("getComputedStyle(document.getElementById('before')).color") == "rgb(0, 0, 0)"
        assert page.page.evaluate("location.hash") == ""  # a widget leaves the notebook's address alone
        assert page.errors == [] and all(u.startswith(("file:", "blob:", "data:")) for u in page.requests)
    finally:
        page.close()


def test_two_widgets_on_one_page_each_keep_their_own_view(browser, recorded):  # noqa: F811
    from tools.widget import show
    folder, reverse, forward = recorded
    page = open_host(browser, folder, [show(reverse[0]), show(forward[0]), show(reverse[1])])
    try:
        page.page.wait_for_function("document.querySelectorAll('.diffviz-widget[data-ready=\"1\"]').length === 3")
        page.type_into("#w1-reverse-ddpm-field", reverse[0]["t"][2])
        page.type_into("#w3-reverse-ddim-field", reverse[1]["t"][4])
        assert (page.pixels("#w1-reverse-ddpm canvas[data-array='x0_hat']") == reverse[0]["x0_hat"][2]).all()
        assert (page.pixels("#w3-reverse-ddim canvas[data-array='x0_hat']") == reverse[1]["x0_hat"][4]).all()
        assert (page.pixels("#w2-forward canvas[data-array='x0']") == forward[0]["x0"]).all()
        ids = page.page.evaluate("[...document.querySelectorAll('[id]')].map((e) => e.id)")
        assert len(ids) == len(set(ids))  # every label still names its own control
        assert page.errors == []
    finally:
        page.close()


def test_the_sandbox_widget_samples_in_the_page(browser, recorded):  # noqa: F811
    from tools.widget import sandbox
    folder = recorded[0]
    page = open_host(browser, folder, [sandbox()])
    try:
        page.page.wait_for_selector("#sandbox[data-run='done']", timeout=60000)
        final = np.array(page.page.evaluate("Array.from(diffvizSandbox.state.frames.at(-1))")).reshape(-1, 2)
        assert final.shape[0] == page.page.evaluate("diffvizSandbox.state.n") and np.isfinite(final).all()
        assert page.errors == []
    finally:
        page.close()


def test_show_refuses_what_is_not_a_trajectory_in_one_line():
    from cache.errors import DiffvizError
    from tools.widget import show
    with pytest.raises(DiffvizError, match="show\\(\\) takes a Trajectory"):
        show(np.zeros(3))


def test_in_jupyterlab_itself_show_draws_the_caches_frames(browser, recorded, tmp_path):  # noqa: F811
    """JupyterLab, driven by playwright: a notebook whose one cell is show(api.trajectory("reverse", 1)) is run
    in a kernel of this environment; the widget's canvases hold the recording's frames and its keys step it."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from tests.test_notebooks import jupyter_lab
    folder, reverse, _ = recorded
    nb = new_notebook(cells=[new_code_cell('from sampling import api\nfrom tools.widget import show\n'
                                           'show(api.trajectory("reverse", 1))')])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "widget.ipynb")
    env = {"DIFFVIZ_CACHE": str(folder / "cache"), "DIFFVIZ_CONFIG": str(folder / "diffviz.toml")}
    with jupyter_lab(tmp_path, env) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{base}/lab/tree/widget.ipynb?token=t")
            page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=120000)
            page.wait_for_function("window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
                                   "?.status === 'idle'", timeout=120000)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_selector(".diffviz-widget[data-ready='1']", timeout=120000)
            ddim = reverse[1]
            for step in (0, 1):
                for name in ("x", "eps_hat", "x0_hat"):
                    shown = canvas_pixels(page, f".diffviz-widget canvas[data-array='{name}']")
                    assert (shown == ddim[name][step]).all(), (name, step)
                page.focus(".diffviz-widget")
                page.keyboard.press("ArrowRight")
            from tools.widget import _katex
            if _katex()[0]:  # KaTeX could be had (npm's registry, or kept): the equations are typeset
                assert page.query_selector(".diffviz-widget .equation .katex") is not None
            assert errors == []
        finally:
            page.close()
