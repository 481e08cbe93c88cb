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
TOP_LEVEL = ("scenes",)  # manim puts scenes/ on sys.path: scenes import each other as `theme`, `reverse`


def project_modules() -> dict[str, Path]:
    """Every module of the project by the name it is imported as: sampling.build, cache.store,
    theme (scenes/theme.py; also scenes.theme), tools.stamp; a package by its folder's name."""
    modules = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
            if folder in TOP_LEVEL and len(parts) > 1:
                modules[".".join(parts[1:])] = path
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
    by_path = {path: name for name, path in modules.items()}  # one name per file: the last one listed
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
    assert "sampling.build" in graph["theme"]      # `from sampling.build import build`, inside a function
    assert "theme" in graph["reverse"]             # scenes import each other as top-level modules
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
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            + "".join(f"import {m}\n" for m in modules)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'diffusers', 'sampling')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_cache_finds_and_never_records(isolated_cache):
    """A missing trajectory, even of the embedded model, is MissingTrajectory with the command that
    records it; recording on the spot is the scene layer's decision (scenes/theme.py find_or_record)."""
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
def test_importing_the_theme_leaves_manims_video_writer_alone():
    """The x264 preset is a step DiffvizScene takes in setup() (DIFFVIZ_X264_PRESET still picks it),
    not a side effect of importing the theme."""
    code = f"""
import os, sys
sys.path.insert(0, {str(ROOT / 'scenes')!r})
import av
from manim import tempconfig
from manim.scene import scene_file_writer
import theme
print(scene_file_writer.av is av)

class Empty(theme.DiffvizScene):
    def construct(self):
        pass

with tempconfig({{"dry_run": True, "verbosity": "ERROR", "progress_bar": "none", "disable_caching": True}}):
    Empty().render()
stream = scene_file_writer.av.open(os.devnull, mode="w", format="mp4").add_stream("libx264", rate=30)
print(scene_file_writer.av is av, stream.codec_context.options.get("preset"))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=os.environ | {"DIFFVIZ_X264_PRESET": "faster"})
    assert out.returncode == 0, out.stderr
    importing, after_setup, preset = out.stdout.split()[-3:]
    assert importing == "True", "importing scenes/theme.py patched Manim's video writer"
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
               if p.name != "theme.py" and "title_card(" in p.read_text()]
    assert not callers, f"scenes that draw a title card without its description: {callers}"
