"""Damaged stores and usage errors: one line on stderr, exit 2, never blamed on the code."""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest
from click.testing import CliRunner
from runtime_helpers import app, done, sched, started

from wfcheck.runtime import MemoryStore, SQLiteStore
from wfcheck.runtime.cli import replay
from wfcheck.runtime.errors import DamagedHistoryError, StoreError
from wfcheck.runtime.history import find_damage

CLI_APP = app("cli_app.py")
STEPS = app("store_app.py")


def invoke(*args, **kwargs):
    return CliRunner().invoke(replay, list(args), **kwargs)


def assert_one_line_usage_error(result, *fragments):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wfcheck replay: error: "), result.stderr
    assert "non-determinism" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def completed_db(tmp_path):
    """A store holding one completed instance `s1` of `stamped` (6 events)."""
    db = str(tmp_path / "done.db")
    result = invoke("run", f"{CLI_APP}:stamped", "--input", '"clean"', "--db", db, "--instance-id", "s1")
    assert result.exit_code == 0, result.output
    checkpoint(db)
    return db


@pytest.fixture
def waiting_db(tmp_path):
    """A store holding instance `s1` of `steps`, waiting for "go" after 4 activities (9 events)."""
    db = str(tmp_path / "waiting.db")
    journal = json.dumps(str(tmp_path / "journal.txt"))
    result = invoke("run", f"{STEPS}:steps", "--input", journal, "--db", db, "--instance-id", "s1")
    assert result.exit_code == 0 and "waiting for external event(s): go" in result.output, result.output
    checkpoint(db)
    return db


def checkpoint(db):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def tamper(db, statement, *params):
    conn = sqlite3.connect(db)
    conn.execute(statement, params)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ('UPDATE events SET body = \'{"kind": "activity_sch\' WHERE idx = 1', "event #1 is not valid JSON"),
        (
            'UPDATE events SET body = \'{"kind": "teleported", "timestamp": "x"}\' WHERE idx = 1',
            "unknown history event kind: 'teleported'",
        ),
        ("UPDATE events SET body = '[1, 2]' WHERE idx = 1", "event #1 is not a history event"),
        ("DELETE FROM events WHERE idx = 2", "event #2 is missing from the history"),
        ("DELETE FROM events WHERE idx IN (3, 4)", "event #3-#4 is missing from the history"),
        (
            "UPDATE events SET body = '" + "[" * 100_000 + "]" * 100_000 + "' WHERE idx = 3",
            "nested too deeply",
        ),
    ],
)
def test_a_damaged_history_is_reported_as_such(waiting_db, statement, expected):
    tamper(waiting_db, statement)
    for command in (["history", "s1"], ["resume", "s1"], ["raise-event", "s1", "go"]):
        assert_one_line_usage_error(invoke(*command, "--db", waiting_db), expected)


def test_a_damaged_instance_row_or_ending(waiting_db, completed_db):
    tamper(waiting_db, "UPDATE instances SET input = '{oops'")
    for command in (["status"], ["status", "s1"], ["resume", "s1"]):
        assert_one_line_usage_error(
            invoke(*command, "--db", waiting_db), "the input of instance 's1' is not valid JSON"
        )
    tamper(completed_db, "DELETE FROM events WHERE idx = 5")
    assert_one_line_usage_error(
        invoke("history", "s1", "--db", completed_db),
        "the instance is completed but its history does not end",
    )


def test_a_renumbered_history_missing_an_event_is_damaged_not_divergent():
    # an export edited by hand: the scheduling event of seq 1 is gone, its completion stays
    assert find_damage([started(), done(1, "x")]) == (
        "event #1 (activity_completed) answers seq=1, which was never scheduled"
    )
    assert find_damage([started(), sched(1, "a"), done(1, 1), done(1, 1)]) == (
        "event #3 (activity_completed) answers seq=1, which had already completed"
    )
    assert find_damage([sched(1, "a")]) == "event #0 is activity_scheduled, not workflow_started"
    assert find_damage([started(), sched(1, "a"), done(1, 1), sched(2, "b"), done(2, 2)]) is None
    store = MemoryStore()
    with pytest.raises(ValueError, match="never scheduled"):
        store.import_json(
            {
                "format": "wfcheck-history/1",
                "root": "i",
                "instances": [
                    {
                        "record": {"instance_id": "i", "name": "wf"},
                        "generations": {"0": [started().to_dict(), done(1, "x").to_dict()]},
                    }
                ],
            }
        )


def test_garbage_and_truncated_files(tmp_path, completed_db):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 200)
    for command in (["status"], ["history", "s1"], ["run", f"{CLI_APP}:stamped"]):
        assert_one_line_usage_error(invoke(*command, "--db", str(garbage)), "file is not a database")
    with open(completed_db, "rb") as handle:
        data = handle.read()
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(data[: len(data) // 2])
    result = invoke("history", "s1", "--db", str(truncated))
    assert_one_line_usage_error(result, "truncated.db")
    other = tmp_path / "other.db"
    sqlite3.connect(str(other)).execute("CREATE TABLE t (x)").connection.close()
    assert_one_line_usage_error(invoke("status", "--db", str(other)), "not a wfcheck history store")
    with pytest.raises(StoreError):
        SQLiteStore(str(garbage))


def test_status_and_history_never_create_a_store(tmp_path):
    db = tmp_path / "typo.db"
    for command in (
        ["status"],
        ["status", "x"],
        ["history", "x"],
        ["raise-event", "x", "go"],
        ["resume", "x"],
    ):
        assert_one_line_usage_error(invoke(*command, "--db", str(db)), f"no history store at {db}")
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_are_one_line_and_exit_2(tmp_path, monkeypatch):
    db = str(tmp_path / "u.db")
    SQLiteStore(db).close()
    assert_one_line_usage_error(invoke("run", CLI_APP, "--db", db), "expected FILE_OR_MODULE:WORKFLOW")
    assert_one_line_usage_error(invoke("run", "missing_file.py:wf", "--db", db), "no such file")
    assert_one_line_usage_error(invoke("run", f"{CLI_APP}:nope", "--db", db), "has no workflow 'nope'")
    assert_one_line_usage_error(invoke("run", "--db", db), "Missing argument 'TARGET'")
    assert_one_line_usage_error(invoke("verify", f"{CLI_APP}:nope"), "has no workflow 'nope'")
    assert_one_line_usage_error(
        invoke("run", f"{CLI_APP}:approval", "--input", "{nope"), "--input is not valid JSON"
    )
    assert_one_line_usage_error(invoke("status", "nope", "--db", db), f"no instance 'nope' in {db}")
    deep = "[" * 100_000 + "]" * 100_000
    assert_one_line_usage_error(invoke("run", f"{CLI_APP}:approval", "--input", deep), "nested too deeply")
    broken = tmp_path / "broken_import.py"
    broken.write_text("import json\nCONFIG = json.loads('{')\n")
    assert_one_line_usage_error(invoke("run", f"{broken}:wf", "--db", db), "raised JSONDecodeError", ":2")
    bad_syntax = tmp_path / "bad_syntax.py"
    bad_syntax.write_text("def wf(ctx:\n")
    assert_one_line_usage_error(invoke("run", f"{bad_syntax}:wf", "--db", db), "syntax error")
    needs_sdk = tmp_path / "needs_sdk.py"
    needs_sdk.write_text("import dapr.ext.workflow as wf\n")
    monkeypatch.setitem(sys.modules, "dapr", None)  # as if the SDK were not installed
    assert_one_line_usage_error(invoke("run", f"{needs_sdk}:wf", "--db", db), 'pip install "dapr[workflow]"')


def test_input_file(tmp_path):
    payload = {"amount": 7, "padding": "x" * 300_000}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(payload))
    db = str(tmp_path / "i.db")
    result = invoke("run", f"{CLI_APP}:approval", "--input-file", str(path), "--db", db, "--instance-id", "f")
    assert result.exit_code == 0, result.output
    assert SQLiteStore(db).get("f").input == payload
    both = invoke("run", f"{CLI_APP}:approval", "--input", "1", "--input-file", str(path), "--db", db)
    assert_one_line_usage_error(both, "not both")
    from_stdin = invoke("run", f"{CLI_APP}:approval", "--input-file", "-", "--db", db, input='{"amount": 3}')
    assert from_stdin.exit_code == 0, from_stdin.output
    data = tmp_path / "data.json"
    data.write_text('"Grace"')
    raised = invoke("raise-event", "f", "approved", "--data-file", str(data), "--db", db)
    assert raised.exit_code == 0 and "7 approved by Grace" in raised.stdout


def test_damaged_history_error_is_a_store_error():
    assert issubclass(DamagedHistoryError, StoreError)
