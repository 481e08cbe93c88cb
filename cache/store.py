"""The trajectory store: one folder per key, `trajectory.npz` (no pickles) plus `manifest.json`.

A folder appears whole or not at all (written aside, then renamed), and its arrays are checked
against the manifest's sha256 before anyone reads them.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import cache_root
from .errors import DiffvizError
from .outputs import OutputError, check_folder, disk_full

# 2: the reverse steps' coefficients by their papers' names; 3: forward keeps x_0 and eps as float,
# ddim_steps each frame's step
FORMAT_VERSION = 3
ARRAYS, MANIFEST = "trajectory.npz", "manifest.json"


class CacheError(DiffvizError, RuntimeError):
    """A cache entry that cannot be trusted (in `folder`, where known); the message says how to rebuild it."""

    def __init__(self, message: str, folder: Path | None = None):
        super().__init__(message)
        self.folder = folder


def trajectory_key(model_identity: dict, spec_fields: dict, dtype: str) -> str:
    """sha256 over everything that determines a trajectory."""
    blob = json.dumps({"format": FORMAT_VERSION, "model": model_identity, "spec": spec_fields, "dtype": dtype},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def to_display(x: np.ndarray) -> np.ndarray:
    """(..., C, H, W) in [-1, 1] -> uint8 (..., H, W, C): the one mapping from model values to pixels."""
    x = np.asarray(x, dtype=np.float32)
    pixels = np.clip((x + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    return np.moveaxis(pixels, -3, -1)


def _manifest_sha256(manifest: dict) -> str:
    """The manifest's own checksum, over everything in it but this checksum."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Entry:
    path: Path
    manifest: dict

    @property
    def key(self) -> str:
        return self.manifest["key"]

    @property
    def experiment(self) -> str:
        return self.manifest["spec"]["experiment"]

    def rebuild_hint(self) -> str:
        return f"rebuild it with `{self.manifest.get('build_command', 'diffviz cache build')}`"

    def load(self) -> dict[str, np.ndarray]:
        """The arrays, after checking them against the manifest."""
        file = self.path / ARRAYS
        if not file.exists() or _sha256(file) != self.manifest.get("arrays_sha256"):
            raise CacheError(f"cache entry {self.path} is corrupt (its arrays do not match the manifest's "
                             f"checksum): {self.rebuild_hint()}")
        try:
            with np.load(file, allow_pickle=False) as data:
                return {name: data[name] for name in data.files}
        except Exception as err:  # whatever a forged or broken archive makes numpy and zipfile raise
            raise CacheError(f"cache entry {self.path} cannot be read ({type(err).__name__}: {err}): "
                             f"{self.rebuild_hint()}") from None


def entry_dir(key: str, experiment: str, root: Path | None = None) -> Path:
    return (root or cache_root()) / f"{experiment}-{key[:16]}"


def read_entry(folder: Path) -> Entry:
    """The entry in a folder, its manifest checked; CacheError where it cannot be trusted."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise CacheError(f"cache entry {folder} has no readable manifest ({err}): delete it with "
                         f"`diffviz cache clear` and build again", folder) from None
    if not isinstance(manifest, dict):
        raise CacheError(f"cache entry {folder} has a manifest that is not a JSON object: delete it with "
                         f"`diffviz cache clear` and build again", folder)
    entry = Entry(folder, manifest)
    if manifest.get("format") != FORMAT_VERSION:
        raise CacheError(f"cache entry {folder} was written in cache format {manifest.get('format')}, this diffviz "
                         f"reads format {FORMAT_VERSION}: {entry.rebuild_hint()}", folder)
    if manifest.get("manifest_sha256") != _manifest_sha256(manifest):
        raise CacheError(f"cache entry {folder} has a manifest that was changed after it was written: "
                         f"{entry.rebuild_hint()}", folder)
    if not folder.name.endswith(str(manifest.get("key", ""))[:16]):
        raise CacheError(f"cache entry {folder} does not hold the key its name says: {entry.rebuild_hint()}", folder)
    return entry


def find(key: str, experiment: str, root: Path | None = None) -> Entry | None:
    folder = entry_dir(key, experiment, root)
    return read_entry(folder) if folder.exists() else None


def entries(root: Path | None = None) -> list[Entry | CacheError]:
    root = root or cache_root()
    if not root.exists():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            found.append(read_entry(folder))
        except CacheError as err:
            found.append(err)
    return found


def _remove_orphans(root: Path) -> None:
    """Staging folders of writers that died (Ctrl-C, kill -9, a full disk) go at the next write."""
    for folder in root.glob(".tmp-*"):
        pid = int(folder.name.split("-")[1]) if folder.name.split("-")[1].isdigit() else 0
        try:
            os.kill(pid, 0)
            alive = pid != 0
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
        if not alive:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in root.glob(".trash-*"):
        shutil.rmtree(folder, ignore_errors=True)


def check_writable(root: Path | None = None) -> None:
    """Before any recording: the cache folder can be made and written, or CacheError says why."""
    root = root or cache_root()
    try:
        check_folder(root)
    except OutputError as err:
        named = "DIFFVIZ_CACHE" if "DIFFVIZ_CACHE" in os.environ else "the default"
        raise CacheError(f"the cache folder {root} ({named}) {err.reason}; point DIFFVIZ_CACHE at a folder you "
                         f"can write in (it is made where missing)") from None


@contextlib.contextmanager
def key_lock(key: str, root: Path | None = None):
    """Held while one process records a key: a second build of the same key waits, then finds it cached."""
    locks = (root or cache_root()) / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{key[:32]}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def write(key: str, arrays: dict[str, np.ndarray], manifest: dict, root: Path | None = None) -> Entry:
    """Store one trajectory: written into a hidden folder, then renamed into place in one step."""
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    _remove_orphans(root)
    final = entry_dir(key, manifest["spec"]["experiment"], root)
    staging = root / f".tmp-{os.getpid()}-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        with open(staging / ARRAYS, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        manifest = {**manifest, "format": FORMAT_VERSION, "key": key, "arrays_sha256": _sha256(staging / ARRAYS)}
        manifest["manifest_sha256"] = _manifest_sha256(manifest)
        with open(staging / MANIFEST, "w") as f:
            json.dump(manifest, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        if final.exists():  # a stale or broken entry of the same key: move it aside, then replace
            trash = root / f".trash-{uuid.uuid4().hex}"
            os.rename(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(staging, final)
    except OSError as err:
        if disk_full(err):
            raise CacheError(f"the disk under {root} is full: nothing was stored; free some space "
                             f"(`diffviz cache clear` removes old trajectories) and build again") from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_entry(final)


def clear(root: Path | None = None) -> int:
    """Remove every entry (and leftovers of interrupted writes); returns how many entries went."""
    root = root or cache_root()
    if not root.exists():
        return 0
    count = 0
    for folder in root.iterdir():
        if folder.is_dir():
            count += not folder.name.startswith(".")
            shutil.rmtree(folder)
    return count
