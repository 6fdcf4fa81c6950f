"""The result cache: each checked file's diagnostics, kept in `.wfcheck_cache/` between runs.

One JSON file per wfcheck version (with a stamp of its own source files) and effective
configuration (`.wfcheck_cache/<version>-<stamp>/<settings hash>.json`) maps each file's
absolute path to its last result. An entry is reused while the file's mtime and size are
unchanged (no read at all); when they change, a file that was parsed is compared by content
hash, and a file without workflow markers is simply scanned again (as cheap as hashing it).
An entry also records the project modules its analysis read, and the candidates it probed and
found absent, and is dropped when any of them changes or appears. Everything here is best effort: a cache that
cannot be read or written is ignored, never an error.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from wfcheck import __version__
from wfcheck.diagnostics import Diagnostic, Edit, Fix
from wfcheck.results import FileResult
from wfcheck.settings import CACHE_DIR_NAME as CACHE_DIR_NAME
from wfcheck.settings import Settings
from wfcheck.source import content_digest

_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by wfcheck.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
# A file modified this recently may be modified again within the file system's timestamp
# granularity without its mtime changing: its stat is not trusted (git's "racy" entries).
_RACY_NS = 2_000_000_000
# Settings fields that say where and how fast to run, not what a file's result is.
_RUN_ONLY_FIELDS = frozenset({"cache_dir", "jobs", "config_path"})
# A cache file above this size is not read (it is rewritten by the next save).
MAX_CACHE_BYTES = 256 * 1024 * 1024


digest = content_digest


@cache
def code_stamp() -> str:
    """wfcheck's own source files (name, size, mtime): a checkout or an install from git
    changes them without changing the version, and must not be served older code's results."""
    package = Path(__file__).resolve().parent
    parts = []
    for path in sorted(package.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        parts.append(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}")
    return digest("\n".join(parts).encode())[:12]


def settings_key(settings: Settings) -> str:
    """A hash of everything in the settings that can change a result."""
    fields = {
        f.name: _canonical(getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in _RUN_ONLY_FIELDS
    }
    text = json.dumps(fields, sort_keys=True, default=repr)
    return content_digest(text.encode())


def _canonical(value: Any) -> Any:
    """Plain JSON data that is equal for equal values, whatever the hash seed (sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return sorted([repr(k), _canonical(v)] for k, v in value.items())
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if hasattr(value, "rules") and hasattr(value, "returns"):
        if getattr(value, "fingerprint", ""):
            # The catalog as read from its files: their digest stands for every rule.
            return {"fingerprint": value.fingerprint}
        # The catalog extended by configuration: its rules.
        return {
            "rules": [_canonical(rule) for rule in value],
            "returns": _canonical(value.returns),
            "allowed": _canonical(value.allowed),
            "handles": _canonical(value.handles),
        }
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def result_to_data(result: FileResult) -> dict[str, Any]:
    return {
        "parsed": result.parsed,
        "diagnostics": [dataclasses.asdict(d) for d in result.diagnostics],
        "depends_on": list(result.depends_on),
    }


class InvalidEntry(Exception):
    """A cached value does not have the shape wfcheck writes: the entry is a miss."""


def _expect(value: Any, kind: type | tuple[type, ...]) -> Any:
    # bool is an int to isinstance: a position is never one.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise InvalidEntry(f"expected {kind}, got {type(value).__name__}")
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _fields(data: Any, names: frozenset[str]) -> dict[str, Any]:
    """``data`` as a JSON object with exactly these keys."""
    if not isinstance(data, dict) or data.keys() != names:
        raise InvalidEntry("unexpected keys")
    return data


_OPTIONAL_STR = (str, type(None))
_DIAGNOSTIC_TYPES: dict[str, Any] = {
    "code": str, "name": str, "message": str, "path": str, "line": int, "column": int,
    "end_line": int, "end_column": int, "workflow": str, "framework": _OPTIONAL_STR,
    "chain": list, "help": _OPTIONAL_STR, "noqa_row": (int, type(None)), "source_line": str,
    "fix": (dict, type(None)),
}
_EDIT_TYPES: dict[str, Any] = {
    "content": str, "line": int, "column": int, "end_line": int, "end_column": int,
}
_APPLICABILITIES = frozenset({"safe", "unsafe", "display-only"})
_HISTORIES = frozenset({"keeps", "changes"})


def result_from_data(path: str, data: Any) -> FileResult:
    """The result a cache entry holds; raises :class:`InvalidEntry` for any other shape."""
    data = _fields(data, frozenset({"parsed", "diagnostics", "depends_on"}))
    return FileResult(
        path,
        diagnostics=[_diagnostic(d) for d in _expect(data["diagnostics"], list)],
        parsed=_expect(data["parsed"], bool),
        depends_on=tuple(_expect(d, str) for d in _expect(data["depends_on"], list)),
    )


def _diagnostic(data: Any) -> Diagnostic:
    data = _fields(data, frozenset(_DIAGNOSTIC_TYPES))
    for name, kind in _DIAGNOSTIC_TYPES.items():
        _expect(data[name], kind)
    fix = data["fix"]
    if fix is not None:
        fix = _fields(fix, frozenset({"applicability", "message", "edits", "history", "patch"}))
        if fix["applicability"] not in _APPLICABILITIES or fix["history"] not in _HISTORIES:
            raise InvalidEntry("unknown applicability or history")
        fix = Fix(
            fix["applicability"],
            _expect(fix["message"], str),
            tuple(_edit(e) for e in _expect(fix["edits"], list)),
            fix["history"],
            _expect(fix["patch"], str),
        )
    return Diagnostic(
        **{**data, "chain": tuple(_expect(step, str) for step in data["chain"]), "fix": fix}
    )


def _edit(data: Any) -> Edit:
    data = _fields(data, frozenset(_EDIT_TYPES))
    for name, kind in _EDIT_TYPES.items():
        _expect(data[name], kind)
    return Edit(**data)


def _valid_stat(value: Any) -> bool:
    return value is None or (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def _valid_signature(value: Any) -> bool:
    """None, or [mtime, size, hash] with the stat part possibly [None, None]."""
    if value is None:
        return True
    if not isinstance(value, list) or len(value) != 3 or not isinstance(value[2], str):
        return False
    return value[:2] == [None, None] or _valid_stat(value[:2])


def _valid_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and entry.keys() == {"display", "context", "stat", "hash", "deps", "result"}
        and isinstance(entry["display"], str)
        and isinstance(entry["context"], str)
        and _valid_stat(entry["stat"])
        and isinstance(entry["hash"], _OPTIONAL_STR)
        and isinstance(entry["deps"], dict)
        and all(_valid_signature(sig) for sig in entry["deps"].values())
    )


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_mtime_ns, st.st_size]


def _trusted_stat(st: os.stat_result) -> list[int] | None:
    """The stat key, unless the file is too fresh for its mtime to tell changes apart."""
    return _stat_key(st) if time.time_ns() - st.st_mtime_ns > _RACY_NS else None


class ResultCache:
    """The cache for one configuration, seen from one run (``context``: what else a result
    depends on, such as the working directory and the project roots)."""

    def __init__(self, directory: Path, settings: Settings, context: Sequence[str]) -> None:
        self.directory = directory
        self.file = directory / f"{__version__}-{code_stamp()}" / f"{settings_key(settings)}.json"
        self.context = digest("\0".join(context).encode())
        self.entries = self._load()
        self._dirty = False
        # Each dependency's signature (by path and the hash read), made once per run.
        self._signatures: dict[str, list[Any]] = {}
        # A dependency's current hash when its stat changed, read once per run.
        self._current: dict[str, str | None] = {}

    def _load(self) -> dict[str, Any]:
        """The stored entries: read only from a regular file below :data:`MAX_CACHE_BYTES`
        (a FIFO or a link to a device in its place would hang or never end); anything that is
        not the JSON wfcheck writes is an empty cache."""
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(self.file, flags)
            with os.fdopen(descriptor, "rb") as handle:
                st = os.fstat(handle.fileno())
                if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CACHE_BYTES:
                    return {}
                raw = handle.read(MAX_CACHE_BYTES + 1)
            if len(raw) > MAX_CACHE_BYTES:
                return {}
            data = json.loads(raw)
        except (OSError, ValueError, RecursionError, MemoryError):
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    def lookup(self, absolute: str, display: str, st: os.stat_result) -> FileResult | None:
        """The stored result when the file and everything it depends on are unchanged."""
        entry = self.entries.get(absolute)
        try:
            if (
                not isinstance(entry, dict)
                or not _valid_entry(entry)
                or entry["display"] != display
                or entry["context"] != self.context
            ):
                return None
            if entry["stat"] != _stat_key(st):
                if entry["hash"] is None or _read_digest(absolute) != entry["hash"]:
                    return None
                entry["stat"] = _stat_key(st)
                self._dirty = True
            if not all(self._unchanged(dep, sig) for dep, sig in entry["deps"].items()):
                return None
            if entry["result"] is None:
                return FileResult(display)
            return result_from_data(display, entry["result"])
        except (InvalidEntry, KeyError, TypeError, ValueError, AttributeError, IndexError):
            return None

    def store(
        self, absolute: str, st: os.stat_result, result: FileResult, content_hash: str | None
    ) -> None:
        """Remember a fresh result (``content_hash``: of the bytes checked, for parsed files)."""
        if result.error is not None:
            return
        interesting = result.parsed or bool(result.diagnostics)
        self.entries[absolute] = {
            "display": result.path,
            "context": self.context,
            "stat": _trusted_stat(st),
            "hash": content_hash if interesting else None,
            "deps": {
                dep: self._signature(dep, read)
                for dep, read in zip(
                    result.depends_on,
                    result.dependency_digests or (None,) * len(result.depends_on),
                )
            },
            "result": result_to_data(result) if interesting else None,
        }
        self._dirty = True

    def _signature(self, path: str, read: str | None) -> list[Any] | None:
        """[mtime, size, content hash] of a dependency as the analysis read it (``read``: the
        hash of those bytes; None: it read none, the file was absent). The stat is kept only
        while the file still holds those bytes: a helper edited after the analysis read it
        must not be taken for the one the result came from."""
        if read is None:
            return None
        key = f"{path}\0{read}"
        if key not in self._signatures:
            signature: list[Any] = [None, None, read]
            try:
                st = os.stat(path)
                trusted = _trusted_stat(st)
                if trusted is not None and stat.S_ISREG(st.st_mode) and _read_digest(path) == read:
                    signature = [*trusted, read]
            except OSError:
                pass
            self._signatures[key] = signature
        return self._signatures[key]

    def _unchanged(self, path: str, stored: list[Any] | None) -> bool:
        try:
            st = os.stat(path)
        except OSError:
            return stored is None
        if not stat.S_ISREG(st.st_mode) or stored is None:
            return stored is None and not stat.S_ISREG(st.st_mode)
        if stored[:2] == _stat_key(st):
            return True
        if path not in self._current:
            self._current[path] = _read_digest(path)
        return self._current[path] == stored[2]

    def save(self) -> None:
        """Write the entries atomically (a reader sees the old file or the new one)."""
        if not self._dirty:
            return
        try:
            dedicated = _dedicated(self.directory)
            self.file.parent.mkdir(parents=True, exist_ok=True)
            if dedicated:
                _mark_cache_directory(self.directory)
            handle, temporary = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    # dumps, not dump: dump encodes chunk by chunk in Python, several times slower.
                    out.write(
                        json.dumps(
                            {"version": __version__, "entries": self.entries},
                            separators=(",", ":"),
                        )
                    )
                os.replace(temporary, self.file)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass
        self._dirty = False


def _read_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return None


def _dedicated(directory: Path) -> bool:
    """Is ``directory`` wfcheck's own (absent, so created now; empty; or tagged by wfcheck
    before)? Only there may a `*` .gitignore go: in a project directory (`cache-dir = "."`)
    it would hide every new file from git."""
    try:
        with os.scandir(directory) as entries:
            names = {entry.name for entry in entries}
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not names:
        return True
    try:
        return (directory / "CACHEDIR.TAG").read_text(encoding="utf-8") == _CACHEDIR_TAG
    except (OSError, UnicodeError):
        return False


def _mark_cache_directory(directory: Path) -> None:
    """CACHEDIR.TAG keeps backup tools out; a `*` .gitignore keeps it out of commits."""
    for name, content in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", "*\n")):
        marker = directory / name
        if not marker.exists():
            marker.write_text(content, encoding="utf-8")
