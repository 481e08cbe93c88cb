"""The seminar's notebooks (notebooks/*.ipynb): committed without outputs; run top to bottom by nbclient in a
kernel of this environment, offline, on the embedded model, into a fresh cache of their own, with no error output,
each showing its plots, the explorer's widget and its scene's video; what they recorded equals, array for array,
what `diffviz cache build` records into another fresh cache for the same settings; and `jupyter lab` serves them."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPERIMENTS = ["forward", "reverse", "forward_backward", "ddim_steps", "similar_noise"]  # the seminar's
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_the_notebooks_are_committed_without_outputs_and_say_how_to_use_the_seminars_model():
    assert [p.name for p in NOTEBOOKS] == ["1-forward-process.ipynb", "2-reverse-process.ipynb",
                                           "3-noise-then-denoise.ipynb", "4-ddim-step-counts.ipynb",
                                           "5-similar-noise.ipynb"]
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), path.name
        assert 'model = "google/ddpm-celebahq-256"' in "".join(nb["cells"][0]["source"]), path.name
        assert any("".join(c["source"]).startswith("%%manim -ql") for c in code), path.name


def stored(cache: Path) -> dict[str, dict[str, np.ndarray]]:
    found = {}
    for folder in sorted(p for p in cache.iterdir() if (p / "trajectory.npz").exists()):
        with np.load(folder / "trajectory.npz", allow_pickle=False) as data:
            found[folder.name] = {name: data[name] for name in data.files}
    return found


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook run by nbclient in `folder` (its media there), with the default settings and a fresh cache."""
    import nbformat
    from nbclient import NotebookClient
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "defaults.toml").write_text("")  # the defaults: the embedded model, 50 steps, seed 0
    env = {"DIFFVIZ_CACHE": str(folder / "cache"), "DIFFVIZ_CONFIG": str(folder / "defaults.toml"),
           "HF_HUB_OFFLINE": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    ran = {}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.delenv("DIFFVIZ_THEME", raising=False)
        for path in NOTEBOOKS:
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
                           ).execute()
            ran[path.name] = nb
    return folder, env, ran


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_each_notebook_runs_top_to_bottom_with_plots_widget_and_scene(executed, name):
    folder, _, ran = executed
    outputs = [o for c in ran[name].cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # matplotlib's figures
    widgets = [o["data"][WIDGET]["model_id"] for o in outputs if WIDGET in o.get("data", {})]
    state = ran[name].metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert widgets and all(state[w]["state"]["_anywidget_id"] == "tools.widget.ExplorerWidget" for w in widgets)
    videos = [o["data"]["text/html"] for o in outputs if "<video" in o.get("data", {}).get("text/html", "")]
    assert len(videos) == 1
    video = folder / videos[0].split('src="')[1].split('"')[0]
    assert video.suffix == ".mp4" and video.stat().st_size > 10_000


@pytest.mark.slow
def test_what_the_notebooks_recorded_equals_what_the_command_records(executed, tmp_path, monkeypatch):
    """`diffviz cache build EXPERIMENT` for each notebook's experiment, as each notebook's api.record asks for it:
    the same arrays, bit for bit. (A build of several experiments at once pools their UNet calls into larger
    batches, and CPU kernels round the last bits by batch size: such a build agrees to 3e-5, tests/test_engine.py.)"""
    from click.testing import CliRunner

    from sampling.cli import main
    folder, env, _ = executed
    for k, v in (env | {"DIFFVIZ_CACHE": str(tmp_path / "cache")}).items():
        monkeypatch.setenv(k, v)
    for experiment in EXPERIMENTS:
        done = CliRunner().invoke(main, ["cache", "build", experiment])
        assert done.exit_code == 0, done.output
    mine, theirs = stored(folder / "cache"), stored(tmp_path / "cache")
    assert mine.keys() == theirs.keys() and len(mine) >= 7  # forward, 2 reverse, grid, steps, patch, global, sweep
    for entry in mine:
        assert mine[entry].keys() == theirs[entry].keys(), entry
        for name in mine[entry]:
            assert np.array_equal(mine[entry][name], theirs[entry][name], equal_nan=True), (entry, name)


@contextlib.contextmanager
def jupyter_lab(root: Path, env: dict | None = None):
    """`jupyter lab` serving `root` on a free port of 127.0.0.1 (token t, the app exposed to the page for
    playwright); its kernels get `env`. Yields the base URL once it answers. Its settings and workspaces go to a
    home of its own; the user's cache folder stays (KaTeX is kept there)."""
    home = tempfile.TemporaryDirectory()
    cache = os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lab = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                            "--IdentityProvider.token=t", f"--ServerApp.root_dir={root}", "--allow-root",
                            "--LabApp.expose_app_in_browser=True"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=os.environ | {"HOME": home.name, "XDG_CACHE_HOME": cache} | (env or {}))
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api?token=t", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within a minute")
        yield base
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        home.cleanup()


@pytest.mark.slow
def test_jupyter_lab_serves_the_notebooks():
    with jupyter_lab(ROOT) as base:
        listing = json.load(urllib.request.urlopen(f"{base}/api/contents/notebooks?token=t", timeout=10))
        assert sorted(c["name"] for c in listing["content"] if c["type"] == "notebook") == [p.name for p in NOTEBOOKS]
        page = urllib.request.urlopen(f"{base}/lab/tree/notebooks/{NOTEBOOKS[0].name}?token=t", timeout=10)
        assert page.status == 200 and b"JupyterLab" in page.read()
        kernels = json.load(urllib.request.urlopen(f"{base}/api/kernelspecs?token=t", timeout=5))
        assert "python3" in kernels["kernelspecs"]
