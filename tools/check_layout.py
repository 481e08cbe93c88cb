"""Check the scenes' layout from the cache: `python tools/check_layout.py [Scene ...]` (all the scenes
render.sh lists when none is named) renders them without drawing their animations, runs the layout check
of scenes/kit/layout.py at every slide break and the last frame, prints every problem and exits 1 if any."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from scenes.kit.layout import Recorder

ROOT = Path(__file__).resolve().parents[1]


def scene_modules() -> list[str]:
    """The scene files render.sh lists (file:Class), in its order."""
    import subprocess
    listed = subprocess.run([str(ROOT / "render.sh"), "--list"], capture_output=True,
                            text=True, check=True).stdout.split()
    return list(dict.fromkeys(target.split(":")[0] for target in listed))


def scene_classes(names: list[str]) -> list[type]:
    """The scene classes of the scene modules by name, all of them (in render.sh's order) when none is named."""
    import importlib

    from scenes.kit.base import DiffvizScene
    found = {}
    for module in scene_modules():
        scenes = importlib.import_module(f"scenes.{module}")
        for value in vars(scenes).values():
            if (isinstance(value, type) and issubclass(value, DiffvizScene) and value.__module__ == scenes.__name__
                    and value.construct is not DiffvizScene.construct):  # not a base such as ToyScene
                found.setdefault(value.__name__, value)
    unknown = [n for n in names if n not in found]
    if unknown:
        raise SystemExit(f"check_layout.py: no scene {', '.join(unknown)}; the scenes are {', '.join(found)}")
    return [found[n] for n in names or found]


def main(argv: list[str]) -> int:
    """Render the named scenes without drawing their animations; print every layout problem at their
    slide breaks and last frames; 1 if there was any."""
    from manim import tempconfig

    from scenes.kit.base import DiffvizScene
    recorder = Recorder()
    DiffvizScene.layout_checks.append(recorder)
    low = {"dry_run": True, "pixel_height": 180, "pixel_width": 320, "frame_rate": 5, "disable_caching": True,
           "verbosity": "ERROR", "progress_bar": "none"}
    if os.environ.get("DIFFVIZ_MEDIA"):  # manim's working folder (LaTeX), as render.sh takes it
        low["media_dir"] = os.environ["DIFFVIZ_MEDIA"]
    for cls in scene_classes(argv):
        with tempconfig(low):
            cls(skip_animations=True).render()
    for line in recorder.problems:
        print(line)
    print(f"layout: {len(recorder.moments)} moments checked, {len(recorder.problems)} problems", file=sys.stderr)
    return 1 if recorder.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
