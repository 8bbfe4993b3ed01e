"""Files at the edges of the library: atomic output (write beside the target, then rename over it),
JSON written atomically, progress bars, and where shipped data lives (checkout or installed wheel)."""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib.util
import json
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@functools.cache
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def creation_mode(directory: bool = False) -> int:
    """The permissions a plain open()/mkdir() would give under the current umask (tempfile's
    private 0600/0700 must not leak into outputs that others read)."""
    return (0o777 if directory else 0o666) & ~_umask()


_HOST = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in socket.gethostname()) or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries of ``target`` left by writers that were killed: those made on this
    host by a process that no longer runs (a temporary of a live writer, or of another host sharing
    the filesystem, is kept). Returns what was removed."""
    target = Path(target)
    removed = []
    prefix = f".{target.name}.{_HOST}."
    for candidate in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        rest = candidate.name[len(prefix) :] if candidate.name.startswith(prefix) else ""
        pid_text = rest.split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        if candidate.is_dir() and not candidate.is_symlink():
            shutil.rmtree(candidate, ignore_errors=True)
        else:
            candidate.unlink(missing_ok=True)
        removed.append(candidate)
    return removed


def make_temporary(target: str | os.PathLike[str], *, directory: bool = False) -> Path:
    """A new empty file (or directory) beside ``target`` named for it, this host and this process,
    after removing the ones killed writers left (:func:`remove_stale_temporaries`)."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target)
        prefix, parent = f".{target.name}.{_HOST}.{os.getpid()}-", target.parent
        if directory:
            return Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=parent))
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=parent)
    except OSError as err:  # name the output the user asked for, not our temporary
        raise OSError(err.errno, f"cannot write there ({err.strerror})", str(target)) from None
    os.close(fd)
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``path`` atomically.

    On error the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    tmp_path = make_temporary(target)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, creation_mode(directory=tmp_path.is_dir()))
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON atomically (numpy scalars and other numbers become floats)."""
    atomic_write_text(path, json.dumps(data, indent=1, default=float) + "\n")


def progress_bar(
    items: Iterable[T], *, total: int | None = None, enabled: bool = True, desc: str = "", unit: str = "it"
) -> Iterable[T]:
    """``items`` wrapped in a tqdm progress bar on stderr when ``enabled`` (a person is waiting)."""
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=desc or None, unit=unit, dynamic_ncols=True, leave=False)


def data_path(*parts: str) -> Path:
    """Path of a shipped data file (vocabularies, examples, default models).

    The installed ``symtok_data`` package (a regular package, so this is a real directory in a wheel
    install and the checkout's ``data/`` in an editable one); from a bare checkout, ``data/``."""
    spec = importlib.util.find_spec("symtok_data")
    for location in (spec.submodule_search_locations or []) if spec else []:
        root = Path(location)
        if (root / "vocab.json").is_file():
            return root.joinpath(*parts)
    return (Path(__file__).resolve().parent.parent / "data").joinpath(*parts)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def replace_directory(new: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Put the finished directory ``new`` at ``target``. Where the OS can swap two paths atomically
    (Linux), a reader sees the old or the new directory, never none; elsewhere the old one is moved
    aside first and removed after."""
    new, target = Path(new), Path(target)
    if not target.exists():
        os.replace(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)  # now holds the old directory
        return
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old)
