"""Where histories live: a SQLite file (WAL; each step's events in one transaction) or memory.

An instance has a row of metadata and, per *generation* (continue-as-new starts a new one),
an append-only list of events. External events raised from outside wait in an inbox until a
worker consumes them, in the same transaction that appends them to the history.

One process at a time advances an instance: a worker holds the instance's *lease* (owner
token, pid, host, expiry) while it runs it, and every write it makes checks, in the same
transaction, that it still holds it. A lease whose process is dead (same host) or whose
expiry has passed is taken over. A damaged store (not SQLite, corrupt pages, an event that is
not valid JSON or of an unknown kind, a missing event) raises :class:`StoreError`, never a
non-determinism error.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

from wfcheck.runtime.errors import (
    DamagedHistoryError,
    InstanceLeasedError,
    InstanceNotFoundError,
    LeaseLostError,
    StoreError,
)
from wfcheck.runtime.history import Event, find_damage, history_from_json, history_to_json

EXPORT_FORMAT = "wfcheck-history/1"


@dataclasses.dataclass
class InstanceRecord:
    instance_id: str
    name: str
    status: str = "running"
    generation: int = 0
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    custom_status: Any = None
    target: str | None = None
    parent_id: str | None = None
    parent_seq: int | None = None
    created_at: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Commit:
    """One step's changes to one instance, applied atomically."""

    events: Sequence[Event]
    status: str
    output: Any = None
    error: dict[str, Any] | None = None
    custom_status: Any = None
    consumed_inbox: Sequence[int] = ()
    # continue-as-new: the first events of the next generation and its input
    next_generation: Sequence[Event] | None = None
    next_input: Any = None
    # the writer: the commit is refused (LeaseLostError) unless it still holds the lease
    owner: Owner | None = None


@dataclasses.dataclass(frozen=True)
class Owner:
    """Who holds a lease: a token unique to one worker, and where it runs (for messages and
    for telling a dead holder from a live one)."""

    token: str
    pid: int
    host: str

    @classmethod
    def this_process(cls) -> Owner:
        return cls(uuid.uuid4().hex, os.getpid(), socket.gethostname())


LEASE_SECONDS = 30.0


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return True  # cannot tell (e.g. Windows): rely on the expiry
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            state = handle.read().rsplit(")", 1)[-1].split()[:1]
    except OSError:
        return True
    return state != ["Z"]


def lease_is_stale(pid: int, host: str, expires: float, now: float | None = None) -> bool:
    """A lease may be taken over when it expired or its process died (same host only: a
    pid on another machine cannot be checked)."""
    if expires < (time.time() if now is None else now):
        return True
    return host == socket.gethostname() and not process_alive(pid)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Store:
    """The interface both stores implement."""

    def create(
        self,
        record: InstanceRecord,
        events: Sequence[Event],
        *,
        replace: bool = False,
        owner: Owner | None = None,
    ) -> None:
        raise NotImplementedError

    def commit(self, instance_id: str, commit: Commit) -> None:
        raise NotImplementedError

    def get(self, instance_id: str) -> InstanceRecord:
        raise NotImplementedError

    def find(self, instance_id: str) -> InstanceRecord | None:
        try:
            return self.get(instance_id)
        except InstanceNotFoundError:
            return None

    def history(self, instance_id: str, generation: int | None = None) -> list[Event]:
        raise NotImplementedError

    def generations(self, instance_id: str) -> list[int]:
        raise NotImplementedError

    def count(self, instance_id: str, generation: int) -> int:
        """Number of events recorded for one generation (cheap: not a scan)."""
        raise NotImplementedError

    def acquire_lease(self, instance_id: str, owner: Owner, ttl: float = LEASE_SECONDS) -> None:
        """Take (or renew) the single-writer lease of ``instance_id``; raises
        :class:`InstanceLeasedError` naming the holder when a live process holds it."""
        raise NotImplementedError

    def renew_leases(self, owner: Owner, ttl: float = LEASE_SECONDS) -> None:
        """Push back the expiry of every lease ``owner`` holds."""
        raise NotImplementedError

    def release_leases(self, owner: Owner) -> None:
        raise NotImplementedError

    def instances(self) -> list[InstanceRecord]:
        raise NotImplementedError

    def enqueue_event(self, instance_id: str, name: str, data: Any) -> int:
        raise NotImplementedError

    def inbox(self, instance_id: str) -> list[tuple[int, str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    # -- shared ---------------------------------------------------------------------------------

    def children(self, instance_id: str) -> list[InstanceRecord]:
        return [r for r in self.instances() if r.parent_id == instance_id]

    def family(self, instance_id: str) -> list[InstanceRecord]:
        """The instance and all its descendants, parents first."""
        out = [self.get(instance_id)]
        i = 0
        while i < len(out):
            out.extend(self.children(out[i].instance_id))
            i += 1
        return out

    def export_json(self, instance_id: str) -> dict[str, Any]:
        instances = []
        for record in self.family(instance_id):
            generations = {
                str(g): history_to_json(self.history(record.instance_id, g))
                for g in self.generations(record.instance_id)
            }
            instances.append({"record": record.to_dict(), "generations": generations})
        return {"format": EXPORT_FORMAT, "root": instance_id, "instances": instances}

    def import_json(self, document: dict[str, Any]) -> str:
        if document.get("format") != EXPORT_FORMAT:
            raise ValueError(f"not a {EXPORT_FORMAT} document")
        for item in document["instances"]:
            record = InstanceRecord(**item["record"])
            gens = sorted(item["generations"].items(), key=lambda kv: int(kv[0]))
            histories = [(int(g), history_from_json(evs)) for g, evs in gens]
            for generation, events in histories:
                damage = find_damage(events)
                if damage is not None:
                    raise ValueError(
                        f"instance {record.instance_id!r} generation {generation}: damaged history: {damage}"
                    )
            self._import(record, histories)
        return str(document["root"])

    def _import(self, record: InstanceRecord, generations: list[tuple[int, list[Event]]]) -> None:
        raise NotImplementedError


class MemoryStore(Store):
    def __init__(self) -> None:
        self._records: dict[str, InstanceRecord] = {}
        self._events: dict[tuple[str, int], list[Event]] = {}
        self._inbox: list[tuple[int, str, str, Any]] = []
        self._next_inbox = 1
        self._leases: dict[str, tuple[Owner, float]] = {}
        self._lock = threading.Lock()

    def _check_lease(self, instance_id: str, owner: Owner | None) -> None:
        if owner is None:
            return
        held = self._leases.get(instance_id)
        if held is None or held[0].token != owner.token:
            holder = held[0] if held else owner
            raise LeaseLostError(instance_id, holder.pid, holder.host)

    def acquire_lease(self, instance_id: str, owner: Owner, ttl: float = LEASE_SECONDS) -> None:
        with self._lock:
            held = self._leases.get(instance_id)
            if held is not None and held[0].token != owner.token:
                holder, expires = held
                if not lease_is_stale(holder.pid, holder.host, expires):
                    raise InstanceLeasedError(instance_id, holder.pid, holder.host)
            self._leases[instance_id] = (owner, time.time() + ttl)

    def renew_leases(self, owner: Owner, ttl: float = LEASE_SECONDS) -> None:
        with self._lock:
            for key, (holder, _) in list(self._leases.items()):
                if holder.token == owner.token:
                    self._leases[key] = (holder, time.time() + ttl)

    def release_leases(self, owner: Owner) -> None:
        with self._lock:
            for key in [k for k, (holder, _) in self._leases.items() if holder.token == owner.token]:
                del self._leases[key]

    def create(
        self,
        record: InstanceRecord,
        events: Sequence[Event],
        *,
        replace: bool = False,
        owner: Owner | None = None,
    ) -> None:
        with self._lock:
            self._check_lease(record.instance_id, owner)
            if record.instance_id in self._records and not replace:
                raise ValueError(f"instance {record.instance_id!r} already exists")
            for key in [k for k in self._events if k[0] == record.instance_id]:
                del self._events[key]
            record = dataclasses.replace(record, created_at=record.created_at or _now(), updated_at=_now())
            self._records[record.instance_id] = record
            self._events[(record.instance_id, record.generation)] = list(events)

    def commit(self, instance_id: str, commit: Commit) -> None:
        with self._lock:
            self._check_lease(instance_id, commit.owner)
            record = self._records.get(instance_id)
            if record is None:
                raise InstanceNotFoundError(instance_id)
            self._events.setdefault((instance_id, record.generation), []).extend(commit.events)
            changes: dict[str, Any] = dict(
                status=commit.status,
                output=commit.output,
                error=commit.error,
                custom_status=commit.custom_status,
                updated_at=_now(),
            )
            if commit.next_generation is not None:
                changes["generation"] = record.generation + 1
                changes["input"] = commit.next_input
                self._events[(instance_id, record.generation + 1)] = list(commit.next_generation)
            self._records[instance_id] = dataclasses.replace(record, **changes)
            consumed = set(commit.consumed_inbox)
            self._inbox = [item for item in self._inbox if item[0] not in consumed]

    def get(self, instance_id: str) -> InstanceRecord:
        record = self._records.get(instance_id)
        if record is None:
            raise InstanceNotFoundError(instance_id)
        return record

    def history(self, instance_id: str, generation: int | None = None) -> list[Event]:
        if generation is None:
            generation = self.get(instance_id).generation
        return list(self._events.get((instance_id, generation), []))

    def generations(self, instance_id: str) -> list[int]:
        return sorted(g for (i, g) in self._events if i == instance_id)

    def count(self, instance_id: str, generation: int) -> int:
        return len(self._events.get((instance_id, generation), []))

    def instances(self) -> list[InstanceRecord]:
        return sorted(self._records.values(), key=lambda r: (r.created_at, r.instance_id))

    def enqueue_event(self, instance_id: str, name: str, data: Any) -> int:
        self.get(instance_id)
        with self._lock:
            ident = self._next_inbox
            self._next_inbox += 1
            self._inbox.append((ident, instance_id, name, data))
            return ident

    def inbox(self, instance_id: str) -> list[tuple[int, str, Any]]:
        return [(i, n, d) for (i, inst, n, d) in self._inbox if inst == instance_id]

    def _import(self, record: InstanceRecord, generations: list[tuple[int, list[Event]]]) -> None:
        with self._lock:
            self._records[record.instance_id] = record
            for generation, events in generations:
                self._events[(record.instance_id, generation)] = list(events)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    generation INTEGER NOT NULL,
    input TEXT, output TEXT, error TEXT, custom_status TEXT,
    target TEXT, parent_id TEXT, parent_seq INTEGER,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    instance_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (instance_id, generation, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    instance_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    expires REAL NOT NULL
);
"""

_JSON_COLUMNS = ("input", "output", "error", "custom_status")
_TABLES = ("instances", "events", "inbox")
_ENDED = ("completed", "failed")


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


F = TypeVar("F", bound=Callable[..., Any])


def _guarded(method: F) -> F:
    """SQLite's own errors (not a database, malformed pages, I/O) become :class:`StoreError`."""

    @functools.wraps(method)
    def call(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"history store {self.path}: {exc}") from None

    return call  # type: ignore[return-value]


class SQLiteStore(Store):
    """A SQLite file in WAL mode. ``synchronous=NORMAL``: a committed step survives the
    process being killed (SIGKILL); only an OS crash or power loss may lose the last steps.

    ``create=False`` opens an existing store only: a missing file or a SQLite file without
    this runtime's tables is a :class:`StoreError`, and nothing is created."""

    def __init__(self, path: str, *, create: bool = True, lease_seconds: float = LEASE_SECONDS) -> None:
        self.path = path
        self.lease_seconds = lease_seconds
        if not create and not os.path.isfile(path):
            raise StoreError(f"no history store at {path}")
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open history store {path}: {exc}") from None
        try:
            self._conn.execute("PRAGMA busy_timeout=30000")
            if not create:
                tables = {
                    name
                    for (name,) in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
                if not set(_TABLES) <= tables:
                    raise StoreError(f"{path} is a SQLite file but not a wfcheck history store")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{path} is not a usable wfcheck history store: {exc}") from None
        except StoreError:
            self._conn.close()
            raise
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self_inner):
                store._lock.acquire()
                try:
                    store._conn.execute("BEGIN IMMEDIATE")
                except BaseException:
                    store._lock.release()
                    raise
                return store._conn

            def __exit__(self_inner, exc_type, exc, tb):
                try:
                    store._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
                finally:
                    store._lock.release()
                return False

        return _Tx()

    @staticmethod
    def _append(conn: sqlite3.Connection, instance_id: str, generation: int, events: Iterable[Event]) -> None:
        (start,) = conn.execute(
            "SELECT COALESCE(MAX(idx) + 1, 0) FROM events WHERE instance_id = ? AND generation = ?",
            (instance_id, generation),
        ).fetchone()
        conn.executemany(
            "INSERT INTO events (instance_id, generation, idx, body) VALUES (?, ?, ?, ?)",
            [
                (instance_id, generation, start + i, json.dumps(event.to_dict(), separators=(",", ":")))
                for i, event in enumerate(events)
            ],
        )

    def _check_lease(self, conn: sqlite3.Connection, instance_id: str, owner: Owner | None) -> None:
        """Inside a write transaction: refuse unless ``owner`` still holds the lease; renew it."""
        if owner is None:
            return
        row = conn.execute(
            "SELECT token, pid, host FROM leases WHERE instance_id = ?", (instance_id,)
        ).fetchone()
        if row is None or row[0] != owner.token:
            pid, host = (row[1], row[2]) if row is not None else (0, "nobody")
            raise LeaseLostError(instance_id, pid, host)
        conn.execute(
            "UPDATE leases SET expires = ? WHERE instance_id = ?",
            (time.time() + self.lease_seconds, instance_id),
        )

    @_guarded
    def acquire_lease(self, instance_id: str, owner: Owner, ttl: float | None = None) -> None:
        ttl = self.lease_seconds if ttl is None else ttl
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT token, pid, host, expires FROM leases WHERE instance_id = ?", (instance_id,)
            ).fetchone()
            if row is not None and row[0] != owner.token and not lease_is_stale(row[1], row[2], row[3]):
                raise InstanceLeasedError(instance_id, row[1], row[2])
            conn.execute(
                "INSERT OR REPLACE INTO leases (instance_id, token, pid, host, expires)"
                " VALUES (?, ?, ?, ?, ?)",
                (instance_id, owner.token, owner.pid, owner.host, time.time() + ttl),
            )

    @_guarded
    def renew_leases(self, owner: Owner, ttl: float | None = None) -> None:
        ttl = self.lease_seconds if ttl is None else ttl
        with self._transaction() as conn:
            conn.execute("UPDATE leases SET expires = ? WHERE token = ?", (time.time() + ttl, owner.token))

    @_guarded
    def release_leases(self, owner: Owner) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM leases WHERE token = ?", (owner.token,))

    def _write_record(self, conn: sqlite3.Connection, record: InstanceRecord) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO instances (instance_id, name, status, generation, input, output, error,"
            " custom_status, target, parent_id, parent_seq, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.instance_id,
                record.name,
                record.status,
                record.generation,
                _dump(record.input),
                _dump(record.output),
                _dump(record.error),
                _dump(record.custom_status),
                record.target,
                record.parent_id,
                record.parent_seq,
                record.created_at or _now(),
                record.updated_at or _now(),
            ),
        )

    @_guarded
    def create(
        self,
        record: InstanceRecord,
        events: Sequence[Event],
        *,
        replace: bool = False,
        owner: Owner | None = None,
    ) -> None:
        with self._transaction() as conn:
            self._check_lease(conn, record.instance_id, owner)
            exists = conn.execute(
                "SELECT 1 FROM instances WHERE instance_id = ?", (record.instance_id,)
            ).fetchone()
            if exists and not replace:
                raise ValueError(f"instance {record.instance_id!r} already exists")
            conn.execute("DELETE FROM events WHERE instance_id = ?", (record.instance_id,))
            self._write_record(
                conn, dataclasses.replace(record, created_at=record.created_at or _now(), updated_at=_now())
            )
            self._append(conn, record.instance_id, record.generation, events)

    @_guarded
    def commit(self, instance_id: str, commit: Commit) -> None:
        with self._transaction() as conn:
            self._check_lease(conn, instance_id, commit.owner)
            row = conn.execute(
                "SELECT generation FROM instances WHERE instance_id = ?", (instance_id,)
            ).fetchone()
            if row is None:
                raise InstanceNotFoundError(instance_id)
            generation = row[0]
            self._append(conn, instance_id, generation, commit.events)
            sets = "status = ?, output = ?, error = ?, custom_status = ?, updated_at = ?"
            values: list[Any] = [
                commit.status,
                _dump(commit.output),
                _dump(commit.error),
                _dump(commit.custom_status),
                _now(),
            ]
            if commit.next_generation is not None:
                self._append(conn, instance_id, generation + 1, commit.next_generation)
                sets += ", generation = ?, input = ?"
                values += [generation + 1, _dump(commit.next_input)]
            conn.execute(f"UPDATE instances SET {sets} WHERE instance_id = ?", (*values, instance_id))
            if commit.consumed_inbox:
                conn.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in commit.consumed_inbox])

    def _row_to_record(self, row: sqlite3.Row) -> InstanceRecord:
        keys = [
            "instance_id",
            "name",
            "status",
            "generation",
            "input",
            "output",
            "error",
            "custom_status",
            "target",
            "parent_id",
            "parent_seq",
            "created_at",
            "updated_at",
        ]
        values = dict(zip(keys, row))
        for key in _JSON_COLUMNS:
            try:
                values[key] = _load(values[key])
            except (ValueError, RecursionError) as exc:
                raise StoreError(
                    f"history store {self.path}: the {key} of instance {values['instance_id']!r}"
                    f" is not valid JSON ({_reason(exc)})"
                ) from None
        return InstanceRecord(**values)

    _SELECT = (
        "SELECT instance_id, name, status, generation, input, output, error, custom_status, target,"
        " parent_id, parent_seq, created_at, updated_at FROM instances"
    )

    @_guarded
    def get(self, instance_id: str) -> InstanceRecord:
        with self._lock:
            row = self._conn.execute(self._SELECT + " WHERE instance_id = ?", (instance_id,)).fetchone()
        if row is None:
            raise InstanceNotFoundError(instance_id)
        return self._row_to_record(row)

    @_guarded
    def history(self, instance_id: str, generation: int | None = None) -> list[Event]:
        """The events of one generation (default: the current one). Raises
        :class:`DamagedHistoryError` when an event is unreadable or missing, or the history
        is impossible whatever the code (see :func:`find_damage`)."""
        record = self.get(instance_id)
        if generation is None:
            generation = record.generation
        with self._lock:
            rows = self._conn.execute(
                "SELECT idx, body FROM events WHERE instance_id = ? AND generation = ? ORDER BY idx",
                (instance_id, generation),
            ).fetchall()
        where = f"history store {self.path}: instance {instance_id!r}" + (
            f" generation {generation}" if generation else ""
        )
        events = []
        for position, (idx, body) in enumerate(rows):
            if idx != position:
                missing = f"#{position}" if idx == position + 1 else f"#{position}-#{idx - 1}"
                raise DamagedHistoryError(f"{where}: event {missing} is missing from the history")
            try:
                raw = json.loads(body)
            except (ValueError, RecursionError) as exc:
                raise DamagedHistoryError(
                    f"{where}: event #{idx} is not valid JSON ({_reason(exc)})"
                ) from None
            try:
                if not isinstance(raw, dict):
                    raise ValueError(f"a JSON {type(raw).__name__}, not an object")
                events.append(Event.from_dict(raw))
            except (TypeError, ValueError) as exc:
                raise DamagedHistoryError(f"{where}: event #{idx} is not a history event: {exc}") from None
        damage = find_damage(events)
        ended = bool(events) and events[-1].kind in ("workflow_completed", "workflow_failed")
        if damage is None and generation == record.generation and record.status in _ENDED and not ended:
            damage = f"the instance is {record.status} but its history does not end"
        if damage is not None:
            raise DamagedHistoryError(f"{where}: damaged history: {damage}")
        return events

    @_guarded
    def generations(self, instance_id: str) -> list[int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT generation FROM events WHERE instance_id = ? ORDER BY generation",
                (instance_id,),
            ).fetchall()
        return [g for (g,) in rows]

    @_guarded
    def count(self, instance_id: str, generation: int) -> int:
        # MAX over the primary key is one index lookup; COUNT(*) would scan every event
        with self._lock:
            (last,) = self._conn.execute(
                "SELECT MAX(idx) FROM events WHERE instance_id = ? AND generation = ?",
                (instance_id, generation),
            ).fetchone()
        return 0 if last is None else int(last) + 1

    @_guarded
    def instances(self) -> list[InstanceRecord]:
        with self._lock:
            rows = self._conn.execute(self._SELECT + " ORDER BY created_at, instance_id").fetchall()
        return [self._row_to_record(row) for row in rows]

    @_guarded
    def children(self, instance_id: str) -> list[InstanceRecord]:
        with self._lock:
            rows = self._conn.execute(
                self._SELECT + " WHERE parent_id = ? ORDER BY created_at", (instance_id,)
            ).fetchall()
        return [self._row_to_record(row) for row in rows]

    @_guarded
    def enqueue_event(self, instance_id: str, name: str, data: Any) -> int:
        self.get(instance_id)
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO inbox (instance_id, name, data, created_at) VALUES (?, ?, ?, ?)",
                (instance_id, name, _dump(data), _now()),
            )
            return int(cursor.lastrowid or 0)

    @_guarded
    def inbox(self, instance_id: str) -> list[tuple[int, str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, data FROM inbox WHERE instance_id = ? ORDER BY id", (instance_id,)
            ).fetchall()
        out = []
        for ident, name, data in rows:
            try:
                out.append((ident, name, _load(data)))
            except (ValueError, RecursionError) as exc:
                raise StoreError(
                    f"history store {self.path}: queued event {name!r} of instance {instance_id!r}"
                    f" is not valid JSON ({_reason(exc)})"
                ) from None
        return out

    @_guarded
    def _import(self, record: InstanceRecord, generations: list[tuple[int, list[Event]]]) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM events WHERE instance_id = ?", (record.instance_id,))
            self._write_record(conn, record)
            for generation, events in generations:
                self._append(conn, record.instance_id, generation, events)


def _reason(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def open_store(path: str | None, *, create: bool = True) -> Store:
    """``None`` or ``":memory:"`` gives a :class:`MemoryStore`, anything else a SQLite file
    (``create=False``: an existing one only)."""
    if path is None or path == ":memory:":
        return MemoryStore()
    return SQLiteStore(path, create=create)
