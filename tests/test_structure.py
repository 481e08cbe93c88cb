"""The shape of the code: data walks downhill (cache <- sampling, scenes), no import circles, one
name per module, and importing a module changes no other library's behaviour."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("sampling", "cache", "scenes", "tools")
SCENE_FILES = sorted(p.stem for p in (ROOT / "scenes").glob("*.py") if p.stem != "__init__")
# what the checks below read: every Python and shell file of the project, this one's own copy included
SKIPPED = {".venv", "build", "runs", ".git", "media", "out", "site"}


def project_modules() -> dict[str, Path]:
    """Every module of the project by the name it is imported as: sampling.build, cache.store,
    scenes.reverse, scenes.kit.base, tools.stamp; a package by its folder's name."""
    modules = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_names(path: Path, name: str) -> set[str]:
    """Every module name an import statement in the file names, at module level or inside a function;
    relative imports resolved, `from X import Y` as X.Y too (Y may be a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1] if package else []
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (and, for a.b.c, the packages a and a.b it runs)."""
    modules = project_modules()
    by_path = {path: name for name, path in modules.items()}
    graph = {name: set() for name in by_path.values()}
    for path, name in by_path.items():
        for imported in imported_names(path, name):
            parts = imported.split(".")
            for depth in range(1, len(parts) + 1):
                target = modules.get(".".join(parts[:depth]))
                if target is not None and target != path:
                    graph[name].add(by_path[target])
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of modules (Tarjan), as [a, b, ..., a]."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    found = []
    for group in groups:  # a shortest way back to the start, inside the group
        start = min(group)
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            nxt = sorted(graph[path[-1]] & group)
            if start in nxt:
                found.append(path + [start])
                break
            for w in nxt:
                if w not in seen:
                    seen.add(w)
                    paths.append(path + [w])
    return found


def test_the_project_imports_form_no_circle():
    found = circles(import_graph())
    assert not found, "import circles (module-level and function-level imports): " + "; ".join(
        " -> ".join(c) for c in found)


def test_the_walk_sees_function_level_and_relative_imports():
    """The walk itself: a circle made only of a function-level relative import is found and named."""
    graph = import_graph()
    assert "cache.store" in graph["cache.lookup"]  # `from . import store`
    assert "sampling.build" in graph["scenes.kit.base"]  # `from sampling.build import build`, inside a function
    assert "scenes.kit.palette" in graph["scenes.kit.text"]  # `from .palette import P`
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_two_modules_share_a_name():
    stems = Counter(p.stem for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if p.stem != "__init__")
    shared = {stem: sorted(str(p.relative_to(ROOT)) for folder in FOLDERS for p in (ROOT / folder).rglob(f"{stem}.py"))
              for stem, n in stems.items() if n > 1}
    assert not shared, f"modules that share a name: {shared}"


def test_no_module_shadows_a_folder_beside_it():
    """sampling/models/ (the embedded model's files) must stay reachable as a folder."""
    shadowing = [str(p.relative_to(ROOT)) for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")
                 if p.with_suffix("").is_dir()]
    assert not shadowing, f"modules named like the folder beside them: {shadowing}"


def test_the_cache_imports_neither_torch_nor_the_sampling_package():
    """cache/ finds and stores; sampling/ records. Not even inside a function may the cache reach up."""
    heavy = ("torch", "diffusers", "sampling", "scenes", "manim")
    found = []
    for path in sorted((ROOT / "cache").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found += [f"{path.relative_to(ROOT)} imports {imported}" for imported in sorted(imported_names(path, name))
                  if imported.split(".")[0] in heavy]
    assert not found, "; ".join(found)


def test_importing_every_cache_module_loads_no_torch():
    modules = sorted(n for n in project_modules() if n.split(".")[0] == "cache")
    code = ("import sys\n"
            + "".join(f"import {m}\n" for m in modules)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'diffusers', 'sampling')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_cache_finds_and_never_records(isolated_cache):
    """A missing trajectory, even of the embedded model, is MissingTrajectory with the command that
    records it; recording on the spot is the scene layer's decision (scenes/kit/base.py find_or_record)."""
    import pytest

    from cache import store
    from cache.config import Settings
    from cache.lookup import MissingTrajectory, trajectory
    with pytest.raises(MissingTrajectory, match="diffviz cache build reverse --model embedded --steps 50"):
        trajectory("reverse", 0, Settings())
    assert store.entries() == []


def test_the_stamp_never_records(tmp_path, isolated_cache):
    """tools/stamp.py digests what is in the cache; a missing trajectory stays missing."""
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "stamp.py"), str(tmp_path), "reverse:ReverseProcess"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1, out.stderr  # no stamp there yet
    assert len(out.stdout.strip()) == 64
    assert not isolated_cache.exists() or not any(isolated_cache.iterdir())
def test_importing_the_scene_base_leaves_manims_video_writer_alone():
    """The x264 preset is a step DiffvizScene takes in setup() (DIFFVIZ_X264_PRESET still picks it),
    not a side effect of importing the scene base."""
    code = """
import os
import av
from manim import tempconfig
from manim.scene import scene_file_writer
from scenes.kit import base
print(scene_file_writer.av is av)

class Empty(base.DiffvizScene):
    def construct(self):
        pass

with tempconfig({"dry_run": True, "verbosity": "ERROR", "progress_bar": "none", "disable_caching": True}):
    Empty().render()
stream = scene_file_writer.av.open(os.devnull, mode="w", format="mp4").add_stream("libx264", rate=30)
print(scene_file_writer.av is av, stream.codec_context.options.get("preset"))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=os.environ | {"DIFFVIZ_X264_PRESET": "faster"})
    assert out.returncode == 0, out.stderr
    importing, after_setup, preset = out.stdout.split()[-3:]
    assert importing == "True", "importing scenes/kit/base.py patched Manim's video writer"
    assert (after_setup, preset) == ("False", "faster")


def torch_loads_without_weights_only(source: str, name: str) -> list[str]:
    """Each call of torch.load (or of a bare `load` imported from torch) in the source that does not pass
    weights_only=True, as 'name:line'."""
    tree = ast.parse(source, name)
    from_torch = {alias.asname or alias.name for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.module == "torch" for alias in node.names}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        is_load = (isinstance(f, ast.Attribute) and f.attr == "load" and isinstance(f.value, ast.Name)
                   and f.value.id == "torch") or (isinstance(f, ast.Name) and f.id == "load" and "load" in from_torch)
        safe = any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                   for k in node.keywords)
        if is_load and not safe:
            found.append(f"{name}:{node.lineno}")
    return found


def test_the_weights_only_check_sees_each_unsafe_form():
    unsafe = ("import torch\ntorch.load(p)\ntorch.load(p, weights_only=False)\n"
              "from torch import load\nload(p)\ntorch.load(p, weights_only=True)\n")
    assert torch_loads_without_weights_only(unsafe, "x.py") == ["x.py:2", "x.py:3", "x.py:5"]


def test_every_torch_load_passes_weights_only():
    """A pickle can run code when it is loaded: no file from elsewhere may, so every torch.load in the
    repository, tests included, takes tensors and plain containers only."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if not {".venv", "build", "runs", ".git"} & set(path.relative_to(ROOT).parts):
            found += torch_loads_without_weights_only(path.read_text(), str(path.relative_to(ROOT)))
    assert not found, f"torch.load without weights_only=True: {found}"


def test_importing_the_model_code_leaves_diffusers_logging_alone_and_a_command_quiets_it():
    """diffusers' advice is hidden by a step where a command starts (sampling.quiet_diffusers), not as a side
    effect of importing sampling/unet.py; a DIFFUSERS_VERBOSITY set by the user wins."""
    code = """
import sampling.unet
from diffusers.utils import logging
print(logging.get_verbosity())
from click.testing import CliRunner
from sampling.cli import main
assert CliRunner().invoke(main, ["cache", "list"]).exit_code == 0
print(logging.get_verbosity())
"""
    env = {k: v for k, v in os.environ.items() if k != "DIFFUSERS_VERBOSITY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["30", "40"]  # WARNING on import, ERROR once a command has started
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=env | {"DIFFUSERS_VERBOSITY": "info"})
    assert out.stdout.split() == ["20", "20"], out.stderr


def test_title_cards_are_drawn_by_the_title_slide_that_describes_them():
    """A title card's words are typed once: the scenes call DiffvizScene.title_slide, whose slide description
    reads the card's title and subtitle; none draws a card of its own."""
    callers = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "scenes").glob("*.py"))
               if "title_card(" in p.read_text()]
    assert not callers, f"scenes that draw a title card without its description: {callers}"


def test_no_scene_file_imports_another_and_the_kit_imports_none():
    """scenes/ holds the scene files, one per chapter, over the kit they share (scenes/kit/): a scene file
    imports the kit and the cache, never another scene file; the kit never imports a scene file."""
    scene_modules = {f"scenes.{stem}" for stem in SCENE_FILES}
    found = []
    for name, path in project_modules().items():
        if not (name in scene_modules or name.startswith("scenes.kit")):
            continue
        imported = imported_names(path, name)
        bare = {n for n in imported if n.split(".")[0] in SCENE_FILES}  # as `manim scenes/x.py` would find them
        found += [f"{name} imports {n}" for n in sorted((imported & scene_modules) - {name} | bare)]
    assert not found, "; ".join(found)


def test_the_scene_check_sees_a_scene_importing_a_scene(tmp_path):
    """The check's walk on made-up files: each way a scene file can reach another is named."""
    for code in ("from scenes.reverse import ReverseProcess\n", "import reverse\n", "from scenes import reverse\n"):
        path = tmp_path / "toy.py"
        path.write_text(code)
        imported = imported_names(path, "scenes.toy")
        assert {"scenes.reverse", "reverse"} & imported, code


def sys_path_edits(source: str, name: str) -> list[str]:
    """Each place in the source that changes sys.path (insert, append, extend, item or slice assignment,
    a new list), in code or in a string of code run elsewhere, and each PYTHONPATH or load by file path,
    as 'name:line what'."""
    found = []
    tree = ast.parse(source, name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name) \
                and node.value.id == "sys":
            found.append(f"{name}:{node.lineno} sys.path")
        elif isinstance(node, ast.Attribute) and node.attr == "spec_from_file_location":
            found.append(f"{name}:{node.lineno} spec_from_file_location")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for word in ("sys.path", "PYTHONPATH", "spec_from_file_location"):
                if word in node.value:
                    found.append(f"{name}:{node.lineno} {word} (in a string)")
    return sorted(found, key=lambda f: int(f.split()[0].split(":")[1]))


def test_the_sys_path_check_sees_each_form():
    source = ("import sys\nsys.path.insert(0, 'x')\nsys.path[:0] = ['x']\nsys.path += ['x']\n"
              "code = 'import sys; sys.path.append(1)'\nenv = {'PYTHONPATH': '.'}\n"
              "import importlib.util\nimportlib.util.spec_from_file_location('m', 'm.py')\nprint(sys.argv)\n")
    assert [f.split()[0] for f in sys_path_edits(source, "x.py")] == ["x.py:2", "x.py:3", "x.py:4", "x.py:5",
                                                                      "x.py:6", "x.py:8"]


def project_files(suffix: str) -> list[Path]:
    return [p for p in sorted(ROOT.rglob(f"*{suffix}")) if not SKIPPED & set(p.relative_to(ROOT).parts)]


def test_no_file_edits_sys_path_or_loads_code_by_path():
    """Packaging, not path tricks: every package the commands use is installed (pyproject.toml), so no
    file, tests included, edits sys.path, sets PYTHONPATH to the project or loads a module by its path. The
    one PYTHONPATH allowed names a `pip install --target` folder, as pip documents, on a line that says so."""
    found = []
    for path in project_files(".py"):
        if path != Path(__file__).resolve():
            lines = path.read_text().splitlines()
            found += [f for f in sys_path_edits(path.read_text(), str(path.relative_to(ROOT)))
                      if not lines[int(f.split()[0].split(":")[1]) - 1].endswith("# a pip --target install")]
    for path in project_files(".sh"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "PYTHONPATH" in line and any(w in line for w in ("$PWD", "$(pwd)", "=.", ":.")):
                found.append(f"{path.relative_to(ROOT)}:{n} PYTHONPATH to the project")
    assert not found, f"path tricks: {found}"


def test_every_package_is_shipped():
    """The packages that the commands import are the ones pyproject.toml lists (a folder with an
    __init__.py under sampling/, cache/, scenes/ and tools/ is a package to ship)."""
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for folder in FOLDERS
               for p in (ROOT / folder).rglob("__init__.py")}
    assert folders <= listed, f"packages pyproject.toml does not ship: {sorted(folders - listed)}"
