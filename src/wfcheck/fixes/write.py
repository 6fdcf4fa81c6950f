"""Writing a fixed file: the one place `--fix` touches the disk.

A fixed file is written only where it is safe to, and never left half-written:

- through a symbolic link only when the file it points to lies inside the checked tree;
- never into a read-only file;
- by default to a temporary file in the same directory that gets the original's mode and
  owner and replaces it in one `os.replace`;
- in place when replacing would break something: the file has other hard links, or its owner
  or group cannot be given to a new file (another user's group-writable file). A journal
  with both contents is written and flushed first, so a run killed in the middle leaves a
  file the next run puts back (:func:`clean_stale`).

Every temporary file and journal is named `.NAME.XXXXXXXX.wfcheck-tmp` and is locked while it
is in use: one left unlocked was left by a run that was killed, and the next `--fix` run
removes it (after restoring a torn in-place write from its journal).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

TEMP_SUFFIX = ".wfcheck-tmp"
_JOURNAL_MAGIC = b"wfcheck in-place write journal 1\n"
# Without advisory locks a temporary file is stale once it is this old.
_STALE_SECONDS = 3600


class NotWritten(Exception):
    """The fixed file was not written; the message is the one-line reason."""


class FileChangedError(NotWritten):
    """The file changed between reading and writing it."""


def write_fixed(
    path: Path, original: bytes, new: bytes, tree: Iterable[Path] | None = None
) -> None:
    """Write ``new`` over ``path`` unless it no longer holds ``original`` (or must not be
    written: see the module docstring); ``tree``: the real directories the run checks, which
    a symbolic link must not lead out of (None: anywhere)."""
    target = Path(os.path.realpath(path))
    if tree is not None and not any(_inside(target, root) for root in tree):
        raise NotWritten("a symbolic link to a file outside the checked tree")
    st = target.stat()
    if not stat.S_ISREG(st.st_mode):
        raise NotWritten("not a regular file")
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise NotWritten("the file is read-only")
    if st.st_nlink > 1 or not _replace(target, st, original, new):
        _write_in_place(target, original, new)


def write_atomically(path: Path, original: bytes, new: bytes) -> None:
    """:func:`write_fixed` with no checked tree to stay inside."""
    write_fixed(path, original, new)


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def _replace(target: Path, st: os.stat_result, original: bytes, new: bytes) -> bool:
    """Replace ``target`` by a new file with ``new``, its mode and owner. False (and nothing
    changed) when the owner or group cannot be kept: the caller writes in place."""
    with _temporary(target) as (handle, name):
        if (st.st_uid, st.st_gid) != (os.fstat(handle).st_uid, os.fstat(handle).st_gid):
            try:
                os.fchown(handle, st.st_uid, st.st_gid)
            except PermissionError:
                return False
        _write_all(handle, new)
        os.fchmod(handle, stat.S_IMODE(st.st_mode))
        os.fsync(handle)
        _expect(target, original)
        os.replace(name, target)
    return True


def _write_in_place(target: Path, original: bytes, new: bytes) -> None:
    """Overwrite the file itself (same inode: its links, owner and mode stay), after a
    flushed journal that lets the next run restore it if this one is killed midway."""
    with _temporary(target) as (journal, _):
        header = _JOURNAL_MAGIC + f"{len(original)} {len(new)}\n".encode()
        _write_all(journal, header + original + new)
        os.fsync(journal)
        with open(target, "r+b", buffering=0) as handle:
            if handle.read(len(original) + 1) != original:
                raise FileChangedError(
                    f"{target} changed on disk while it was being fixed; not written"
                )
            handle.seek(0)
            _write_all(handle.fileno(), new)
            handle.truncate(len(new))
            os.fsync(handle.fileno())


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[tuple[int, str]]:
    """A locked temporary file beside ``target``, removed afterwards whatever happens."""
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent
    )
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
            # A cleaner may have taken it for a stale one before the lock: start over.
            if os.fstat(handle).st_nlink == 0:
                raise NotWritten("its temporary file was removed by another run")
        yield handle, name
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
        os.close(handle)


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def _expect(target: Path, original: bytes) -> None:
    if target.read_bytes() != original:
        raise FileChangedError(f"{target} changed on disk while it was being fixed; not written")


# -- what a killed run left behind ---------------------------------------------------------------


def clean_stale(directory: Path) -> list[Path]:
    """Remove the temporary files killed runs left in ``directory``, restoring a file whose
    in-place write was cut short from its journal. Returns the files restored."""
    restored: list[Path] = []
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if e.name.startswith(".") and e.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return restored
    for name in names:
        with contextlib.suppress(OSError):
            if _clean_one(directory, name):
                restored.append(_target_of(directory, name))
    return restored


def _target_of(directory: Path, name: str) -> Path:
    # `.NAME.XXXXXXXX.wfcheck-tmp`: NAME may hold dots itself, the random part never does.
    return directory / name[1 : -len(TEMP_SUFFIX)].rsplit(".", 1)[0]


def _clean_one(directory: Path, name: str) -> bool:
    path = directory / name
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(handle)
        if not stat.S_ISREG(st.st_mode):
            return False
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a running fix holds it
        elif st.st_mtime > time.time() - _STALE_SECONDS:
            return False
        with open(handle, "rb", closefd=False) as stream:
            content = stream.read()
        restored = _restore(directory, name, content)
        os.unlink(path)
        return restored
    finally:
        os.close(handle)


def _restore(directory: Path, name: str, journal: bytes) -> bool:
    """Put back the original of a torn in-place write; a file that holds the original, the
    new content or anything else (edited since) is left as it is."""
    if not journal.startswith(_JOURNAL_MAGIC):
        return False
    header, _, body = journal[len(_JOURNAL_MAGIC) :].partition(b"\n")
    try:
        old_size, new_size = (int(part) for part in header.split())
    except ValueError:
        return False
    if old_size + new_size != len(body):
        return False
    original, new = body[:old_size], body[old_size:]
    with open(_target_of(directory, name), "r+b", buffering=0) as handle:
        current = handle.read()
        if current in (original, new) or not _torn(current, original, new):
            return False
        handle.seek(0)
        _write_all(handle.fileno(), original)
        handle.truncate(len(original))
        os.fsync(handle.fileno())
    return True


def _torn(current: bytes, original: bytes, new: bytes) -> bool:
    """Is ``current`` what an in-place write of ``new`` over ``original`` leaves when it is
    cut short: the start of ``new``, then the rest of ``original`` from there on?"""
    if len(current) > len(original):
        # Cut short after writing past the original's end: a prefix of ``new``.
        return new.startswith(current)
    if len(current) < len(original):
        return False  # the file is truncated only once ``new`` is whole
    same_start = len(os.path.commonprefix([current, new]))
    same_end = len(os.path.commonprefix([current[::-1], original[::-1]]))
    return len(current) - same_end <= same_start
