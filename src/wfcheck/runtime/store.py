"""Where histories live: a SQLite file (WAL; each step's events in one transaction) or memory.

An instance has a row of metadata and, per *generation* (continue-as-new starts a new one),
an append-only list of events. External events raised from outside wait in an inbox until a
worker consumes them, in the same transaction that appends them to the history.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from wfcheck.runtime.errors import InstanceNotFoundError
from wfcheck.runtime.history import Event, history_from_json, history_to_json

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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Store:
    """The interface both stores implement."""

    def create(self, record: InstanceRecord, events: Sequence[Event], *, replace: bool = False) -> None:
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
        """Number of events recorded for one generation."""
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
            self._import(record, [(int(g), history_from_json(evs)) for g, evs in gens])
        return str(document["root"])

    def _import(self, record: InstanceRecord, generations: list[tuple[int, list[Event]]]) -> None:
        raise NotImplementedError


class MemoryStore(Store):
    def __init__(self) -> None:
        self._records: dict[str, InstanceRecord] = {}
        self._events: dict[tuple[str, int], list[Event]] = {}
        self._inbox: list[tuple[int, str, str, Any]] = []
        self._next_inbox = 1
        self._lock = threading.Lock()

    def create(self, record: InstanceRecord, events: Sequence[Event], *, replace: bool = False) -> None:
        with self._lock:
            if record.instance_id in self._records and not replace:
                raise ValueError(f"instance {record.instance_id!r} already exists")
            for key in [k for k in self._events if k[0] == record.instance_id]:
                del self._events[key]
            record = dataclasses.replace(record, created_at=record.created_at or _now(), updated_at=_now())
            self._records[record.instance_id] = record
            self._events[(record.instance_id, record.generation)] = list(events)

    def commit(self, instance_id: str, commit: Commit) -> None:
        with self._lock:
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
"""

_JSON_COLUMNS = ("input", "output", "error", "custom_status")


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class SQLiteStore(Store):
    """A SQLite file in WAL mode. ``synchronous=NORMAL``: a committed step survives the
    process being killed (SIGKILL); only an OS crash or power loss may lose the last steps."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self_inner):
                store._lock.acquire()
                store._conn.execute("BEGIN IMMEDIATE")
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

    def create(self, record: InstanceRecord, events: Sequence[Event], *, replace: bool = False) -> None:
        with self._transaction() as conn:
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

    def commit(self, instance_id: str, commit: Commit) -> None:
        with self._transaction() as conn:
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
            values[key] = _load(values[key])
        return InstanceRecord(**values)

    _SELECT = (
        "SELECT instance_id, name, status, generation, input, output, error, custom_status, target,"
        " parent_id, parent_seq, created_at, updated_at FROM instances"
    )

    def get(self, instance_id: str) -> InstanceRecord:
        with self._lock:
            row = self._conn.execute(self._SELECT + " WHERE instance_id = ?", (instance_id,)).fetchone()
        if row is None:
            raise InstanceNotFoundError(instance_id)
        return self._row_to_record(row)

    def history(self, instance_id: str, generation: int | None = None) -> list[Event]:
        if generation is None:
            generation = self.get(instance_id).generation
        with self._lock:
            rows = self._conn.execute(
                "SELECT body FROM events WHERE instance_id = ? AND generation = ? ORDER BY idx",
                (instance_id, generation),
            ).fetchall()
        return [Event.from_dict(json.loads(body)) for (body,) in rows]

    def generations(self, instance_id: str) -> list[int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT generation FROM events WHERE instance_id = ? ORDER BY generation",
                (instance_id,),
            ).fetchall()
        return [g for (g,) in rows]

    def count(self, instance_id: str, generation: int) -> int:
        with self._lock:
            (n,) = self._conn.execute(
                "SELECT COUNT(*) FROM events WHERE instance_id = ? AND generation = ?",
                (instance_id, generation),
            ).fetchone()
        return int(n)

    def instances(self) -> list[InstanceRecord]:
        with self._lock:
            rows = self._conn.execute(self._SELECT + " ORDER BY created_at, instance_id").fetchall()
        return [self._row_to_record(row) for row in rows]

    def children(self, instance_id: str) -> list[InstanceRecord]:
        with self._lock:
            rows = self._conn.execute(
                self._SELECT + " WHERE parent_id = ? ORDER BY created_at", (instance_id,)
            ).fetchall()
        return [self._row_to_record(row) for row in rows]

    def enqueue_event(self, instance_id: str, name: str, data: Any) -> int:
        self.get(instance_id)
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO inbox (instance_id, name, data, created_at) VALUES (?, ?, ?, ?)",
                (instance_id, name, _dump(data), _now()),
            )
            return int(cursor.lastrowid)

    def inbox(self, instance_id: str) -> list[tuple[int, str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, data FROM inbox WHERE instance_id = ? ORDER BY id", (instance_id,)
            ).fetchall()
        return [(i, n, _load(d)) for (i, n, d) in rows]

    def _import(self, record: InstanceRecord, generations: list[tuple[int, list[Event]]]) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM events WHERE instance_id = ?", (record.instance_id,))
            self._write_record(conn, record)
            for generation, events in generations:
                self._append(conn, record.instance_id, generation, events)


def open_store(path: str | None) -> Store:
    """``None`` or ``":memory:"`` gives a :class:`MemoryStore`, anything else a SQLite file."""
    if path is None or path == ":memory:":
        return MemoryStore()
    return SQLiteStore(path)
