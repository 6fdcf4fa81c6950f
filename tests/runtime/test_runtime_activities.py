"""How the worker runs activities: concurrently, time-limited, isolated, and sticky mode's cost."""

from __future__ import annotations

import sys
import threading
from datetime import timedelta

import pytest

from wfcheck.runtime import MemoryStore, Registry, SQLiteStore, Worker, when_all, when_any
from wfcheck.runtime import worker as worker_module


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return SQLiteStore(str(tmp_path / "a.db"))


def test_an_activity_gets_its_own_copy_of_its_input(store):
    reg = Registry()

    @reg.activity
    def consume(ctx, order):
        order["items"].append("gift wrap")  # mutates what it was given
        return len(order["items"])

    @reg.workflow
    def wf(ctx, _):
        order = {"items": ["book"]}
        first = yield ctx.call_activity(consume, input=order)
        second = yield ctx.call_activity(consume, input=order)
        return [first, second, order]

    record = Worker(reg, store).run(wf, instance_id="m")
    assert record.output == [2, 2, {"items": ["book"]}]
    scheduled = [e.input for e in store.history("m") if e.kind == "activity_scheduled"]
    assert scheduled == [{"items": ["book"]}] * 2


def test_system_exit_in_an_activity_is_a_task_failure(store):
    reg = Registry()

    @reg.activity
    def bail(ctx, _):
        sys.exit(3)

    @reg.workflow
    def wf(ctx, _):
        try:
            yield ctx.call_activity(bail)
        except Exception as error:
            return [type(error).__name__, error.details.error_type]

    record = Worker(reg, store).run(wf, instance_id="x")
    assert (record.status, record.output) == ("completed", ["TaskFailedError", "SystemExit"])


def test_a_hung_activity_times_out_as_a_task_failure(store):
    reg = Registry()
    release = threading.Event()

    @reg.activity
    def hang(ctx, _):
        release.wait(60)  # hangs until the test ends
        return "too late"

    @reg.workflow
    def wf(ctx, _):
        try:
            yield ctx.call_activity(hang)
        except Exception as error:
            return error.details.error_type + ": " + error.details.message

    try:
        record = Worker(reg, store, activity_timeout=0.2).run(wf, instance_id="h")
    finally:
        release.set()
    assert record.status == "completed"
    assert record.output.startswith("TimeoutError: activity 'hang' did not finish within 0.2 s")


def test_activities_scheduled_together_run_concurrently(store):
    reg = Registry()
    # every activity waits for all four to be running; one at a time, the barrier breaks
    barrier = threading.Barrier(4, timeout=20)

    @reg.activity
    def meet(ctx, n):
        barrier.wait()
        return n * n

    @reg.workflow
    def fan_out(ctx, _):
        return (yield when_all([ctx.call_activity(meet, input=n) for n in range(4)]))

    record = Worker(reg, store).run(fan_out)
    assert (record.status, record.output) == ("completed", [0, 1, 4, 9])


def test_concurrency_is_bounded(store):
    reg = Registry()
    lock = threading.Lock()
    running = [0, 0]  # now, peak
    pair = threading.Barrier(2, timeout=20)  # two at a time must be possible

    @reg.activity
    def work(ctx, n):
        with lock:
            running[0] += 1
            running[1] = max(running)
        pair.wait()
        with lock:
            running[0] -= 1
        return n

    @reg.workflow
    def fan_out(ctx, _):
        return (yield when_all([ctx.call_activity(work, input=n) for n in range(6)]))

    record = Worker(reg, store, max_concurrent_activities=2).run(fan_out)
    assert record.output == list(range(6))
    assert running[1] == 2


def test_a_timer_that_fires_first_wins_the_race(store):
    reg = Registry()
    release = threading.Event()

    @reg.activity
    def slow(ctx, _):
        release.wait(60)  # far longer than the timer
        return "activity"

    @reg.workflow
    def race(ctx, _):
        timer = ctx.create_timer(timedelta(milliseconds=100))
        winner = yield when_any([ctx.call_activity(slow), timer])
        return "timer" if winner is timer else winner.get_result()

    try:
        record = Worker(reg, store).run(race, instance_id="r")
    finally:
        release.set()
    assert (record.status, record.output) == ("completed", "timer")
    kinds = [e.kind for e in store.history("r")]
    assert "timer_fired" in kinds and "activity_completed" not in kinds


def test_an_activity_that_finishes_first_wins_without_waiting_for_the_timer(store):
    reg = Registry()

    @reg.activity
    def quick(ctx, _):
        return "activity"

    @reg.workflow
    def race(ctx, _):
        start = ctx.current_utc_datetime
        winner = yield when_any([ctx.call_activity(quick), ctx.create_timer(timedelta(days=3))])
        return [winner.get_result(), (ctx.current_utc_datetime - start).total_seconds()]

    assert Worker(reg, store).run(race).output == ["activity", 0]


def test_sticky_mode_neither_rescans_the_history_nor_counts_events(tmp_path, monkeypatch):
    """Linear: each step looks at its own new events only (before: every step rescanned the
    whole history for pending work and ran SELECT COUNT(*) over its events)."""
    reg = Registry()

    @reg.activity
    def work(ctx, n):
        return n

    @reg.workflow
    def sequential(ctx, n):
        total = 0
        for i in range(n):
            total += yield ctx.call_activity(work, input=i)
        return total

    scanned = []
    original = worker_module.pending_work

    def counting(events):
        scanned.append(len(events))
        return original(events)

    monkeypatch.setattr(worker_module, "pending_work", counting)
    store = SQLiteStore(str(tmp_path / "s.db"))
    statements = []
    store._conn.set_trace_callback(statements.append)
    n = 200
    record = Worker(reg, store, sticky=True).run(sequential, n)
    assert record.output == sum(range(n))
    assert sum(scanned) <= 4 * n  # a quadratic worker scans ~n * n events
    assert not [s for s in statements if "COUNT(" in s.upper()]


def _deep(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def test_values_nested_too_deeply_fail_the_task_or_the_workflow(store):
    reg = Registry()

    @reg.activity
    def dig(ctx, _):
        return _deep(100_000)

    @reg.workflow
    def wf(ctx, _):
        try:
            yield ctx.call_activity(dig)
        except Exception as error:
            failure = error.details.message
        return [failure, _deep(100_000)]  # and then the workflow's own result is too deep

    record = Worker(reg, store).run(wf, instance_id="d")
    assert record.status == "failed"
    assert record.error["type"] == "ValueError"
    assert record.error["message"] == "workflow value is nested too deeply to store as JSON"
    failed = [e for e in store.history("d") if e.kind == "activity_failed"]
    assert failed[0].error["message"] == "workflow value is nested too deeply to store as JSON"


def test_a_hung_activity_blocks_neither_run_nor_verify_chaos(tmp_path):
    from click.testing import CliRunner
    from runtime_helpers import app

    from wfcheck.runtime.cli import replay

    target = app("hung_app.py") + ":wf"
    run = CliRunner().invoke(
        replay, ["run", target, "--input", "1", "--db", ":memory:", "--activity-timeout", "0.3"]
    )
    assert run.exit_code == 0, run.output
    assert 'output: [2, "TimeoutError", "timer"]' in run.output
    verify = CliRunner().invoke(
        replay, ["verify", target, "--input", "1", "--runs", "1", "--chaos", "--activity-timeout", "0.3"]
    )
    assert verify.exit_code == 0, verify.output
    assert "chaos: final output equals the uninterrupted run" in verify.output
