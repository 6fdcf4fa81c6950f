"""`replay resume` and the single-writer lease, with real processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from runtime_helpers import app

from wfcheck.runtime import Registry, SQLiteStore, Worker
from wfcheck.runtime.errors import InstanceLeasedError, LeaseLostError
from wfcheck.runtime.history import find_damage
from wfcheck.runtime.store import Owner
from wfcheck.runtime.verify import child_base_env

STEPS = app("store_app.py") + ":steps"
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def wfcheck(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "wfcheck", "replay", *args],
        env=env or child_base_env(),
        capture_output=True,
        text=True,
    )


def events(db, instance):
    store = SQLiteStore(db, create=False)
    try:
        return store.history(instance)
    finally:
        store.close()


def read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def wait_for(condition, what):
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


def test_resume_after_sigkill_and_a_second_process_is_turned_away(tmp_path):
    db, journal = str(tmp_path / "r.db"), str(tmp_path / "journal.txt")
    env = child_base_env()
    env["STORE_APP_NAP"] = "60"  # the first worker hangs in `nap` while holding the lease
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wfcheck",
            "replay",
            "run",
            STEPS,
            "--input",
            f'"{journal}"',
            "--db",
            db,
            "--instance-id",
            "r1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: "nap" in read(journal), "the nap to start")
        before = len(events(db, "r1"))
        second = wfcheck("resume", "r1", "--db", db)
        assert second.returncode == 2
        assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
        assert f"is being run by pid {first.pid}" in second.stderr
        assert len(events(db, "r1")) == before  # the turned-away process recorded nothing
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    resumed = wfcheck("resume", "r1", "--db", db)  # the dead holder's lease is taken over
    assert resumed.returncode == 0, resumed.stderr
    assert "instance r1: running" in resumed.stdout
    assert "waiting for external event(s): go" in resumed.stdout
    history = events(db, "r1")
    assert find_damage(history) is None
    completions = [e.seq for e in history if e.kind == "activity_completed"]
    assert sorted(completions) == [1, 2, 3, 4]  # each activity recorded exactly once
    with open(journal) as handle:
        runs = handle.read().split()
    assert runs.count("1") == 1 and runs.count("3") == 1 and runs.count("4") == 1
    assert runs.count("nap") == 2  # killed inside it once, so it ran again: at-least-once

    idle = wfcheck("resume", "r1", "--db", db)  # nothing to do: nothing recorded
    assert idle.returncode == 0 and "waiting for external event(s): go" in idle.stdout
    assert len(events(db, "r1")) == len(history)
    done = wfcheck("raise-event", "r1", "go", "--data", '"yes"', "--db", db)
    assert done.returncode == 0, done.stderr
    assert 'output: [1, 2, 3, "yes"]' in done.stdout
    again = wfcheck("resume", "r1", "--db", db)
    assert again.returncode == 0 and "instance r1: completed" in again.stdout


def test_resume_continues_a_run_stopped_by_max_steps(tmp_path):
    db, journal = str(tmp_path / "m.db"), str(tmp_path / "journal.txt")
    stopped = wfcheck(
        "run", STEPS, "--input", f'"{journal}"', "--db", db, "--instance-id", "m1", "--max-steps", "2"
    )
    assert stopped.returncode == 0 and "stopped after 2 steps" in stopped.stdout
    resumed = wfcheck("resume", "m1", "--db", db)
    assert resumed.returncode == 0, resumed.stderr
    assert "waiting for external event(s): go" in resumed.stdout
    kinds = [e.kind for e in events(db, "m1")]
    assert kinds.count("activity_completed") == 4 and "event_raised" not in kinds


def test_resume_usage_errors_are_one_line(tmp_path):
    missing = wfcheck("resume", "nope", "--db", str(tmp_path / "absent.db"))
    assert missing.returncode == 2 and "no history store" in missing.stderr
    assert not (tmp_path / "absent.db").exists()
    db = str(tmp_path / "u.db")
    SQLiteStore(db).close()
    unknown = wfcheck("resume", "nope", "--db", db)
    assert (
        unknown.returncode == 2
        and unknown.stderr.strip() == f"wfcheck replay: error: no instance 'nope' in {db}"
    )


def _registry_with_one_activity(body):
    reg = Registry()
    reg.add_activity(body, name="act")

    def wf(ctx, _):
        yield ctx.call_activity("act")
        return "done"

    reg.add_workflow(wf)
    return reg, wf


def test_a_live_lease_is_respected_and_a_stale_one_taken_over(tmp_path):
    db = str(tmp_path / "l.db")
    reg, wf = _registry_with_one_activity(lambda ctx: 1)
    store = SQLiteStore(db)
    Worker(reg, store).start(wf, instance_id="x")  # recorded the start, released the lease

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = Owner("someone-else", sleeper.pid, socket.gethostname())
        store.acquire_lease("x", holder)
        with pytest.raises(InstanceLeasedError, match=f"is being run by pid {sleeper.pid}"):
            Worker(reg, store).run_until_idle("x")
        assert len(store.history("x")) == 2  # started, scheduled: nothing more

        # alive but silent past its expiry (a hung or suspended process): taken over
        store._conn.execute("UPDATE leases SET expires = 0")
        assert Worker(reg, store).run_until_idle("x").output == "done"
    finally:
        sleeper.kill()
        sleeper.wait()

    # a dead holder on this host: taken over at once, though its lease has not expired
    store.acquire_lease("x", Owner("dead", sleeper.pid, socket.gethostname()))
    assert Worker(reg, store).run_until_idle("x").status == "completed"


def test_a_worker_that_lost_its_lease_records_nothing(tmp_path):
    db = str(tmp_path / "lost.db")
    thief = Owner("thief", os.getpid(), socket.gethostname())

    def steal(ctx):
        # another process decides this worker is hung (its lease expired) and takes over
        other = SQLiteStore(db)
        other._conn.execute("UPDATE leases SET expires = 0")
        other.acquire_lease(ctx.workflow_id, thief)
        other.close()
        return 1

    reg, wf = _registry_with_one_activity(steal)
    store = SQLiteStore(db)
    with pytest.raises(LeaseLostError, match="lost the lease on instance 'y' to pid"):
        Worker(reg, store).run(wf, instance_id="y")
    assert [e.kind for e in store.history("y")] == ["workflow_started", "activity_scheduled"]


def test_raise_event_while_another_process_runs_the_instance(tmp_path):
    db, journal = str(tmp_path / "e.db"), str(tmp_path / "journal.txt")
    env = child_base_env()
    env["STORE_APP_NAP"] = "60"
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wfcheck",
            "replay",
            "run",
            STEPS,
            "--input",
            f'"{journal}"',
            "--db",
            db,
            "--instance-id",
            "e1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: "nap" in read(journal), "the nap to start")
        raised = wfcheck("raise-event", "e1", "go", "--data", '"later"', "--db", db)
        assert raised.returncode == 0, raised.stderr
        assert f"pid {first.pid}" in raised.stdout and "will deliver the event" in raised.stdout
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM inbox").fetchall() == [("go",)]  # queued, not lost
    conn.close()
    resumed = wfcheck("resume", "e1", "--db", db)
    assert 'output: [1, 2, 3, "later"]' in resumed.stdout


def test_an_event_raised_just_as_the_worker_lets_go_is_delivered(tmp_path):
    """The raising process cannot get the lease and leaves the event to the holder; the holder
    has already looked at its inbox for the last time. It must look once more after letting go."""
    reg = Registry()

    def wf(ctx, _):
        return (yield ctx.wait_for_external_event("go"))

    reg.add_workflow(wf)
    store = SQLiteStore(str(tmp_path / "late.db"))
    worker = Worker(reg, store)
    worker.start(wf, instance_id="late")
    release = store.release_leases
    raised = []

    def release_after_a_late_event(owner):
        if not raised:  # the other process: queues the event, finds the lease held
            raised.append(store.enqueue_event("late", "go", "just in time"))
        release(owner)

    store.release_leases = release_after_a_late_event
    record = worker.run_until_idle("late")
    assert (record.status, record.output) == ("completed", "just in time")
