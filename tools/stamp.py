"""Whether a scene's outputs are up to date: `python tools/stamp.py OUT_DIR file:Class [--slides]
[--transparent]`. The stamp is a digest of everything the video depends on: the source of every project
module the scene imports (followed through their imports: the scenes' kit, cache/, ...),
manim.cfg, tools/captions.py (which writes its WebVTT tracks), the trajectories it reads (every recording
of the experiments cache/experiments.py says it reads, by their manifests:
model weights, schedule, settings), the quality and theme, and the versions of manim and manim-slides. It
prints the digest and exits 0 when OUT_DIR/<Class>.stamp holds it and every output asked for is there, 1
otherwise; render.sh writes the printed digest to the stamp after a render, so the stamp names the inputs as
they were when it began."""
from __future__ import annotations

import argparse
import ast
import hashlib
import importlib
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cache.config import load_settings
from cache.experiments import reads
from cache.lookup import MissingTrajectory, every_trajectory

ROOT = Path(__file__).resolve().parents[1]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


def _module_files(base: Path, parts: list[str]) -> list[Path]:
    """The files that importing the dotted name `parts` from the folder `base` runs: each package's
    __init__.py on the way and the module itself; [] where base holds no such module."""
    files, folder = [], base
    for part in parts[:-1]:
        folder = folder / part
        if not folder.is_dir():
            return []
        files += [folder / "__init__.py"] if (folder / "__init__.py").is_file() else []
    last = folder / parts[-1]
    for found in (last.with_suffix(".py"), last / "__init__.py"):
        if found.is_file():
            return files + [found]
    return []


def _imports(path: Path, bases: list[Path]) -> list[Path]:
    """The project files that `path` imports anywhere in it (top level or inside functions): resolved
    against the folders Python searches (`bases`), or the file's own package for relative imports.
    A name found in none of them is a library's."""
    try:
        tree = ast.parse(path.read_bytes())
    except SyntaxError:
        return []  # digested as it is; manim will say what is wrong with it
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(bases, alias.name.split(".")) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            package = path.parent
            for _ in range(node.level - 1):
                package = package.parent
            module = node.module.split(".") if node.module else []
            where = [package] if node.level else bases
            # `from package import name`: name may be a submodule as well as an attribute
            names = [(where, module)] * bool(module) + [(where, module + [alias.name]) for alias in node.names]
        else:
            continue
        for folders, parts in names:
            for base in folders:
                files = _module_files(base, parts)
                if files:
                    found += files
                    break
    return found


def scene_sources(file: str, root: Path = ROOT) -> list[Path]:
    """scenes/<file>.py and every project module it imports, at any depth, sorted: the packages from the
    project's root (`from scenes.kit.base import ...`, `from cache.lookup import ...`), the kit's own
    modules relatively (`from .palette import P`)."""
    bases = [root]
    todo, seen = [root / "scenes" / f"{file}.py"], set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        todo += _imports(path, bases)
    return sorted(seen)


def source_digest(file: str, root: Path = ROOT) -> str:
    """sha256 over the names and contents of scene_sources(file)."""
    h = hashlib.sha256()
    for path in scene_sources(file, root):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def digest(target: str) -> str:
    """sha256 over what the rendered video of `file:Class` depends on."""
    file, cls = target.split(":")
    h = hashlib.sha256(source_digest(file).encode())
    cfg = Path.cwd() / "manim.cfg"
    h.update(cfg.read_bytes() if cfg.exists() else b"-")
    h.update((ROOT / "tools" / "captions.py").read_bytes())  # writes the scene's WebVTT tracks
    settings = {name: os.environ.get(name, "") for name in ("DIFFVIZ_THEME", "DIFFVIZ_X264_PRESET", "DIFFVIZ_QUALITY")}
    h.update(json.dumps([cls, settings, _version("manim"), _version("manim-slides")]).encode())
    scene = getattr(importlib.import_module(f"scenes.{file}"), cls)
    settings = scene.settings(load_settings())  # as the scene reads them
    for experiment in reads(target):  # every recording of each experiment the scene reads (cache/experiments.py)
        try:
            recorded = every_trajectory(experiment, settings)
        except MissingTrajectory:
            recorded = []
        for tr in recorded:
            h.update(json.dumps(tr.manifest, sort_keys=True, default=str).encode())
    return h.hexdigest()


def outputs(out: Path, cls: str, slides: bool, transparent: bool) -> list[Path]:
    """What a render of the scene makes in OUT, for these options: the one list of a scene's outputs."""
    wanted = [out / f"{cls}.mp4", out / f"{cls}.png", out / f"{cls}.gif", out / f"{cls}.chapters.vtt",
              out / f"{cls}.descriptions.vtt"]
    if transparent:
        wanted.append(out / f"{cls}.mov")
    if slides:
        wanted += [out / "slides" / f"{cls}.json", out / "slides" / "files" / cls]
    return wanted


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("target", help="file:Class, as render.sh names scenes")
    ap.add_argument("--slides", action="store_true")
    ap.add_argument("--transparent", action="store_true")
    ap.add_argument("--list-outputs", action="store_true",
                    help="only print, one a line, every output a render of the scene may leave in OUT (all options), "
                         "and its stamp; render.sh lists and removes them by it")
    a = ap.parse_args()
    cls = a.target.split(":")[1]
    if a.list_outputs:
        print("\n".join(map(str, [*outputs(a.out, cls, slides=True, transparent=True), a.out / f"{cls}.stamp"])))
        return 0
    stamp, current = a.out / f"{cls}.stamp", digest(a.target)
    print(current)
    fresh = stamp.exists() and stamp.read_text().strip() == current
    return 0 if fresh and all(p.exists() for p in outputs(a.out, cls, a.slides, a.transparent)) else 1


if __name__ == "__main__":
    sys.exit(main())
