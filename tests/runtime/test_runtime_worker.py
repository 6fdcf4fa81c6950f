"""The worker: stores, clocks, children, retries, generations, events, the registry API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wfcheck.runtime import (
    MemoryStore,
    Registry,
    RetryPolicy,
    SQLiteStore,
    Worker,
    replay,
    task_all,
    when_all,
)
from wfcheck.runtime.clock import RealClock


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return SQLiteStore(str(tmp_path / "w.db"))


def test_durabletask_style_orchestrator_through_the_registry(store):
    reg = Registry()
    calls = []

    @reg.activity
    def hello(ctx, name):
        calls.append((ctx.orchestration_id, ctx.task_id, name))
        return f"Hello {name}!"

    @reg.orchestrator(name="greetings")
    def sub(ctx, names):
        return (yield when_all([ctx.call_activity(hello, input=n) for n in names]))

    def orch(ctx, input):
        first = yield ctx.call_activity("hello", input=input)
        rest = yield ctx.call_sub_orchestrator(sub, input=["Tokyo", "London"])
        return [first, *rest, ctx.new_uuid() == ctx.new_uuid()]

    reg.add_orchestrator(orch)
    worker = Worker(reg, store)
    record = worker.run(orch, "Seattle", instance_id="dt-1")
    assert record.status == "completed"
    assert record.output == ["Hello Seattle!", "Hello Tokyo!", "Hello London!", False]
    assert calls[0] == ("dt-1", 1, "Seattle")
    assert store.get("dt-1:0002").parent_id == "dt-1"
    assert replay(orch, "dt-1", store.history("dt-1")).output == record.output


def test_azure_v1_names(store):
    reg = Registry()

    @reg.activity(name="Hello")
    def hello(ctx, city):
        return f"Hello {city}"

    def orchestrator_function(context):
        city = context.get_input()
        one = yield context.call_activity("Hello", city)
        many = yield context.task_all([context.call_activity("Hello", c) for c in ("A", "B")])
        winner = yield context.task_any(
            [
                context.call_activity("Hello", "C"),
                context.create_timer(context.current_utc_datetime + timedelta(days=1)),
            ]
        )
        child = yield context.call_sub_orchestrator("child", "D")
        return [one, many, winner.get_result(), child, len(context.new_uuid())]

    @reg.workflow(name="child")
    def child(context):
        return (yield context.call_activity("Hello", context.get_input()))

    record = Worker(reg, store).run(orchestrator_function, "Tokyo")
    assert record.output == ["Hello Tokyo", ["Hello A", "Hello B"], "Hello C", "Hello D", 36]
    assert task_all is when_all


def test_virtual_clock_two_day_timer_completes_at_once(store):
    reg = Registry()

    @reg.workflow
    def sleeper(ctx, _):
        before = ctx.current_utc_datetime
        yield ctx.create_timer(timedelta(days=2))
        return (ctx.current_utc_datetime - before).total_seconds()

    record = Worker(reg, store).run(sleeper)
    assert record.output == 2 * 86400


def test_real_time_mode_waits_for_the_timer():
    reg = Registry()

    @reg.workflow
    def short(ctx, _):
        before = ctx.current_utc_datetime
        yield ctx.create_timer(timedelta(milliseconds=50))
        return (ctx.current_utc_datetime - before).total_seconds()

    record = Worker(reg, clock=RealClock()).run(short)
    assert record.output >= 0.05


def test_external_event_raise_and_resume(store):
    reg = Registry()

    @reg.workflow
    def approval(ctx, _):
        ctx.set_custom_status("waiting")
        decision = yield ctx.wait_for_external_event("approval", timeout=timedelta(days=1))
        ctx.set_custom_status("done")
        return decision

    worker = Worker(reg, store)
    record = worker.run(approval, instance_id="ap")
    assert (record.status, record.custom_status) == ("running", "waiting")
    assert worker.waiting_for("ap") == ["approval"]
    worker.raise_event("ap", "approval", {"by": "me"})
    record = worker.run_until_idle("ap")
    assert (record.status, record.output, record.custom_status) == ("completed", {"by": "me"}, "done")


def test_timeout_fires_only_when_asked(store):
    reg = Registry()

    @reg.workflow
    def approval(ctx, _):
        try:
            yield ctx.wait_for_external_event("approval", timeout=timedelta(days=1))
        except TimeoutError:
            return "expired"

    worker = Worker(reg, store)
    assert worker.run(approval, instance_id="ap").status == "running"
    assert worker.run_until_idle("ap", fire_timers_while_waiting=True).output == "expired"


def test_continue_as_new_generations(store):
    reg = Registry()

    @reg.workflow
    def counter(ctx, n):
        yield ctx.create_timer(timedelta(hours=1))
        if n < 3:
            ctx.continue_as_new(n + 1)
            return
        return n

    worker = Worker(reg, store)
    record = worker.run(counter, 0, instance_id="c")
    assert (record.status, record.output, record.generation) == ("completed", 3, 3)
    assert store.generations("c") == [0, 1, 2, 3]
    assert store.history("c", 0)[-1].kind == "continued_as_new"


def test_retry_policy_timing_and_give_up(store):
    reg = Registry()
    attempts = []

    @reg.activity
    def flaky(ctx, _):
        attempts.append(ctx.task_id)
        raise RuntimeError("nope")

    policy = RetryPolicy(
        first_retry_interval=timedelta(seconds=10),
        max_number_of_attempts=4,
        backoff_coefficient=3,
        max_retry_interval=timedelta(seconds=60),
    )

    @reg.workflow
    def wf(ctx, _):
        start = ctx.current_utc_datetime
        try:
            yield ctx.call_activity(flaky, retry_policy=policy)
        except Exception as error:
            return [type(error).__name__, (ctx.current_utc_datetime - start).total_seconds()]

    record = Worker(reg, store).run(wf)
    assert record.output == ["TaskFailedError", 10 + 30 + 60]
    assert len(attempts) == 4 and len(set(attempts)) == 4  # each attempt has its own seq


def test_retry_timeout_stops_early():
    policy = RetryPolicy(
        first_retry_interval=timedelta(seconds=10),
        max_number_of_attempts=10,
        retry_timeout=timedelta(seconds=25),
    )
    from datetime import datetime, timezone

    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert policy.next_delay(1, t, t) == timedelta(seconds=10)
    assert policy.next_delay(2, t, t + timedelta(seconds=10)) == timedelta(seconds=10)
    assert policy.next_delay(3, t, t + timedelta(seconds=20)) is None
    with pytest.raises(ValueError):
        RetryPolicy(first_retry_interval=timedelta(seconds=1), max_number_of_attempts=0)


def test_failed_child_workflow_and_unregistered_activity(store):
    reg = Registry()

    @reg.workflow
    def child(ctx, _):
        yield ctx.call_activity("missing")

    @reg.workflow
    def parent(ctx, _):
        try:
            yield ctx.call_child_workflow(child)
        except Exception as error:
            return str(error)

    record = Worker(reg, store).run(parent, instance_id="p")
    assert "TaskFailedError" in record.output
    assert store.get("p:0001").status == "failed"
    assert "no activity registered as 'missing'" in store.get("p:0001").error["message"]


def test_completed_activities_are_not_rerun_on_resume(tmp_path):
    path = str(tmp_path / "w.db")
    reg = Registry()
    runs = []

    @reg.activity
    def work(ctx, n):
        runs.append(n)
        return n

    @reg.workflow
    def wf(ctx, _):
        a = yield ctx.call_activity(work, input=1)
        b = yield ctx.wait_for_external_event("go")
        c = yield ctx.call_activity(work, input=2)
        return [a, b, c]

    Worker(reg, SQLiteStore(path)).run(wf, instance_id="r")
    second = Worker(reg, SQLiteStore(path))  # a new process would look like this
    second.raise_event("r", "go", "x")
    assert second.run_until_idle("r").output == [1, "x", 2]
    assert runs == [1, 2]


def test_retry_state_never_leaks_to_a_later_task():
    # retry state lives on the task object; an id()-keyed table could hand a freed task's
    # policy to a new task that happens to reuse its address
    reg = Registry()
    bad_runs = []

    @reg.activity
    def ok(ctx, n):
        return n

    @reg.activity
    def bad(ctx, n):
        bad_runs.append(n)
        raise RuntimeError("no")

    policy = RetryPolicy(first_retry_interval=timedelta(seconds=1), max_number_of_attempts=5)

    @reg.workflow
    def wf(ctx, _):
        for i in range(30):
            yield ctx.call_activity(ok, input=i, retry_policy=policy)
        failures = 0
        for i in range(30):
            try:
                yield ctx.call_activity(bad, input=i)
            except Exception:
                failures += 1
        return failures

    assert Worker(reg).run(wf).output == 30
    assert bad_runs == list(range(30))


def test_sticky_worker_records_the_same_history_as_a_replaying_one(tmp_path):
    from datetime import datetime, timezone

    from runtime_helpers import app

    from wfcheck.runtime.registry import load_target

    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    histories = []
    for sticky in (False, True):
        registry, name = load_target(app("chaos_app.py") + ":pipeline")
        store = SQLiteStore(str(tmp_path / f"s{sticky}.db"))
        # one activity at a time: concurrent ones may finish (and be recorded) in any order
        worker = Worker(registry, store, sticky=sticky, max_concurrent_activities=1)
        worker.start(name, 1, instance_id="p", start_time=start)
        record = worker.run_until_idle("p")
        assert record.status == "completed"
        histories.append(store.export_json("p")["instances"])
    strip = [[{k: v for k, v in i.items() if k != "record"} for i in h] for h in histories]
    assert strip[0] == strip[1]
    assert [i["record"]["output"] for i in histories[0]] == [i["record"]["output"] for i in histories[1]]


def test_sticky_worker_skips_the_per_step_check_but_a_restart_catches_divergence(tmp_path):
    import uuid

    from wfcheck.runtime import NonDeterminismError

    reg = Registry()

    @reg.activity
    def use(ctx, value):
        return value

    @reg.workflow
    def wf(ctx, _):
        token = str(uuid.uuid4())  # noqa: WF202 - the divergence under test
        yield ctx.call_activity(use, input=token)
        yield ctx.wait_for_external_event("go")
        return token

    path = str(tmp_path / "s.db")
    sticky = Worker(reg, SQLiteStore(path), sticky=True)
    assert sticky.run(wf, instance_id="u").status == "running"  # no self-check per step
    with pytest.raises(NonDeterminismError):
        Worker(reg, SQLiteStore(path)).run(wf, instance_id="v")  # the replaying worker checks
    restarted = Worker(reg, SQLiteStore(path), sticky=True)
    restarted.raise_event("u", "go")
    with pytest.raises(NonDeterminismError):
        restarted.run_until_idle("u")
