"""A scene's stamp covers every project module the scene imports, however deep: edit one and
./render.sh renders the scene again; edit a module it does not import and the scene stays `same`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import stamp

ROOT = Path(__file__).resolve().parents[1]




@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's files (tracked, and new ones git does not ignore), to edit."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    copy = tmp_path / "project"
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


def edit(path: Path, old: str | None = None, new: str = "") -> None:
    """Change a file: replace `old` by `new`, or append a comment."""
    text = path.read_text()
    if old is None:
        path.write_text(text + "\n# edited\n")
    else:
        assert old in text, f"{old!r} is not in {path}"
        path.write_text(text.replace(old, new))


def sources(file: str, root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in stamp.scene_sources(file, root)}


def test_a_scenes_sources_are_the_modules_it_imports_at_any_depth(project):
    found = sources("toy", project)
    # the kit's modules it imports, theirs (relative: `from .palette import P`), and the cache modules the
    # scene base reaches, through absolute (`from cache.lookup import`) and relative (`from . import store`) imports
    assert {"scenes/toy.py", "scenes/kit/equations.py", "scenes/kit/base.py", "scenes/kit/palette.py",
            "scenes/kit/encoding.py", "cache/__init__.py", "cache/lookup.py", "cache/store.py",
            "cache/specs.py"} <= found
    assert not found & {"scenes/reverse.py", "scenes/ddim_steps.py", "scenes/memorisation.py",
                        "scenes/similar_noise.py", "scenes/kit/labels.py", "tools/stamp.py"}
    assert "scenes/kit/plots.py" not in sources("reverse", project), "a module the scene does not reach"


@pytest.mark.parametrize("module", ["scenes/toy.py", "scenes/kit/equations.py", "scenes/kit/palette.py",
                                    "cache/store.py", "cache/specs.py"])
def test_the_digest_changes_when_a_module_the_scene_imports_changes(project, module):
    before = stamp.source_digest("toy", project)
    edit(project / module)
    assert stamp.source_digest("toy", project) != before


def test_the_digest_stays_when_a_scene_it_does_not_import_changes(project):
    before = stamp.source_digest("toy", project)
    for unrelated in ("scenes/reverse.py", "scenes/ddim_steps.py", "scenes/kit/labels.py", "README.md",
                      "tools/frames.py"):
        edit(project / unrelated)
    assert stamp.source_digest("toy", project) == before


def test_renamed_and_new_modules_are_followed_by_their_imports(project):
    (project / "scenes" / "kit" / "equations.py").rename(project / "scenes" / "kit" / "update_rules.py")
    edit(project / "scenes" / "toy.py", "from scenes.kit.equations import", "from scenes.kit.update_rules import")
    (project / "cache" / "arrays.py").write_text("SHAPE = 3\n")
    edit(project / "cache" / "store.py", "from .config import cache_root",
         "from .config import cache_root\nfrom .arrays import SHAPE  # noqa: F401")
    found = sources("toy", project)
    assert {"scenes/kit/update_rules.py", "cache/arrays.py"} <= found and "scenes/kit/equations.py" not in found
    before = stamp.source_digest("toy", project)
    edit(project / "cache" / "arrays.py", "3", "4")
    middle = stamp.source_digest("toy", project)
    edit(project / "scenes" / "kit" / "update_rules.py")
    assert len({before, middle, stamp.source_digest("toy", project)}) == 3


def test_render_sh_renders_a_scene_again_when_a_module_it_imports_changed(project, tmp_path):
    """Through ./render.sh itself (its --dry-run stops right after its same-or-render decision): an
    up-to-date ToyDiffusion1D is `same` until the kit's equations, which toy.py imports, are edited."""
    (project / ".venv").symlink_to((ROOT / ".venv").resolve())
    (tmp_path / "diffviz.toml").write_text("steps = 20\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DIFFVIZ_THEME", "DIFFVIZ_X264_PRESET")}
    env |= {"DIFFVIZ_CONFIG": str(tmp_path / "diffviz.toml"), "HF_HUB_OFFLINE": "1",
            "DIFFVIZ_CACHE": str(tmp_path / "cache"), "DIFFVIZ_QUALITY": "l"}
    out = tmp_path / "out"

    def dry_run() -> str:
        done = subprocess.run([str(project / "render.sh"), "--quality", "l", "--out", str(out), "--dry-run",
                               "ToyDiffusion1D"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    # the scene as a finished render leaves it: its outputs, and the stamp of its inputs then
    current = subprocess.run([sys.executable, "-m", "tools.stamp", str(out), "toy:ToyDiffusion1D"], cwd=project,
                             env=env, capture_output=True, text=True, timeout=600)
    assert current.returncode == 1, current.stderr  # no outputs yet
    out.mkdir()
    (out / "ToyDiffusion1D.stamp").write_text(current.stdout.strip() + "\n")
    for path in stamp.outputs(out, "ToyDiffusion1D", slides=False, transparent=False):
        path.write_bytes(b"rendered")
    edit(project / "scenes" / "reverse.py")  # a scene beside it
    assert "same    ToyDiffusion1D" in dry_run()
    edit(project / "scenes" / "kit" / "equations.py", r"x_{t-1}", r"x_{t - 1}")  # the equation ToyDiffusion1D shows
    shown = dry_run()
    assert "render  ToyDiffusion1D" in shown and "same" not in shown
