"""The result cache: each checked file's diagnostics, kept in `.wfcheck_cache/` between runs.

One SQLite database per wfcheck version (with a stamp of its own source files) and effective
configuration (`.wfcheck_cache/<version>-<stamp>/<settings hash>.sqlite3`), one row per
checked file, read and written one by one (see :class:`ResultCache`). An entry is reused while
the file's mtime and size are unchanged (no read at all); when they change, a file that was
parsed is compared by content hash, and a file without workflow markers is simply scanned
again (as cheap as hashing it). An entry also records the project modules its analysis read
and the candidates it probed and found absent: it is dropped when one of those appears, or
when a module it read changes what its dependents can see (early cutoff: a comment or
docstring edit does not, by :func:`interface_digest`; nor does an edit inside a function
that keeps what it does and where, by the effect digest the engine supplies). Everything
here is best effort: a cache that cannot be read or written is ignored (a damaged one is
replaced), never an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import stat
import sys
import time
import zlib
from collections.abc import Callable, Sequence
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
    """A result as JSON data (its dependencies are kept beside it, as path ids)."""
    return {
        "parsed": result.parsed,
        "diagnostics": [dataclasses.asdict(d) for d in result.diagnostics],
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
    """The result a cache entry holds (as a run keeps it: without its dependencies); raises
    :class:`InvalidEntry` for any other shape."""
    data = _fields(data, frozenset({"parsed", "diagnostics"}))
    return FileResult(
        path,
        diagnostics=[_diagnostic(d) for d in _expect(data["diagnostics"], list)],
        parsed=_expect(data["parsed"], bool),
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


# What the cache knows a file's version by: its modification time (ns) and size.
Stamp = tuple[int, int]


def stamp(st: os.stat_result) -> Stamp:
    return st.st_mtime_ns, st.st_size


def _trusted_stamp(key: Stamp) -> Stamp | tuple[None, None]:
    """The stamp, unless the file is too fresh for its mtime to tell changes apart."""
    return key if time.time_ns() - key[0] > _RACY_NS else (None, None)


# -- what a dependent reads from a module ------------------------------------------------------

def interface_digest(path: str, data: bytes) -> str | None:
    """A digest of what the analysis of another file can read from this module: every token
    and where it is, without the text of plain comments and of bare string statements
    (docstrings: where they are is kept, so every position after them is too). Equal digests
    mean a dependent's result is the same (chains show helper positions: they are in it).
    None when the module does not tokenize (then only equal bytes count)."""
    import io
    import tokenize

    from wfcheck.suppression import DIRECTIVE

    try:
        tokens = [
            t for t in tokenize.tokenize(io.BytesIO(data).readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT) or DIRECTIVE.search(t.string)
        ]
    except (tokenize.TokenError, SyntaxError, ValueError, UnicodeError):
        return None
    parts: list[str] = []
    statement_start = True
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in (tokenize.ENDMARKER, tokenize.DEDENT, tokenize.NEWLINE):
            # Where a line ends depends on the comment after it, and the end of the file (where
            # the last dedents are) on the comment lines before it: the kind is enough.
            parts.append(str(kind))
            statement_start = kind != tokenize.ENDMARKER
            continue
        if kind == tokenize.STRING and statement_start and _bare_string(tokens, index):
            # Nothing follows it on its last line: the rows it spans are what counts.
            parts.append(f"DOC {token.start} {token.end[0]}")
            continue
        if kind != tokenize.COMMENT:
            statement_start = kind in (tokenize.INDENT, tokenize.ENCODING)
        parts.append(f"{kind} {token.string!r} {token.start} {token.end}")
    return digest("\n".join(parts).encode())


def _bare_string(tokens: list[Any], index: int) -> bool:
    """Is ``tokens[index]`` part of a statement of plain string literals only (no f-string:
    it runs code)?"""
    import tokenize

    for token in tokens[index:]:
        if token.type == tokenize.NEWLINE:
            return True
        if token.type == tokenize.COMMENT:
            continue
        if token.type != tokenize.STRING:
            return False
        prefix = token.string[: min(i for i in (token.string.find("'"), token.string.find('"')) if i >= 0)]
        if "f" in prefix.lower():
            return False
    return False


# -- the store ---------------------------------------------------------------------------------

# Marks a database wfcheck wrote ("wfck"), and the layout of its tables.
_APPLICATION_ID = 0x7766636B
_SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS paths (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    path TEXT PRIMARY KEY, display TEXT NOT NULL, context TEXT NOT NULL,
    mtime INTEGER, size INTEGER, hash TEXT, deps TEXT NOT NULL, absent TEXT NOT NULL,
    result BLOB
);
CREATE TABLE IF NOT EXISTS modules (
    id INTEGER PRIMARY KEY, mtime INTEGER, size INTEGER, hash TEXT NOT NULL, interface TEXT
);
CREATE TABLE IF NOT EXISTS sources (hash TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
# A stored result above this size is not read (a miss).
MAX_ENTRY_BYTES = 16 * 1024 * 1024
# Effect digests are computed in this process, two per changed module (a branch switch may
# change hundreds): past this many modules, a changed one simply rechecks its dependents.
MAX_EFFECT_COMPARISONS = 24
# How long a run waits for another run's write to the database to end.
_BUSY_SECONDS = 2.0
# Fresh entries are written this many at a time, each batch a transaction of its own.
BATCH_ENTRIES = 256
_warned = False


def _warn(message: str) -> None:
    """One line on stderr, once per process: the cache is an optimisation, never an error."""
    global _warned
    if not _warned:
        _warned = True
        print(f"wfcheck: warning: {message}; checking without the cache", file=sys.stderr)


class _Unknown:
    """A module's interface digest not computed yet this run."""


_UNKNOWN = _Unknown()


@dataclasses.dataclass
class _Module:
    """A dependency as it is now: its bytes' hash and (when asked) its interface digest."""

    path: str
    hash: str
    interface: str | None | _Unknown = _UNKNOWN
    stat: tuple[int, int] | tuple[None, None] = (None, None)
    # Differs from the stored row: written (with its bytes) with the next batch or at save.
    changed: bool = False
    data: bytes | None = None  # its bytes, when read this run (until written)


# (path, hash, interface digest) of a project module a result was read from.
Dependency = tuple[str, str, "str | None"]


class ResultCache:
    """The cache for one configuration, seen from one run (``context``: what else a result
    depends on, such as the working directory and the project roots).

    A SQLite database per configuration (``<dir>/<version>-<stamp>/<settings key>.sqlite3``):
    one row per checked file, read when that file is looked up and written when it was
    checked again, so a run costs what its own files cost, not what the whole tree does. A
    row keeps the file's stat and hash, its result, the project modules the analysis read
    (each with its hash and :func:`interface_digest`) and the ids of the candidate paths it
    probed and found absent (their text is stored once, in ``paths``). A row is reused while
    the file is unchanged, every absent candidate is still absent, and every module it read
    has the same hash, the same interface digest (a comment edit of a helper does not recheck
    its callers) or the same ``effects`` digest (computed from the bytes kept in ``sources``
    for the version the result read, and from the file now; at most
    :data:`MAX_EFFECT_COMPARISONS` modules a run). An entry kept that way is rewritten
    against the modules as they are now, so the next run compares hashes again.

    Fresh rows are written as the run goes, :data:`BATCH_ENTRIES` entries (and the modules
    read so far) at a time, each batch a transaction; what is left, at :meth:`save`.
    """

    def __init__(
        self,
        directory: Path,
        settings: Settings,
        context: Sequence[str],
        interface: Callable[[str, bytes], str | None] = interface_digest,
        effects: Callable[[str, bytes], str | None] | None = None,
    ) -> None:
        self.directory = directory
        self.file = (
            directory / f"{__version__}-{code_stamp()}" / f"{settings_key(settings)}.sqlite3"
        )
        self.context = digest("\0".join(context).encode())
        self.interface = interface
        # The digest of what a module (path, bytes) exports to its dependents' analysis
        # (ProjectIndex.effect_digest): asked only when a module's interface digest changed.
        self.effects = effects
        self._effects: dict[tuple[str, str], str | None] = {}
        self._compared: dict[tuple[str, str], bool] = {}
        self._db: Any = None
        self._opened = False
        # Set when reading found the database damaged: it is replaced at the first write.
        self._damaged = False
        # This run's knowledge, each fact found once: path ids and texts, modules, absences.
        self._path_of: dict[int, str | None] = {}
        self._modules: dict[str, _Module | None] = {}
        self._ids: dict[str, int] = {}
        self._absent: dict[str, bool] = {}
        # Rows to write: fresh entries by path (a batch at a time, see store), and entries
        # whose stat alone changed (at save).
        self._pending: dict[str, tuple[Any, ...]] = {}
        # False once a batch could not be written: the rest wait for save, as one transaction.
        self._batches = True
        self._touched: dict[str, tuple[int, int] | tuple[None, None]] = {}
        # Entries kept by an early cutoff: their dependencies as they are now.
        self._retargeted: dict[str, list[list[Any]]] = {}

    # -- opening ---------------------------------------------------------------------------

    def _connection(self, create: bool) -> Any:
        """The database, or None: read only from a regular file below
        :data:`MAX_CACHE_BYTES` (a FIFO or a link to a device in its place would hang or never
        end); what is not wfcheck's database is replaced when writing."""
        if self._db is not None or (self._opened and not create):
            return self._db
        self._opened = True
        import sqlite3

        # The journals too: SQLite opens them without asking what they are.
        files = [f"{self.file}{suffix}" for suffix in ("", "-wal", "-shm")]
        if not os.path.lexists(self.file):
            if not create:
                return None
            if not all(map(_absent_or_regular, files)) and not self._discard():
                return None
        elif (not all(map(_absent_or_regular, files)) or self._damaged) and (
            not create or not self._discard()
        ):
            return None
        for attempt in range(2):
            try:
                self._db = self._open(sqlite3, create)
                return self._db
            except sqlite3.OperationalError:
                # Locked by another run for too long, read-only, cannot be opened: not now.
                return None
            except sqlite3.DatabaseError as exc:
                # Not a database, damaged, or another program's.
                if attempt == 0:
                    _warn(f"the cache {self.file} is damaged or not wfcheck's ({exc})")
                if not create or not self._discard():
                    return None
            except (sqlite3.Error, OSError, MemoryError):
                return None
        return None

    def _open(self, sqlite3: Any, create: bool) -> Any:
        mode = "rwc" if create else "rw"
        db = sqlite3.connect(
            f"{self.file.as_uri()}?mode={mode}", uri=True, timeout=_BUSY_SECONDS,
            isolation_level=None, check_same_thread=False,
        )
        try:
            application = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if (application, version) == (_APPLICATION_ID, _SCHEMA_VERSION):
                return db
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables or application:
                raise sqlite3.DatabaseError("not a wfcheck cache of this layout")
            if not create:
                db.close()
                return None
            # Readers never wait for a writer; a writer waits for another a little.
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA application_id={_APPLICATION_ID};"
                f"PRAGMA user_version={_SCHEMA_VERSION};COMMIT;"
            )
            return db
        except BaseException:
            db.close()
            raise

    def _close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._db.close()
        self._db = None

    def _discard(self) -> bool:
        """Remove what stands at the database's path (never a directory), and its journals."""
        try:
            if stat.S_ISDIR(os.lstat(self.file).st_mode):
                return False
        except OSError:
            pass
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{self.file}{suffix}")
            except FileNotFoundError:
                pass
            except OSError:
                return False
        self._damaged = False
        return True

    def _query(self, sql: str, *args: Any) -> Any:
        """One row, or None when there is none or the database cannot answer."""
        db = self._connection(create=False)
        if db is None:
            return None
        import sqlite3

        try:
            return db.execute(sql, args).fetchone()
        except sqlite3.OperationalError:
            return None
        except sqlite3.DatabaseError as exc:
            _warn(f"the cache {self.file} is damaged ({exc})")
            self._damaged = True
            self._close()
            return None
        except (sqlite3.Error, MemoryError):
            return None

    # -- reading ---------------------------------------------------------------------------

    # What a file is looked up and stored under (kept for each file of a run, not its stat).
    stamp = staticmethod(stamp)

    def lookup(self, absolute: str, display: str, st: Stamp) -> FileResult | None:
        """The stored result when the file and everything it depends on are unchanged."""
        row = self._query(
            "SELECT display, context, mtime, size, hash, deps, absent,"
            " CASE WHEN result IS NULL OR length(result) <= ? THEN result ELSE '!' END"
            " FROM entries WHERE path = ?",
            MAX_ENTRY_BYTES, absolute,
        )
        if row is None:
            return None
        try:
            return self._valid_result(absolute, display, st, *row)
        except (InvalidEntry, KeyError, TypeError, ValueError, AttributeError, IndexError,
                RecursionError, MemoryError, zlib.error):
            return None

    def _valid_result(
        self, absolute: str, display: str, st: Stamp,
        shown: Any, context: Any, mtime: Any, size: Any, content_hash: Any,
        deps: Any, absent: Any, result: Any,
    ) -> FileResult | None:
        if shown != display or context != self.context:
            return None
        _expect(content_hash, _OPTIONAL_STR)
        if (mtime, size) != st:
            if content_hash is None or _read_digest(absolute) != content_hash:
                return None
            self._touched[absolute] = _trusted_stamp(st)
        dependencies = _expect(json.loads(_expect(deps, str)), list)
        probes = _expect(json.loads(_expect(absent, str)), list)
        for probe in probes:
            path = self._path(_expect(probe, int))
            if path is None or not self._still_absent(path):
                return None
        now: list[list[Any]] = []
        for dependency in dependencies:
            number, read, interface = _expect(dependency, list)
            path = self._path(_expect(number, int))
            module = self._module(path) if path is not None else None
            if module is None or not self._same_module(module, _expect(read, str), interface):
                return None
            now.append([number, module.hash, self._interface(module)])
        found = (
            FileResult(display) if result is None
            else result_from_data(display, json.loads(_unpack(result)))
        )
        if now != dependencies:
            # Kept by an early cutoff: next time, against the modules as they are now.
            self._retargeted[absolute] = now
        return found

    def _path(self, number: int) -> str | None:
        if number not in self._path_of:
            row = self._query("SELECT path FROM paths WHERE id = ?", number)
            self._path_of[number] = row[0] if row is not None and isinstance(row[0], str) else None
        return self._path_of[number]

    def _still_absent(self, path: str) -> bool:
        """A candidate the analysis probed and did not find is still not a file."""
        if path not in self._absent:
            try:
                self._absent[path] = not stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                self._absent[path] = True
        return self._absent[path]

    def _same_module(self, module: _Module, read: str, interface: Any) -> bool:
        """Is a module the analysis read (hash ``read``) still the same to its dependents:
        the same bytes, bytes with the same interface digest (a comment or docstring edit),
        or bytes with the same effect digest (an edit inside a function that keeps what it
        does and where)?"""
        if module.hash == read:
            return True
        if isinstance(interface, str) and self._interface(module) == interface:
            return True
        key = (module.path, read)
        if key not in self._compared:
            self._compared[key] = self._same_effects(module, read)
        return self._compared[key]

    def _same_effects(self, module: _Module, read: str) -> bool:
        if self.effects is None or len(self._compared) > MAX_EFFECT_COMPARISONS:
            return False
        old = self._source(read)
        new = self._data(module)
        if old is None or new is None:
            return False
        before = self._effect(module.path, read, old)
        return before is not None and before == self._effect(module.path, module.hash, new)

    def _effect(self, path: str, hashed: str, data: bytes) -> str | None:
        key = (path, hashed)
        if key not in self._effects:
            assert self.effects is not None
            try:
                self._effects[key] = self.effects(path, data)
            except Exception:  # noqa: BLE001 - an analysis bug costs the cutoff, not the run
                self._effects[key] = None
        return self._effects[key]

    def _source(self, hashed: str) -> bytes | None:
        """The bytes with this hash, as a dependency held them when a result was stored."""
        row = self._query("SELECT data FROM sources WHERE hash = ?", hashed)
        try:
            data = _unpack(row[0]) if row is not None else None
        except (InvalidEntry, zlib.error, TypeError):
            return None
        return data if data is not None and digest(data) == hashed else None

    def _data(self, module: _Module) -> bytes | None:
        if module.data is None:
            data = _read_bytes(module.path)
            if data is not None and digest(data) == module.hash:
                module.data = data
        return module.data

    def _module(self, path: str) -> _Module | None:
        """A dependency as it is now, its hash from the stored row while its stat is unchanged
        (else from reading it), once per run."""
        if path in self._modules:
            return self._modules[path]
        module: _Module | None = None
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode):
            key = stamp(st)
            row = self._query(
                "SELECT m.mtime, m.size, m.hash, m.interface FROM modules m"
                " JOIN paths p ON p.id = m.id WHERE p.path = ?",
                path,
            )
            if row is not None and tuple(row[:2]) == key and isinstance(row[2], str):
                module = _Module(path, row[2], row[3] if isinstance(row[3], str) else None, key)
            else:
                data = _read_bytes(path)
                if data is not None:
                    module = _Module(
                        path, digest(data), stat=_trusted_stamp(stamp(st)), changed=True, data=data
                    )
                    if row is not None and row[2] == module.hash:
                        module.interface = row[3] if isinstance(row[3], str) else None
                    else:
                        module.interface = self.interface(path, data)
        self._modules[path] = module
        return module

    def _interface(self, module: _Module) -> str | None:
        if isinstance(module.interface, _Unknown):
            data = self._data(module)
            module.interface = self.interface(module.path, data) if data is not None else None
        return module.interface

    # -- writing ---------------------------------------------------------------------------

    def store(
        self, absolute: str, st: Stamp, result: FileResult, content_hash: str | None
    ) -> None:
        """Remember a fresh result (``content_hash``: of the bytes checked, for parsed files)."""
        if result.error is not None:
            return
        interesting = result.parsed or bool(result.diagnostics)
        reads = result.dependency_digests or (None,) * len(result.depends_on)
        dependencies: list[Dependency] = []
        absent: list[str] = []
        for path, read in zip(result.depends_on, reads):
            if read is None:
                absent.append(path)
            else:
                dependencies.append((path, read, self._interface_of_read(path, read)))
        # A fresh entry replaces what a look-up found of the file's old one.
        self._touched.pop(absolute, None)
        self._retargeted.pop(absolute, None)
        self._pending[absolute] = (
            result.path,
            self.context,
            *_trusted_stamp(st),
            content_hash if interesting else None,
            tuple(dependencies),
            tuple(absent),
            _pack(json.dumps(result_to_data(result), separators=(",", ":")).encode("utf-8"))
            if interesting else None,
        )
        if self._batches and len(self._pending) >= BATCH_ENTRIES:
            # Written now, with the modules read so far: a large run holds neither its fresh
            # entries (~1.7 KB a workflow file) nor the bytes of every helper it read (kept
            # for their ``sources`` row) to its end.
            modules = self._changed_modules()
            self._batches = self._transaction(lambda db: self._write_rows(db, modules))
            if self._batches:
                self._pending.clear()
                self._ids.clear()
                for module in modules:
                    module.changed, module.data = False, None

    def _interface_of_read(self, path: str, read: str) -> str | None:
        """The interface digest of the bytes the analysis read (hash ``read``), when the file
        still holds them; else None (only the same bytes will do)."""
        module = self._module(path)
        if module is None or module.hash != read:
            return None
        return self._interface(module)

    def save(self) -> None:
        """Write the rest of this run's rows (entries not written yet, changed stats and
        dependencies, the modules read) in one transaction, then close."""
        modules = self._changed_modules()
        if self._pending or self._touched or self._retargeted or modules:
            self._transaction(lambda db: self._write(db, modules))
        self._close()

    def _changed_modules(self) -> list[_Module]:
        return [m for m in self._modules.values() if m is not None and m.changed]

    def _transaction(self, write: Callable[[Any], None]) -> bool:
        """``write(db)`` in one transaction: another run writing at the same time makes this
        one wait (a little), and a write that fails is simply not kept. True when written."""
        db = self._writable()
        if db is None:
            return False
        try:
            db.execute("BEGIN IMMEDIATE")
            write(db)
            db.execute("COMMIT")
        except Exception:  # noqa: BLE001 - sqlite3.Error (locked, full, damaged), OSError
            with contextlib.suppress(Exception):  # no transaction left to roll back
                db.execute("ROLLBACK")
            # Path ids handed out in that transaction are gone with it.
            self._ids.clear()
            self._close()
            return False
        return True

    def _writable(self) -> Any:
        """The database to write to (made, in a directory marked as a cache, on first need),
        or None."""
        if self._db is not None:
            return self._db
        try:
            dedicated = _dedicated(self.directory)
            self.file.parent.mkdir(parents=True, exist_ok=True)
            if dedicated:
                _mark_cache_directory(self.directory)
        except OSError:
            return None
        return self._connection(create=True)

    def _number(self, db: Any, path: str) -> int:
        """The id of ``path`` in ``paths`` (added if new)."""
        if path not in self._ids:
            db.execute("INSERT OR IGNORE INTO paths (path) VALUES (?)", (path,))
            self._ids[path] = db.execute("SELECT id FROM paths WHERE path = ?", (path,)).fetchone()[0]
        return self._ids[path]

    def _write_rows(self, db: Any, modules: list[_Module]) -> None:
        """The pending entries, and ``modules`` with their sources."""
        for absolute, (display, context, mtime, size, hashed, deps, absent, result) in (
            self._pending.items()
        ):
            db.execute(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    absolute, display, context, mtime, size, hashed,
                    json.dumps(
                        [[self._number(db, p), h, i] for p, h, i in deps], separators=(",", ":")
                    ),
                    json.dumps([self._number(db, p) for p in absent], separators=(",", ":")),
                    result,
                ),
            )
        for module in modules:
            interface = None if isinstance(module.interface, _Unknown) else module.interface
            db.execute(
                "INSERT OR REPLACE INTO modules VALUES (?, ?, ?, ?, ?)",
                (self._number(db, module.path), *module.stat, module.hash, interface),
            )
            if module.data is not None:
                # Kept so that a later edit's effects can be compared with these.
                db.execute(
                    "INSERT OR IGNORE INTO sources VALUES (?, ?)",
                    (module.hash, _pack(module.data)),
                )

    def _write(self, db: Any, modules: list[_Module]) -> None:
        self._write_rows(db, modules)
        for absolute, (mtime, size) in self._touched.items():
            db.execute(
                "UPDATE entries SET mtime = ?, size = ? WHERE path = ?", (mtime, size, absolute)
            )
        for absolute, now in self._retargeted.items():
            db.execute(
                "UPDATE entries SET deps = ? WHERE path = ?",
                (json.dumps(now, separators=(",", ":")), absolute),
            )
        _prune(db)


def _prune(db: Any) -> None:
    """Rows for files that are gone (deleted, renamed, on another branch: a miss if they come
    back), and module sources nothing refers to any more (an edited helper's old version,
    once every result read from it is rechecked): without this the database only grows. A
    stat per stored file, only in a run that writes."""
    gone = [
        (path,) for (path,) in db.execute("SELECT path FROM entries") if not os.path.lexists(path)
    ]
    db.executemany("DELETE FROM entries WHERE path = ?", gone)
    vanished = [
        (number,)
        for number, path in db.execute("SELECT modules.id, path FROM modules JOIN paths USING (id)")
        if not os.path.lexists(path)
    ]
    db.executemany("DELETE FROM modules WHERE id = ?", vanished)
    # A source stays while a module is that version now or a result was read from it (a
    # later edit's effects are compared with the version a result read).
    used = {hashed for (hashed,) in db.execute("SELECT hash FROM modules")}
    for (deps,) in db.execute("SELECT deps FROM entries"):
        used.update(hashed for _, hashed, _ in json.loads(deps))
    stale = [(hashed,) for (hashed,) in db.execute("SELECT hash FROM sources") if hashed not in used]
    db.executemany("DELETE FROM sources WHERE hash = ?", stale)


def _pack(data: bytes) -> bytes:
    """Bytes as stored (a result's JSON, a dependency's source): compressed, a quarter of
    the size; read back by :func:`_unpack`."""
    return zlib.compress(data, 1)


def _unpack(blob: Any) -> bytes:
    """Bytes :func:`_pack` stored; never more than :data:`MAX_ENTRY_BYTES` of them."""
    inflate = zlib.decompressobj()
    data = inflate.decompress(_expect(blob, bytes), MAX_ENTRY_BYTES)
    if inflate.unconsumed_tail or not inflate.eof:
        raise InvalidEntry("a stored value too large or cut short")
    return data


def _absent_or_regular(path: str) -> bool:
    """Nothing at ``path``, or a regular file below :data:`MAX_CACHE_BYTES`."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= MAX_CACHE_BYTES


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


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
