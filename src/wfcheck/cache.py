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
import hashlib
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
from wfcheck.settings import Settings

CACHE_DIR_NAME = ".wfcheck_cache"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by wfcheck.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
# A file modified this recently may be modified again within the file system's timestamp
# granularity without its mtime changing: its stat is not trusted (git's "racy" entries).
_RACY_NS = 2_000_000_000
# Settings fields that say where and how fast to run, not what a file's result is.
_RUN_ONLY_FIELDS = frozenset({"cache_dir", "jobs"})


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


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
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


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
        # The catalog: its rules as shipped or extended by configuration.
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


def result_from_data(path: str, data: dict[str, Any]) -> FileResult:
    return FileResult(
        path,
        diagnostics=[_diagnostic(d) for d in data["diagnostics"]],
        parsed=bool(data["parsed"]),
        depends_on=tuple(data["depends_on"]),
    )


def _diagnostic(data: dict[str, Any]) -> Diagnostic:
    fix = data["fix"]
    return Diagnostic(
        **{
            **data,
            "chain": tuple(data["chain"]),
            "fix": Fix(**{**fix, "edits": tuple(Edit(**e) for e in fix["edits"])})
            if fix is not None
            else None,
        }
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
        # Each dependency's current signature, looked up once per run.
        self._signatures: dict[str, list[Any] | None] = {}

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.file, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    def lookup(self, absolute: str, display: str, st: os.stat_result) -> FileResult | None:
        """The stored result when the file and everything it depends on are unchanged."""
        entry = self.entries.get(absolute)
        try:
            if (
                not isinstance(entry, dict)
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
        except (KeyError, TypeError, ValueError, AttributeError):
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
            "deps": {dep: self._signature(dep) for dep in result.depends_on},
            "result": result_to_data(result) if interesting else None,
        }
        self._dirty = True

    def _signature(self, path: str) -> list[Any] | None:
        """[mtime, size, content hash] of a regular file; None when there is none."""
        if path not in self._signatures:
            try:
                st = os.stat(path)
                signature: list[Any] | None = None
                if stat.S_ISREG(st.st_mode):
                    trusted: list[Any] = _trusted_stat(st) or [None, None]
                    signature = trusted + [_read_digest(path)]
            except OSError:
                signature = None
            self._signatures[path] = signature
        return self._signatures[path]

    def _unchanged(self, path: str, stored: list[Any] | None) -> bool:
        try:
            st = os.stat(path)
        except OSError:
            return stored is None
        if not stat.S_ISREG(st.st_mode) or stored is None:
            return stored is None and not stat.S_ISREG(st.st_mode)
        if stored[:2] == _stat_key(st):
            return True
        current = self._signature(path)
        return current is not None and current[2] == stored[2]

    def save(self) -> None:
        """Write the entries atomically (a reader sees the old file or the new one)."""
        if not self._dirty:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
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


def _mark_cache_directory(directory: Path) -> None:
    """CACHEDIR.TAG keeps backup tools out; a `*` .gitignore keeps it out of commits."""
    for name, content in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", "*\n")):
        marker = directory / name
        if not marker.exists():
            marker.write_text(content, encoding="utf-8")
