"""cache/experiments.py, the one list of experiments: it is whole (every experiment has its specs, its recorders,
its stored arrays, its scenes), ./render.sh reads it with a bare python3 before set-up, and an experiment
declared there and nowhere else shows up in ./render.sh --list, `diffviz cache build` and the explorer."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cache import specs
from cache.experiments import EXPERIMENTS, FAMILIES, FLAGS, experiment, reads, scenes, views_of
from cache.stored_arrays import STORED_ARRAYS

ROOT = Path(__file__).resolve().parents[1]
RENDER_ORDER = [  # ./render.sh --list, as it was before the declaration
    "forward:ForwardProcess", "reverse:ReverseProcess", "reverse:ReverseProcessDDIM", "similar_noise:PatchPerturbation",
    "similar_noise:GlobalPerturbation", "similar_noise:PerturbationSweep", "forward_backward:NoiseThenDenoise",
    "forward_backward:NoiseDenoiseGrid", "ddim_steps:DdimStepCounts", "toy:ToyDiffusion1D", "toy:ToyDiffusion2D",
    "memorisation:GeneraliseOrMemorise", "schedules:NoiseSchedules", "guidance:ClassifierFreeGuidance",
    "flow:FlowMatching"]
BARE = {"PATH": "/usr/bin:/bin"}  # no virtualenv: the system python3, as before set-up


def kinds() -> set[str]:
    return {kind for e in EXPERIMENTS for kind in e.kinds()}


def test_every_declared_kind_of_recording_has_one_recorder_in_its_familys_module_and_stored_arrays():
    from sampling.recorders import RECORDERS
    assert set(RECORDERS) == kinds()
    for e in EXPERIMENTS:
        for kind in e.kinds():
            assert RECORDERS[kind].__module__ == f"sampling.recorders.{e.family}_recorders", (kind, e.family)
    assert set(STORED_ARRAYS) == kinds()


def test_the_declaration_is_whole():
    assert len({e.name for e in EXPERIMENTS}) == len(EXPERIMENTS)
    for e in EXPERIMENTS:
        assert callable(getattr(specs, e.specs, None)), f"{e.name}: cache/specs.py has no {e.specs}"
        assert e.family in FAMILIES
        assert bool(e.mixtures) == (e.family == "mixtures"), e.name
        assert set(e.options) <= set(FLAGS), e.name
        assert e.scenes and e.about, e.name
    assert len(set(scenes())) == len(scenes())
    assert experiment("toy").mixtures == ("1d", "smiley")
    with pytest.raises(KeyError, match="the experiments are forward, reverse"):
        experiment("nonsense")
    # the names other code imports, derived from it
    assert specs.EXPERIMENTS == tuple(e.name for e in EXPERIMENTS)
    assert specs.NOTEBOOK_EXPERIMENTS == ("forward", "reverse", "similar_noise", "forward_backward", "ddim_steps")
    assert specs.MIXTURE_EXPERIMENTS == {"toy": ("1d", "smiley"), "schedules": ("smiley",), "guidance": ("smiley",),
                                         "flow": ("smiley",)}
    assert specs.USES["similar_noise"] == {"patch", "noise_scaling"} and specs.USES["toy"] == set()


def test_each_scene_is_declared_under_the_experiments_its_file_reads():
    """Read-only look at scenes/: every declared file:Class exists, every scene class of a file is declared, and a
    file's self.trajectory("...") calls name exactly the experiments its scenes are declared under."""
    files = {scene.split(":")[0] for scene in scenes()}
    for file in files:
        tree = ast.parse((ROOT / "scenes" / f"{file}.py").read_text())
        named = {node.args[0].value for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr == "trajectory"
                 and node.args and isinstance(node.args[0], ast.Constant)}
        declared = {e for scene in scenes() if scene.startswith(f"{file}:") for e in reads(scene)}
        assert named == declared, file
        classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
        listed = {scene.split(":")[1] for scene in scenes() if scene.startswith(f"{file}:")}
        assert listed <= classes, file


def test_the_explorer_has_a_view_for_every_experiment_and_data_for_every_declared_view():
    from tools import explorer
    declared = [v.id for e in EXPERIMENTS for v in e.views]
    assert set(explorer.makers(lambda *a: None)) == set(declared)
    made = explorer.views(lambda *a: None)
    assert len({v.id for v in made}) == len(made)
    assert {v.experiment for v in made} == {e.name for e in EXPERIMENTS}
    assert [v for v in made if v.index is None] == []  # every experiment has views of its own: none is listed


def test_every_scene_render_sh_names_maps_to_a_dedicated_view_of_its_experiment():
    """Each scene of ./render.sh --list is shown by a view the declaration gives its experiment, one that
    tools/explorer.py makes (explorer.js draws it by the same id), not the generic listing of its recordings."""
    from tools import explorer
    dedicated = set(explorer.makers(lambda *a: None))
    js = (ROOT / "tools" / "explorer_page" / "explorer.js").read_text()
    drawn = js[js.index("const MAKERS = {"):js.index("};", js.index("const MAKERS = {"))]
    for scene in RENDER_ORDER:
        shown = views_of(scene)
        assert shown, f"{scene}: no view of the explorer shows it (cache/experiments.py View.scenes)"
        for view_id in shown:
            assert view_id in dedicated, (scene, view_id)
            assert f'"{view_id}"' in drawn or f" {view_id}:" in drawn, (scene, view_id)
        owner = reads(scene)
        assert all(any(v.id == view_id for e in owner for v in experiment(e).views) for view_id in shown), scene
    assert {s for e in EXPERIMENTS for v in e.views for s in v.scenes} == set(scenes())


def test_render_sh_lists_the_scenes_with_a_bare_python3_before_set_up():
    done = subprocess.run(["./render.sh", "--list"], cwd=ROOT, env=BARE, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == RENDER_ORDER
    # the module and what it imports: the standard library only (no site-packages at all with -S)
    done = subprocess.run(["python3", "-S", "-m", "cache.experiments", "--scenes"], cwd=ROOT, env=BARE,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == RENDER_ORDER, done.stderr
    loaded = subprocess.run([sys.executable, "-S", "-c", "import sys, cache.experiments; print(*sys.modules)"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    project = {m for m in loaded if m.split(".")[0] not in sys.stdlib_module_names | {"__main__"}}
    assert project == {"cache", "cache.experiments"}


DUMMY = '''
EXPERIMENTS = EXPERIMENTS + (Experiment(
    "dummy", "notebook", "a dummy, declared by tests/test_experiments_list.py", "dummy_specs",
    options=("image", "ddim_step_counts"), scenes=("dummy:DummyOne", "dummy:DummyTwo")),)
'''


@pytest.fixture(scope="module")
def with_dummy(tmp_path_factory) -> Path:
    """A copy of the project whose cache/experiments.py declares one more experiment, and nothing else changed."""
    copy = tmp_path_factory.mktemp("dummy") / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("cache", "sampling", "tools"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    for file in ("render.sh", "manim.cfg", "pyproject.toml", "diffviz.toml"):
        shutil.copy2(ROOT / file, copy / file)
    declaration = copy / "cache" / "experiments.py"
    text = declaration.read_text()
    at = text.index('\n\ndef names()')  # right after the tuple
    declaration.write_text(text[:at] + "\n" + DUMMY + text[at:])
    return copy


def run_in(copy: Path, *command: str, env: dict | None = None) -> str:
    done = subprocess.run(command, cwd=copy, env=env or {**os.environ, "PYTHONSAFEPATH": ""}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_declared_experiment_shows_up_in_render_sh_the_build_command_and_the_explorer(with_dummy):
    copy = with_dummy
    python = sys.executable
    found = run_in(copy, python, "-c", "import cache.experiments, tools.explorer as x; "
                   "print(cache.experiments.__file__, x.__file__)").split()
    assert all(Path(f).is_relative_to(copy) for f in found), found  # the copy's modules, not the checkout's
    # ./render.sh: every scene, and the experiments its scenes read
    listed = run_in(copy, "./render.sh", "--list", env=BARE).split()
    assert listed == RENDER_ORDER + ["dummy:DummyOne", "dummy:DummyTwo"]
    read = run_in(copy, "python3", "-m", "cache.experiments", "--reads", "dummy:DummyTwo", "toy:ToyDiffusion1D",
                  env=BARE)
    assert read.split() == ["toy", "dummy"]
    # diffviz cache build: a choice, with its line in the help
    shown = run_in(copy, python, "-m", "sampling.cli", "cache", "build", "--help")
    assert "|flow|dummy]" in shown.replace("\n", "").replace(" ", "")
    assert "dummy             a dummy, declared by tests/test_experiments_list.py" in shown
    # its build command names the options it declares
    command = run_in(copy, python, "-c", "from cache.config import Settings; from cache.lookup import build_command; "
                     "print(build_command('dummy', Settings(ddim_step_counts=(4, 8))))").strip()
    assert command == ("diffviz cache build dummy --model embedded --steps 50 --seed 0 --dtype float32 "
                       "--image sample --ddim-steps 4,8")
    # the explorer: a view of it, listing its recordings, titled by its name
    views = run_in(copy, python, "-c", "import tools.explorer as x\n"
                   "for v in x.views(None): print(v.id, v.index, v.title)")
    assert views.splitlines()[-1] == "dummy None dummy: its recordings, listed"

