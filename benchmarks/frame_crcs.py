"""Whether a change moved a pixel: every frame's CRC-32 of every scene, as the renderer hands it to the writer.

    python benchmarks/frame_crcs.py FOLDER OUT.json [file:Class ...]   # all scenes of ./render.sh --list by default
    python benchmarks/frame_crcs.py --compare A.json B.json            # equal, or which scenes differ and where

FOLDER is a checkout (this one, or `git worktree add /tmp/base REV` of an older revision); its scene files
are loaded as `manim FOLDER/scenes/x.py` loads them (manim's own get_module, from FOLDER), dry runs at 480p15,
from the cache DIFFVIZ_CACHE names: give both runs the same one, so that only the code differs. A revision
whose scene files import their kit as a package runs with that package installed from FOLDER.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path


def crcs(folder: Path, targets: list[str], out: Path) -> int:
    os.chdir(folder)  # manim.cfg, and scenes/x.py named relative to it
    from manim import tempconfig
    from manim.constants import QUALITIES
    from manim.utils.module_ops import get_module
    low = QUALITIES["low_quality"]
    settings = {"pixel_height": low["pixel_height"], "pixel_width": low["pixel_width"],
                "frame_rate": low["frame_rate"], "disable_caching": True, "progress_bar": "none",
                "verbosity": "WARNING", "dry_run": True}
    found, modules = {}, {}
    for target in targets:
        file, cls = target.split(":")
        if file not in modules:
            modules[file] = get_module(Path("scenes") / f"{file}.py")
        frames: list[int] = []
        with tempconfig(settings):
            scene = getattr(modules[file], cls)()
            add_frame = scene.renderer.add_frame

            def watched(frame, num_frames=1, add_frame=add_frame, frames=frames):
                frames.extend([zlib.crc32(frame)] * num_frames)
                add_frame(frame, num_frames)

            scene.renderer.add_frame = watched
            start = time.perf_counter()
            scene.render()
        found[target] = frames
        print(f"{target} frames={len(frames)} seconds={time.perf_counter() - start:.1f}", flush=True)
    out.write_text(json.dumps(found))
    return 0


def compare(a: Path, b: Path) -> int:
    first, second = json.loads(a.read_text()), json.loads(b.read_text())
    equal = set(first) == set(second)
    for target in sorted(set(first) | set(second), key=list({**first, **second}).index):
        x, y = first.get(target), second.get(target)
        if x is None or y is None:
            print(f"{target}: only in {a if y is None else b}")
        elif x == y:
            print(f"{target}: {len(x)} frames equal")
        else:
            differ = [n for n, (p, q) in enumerate(zip(x, y, strict=False)) if p != q]
            print(f"{target}: {len(x)} and {len(y)} frames, {len(differ)} differ"
                  + (f", the first at frame {differ[0]}" if differ else ""))
        equal = equal and x == y
    total = sum(len(v) for v in first.values())
    print(f"{'all equal' if equal else 'NOT all equal'}: {len(first)} scenes, {total} frames")
    return 0 if equal else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", nargs=2, type=Path, metavar="JSON")
    ap.add_argument("folder", nargs="?", type=Path)
    ap.add_argument("out", nargs="?", type=Path)
    ap.add_argument("targets", nargs="*")
    a = ap.parse_args()
    if a.compare:
        return compare(*a.compare)
    if a.folder is None or a.out is None:
        ap.error("give FOLDER and OUT.json, or --compare A.json B.json")
    folder = a.folder.resolve()
    targets = a.targets or subprocess.run([str(folder / "render.sh"), "--list"], capture_output=True, text=True,
                                          check=True).stdout.split()
    return crcs(folder, targets, a.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
