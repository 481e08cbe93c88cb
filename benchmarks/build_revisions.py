"""A full build of the embedded model at two revisions of diffviz, side by side: each revision checked out in a
worktree of its own, the builds run in fresh processes one after the other, alternating, so that both see the
same minutes of this machine. Prints each build's wall seconds and the context switches of the process per UNet
call (the median over the build's calls; /proc/self/task), the ratio of the walls round by round, and whether
every array the two revisions recorded is equal.

    python benchmarks/build_revisions.py c5601ae HEAD            # 2 rounds
    python benchmarks/build_revisions.py c5601ae HEAD --rounds 3

Every build records every notebook experiment again (force) into a cache of its own; run it alone on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# run by `python -c` in the revision's worktree, whose folder comes first on sys.path: its own sampling and cache
# packages, this environment's torch
BUILD = """
import glob, json, statistics, time
import torch
from cache.config import Settings
from cache.specs import NOTEBOOK_EXPERIMENTS
from sampling.build import build
from sampling.loading import load_model

def switches():
    got = {}
    for status in glob.glob("/proc/self/task/*/status"):
        try:
            got[status] = sum(int(line.split()[1]) for line in open(status) if "ctxt_switches" in line)
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            pass
    return got

torch.set_grad_enabled(False)
model = load_model("embedded", device="cpu", dtype="float32")
last, per_call = [None], []

def progress(batch):
    now = switches()
    if last[0] is not None:
        per_call.append(sum(n - last[0].get(task, 0) for task, n in now.items()))
    last[0] = now

started = time.perf_counter()
build(list(NOTEBOOK_EXPERIMENTS), Settings(), model=model, force=True, progress=progress)
print(json.dumps({"seconds": time.perf_counter() - started, "calls": len(per_call) + 1,
                  "switches": statistics.median(per_call)}))
"""


def built(tree: Path, cache: Path) -> dict:
    env = os.environ | {"DIFFVIZ_CACHE": str(cache), "DIFFUSERS_VERBOSITY": "error"}
    done = subprocess.run([sys.executable, "-c", BUILD], cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the build at {tree} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def arrays_equal(a: Path, b: Path) -> tuple[int, list[str]]:
    """Values compared and the arrays that differ, over every entry of two caches (NaN equal to NaN)."""
    entries = sorted(p.name for p in a.iterdir() if p.is_dir() and not p.name.startswith("."))
    theirs = sorted(p.name for p in b.iterdir() if p.is_dir() and not p.name.startswith("."))
    if entries != theirs:
        return 0, [f"entries differ: {entries} against {theirs}"]
    count, differ = 0, []
    for entry in entries:
        x, y = np.load(a / entry / "trajectory.npz"), np.load(b / entry / "trajectory.npz")
        for name in sorted(set(x.files) | set(y.files)):
            if name not in x.files or name not in y.files:
                differ.append(f"{entry}/{name}: only one has it")
                continue
            count += x[name].size
            if x[name].dtype != y[name].dtype or not np.array_equal(x[name], y[name],
                                                                      equal_nan=x[name].dtype.kind == "f"):
                differ.append(f"{entry}/{name}")
    return count, differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trees = {}
        for label, rev in (("before", a.before), ("after", a.after)):
            trees[label] = tmp / label
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(trees[label]), rev], cwd=ROOT, check=True)
        try:
            walls = {"before": [], "after": []}
            for r in range(a.rounds):
                for label in ("before", "after"):
                    got = built(trees[label], tmp / f"cache-{label}-{r}")
                    walls[label].append(got["seconds"])
                    print(f"round {r + 1} {label:6s} ({getattr(a, label)}): {got['seconds']:.1f} s, {got['calls']} "
                          f"UNet calls, {got['switches']:.0f} context switches a call (median)", flush=True)
                print(f"round {r + 1}: before/after {walls['before'][-1] / walls['after'][-1]:.2f}", flush=True)
            count, differ = arrays_equal(tmp / "cache-before-0", tmp / "cache-after-0")
            print(f"recordings: {count} values compared, " + (f"{len(differ)} arrays differ: {differ}" if differ
                                                              else "every array equal"))
            ratios = [b / f for b, f in zip(walls["before"], walls["after"], strict=True)]
            print(f"build_revisions before_s={statistics.median(walls['before']):.1f} "
                  f"after_s={statistics.median(walls['after']):.1f} ratios={','.join(f'{x:.2f}' for x in ratios)} "
                  f"bit_identical={'yes' if not differ else 'no'}")
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
