"""Stores: SQLite and memory behave alike; a step is one transaction; JSON export/import."""

from __future__ import annotations

import json
import sqlite3

import pytest
from runtime_helpers import done, ev, sched, started

from wfcheck.runtime import Event, MemoryStore, SQLiteStore
from wfcheck.runtime.errors import InstanceNotFoundError
from wfcheck.runtime.history import history_from_json, history_to_json
from wfcheck.runtime.store import Commit, InstanceRecord


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryStore()
    else:
        s = SQLiteStore(str(tmp_path / "h.db"))
        yield s
        s.close()


def test_every_event_kind_round_trips_through_json():
    events = [
        started({"a": [1, 2]}),
        sched(1, "act", "x"),
        done(1, {"r": None}),
        ev("activity_failed", seq=2, error={"type": "E", "message": "m", "traceback": "tb"}),
        ev("timer_created", seq=3, fire_at="2026-01-02T00:00:00+00:00"),
        ev("timer_fired", seq=3, fire_at="2026-01-02T00:00:00+00:00"),
        ev("event_raised", name="go", data=[1]),
        ev("child_workflow_scheduled", seq=4, name="c", input=1, instance_id="i-1:0004"),
        ev("child_workflow_completed", seq=4, result=2),
        ev("child_workflow_failed", seq=5, error={"type": "E", "message": "m"}),
        ev("continued_as_new", input=3, events=[{"name": "go", "data": 1}]),
        ev("workflow_completed", result="done"),
        ev("workflow_failed", error={"type": "E", "message": "m"}),
    ]
    text = json.dumps(history_to_json(events))
    assert history_from_json(json.loads(text)) == events


def test_unknown_kinds_and_fields_are_rejected():
    with pytest.raises(ValueError):
        Event.from_dict({"kind": "nope", "timestamp": "t"})
    with pytest.raises(ValueError):
        Event.from_dict({"kind": "workflow_started", "timestamp": "t", "colour": "red"})


def test_create_commit_history_and_inbox(store):
    store.create(InstanceRecord("i-1", "wf", input=3), [started(3), sched(1, "a", 3)])
    ident = store.enqueue_event("i-1", "go", {"x": 1})
    assert store.inbox("i-1") == [(ident, "go", {"x": 1})]
    store.commit(
        "i-1", Commit(events=[done(1, 6)], status="running", custom_status="half", consumed_inbox=[ident])
    )
    assert [e.kind for e in store.history("i-1")] == [
        "workflow_started",
        "activity_scheduled",
        "activity_completed",
    ]
    assert store.inbox("i-1") == []
    record = store.get("i-1")
    assert (record.status, record.custom_status, record.input) == ("running", "half", 3)
    with pytest.raises(ValueError):
        store.create(InstanceRecord("i-1", "wf"), [])
    with pytest.raises(InstanceNotFoundError):
        store.get("nope")


def test_continue_as_new_starts_a_new_generation(store):
    store.create(InstanceRecord("i-1", "wf", input=0), [started(0)])
    store.commit(
        "i-1",
        Commit(
            events=[ev("continued_as_new", input=1)],
            status="running",
            next_generation=[started(1)],
            next_input=1,
        ),
    )
    assert store.generations("i-1") == [0, 1]
    assert store.get("i-1").generation == 1
    assert [e.kind for e in store.history("i-1", 0)] == ["workflow_started", "continued_as_new"]
    assert store.history("i-1") == [started(1)]


def test_export_import_round_trip_with_children(store, tmp_path):
    store.create(InstanceRecord("p", "wf"), [started()])
    store.create(InstanceRecord("p:0001", "child", parent_id="p", parent_seq=1), [started(name="child")])
    document = json.loads(json.dumps(store.export_json("p")))
    assert [i["record"]["instance_id"] for i in document["instances"]] == ["p", "p:0001"]
    other = SQLiteStore(str(tmp_path / "other.db"))
    assert other.import_json(document) == "p"
    assert other.history("p:0001") == store.history("p:0001")
    assert other.get("p:0001").parent_id == "p"
    other.close()


def test_sqlite_uses_wal_and_a_failed_step_appends_nothing(tmp_path):
    path = str(tmp_path / "h.db")
    store = SQLiteStore(path)
    store.create(InstanceRecord("i-1", "wf"), [started()])
    bad = Event("activity_completed", "t", seq=1, result=object())  # not JSON-serialisable
    with pytest.raises(TypeError):
        store.commit("i-1", Commit(events=[sched(1, "a"), bad], status="completed"))
    assert store.history("i-1") == [started()]
    assert store.get("i-1").status == "running"
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_sqlite_persists_across_connections(tmp_path):
    path = str(tmp_path / "h.db")
    first = SQLiteStore(path)
    first.create(InstanceRecord("i-1", "wf"), [started(), sched(1, "a")])
    first.close()
    second = SQLiteStore(path)
    assert [e.kind for e in second.history("i-1")] == ["workflow_started", "activity_scheduled"]
    assert [r.instance_id for r in second.instances()] == ["i-1"]
    second.close()
