"""The Python API (sampling/api.py) against the command it stands beside: what api.record records is what
`diffviz cache build` records (the same keys, the same arrays, each finds the other's), what it reads needs no
torch, its samples are diffusers' pipelines', and every fault is one DiffvizError line, raised before anything
is recorded. Recordings are of a small random-weight model (16x16, a 100-step schedule, 5 steps)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from diffusers import DDIMPipeline, DDIMScheduler, UNet2DModel

from cache.errors import DiffvizError
from sampling import api
from tests.conftest import SHORT_SCHEDULE, make_model_folder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("api-model") / "model", scheduler=SHORT_SCHEDULE)


@pytest.fixture
def settings_file(tmp_path, small_model, monkeypatch):
    file = tmp_path / "diffviz.toml"
    file.write_text(f'model = "{small_model}"\nsteps = 5\nforward_timestep = 2\n')
    monkeypatch.setenv("DIFFVIZ_CONFIG", str(file))
    return file


def stored(cache: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every entry folder's arrays, by folder name (experiment-key)."""
    found = {}
    for folder in sorted(p for p in cache.iterdir() if p.is_dir() and (p / "trajectory.npz").exists()):
        with np.load(folder / "trajectory.npz", allow_pickle=False) as data:
            found[folder.name] = {name: data[name] for name in data.files}
    return found


def build(*args: str):
    from sampling.cli import main
    return CliRunner().invoke(main, ["cache", "build", *args], catch_exceptions=False)


def test_record_stores_what_the_command_records_and_each_finds_the_others(tmp_path, settings_file, monkeypatch):
    lines = []
    recorded = api.record("reverse", report=lines.append)
    assert [t.manifest["spec"]["scheduler"] for t in recorded] == ["ddpm", "ddim"]
    assert lines[-1].startswith("2 recordings in")
    mine = stored(tmp_path / "cache")
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "other"))
    assert build("reverse").exit_code == 0
    theirs = stored(tmp_path / "other")
    assert mine.keys() == theirs.keys() and len(mine) == 2
    for folder in mine:
        assert mine[folder].keys() == theirs[folder].keys()
        for name in mine[folder]:
            assert np.array_equal(mine[folder][name], theirs[folder][name]), (folder, name)
    for t in recorded:  # what record returned is what it stored
        for name, a in t.arrays.items():
            assert np.array_equal(a, mine[f"reverse-{t.manifest['key'][:16]}"][name])
    # the command finds what the API recorded, and the API what the command recorded
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "cache"))
    again = build("reverse")
    assert again.output.count("cached   reverse") == 2 and "recorded" not in again.output
    monkeypatch.setenv("DIFFVIZ_CACHE", str(tmp_path / "other"))
    lines.clear()
    assert [t.manifest["key"] for t in api.record("reverse", report=lines.append)] == [
        t.manifest["key"] for t in recorded]
    assert all(line.startswith("cached") for line in lines)


def test_record_puts_keyword_settings_in_and_checks_them_before_recording(tmp_path, settings_file):
    forward = api.record("forward", steps=4, report=None)[0]
    assert forward.manifest["spec"]["steps"] == 4 and len(forward["t"]) == 5  # x_T .. x_0 at 4 steps
    assert "--steps 4" in forward.manifest["build_command"]
    before = sorted((tmp_path / "cache").iterdir())
    for bad, words in [(dict(steps=5000), "steps=5000 is outside 1..100"), (dict(steps="5"), "steps must be int"),
                       (dict(stepz=5), "unknown key 'stepz'"), (dict(ddim_step_counts=[2, 500]), "500")]:
        with pytest.raises(DiffvizError, match=words) as err:
            api.record("ddim_steps", report=None, **bad)
        assert "\n" not in str(err.value)
    with pytest.raises(DiffvizError, match="unknown experiment 'revers'; the experiments are forward, reverse"):
        api.record("revers")
    assert sorted((tmp_path / "cache").iterdir()) == before  # nothing recorded, nothing half-written


def test_trajectory_reads_the_cache_without_torch_and_names_the_command_that_records_it(tmp_path, settings_file):
    with pytest.raises(api.lookup.MissingTrajectory) as missing:
        api.trajectory("reverse", 1)
    command = str(missing.value).split("record it with: ")[1]
    assert build(*command.split()[3:]).exit_code == 0  # the command it names records it
    ddim = api.trajectory("reverse", 1)
    assert ddim.experiment == "reverse" and ddim.index == 1 and ddim.manifest["spec"]["scheduler"] == "ddim"
    assert ddim["x0_hat"].dtype == np.uint8 and ddim["x0_hat"].shape == (5, 16, 16, 3)
    with pytest.raises(DiffvizError, match="reverse has 2 recordings \\(index 0..1\\), not index 2"):
        api.trajectory("reverse", 2)
    code = ("import sys; from sampling import api; t = api.trajectory('reverse', 1); "
            "print(int(t['x0_hat'].sum()), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         check=True).stdout.split()
    assert out == [str(int(ddim["x0_hat"].sum())), "False"]


def test_cached_lists_every_entry_and_names_a_broken_one(tmp_path, settings_file):
    assert api.cached() == []
    recorded = api.record("reverse", report=None)
    listed = api.cached()
    assert sorted(c.key for c in listed) == sorted(t.manifest["key"] for t in recorded)
    assert {c.experiment for c in listed} == {"reverse"} and all(c.problem is None for c in listed)
    whole = next(c for c in listed if c.index == 1)
    assert np.array_equal(whole.load()["x"], recorded[1]["x"])
    manifest = next((tmp_path / "cache").glob("reverse-*/manifest.json"))
    manifest.write_text(manifest.read_text().replace('"seed": 0', '"seed": 1'))
    broken = [c for c in api.cached() if c.problem]
    assert len(broken) == 1 and "changed after it was written" in broken[0].problem
    assert "diffviz cache build reverse" in broken[0].problem
    with pytest.raises(DiffvizError, match="changed after it was written"):
        broken[0].load()


def test_settings_reads_the_file_and_puts_keywords_in(settings_file, small_model):
    s = api.settings(seed=3, noise_scaling=1)
    assert (s.model, s.steps, s.seed, s.noise_scaling) == (str(small_model), 5, 3, 1.0)
    with pytest.raises(DiffvizError, match="seed must be int, not 'three'"):
        api.settings(seed="three")
    with pytest.raises(DiffvizError, match="does not exist"):
        api.settings(config=settings_file.with_name("none.toml"))


def test_experiments_are_the_ones_the_command_builds():
    from sampling.cli import cache_build
    choices = next(p for p in cache_build.params if p.name == "experiments").type.choices
    assert list(api.experiments()) == list(choices)
    shown = " ".join(build("--help").output.split())  # the lines `diffviz cache build --help` lists them with
    assert all(" ".join(f"{name} {about}".split()) in shown for name, about in api.experiments().items())


def test_sample_equals_diffusers_ddim_pipeline(small_model):
    ours = api.sample(str(small_model), "ddim", steps=5, seed=2, n=2)
    pipe = DDIMPipeline(unet=UNet2DModel.from_pretrained(small_model),
                        scheduler=DDIMScheduler.from_pretrained(small_model))
    pipe.set_progress_bar_config(disable=True)
    expected = pipe(batch_size=2, generator=torch.Generator().manual_seed(2), num_inference_steps=5,
                    output_type="np").images
    assert abs((ours / 2 + 0.5).clip(0, 1).transpose(0, 2, 3, 1) - expected).max() <= 1e-5
    for bad, words in [(dict(n=0), "n=0"), (dict(scheduler="euler"), "'ddpm' or 'ddim'"), (dict(eta=2), "eta=2"),
                       (dict(steps=101), "steps=101 is outside 1..100")]:
        with pytest.raises(DiffvizError, match=words):
            api.sample(str(small_model), **bad)


def test_ipython_shows_a_diffviz_error_as_its_one_line(tmp_path):
    code = "from sampling import api\napi.record('revers')\n"
    (tmp_path / "cell.ipy").write_text(code)
    out = subprocess.run([sys.executable, "-m", "IPython", "--colors=nocolor", str(tmp_path / "cell.ipy")],
                         capture_output=True, text=True, cwd=tmp_path).stdout + ""
    assert out.strip() == ("DiffvizError: unknown experiment 'revers'; the experiments are "
                           + ", ".join(api.experiments()))
