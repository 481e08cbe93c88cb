"""An installed copy, not the checkout: `pip install --no-deps --target DIR .`, then diffviz from another
folder runs DIR's code, reads that folder's diffviz.toml and keeps its cache in the user's cache folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel, records, writes the explorer

ROOT = Path(__file__).resolve().parents[1]


def test_an_installed_copy_runs_from_outside_the_checkout_with_the_users_settings_and_cache(tmp_path):
    target, talk, home = tmp_path / "site", tmp_path / "talk", tmp_path / "home"
    talk.mkdir()
    home.mkdir()
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--target", str(target), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    page = target / "tools" / "explorer_page" / "index.html"
    page.write_text(page.read_text() + "\n<!-- the installed copy's page -->\n")  # to see which copy wrote it
    (talk / "diffviz.toml").write_text("seed = 3\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIFFVIZ_", "XDG_"))}
    env |= {"HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(target)}  # a pip --target install
    diffviz = [sys.executable, str(target / "bin" / "diffviz")]

    def run(*args):
        done = subprocess.run([*diffviz, *args], cwd=talk, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    assert "seed=3" in run("cache", "build", "flow")  # this folder's settings
    recorded = sorted(p.name for p in (home / ".cache" / "diffviz").iterdir() if not p.name.startswith("."))
    assert len(recorded) == 1 and recorded[0].startswith("flow-"), recorded
    shown = run("web", "--out", str(talk / "out"))
    assert "wrote " in shown, shown
    written = (talk / "out" / "explorer" / "index.html").read_text()
    assert "the installed copy's page" in written
    assert not (target / "cache" / "trajectories").exists() and not (target / "diffviz.toml").exists()
