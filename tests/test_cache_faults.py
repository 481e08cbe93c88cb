"""The cache under faults: nothing half-written, nothing silently wrong."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cache import store
from cache.config import Settings
from cache.lookup import MissingTrajectory, trajectory
from cache.model_files import read_model_folder
from cache.specs import SpecError, validate
from tests.conftest import make_model_folder

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cache: Path, wait=True):
    env = {**os.environ, "DIFFVIZ_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "sampling.cli", *map(str, args)]
    if not wait:
        return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)


def entry_folders(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith(".")) if cache.exists() else []


def wait_for(condition, proc: subprocess.Popen, timeout: float = 300) -> None:
    """Poll until condition() holds, while proc is still running (its output, if it ended first)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the build ended (exit status {proc.returncode}) before the kill:\n{out}\n{err}")
        assert time.monotonic() < deadline, "the build never got there"
        time.sleep(0.01)


# What the build runs when the kill must come while an entry is half-written: its arrays file is
# written into the staging folder, then the build stops there (says so in a marker file) until killed.
PAUSED_WRITE = """
import sys, time
from pathlib import Path
import numpy as np
savez = np.savez
def savez_then_wait(file, **arrays):
    savez(file, **arrays)
    Path(sys.argv[1]).write_text("the arrays of the first entry are written")
    time.sleep(600)
np.savez = savez_then_wait
from sampling.cli import main
main(sys.argv[2:])
"""


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["recording", "writing"])
def test_kill_9_mid_build_leaves_no_entry_and_the_next_build_completes(tiny_model, isolated_cache, tmp_path, moment):
    """Killed while it records (it holds the keys' locks from the first step to the last) or while it
    writes the first of its two entries: nothing half-made counts as an entry, the next build completes."""
    args = ["cache", "build", "reverse", "--model", str(tiny_model), "--steps", "1000" if moment == "recording"
            else "10", "--patch-x", "0", "--patch-y", "0"]
    env = {**os.environ, "DIFFVIZ_CACHE": str(isolated_cache), "HF_HUB_OFFLINE": "1"}
    marker = tmp_path / "paused"
    command = ([sys.executable, "-m", "sampling.cli", *args] if moment == "recording" else
               [sys.executable, "-c", PAUSED_WRITE, str(marker), *args])
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if moment == "recording":
        wait_for(lambda: any((isolated_cache / ".locks").glob("*.lock")), proc)
    else:
        wait_for(marker.exists, proc)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the build was not killed mid-way: it had ended"
    assert "recorded" not in out and not entry_folders(isolated_cache)
    if moment == "writing":  # the half-written entry is left in its staging folder
        assert [p.name for p in next(isolated_cache.glob(".tmp-*")).iterdir()] == ["trajectory.npz"]
    again = subprocess.run([sys.executable, "-m", "sampling.cli", *args], env=env, cwd=ROOT, capture_output=True,
                           text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("recorded") == 2
    assert len(entry_folders(isolated_cache)) == 2
    assert not list(isolated_cache.glob(".tmp-*")), "the next build removes what the killed one left"
    for folder in entry_folders(isolated_cache):
        store.read_entry(folder).load()


@pytest.mark.slow
def test_two_builds_of_the_same_key_at_once_give_one_good_entry(tiny_model, isolated_cache):
    args = ("cache", "build", "reverse", "--model", tiny_model, "--steps", 300, "--patch-x", 0, "--patch-y", 0)
    procs = [cli(*args, cache=isolated_cache, wait=False) for _ in range(2)]
    outs = [p.communicate()[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sum(o.count("recorded") for o in outs) == 2 and sum(o.count("cached") for o in outs) == 2
    assert len(entry_folders(isolated_cache)) == 2
    for folder in entry_folders(isolated_cache):
        store.read_entry(folder).load()


def test_orphans_of_dead_writers_are_removed_at_the_next_write(isolated_cache):
    orphan = isolated_cache / ".tmp-999999999-deadbeef"
    orphan.mkdir(parents=True)
    (orphan / "trajectory.npz").write_bytes(b"half")
    store.write("ab" * 32, {"a": np.zeros(3)}, {"spec": {"experiment": "reverse"}})
    assert not orphan.exists()


def test_a_full_disk_is_reported_and_leaves_nothing(isolated_cache, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(store.np, "savez", full)
    with pytest.raises(store.CacheError, match="disk .* is full"):
        store.write("cd" * 32, {"a": np.zeros(3)}, {"spec": {"experiment": "reverse"}})
    assert not entry_folders(isolated_cache) and not list(isolated_cache.glob(".tmp-*"))


def written(isolated_cache) -> store.Entry:
    return store.write("ef" * 32, {"x": np.arange(12, dtype=np.float32).reshape(3, 4)},
                       {"spec": {"experiment": "reverse"}, "build_command": "diffviz cache build reverse"})


def test_hand_edited_manifest_is_detected(isolated_cache):
    entry = written(isolated_cache)
    manifest = json.loads((entry.path / "manifest.json").read_text())
    manifest["spec"]["steps"] = 10
    (entry.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(store.CacheError, match="changed after it was written.*diffviz cache build reverse"):
        store.read_entry(entry.path)


def test_older_format_is_refused_with_the_rebuild_command(isolated_cache):
    entry = written(isolated_cache)
    manifest = json.loads((entry.path / "manifest.json").read_text())
    manifest["format"] = 1  # before the reverse steps' coefficients took their papers' names
    (entry.path / "manifest.json").write_text(json.dumps(manifest))
    expected = f"format 1.*reads format {store.FORMAT_VERSION}.*diffviz cache build reverse"
    with pytest.raises(store.CacheError, match=expected):
        store.read_entry(entry.path)


def test_pickled_arrays_are_never_loaded(isolated_cache):
    entry = store.write("12" * 32, {"x": np.array([{"evil": 1}], dtype=object)}, {"spec": {"experiment": "reverse"}})
    with pytest.raises(store.CacheError, match="cannot be read"):
        entry.load()


@pytest.mark.slow
def test_other_weights_never_satisfy_a_lookup(tmp_path, isolated_cache):
    folder = make_model_folder(tmp_path / "m", seed=0)
    s = Settings(model=str(folder), steps=3, patch_x=0, patch_y=0)
    assert cli("cache", "build", "reverse", "--model", folder, "--steps", 3, "--patch-x", 0, "--patch-y", 0,
               cache=isolated_cache).returncode == 0
    assert trajectory("reverse", 0, s)["x"].shape[0] == 4
    make_model_folder(folder, seed=1)  # same folder, retrained weights
    with pytest.raises(MissingTrajectory, match="diffviz cache build reverse"):
        trajectory("reverse", 0, s)


@pytest.mark.slow
def test_same_spec_and_seed_give_bit_identical_trajectories_across_processes(tiny_model, tmp_path):
    shas = []
    for run in ("a", "b"):
        cache = tmp_path / run
        assert cli("cache", "build", "reverse", "similar_noise", "--model", tiny_model, "--steps", 6,
                   "--patch-size", 4, "--patch-x", 0, "--patch-y", 0, cache=cache).returncode == 0
        shas.append(sorted(store.read_entry(p).manifest["arrays_sha256"] for p in entry_folders(cache)))
    assert shas[0] == shas[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, 10_000), value=st.integers(0, 255),
       target=st.sampled_from(["trajectory.npz", "manifest.json"]))
def test_mutated_files_are_refused_or_read_unchanged(isolated_cache, position, value, target):
    store.clear(isolated_cache)
    entry = written(isolated_cache)
    original = entry.load()
    path = entry.path / target
    data = bytearray(path.read_bytes())
    data[position % len(data)] = value
    path.write_bytes(bytes(data))
    try:
        arrays = store.read_entry(entry.path).load()
    except store.CacheError:
        return
    assert arrays.keys() == original.keys() and all((arrays[k] == original[k]).all() for k in arrays)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.integers(-5, 1200), forward=st.integers(-5, 1200), size=st.integers(-3, 40), x=st.integers(-5, 40),
       y=st.integers(-5, 40), s=st.one_of(st.floats(-1, 2), st.just(float("nan"))), seed=st.integers(-5, 2**64),
       dtype=st.sampled_from(["float32", "float16", "bfloat16", "float64", ""]))
def test_spec_validation_accepts_in_range_and_names_the_first_bad_value(tiny_model, steps, forward, size, x, y, s,
                                                                        seed, dtype):
    model = read_model_folder(str(tiny_model), tiny_model)
    settings_ = Settings(steps=steps, forward_timestep=forward, patch_size=size, patch_x=x, patch_y=y,
                         noise_scaling=s, seed=seed, dtype=dtype)
    ok = (1 <= steps <= 1000 and 0 <= forward < steps and 1 <= size <= 16 and 0 <= x <= 16 - size
          and 0 <= y <= 16 - size and 0 <= s <= 1 and 0 <= seed < 2**63 and dtype in ("float32", "float16", "bfloat16")
          and settings_.grid_levels <= steps)  # the grid's levels (8 by default) are steps of the run
    try:
        validate(settings_, model)
        assert ok
    except SpecError as err:
        assert not ok
        assert err.param in ("steps", "forward_timestep", "patch_size", "patch_x", "patch_y", "noise_scaling",
                             "seed", "dtype", "grid_levels")
        assert str(getattr(settings_, err.param)) in str(err) or err.param == "grid_levels"
