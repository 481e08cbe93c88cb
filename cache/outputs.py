"""The places diffviz writes: checked before any work starts, and files written aside, then renamed.

A check writes and removes a file where the output will go, so that permissions, read-only mounts
and root (whom chmod does not stop) all get a true answer. A write that fails, a full disk among
them, leaves neither the new file nor a half of it.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

from .errors import DiffvizError

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class OutputError(DiffvizError, ValueError):
    """A place diffviz cannot write to: `str()` is one line, the path, what is wrong with it (`reason`, said
    of the path: 'is a file, not a folder') and the fix."""

    def __init__(self, path: Path, reason: str, fix: str):
        super().__init__(f"{path} {reason}; {fix}")
        self.path, self.reason, self.fix = path, reason, fix


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe(folder: Path, path: Path) -> None:
    try:
        fd, name = tempfile.mkstemp(prefix=".diffviz-probe-", dir=folder)
    except OSError as err:
        reason = f"cannot be written: writing in {folder} fails ({err.strerror})"
        raise OutputError(path, reason, "choose a folder you can write in") from None
    os.close(fd)
    os.unlink(name)


def check_folder(path: Path) -> None:
    """A folder that diffviz writes into: it may be missing (it is made, with its parents), but the part
    of it that exists must be folders, and writable ones."""
    path = Path(path).expanduser()
    existing = _nearest_existing(path)
    if not existing.is_dir():
        where = "is a file" if existing == path else f"cannot be made: {existing} is a file"
        raise OutputError(path, f"{where}, not a folder", "choose a folder (it is made where missing)")
    _probe(existing, path)


def check_file(path: Path) -> None:
    """A file that diffviz writes: its folder must exist and be writable, and the path must not be a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputError(path, "is a folder", f"give a file name inside it, e.g. {path / ('out' + path.suffix)}")
    folder = path.parent
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise OutputError(path, f"cannot be written: {existing} is a file, not a folder",
                          "choose a path inside a folder")
    if existing != folder:
        raise OutputError(path, f"cannot be written: the folder {folder} does not exist",
                          f"make it first (mkdir -p {folder}) or choose another path")
    _probe(folder, path)


def disk_full(err: OSError) -> bool:
    return err.errno in DISK_FULL


def not_written(path: Path) -> OutputError:
    """What a full disk did to `path`, which was written aside: nothing of it is there."""
    return OutputError(path, f"was not written: the disk under {path.parent} is full",
                       "free some space and run the command again")


@contextlib.contextmanager
def written_aside(path: Path):
    """Yield a temporary path beside `path` (same suffix) to write; it is renamed onto `path` when the block
    ends, and removed if the block fails. A full disk becomes an OutputError saying nothing was written."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    staged = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    staged.chmod(0o666 & ~umask)  # as open() would make it: mkstemp's files are private (0600)
    try:
        yield staged
        os.replace(staged, path)
    except OSError as err:
        if disk_full(err):
            raise not_written(path) from None
        raise
    finally:
        staged.unlink(missing_ok=True)


@contextlib.contextmanager
def folder_written_aside(folder: Path):
    """Yield a staging folder beside `folder` to fill; it replaces `folder` when the block ends, and is removed
    if the block fails. A full disk becomes an OutputError saying nothing was written."""
    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}-part")
    shutil.rmtree(staging, ignore_errors=True)  # left by a run that was killed
    existing = _nearest_existing(folder.parent)
    try:
        staging.mkdir(parents=True)
        yield staging
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        made = folder.parent  # the folders this call made for it, emptied again, go too
        while made != existing and not any(made.iterdir()):
            made.rmdir()
            made = made.parent
        if isinstance(err, OSError) and disk_full(err):
            raise not_written(folder) from None
        raise
