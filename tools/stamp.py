"""Whether a scene's outputs are up to date: `python tools/stamp.py OUT_DIR file:Class [--slides]
[--transparent]`. The stamp is a digest of everything the video depends on: the scene's source and the
theme, manim.cfg, the trajectories it reads (their manifests: model weights, schedule, settings), the
quality and theme, and the versions of manim and manim-slides. It prints the digest and exits 0 when
OUT_DIR/<Class>.stamp holds it and every output asked for is there, 1 otherwise; render.sh writes the
printed digest to the stamp after a render, so the stamp names the inputs as they were when it began."""
from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scenes")]  # scenes import each other as manim runs them

from cache.config import load_settings  # noqa: E402
from cache.lookup import MissingTrajectory, trajectory  # noqa: E402


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


def digest(target: str) -> str:
    """sha256 over what the rendered video of `file:Class` depends on."""
    file, cls = target.split(":")
    h = hashlib.sha256()
    for path in (ROOT / "scenes" / f"{file}.py", ROOT / "scenes" / "theme.py", Path.cwd() / "manim.cfg"):
        h.update(path.read_bytes() if path.exists() else b"-")
    settings = {name: os.environ.get(name, "") for name in ("DIFFVIZ_THEME", "DIFFVIZ_X264_PRESET", "DIFFVIZ_QUALITY")}
    h.update(json.dumps([cls, settings, _version("manim"), _version("manim-slides")]).encode())
    settings = getattr(importlib.import_module(file), cls).settings(load_settings())  # as the scene reads them
    index = 0
    while True:  # every recording of the experiment, by its manifest
        try:
            manifest = trajectory(file, index, settings).manifest
        except (IndexError, MissingTrajectory):
            break
        h.update(json.dumps(manifest, sort_keys=True, default=str).encode())
        index += 1
    return h.hexdigest()


def outputs(out: Path, cls: str, slides: bool, transparent: bool) -> list[Path]:
    wanted = [out / f"{cls}.mp4", out / f"{cls}.png", out / f"{cls}.gif"]
    if slides:
        wanted.append(out / "slides" / f"{cls}.json")
    if transparent:
        wanted.append(out / f"{cls}.mov")
    return wanted


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("target", help="file:Class, as render.sh names scenes")
    ap.add_argument("--slides", action="store_true")
    ap.add_argument("--transparent", action="store_true")
    a = ap.parse_args()
    cls = a.target.split(":")[1]
    stamp, current = a.out / f"{cls}.stamp", digest(a.target)
    print(current)
    fresh = stamp.exists() and stamp.read_text().strip() == current
    return 0 if fresh and all(p.exists() for p in outputs(a.out, cls, a.slides, a.transparent)) else 1


if __name__ == "__main__":
    sys.exit(main())
