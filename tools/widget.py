"""The explorer's views in a notebook: `show(trajectory)` displays the view the explorer page has for that
recording, from the page's own JavaScript (tools/explorer_page/explorer.js and sandbox.js, mounted on the
widget's element instead of the page), with its slider, typed step, keys and play; `sandbox()` the sandbox.
An anywidget (JupyterLab, Notebook 7 and VS Code run them; JupyterLab is tested), offline: the script, its
style, the frames (PNG sheets of the stored uint8 frames) and KaTeX (fetched from npm's registry once, then kept)
travel with it.

```python
from sampling import api
from tools.widget import show
show(api.trajectory("reverse", 1))
```
"""
from __future__ import annotations

import base64
import functools
import re

import anywidget
import numpy as np
import traitlets

from cache.drawings import two_d_mixture
from cache.errors import DiffvizError
from cache.lookup import Trajectory

from .explorer import PAGE, kept_katex, listing_view, page_meta, views

WIDGET_CLASS = "diffviz-widget"


def scoped_css(css: str, scope: str = f".{WIDGET_CLASS}") -> str:
    """The page's style with every rule put under `scope`, so that it styles the widget and nothing else of the
    notebook: `body` becomes the scope itself, any other selector a descendant of it."""
    def rule(match: re.Match) -> str:
        selectors = [s.strip() for s in match.group(1).split(",")]
        scoped = [scope if s == "body" else f"{scope} {s}" for s in selectors]
        return ", ".join(scoped) + " {" + match.group(2) + "}"
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.sub(r"([^{}]+)\{([^{}]*)\}", rule, css).strip() + "\n"


@functools.cache
def _katex() -> tuple[str, str]:
    """KaTeX's script and its style with the woff2 fonts inlined, from the folder that keeps it for the explorer
    (fetched from npm's registry the first time); ("", "") where it cannot be had (equations then show as TeX)."""
    kept = kept_katex()
    if kept is None:
        return "", ""

    def inline(match: re.Match) -> str:
        font = kept / "fonts" / match.group(1)
        return f"url(data:font/woff2;base64,{base64.b64encode(font.read_bytes()).decode()})" if font.is_file() \
            else match.group(0)
    css = re.sub(r"url\(fonts/([\w-]+\.woff2)\)", inline, (kept / "katex.min.css").read_text())
    return (kept / "katex.min.js").read_text(), css


@functools.cache
def widget_code() -> tuple[str, str]:
    """The widget's module and style: KaTeX (it sets self.katex), sandbox.js and explorer.js as the page has
    them (each sets window.diffvizX; explorer.js mounts nothing without the page's data), then anywidget's
    render, which mounts the one view of the widget's data on its element."""
    katex_js, katex_css = _katex()
    script = "\n".join([katex_js, (PAGE / "sandbox.js").read_text(), (PAGE / "explorer.js").read_text(), """
export default {
  async render({model, el}) {
    // each widget's ids apart from every other's on the page (a module may be loaded once per widget)
    self.diffvizWidgets = (self.diffvizWidgets || 0) + 1;
    const D = model.get("data"), only = model.get("view"), prefix = `w${self.diffvizWidgets}-`;
    const root = document.createElement("div");
    root.className = "diffviz-widget";
    root.tabIndex = 0;
    root.setAttribute("aria-label", `diffviz explorer: ${D.meta.titles[only] || only}`);
    const header = document.createElement("header"), model_ = document.createElement("p");
    model_.id = `${prefix}model`;
    const toggle = document.createElement("button");
    Object.assign(toggle, {id: `${prefix}theme-toggle`, type: "button"});
    const main = document.createElement("main");
    main.id = `${prefix}views`;
    header.append(model_, toggle);
    root.append(header, main);
    el.append(root);
    await window.diffvizExplorer.mount(D, root, {only, prefix});
  },
};
"""])
    return script, katex_css + scoped_css((PAGE / "explorer.css").read_text())


class ExplorerWidget(anywidget.AnyWidget):
    """One view of the explorer: `data` is what the page's data scripts hold (meta, and the view's data by id),
    `view` the id of the view shown. Its module and style (widget_code) are read, and KaTeX fetched where it was
    never kept, when the first widget is made, not when this module is imported."""
    data = traitlets.Dict().tag(sync=True)
    view = traitlets.Unicode().tag(sync=True)

    def __init__(self, **state):
        type(self)._esm, type(self)._css = widget_code()  # anywidget reads them as each widget is made
        super().__init__(**state)


def _meta(model: str, view_id: str, title: str, shown: list[str]) -> dict:
    """The page's meta for one view, in the scenes' theme (the page's own button switches it)."""
    from scenes.kit.palette import theme_name
    return page_meta(model, shown, {view_id: title}, bool(_katex()[0])) | {"theme": theme_name()}


def view_of(trajectory: Trajectory) -> tuple[str, str, dict]:
    """The explorer's view of this recording (cache/experiments.py declares which recording each view shows):
    its id, title and data; a listing of the recording where no view shows it."""
    from scenes.kit.panels import heat_pixels
    model = trajectory.manifest["model"]["name"]
    for v in views(heat_pixels):
        if v.experiment == trajectory.experiment and v.index == trajectory.index and (
                not v.mixture or model == two_d_mixture(model, f"mixture:{v.mixture}")):  # a drawing: the 2D view
            return v.id, v.titled(model), v.make(trajectory)
    return trajectory.experiment, f"{trajectory.experiment}: recording {trajectory.index}", listing_view(
        trajectory, [trajectory])


def json_safe(value):
    """The view's data as a kernel may send it (JSON has no NaN): a number that is not finite becomes null,
    which the page shows as it shows NaN, a dash."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def show(trajectory: Trajectory) -> ExplorerWidget:
    """The explorer's view of `trajectory` (from sampling.api's record or trajectory) as a notebook widget."""
    if not isinstance(trajectory, Trajectory):
        raise DiffvizError(f"show() takes a Trajectory (sampling.api.record or trajectory), not "
                           f"{type(trajectory).__name__}")
    view_id, title, data = view_of(trajectory)
    model = trajectory.manifest["model"]["name"]
    data = {"title": title, "experiment": trajectory.experiment, "model": model, **data}
    return ExplorerWidget(data={"meta": _meta(model, view_id, title, [view_id]), "views": {view_id: json_safe(data)}},
                          view=view_id)


def sandbox() -> ExplorerWidget:
    """The explorer's sandbox (draw a distribution, sample it exactly in the page) as a notebook widget."""
    title = "Sandbox: draw a distribution, sample it exactly"
    return ExplorerWidget(data={"meta": _meta("mixture drawn in the page", "sandbox", title, []), "views": {}},
                          view="sandbox")
