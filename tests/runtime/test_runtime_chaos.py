"""Crash safety: a real worker subprocess is SIGKILLed again and again and resumed."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest
from runtime_helpers import app

from wfcheck.runtime import SQLiteStore
from wfcheck.runtime.registry import load_target
from wfcheck.runtime.verify import (
    check_chaos,
    child_base_env,
    child_command,
    completed_activities,
    record_run,
    replay_document,
    run_chaos,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

PIPELINE = app("chaos_app.py") + ":pipeline"


@pytest.fixture(scope="module")
def reference():
    return record_run(PIPELINE, 1)


def test_kill_after_every_step_runs_each_activity_exactly_once(reference):
    report = run_chaos(
        PIPELINE, 1, instance_id=reference.instance_id, start_time=reference.start_time, mode="steps"
    )
    assert report.kills == report.launches - 1 >= 10
    assert (report.status, report.output) == (reference.status, reference.output)
    completed = completed_activities(report.document)
    assert len(completed) == 8  # 5 + 1 in the child + a failed first attempt + its retry
    assert all(report.activity_runs[key] == 1 for key in completed)
    assert sum(report.activity_runs.values()) == len(completed)
    assert check_chaos(report, reference) == []
    registry, _ = load_target(PIPELINE)
    replay_document(report.document, registry)


def test_kill_inside_activities_reruns_only_interrupted_ones(reference):
    report = run_chaos(
        PIPELINE,
        1,
        instance_id=reference.instance_id,
        start_time=reference.start_time,
        mode="activities",
        seed=7,
        activity_kill_probability=0.4,
    )
    assert report.kills >= 1 and report.killed_in
    assert (report.status, report.output) == (reference.status, reference.output)
    for key, count in report.activity_runs.items():
        assert count == 1 or key in set(report.killed_in)
    assert check_chaos(report, reference) == []


def test_check_chaos_reports_differences(reference):
    report = run_chaos(
        PIPELINE, 1, instance_id=reference.instance_id, start_time=reference.start_time, mode="steps"
    )
    report.output = {"different": True}
    report.activity_runs[(reference.instance_id, 1)] = 2
    problems = check_chaos(report, reference)
    assert any("final result differs" in p for p in problems)
    assert any("ran 2 times" in p for p in problems)


def test_check_chaos_allows_activities_that_return_other_values(reference):
    """An activity may be non-deterministic (a generated UUID): when the chaos run's activity
    results differ from the uninterrupted run's, its result may differ too."""
    report = run_chaos(
        PIPELINE, 1, instance_id=reference.instance_id, start_time=reference.start_time, mode="steps"
    )
    assert check_chaos(report, reference) == []
    report.output = {"different": True}
    assert any("final result differs" in p for p in check_chaos(report, reference))
    completed = next(
        raw
        for item in report.document["instances"]
        for raw_events in item["generations"].values()
        for raw in raw_events
        if raw["kind"] == "activity_completed"
    )
    completed["result"] = "another value"
    assert check_chaos(report, reference) == []


def _event_count(db):
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_external_sigkill_at_random_moments(tmp_path, reference):
    """Kill from outside: wait until the worker has committed something new, then SIGKILL it
    after a random delay (activities sleep, so this lands inside them or between steps)."""
    db = str(tmp_path / "ext.db")
    env = child_base_env()
    env["CHAOS_APP_SLEEP"] = "0.03"
    rng = random.Random(11)
    kills = 0
    for _ in range(200):
        before = _event_count(db)
        args = [
            "work",
            db,
            PIPELINE,
            "--instance-id",
            reference.instance_id,
            "--input",
            "1",
            "--start-time",
            reference.start_time,
        ]
        proc = subprocess.Popen(
            child_command(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        while proc.poll() is None and _event_count(db) == before:
            time.sleep(0.005)
        if proc.poll() is None:
            time.sleep(rng.uniform(0, 0.04))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            kills += 1
            continue
        assert proc.returncode == 0, proc.stderr.read()
        proc.stderr.close()
        break
    else:
        pytest.fail("the worker never finished")
    store = SQLiteStore(db)
    record = store.get(reference.instance_id)
    assert (record.status, record.output) == (reference.status, reference.output)
    registry, _ = load_target(PIPELINE)
    replay_document(store.export_json(reference.instance_id), registry)
    store.close()
    assert kills >= 1, kills
