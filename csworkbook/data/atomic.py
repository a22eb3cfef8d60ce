"""Writes that a killed run cannot leave half done, and one writer at a time.

A dataset folder or a report is built in a temporary folder beside its target and renamed
into place when complete, so readers see the previous complete state or the new one, never a
mix. A lock file beside the target refuses a second writer while the first is alive; a lock
left by a killed writer is taken over.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import DataError

# Windows cannot ask whether a process is alive without risking its termination
# (os.kill); there a lock older than this is taken as left by a killed writer.
STALE_AFTER_SECONDS = 6 * 3600


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - see STALE_AFTER_SECONDS
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@contextlib.contextmanager
def writer_lock(target: Path) -> Iterator[Path]:
    """Hold ``.<name>.lock`` beside ``target`` while writing it; refuse if another live
    process holds it."""
    lock = target.parent / f".{target.name}.lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(lock.read_text(encoding="utf-8").strip() or 0)
                age = time.time() - lock.stat().st_mtime
            except (OSError, ValueError):
                pid, age = 0, 0.0
            stale = pid and not _alive(pid) or age > STALE_AFTER_SECONDS
            if not stale:
                raise DataError(
                    f"{target}: another csworkbook process (pid {pid}) is writing here. Wait "
                    f"for it to finish, or delete {lock} if no such process is running."
                ) from None
            lock.unlink(missing_ok=True)
            continue
        except OSError as e:
            raise DataError(
                f"{target}: cannot write here ({e.strerror}); choose another folder."
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
        break
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


@contextlib.contextmanager
def replaced_folder(
    target: str | os.PathLike, *, allowed: set[str] | None = None
) -> Iterator[Path]:
    """Yield an empty temporary folder; when the block ends without error it replaces
    ``target``. On error (or a kill) ``target`` keeps its previous content.

    ``allowed``: names an existing ``target`` may hold. Replacing a folder deletes what it
    holds, so a folder with anything else in it (an analyst's own files) is refused.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise DataError(f"{target}: is a file, not a folder; give a folder to write into.")
    if target.is_dir() and allowed is not None:
        foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
        if foreign:
            raise DataError(
                f"{target}: holds files that are not part of a dataset ({', '.join(foreign[:5])}"
                f"{', ...' if len(foreign) > 5 else ''}); writing would replace them. "
                "Choose an empty or new folder."
            )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"{target.parent}: cannot create it ({e.strerror}).") from None
    with writer_lock(target):
        for old in target.parent.glob(f".{target.name}.tmp-*"):
            shutil.rmtree(old, ignore_errors=True)  # left by a killed run
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            yield tmp
            _swap(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _swap(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; the previous ``target`` is removed only once ``new`` is
    in place (two renames: the window between them is the only moment with no folder)."""
    if not target.exists():
        os.replace(new, target)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _read_umask() -> int:
    # os.umask can only be read by setting it: once, at import, not while threads write files
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Write a file through a temporary file beside it, renamed into place when complete.
    The file gets the permissions a plain ``open(path, "w")`` would (mkstemp makes 0600)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
