"""The pure executor against hand-built histories: every event kind, every divergence kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from runtime_helpers import T1, done, ev, sched, started

from wfcheck.runtime import NonDeterminismError, TaskFailedError, execute, replay, when_all, when_any
from wfcheck.runtime.history import DECISION_KINDS, INPUT_KINDS


def chain(ctx, value):
    a = yield ctx.call_activity("double", input=value)
    b = yield ctx.call_activity("double", input=a)
    return a + b


def kinds(events):
    return [e.kind for e in events]


# -- live execution: what the executor appends --------------------------------------------------


def test_first_step_records_start_and_first_decision():
    result = execute(chain, "i-1", [], [started(3)])
    assert kinds(result.tail) == ["workflow_started", "activity_scheduled"]
    assert (result.tail[1].seq, result.tail[1].name, result.tail[1].input) == (1, "double", 3)
    assert result.status == "running"


def test_completion_is_interleaved_with_the_decision_it_caused():
    old = [started(3), sched(1, "double", 3)]
    result = execute(chain, "i-1", old, [done(1, 6)])
    assert kinds(result.tail) == ["activity_completed", "activity_scheduled"]
    assert result.tail[1].input == 6


def test_full_history_replays_to_the_recorded_output():
    history = [
        started(3),
        sched(1, "double", 3),
        done(1, 6),
        sched(2, "double", 6),
        done(2, 12),
        ev("workflow_completed", result=18),
    ]
    result = replay(chain, "i-1", history)
    assert (result.status, result.output, result.tail) == ("completed", 18, [])


def test_activity_failure_is_raised_into_the_workflow_as_task_failed_error():
    def wf(ctx, _):
        try:
            yield ctx.call_activity("boom")
        except TaskFailedError as error:
            return [error.details.error_type, error.details.message]

    old = [started(), sched(1, "boom")]
    failed = ev("activity_failed", seq=1, error={"type": "ValueError", "message": "bad"})
    result = execute(wf, "i-1", old, [failed])
    assert result.output == ["ValueError", "bad"]
    assert kinds(result.tail) == ["activity_failed", "workflow_completed"]


def test_uncaught_failure_fails_the_workflow():
    def wf(ctx, _):
        yield ctx.call_activity("boom")

    failed = ev("activity_failed", seq=1, error={"type": "ValueError", "message": "bad"})
    result = execute(wf, "i-1", [started(), sched(1, "boom")], [failed])
    assert result.status == "failed"
    assert result.error["type"] == "TaskFailedError"
    assert "ValueError: bad" in result.error["message"]


def test_timer_created_and_fired_advance_current_utc_datetime():
    seen = []

    def wf(ctx, _):
        seen.append(ctx.current_utc_datetime)  # noqa: WF603 - the test observes replays
        yield ctx.create_timer(timedelta(minutes=5))
        seen.append(ctx.current_utc_datetime)  # noqa: WF603 - the test observes replays
        return "woke"

    first = execute(wf, "i-1", [], [started()])
    assert kinds(first.tail) == ["workflow_started", "timer_created"]
    assert first.tail[1].fire_at == T1
    seen.clear()
    result = execute(wf, "i-1", [started(), *first.tail[1:]], [ev("timer_fired", T1, seq=1, fire_at=T1)])
    assert result.output == "woke"
    assert seen[1] - seen[0] == timedelta(minutes=5)


def test_external_event_raised_after_the_wait_and_buffered_before_it():
    def wf(ctx, _):
        first = yield ctx.wait_for_external_event("Approval")
        second = yield ctx.wait_for_external_event("approval")  # names are case-insensitive
        return [first, second]

    raised = [
        ev("event_raised", name="approval", data={"ok": 1}),
        ev("event_raised", name="APPROVAL", data=2),
    ]
    result = execute(wf, "i-1", [started()], raised)
    assert result.output == [{"ok": 1}, 2]


def test_a_first_task_that_is_already_complete_does_not_stall():
    def wf(ctx, _):
        nothing = yield when_all([])
        try:
            yield ctx.wait_for_external_event("x", timeout=timedelta(0))
        except TimeoutError:
            return ["timed out", nothing]

    assert execute(wf, "i-1", [], [started()]).output == ["timed out", []]


def test_waiting_for_events_is_reported():
    def wf(ctx, _):
        return (yield ctx.wait_for_external_event("go"))

    assert execute(wf, "i-1", [], [started()]).waiting_for_events == ["go"]


def test_external_event_timeout_raises_timeout_error():
    def wf(ctx, _):
        try:
            yield ctx.wait_for_external_event("go", timeout=timedelta(minutes=5))
        except TimeoutError:
            return "timed out"
        return "got it"

    first = execute(wf, "i-1", [], [started()])
    assert kinds(first.tail) == ["workflow_started", "timer_created"]
    old = [started(), first.tail[1]]
    assert execute(wf, "i-1", old, [ev("timer_fired", T1, seq=1, fire_at=T1)]).output == "timed out"
    assert execute(wf, "i-1", old, [ev("event_raised", name="go", data=1)]).output == "got it"


def test_child_workflow_scheduled_completed_and_failed():
    def wf(ctx, _):
        a = yield ctx.call_child_workflow("child", input=1)
        try:
            yield ctx.call_child_workflow("child", input=2, instance_id="fixed")
        except TaskFailedError as error:
            return [a, error.details.message]

    first = execute(wf, "i-1", [], [started()])
    assert first.tail[1].kind == "child_workflow_scheduled"
    assert first.tail[1].instance_id == "i-1:0001"
    history = [started(), first.tail[1]]
    step = execute(wf, "i-1", history, [ev("child_workflow_completed", seq=1, result="A")])
    assert step.tail[1].instance_id == "fixed"
    history += step.tail
    final = execute(
        wf, "i-1", history, [ev("child_workflow_failed", seq=2, error={"type": "E", "message": "no"})]
    )
    assert final.output == ["A", "no"]


def test_continue_as_new_carries_the_new_input():
    def wf(ctx, n):
        if n < 2:
            yield ctx.call_activity("tick", input=n)
            ctx.continue_as_new(n + 1)
            return
        return n

    result = execute(wf, "i-1", [started(0), sched(1, "tick", 0)], [done(1, None)])
    continued = result.tail[-1]
    assert (continued.kind, continued.input, continued.events) == ("continued_as_new", 1, None)
    assert (result.status, result.output) == ("continued_as_new", 1)
    assert execute(wf, "i-1", [], [started(2)]).output == 2


def test_continue_as_new_save_events_keeps_unconsumed_events():
    def wf(ctx, n):
        yield ctx.create_timer(timedelta(minutes=5))
        ctx.continue_as_new(n + 1, save_events=True)

    old = [started(0), ev("timer_created", seq=1, fire_at=T1)]
    new = [ev("event_raised", name="note", data="kept"), ev("timer_fired", T1, seq=1, fire_at=T1)]
    result = execute(wf, "i-1", old, new)
    assert result.tail[-1].kind == "continued_as_new"
    assert result.tail[-1].events == [{"name": "note", "data": "kept"}]


def test_workflow_failed_is_recorded_with_error_type_and_message():
    def wf(ctx, _):
        raise KeyError("missing")
        yield  # pragma: no cover

    result = execute(wf, "i-1", [], [started()])
    assert result.tail[-1].kind == "workflow_failed"
    assert result.error["type"] == "KeyError"
    assert replay(wf, "i-1", result.tail).status == "failed"


def test_is_replaying_true_only_for_recorded_events():
    seen = []

    def wf(ctx, _):
        seen.append(ctx.is_replaying)  # noqa: WF603 - the test observes replays
        yield ctx.call_activity("a")
        seen.append(ctx.is_replaying)  # noqa: WF603 - the test observes replays
        yield ctx.call_activity("a")
        seen.append(ctx.is_replaying)  # noqa: WF603 - the test observes replays

    execute(wf, "i-1", [started(), sched(1, "a")], [done(1, None)])
    assert seen == [True, False]
    seen.clear()
    execute(wf, "i-1", [started(), sched(1, "a"), done(1, None), sched(2, "a")], [done(2, None)])
    assert seen == [True, True, False]


def test_when_all_and_when_any():
    def wf(ctx, _):
        both = yield when_all([ctx.call_activity("a", input=1), ctx.call_activity("a", input=2)])
        first = ctx.call_activity("a", input=3)
        timer = ctx.create_timer(timedelta(hours=1))
        winner = yield when_any([first, timer])
        return [both, winner is first, first.get_result()]

    history = [
        started(),
        sched(1, "a", 1),
        sched(2, "a", 2),
        done(2, "two"),
        done(1, "one"),
        sched(3, "a", 3),
        ev("timer_created", seq=4, fire_at="2026-01-01T01:00:00+00:00"),
    ]
    result = execute(wf, "i-1", history, [done(3, "three")])
    assert result.output == [["one", "two"], True, "three"]


def test_new_uuid_is_stable_across_replays():
    def wf(ctx, _):
        ids = [ctx.new_uuid(), ctx.new_uuid()]
        yield ctx.call_activity("use", input=ids)

    a = execute(wf, "i-1", [], [started()])
    b = execute(wf, "i-1", [], [started()])
    assert a.tail[1].input == b.tail[1].input
    assert a.tail[1].input[0] != a.tail[1].input[1]


def test_send_event_is_a_decision_with_a_number_and_no_completion():
    def wf(ctx, target):
        ctx.send_event(target, "ping", data={"n": 1})
        return (yield ctx.call_activity("a"))

    history = [
        started("b"),
        ev("event_sent", seq=1, name="ping", instance_id="b", data={"n": 1}),
        sched(2, "a"),
    ]
    result = execute(wf, "i-1", history, [done(2, "x")])
    assert result.output == "x"
    first = execute(wf, "i-1", [], [started("b")])
    assert [e.to_dict() for e in first.tail[1:]] == [e.to_dict() for e in history[1:]]


def test_every_kind_is_exercised_here():
    # guard: the lists above cover each kind the history module defines
    kinds = DECISION_KINDS | INPUT_KINDS
    assert kinds == {
        "workflow_started",
        "activity_scheduled",
        "activity_completed",
        "activity_failed",
        "timer_created",
        "timer_fired",
        "event_raised",
        "child_workflow_scheduled",
        "child_workflow_completed",
        "child_workflow_failed",
        "event_sent",
        "continued_as_new",
        "workflow_completed",
        "workflow_failed",
    }


# -- divergence ----------------------------------------------------------------------------------


def _line_of(fn, text):
    import inspect

    lines, start = inspect.getsourcelines(fn)
    for offset, line in enumerate(lines):
        if text in line:
            return start + offset
    raise AssertionError(text)


def recorded_chain():
    return [
        started(3),
        sched(1, "double", 3),
        done(1, 6),
        sched(2, "double", 6),
        done(2, 12),
        ev("workflow_completed", result=18),
    ]


def test_divergence_different_input_names_index_history_code_and_line():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        b = yield ctx.call_activity("double", input=a + 1)  # changed input
        return a + b

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    err = info.value
    assert (err.kind, err.event_index) == ("mismatch", 3)
    assert "input=6" in err.recorded and "input=7" in err.actual
    assert err.location.endswith(f"test_runtime_executor.py:{_line_of(wf, 'changed input')}")
    assert "history event #3" in str(err)


def test_divergence_different_name():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        b = yield ctx.call_activity("triple", input=a)
        return a + b

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    assert info.value.kind == "mismatch"
    assert "name='double'" in info.value.recorded and "name='triple'" in info.value.actual


def test_divergence_different_kind():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        yield ctx.create_timer(timedelta(seconds=1))  # a timer where history has an activity
        return a

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    assert info.value.recorded.startswith("activity_scheduled")
    assert info.value.actual.startswith("timer_created")
    assert info.value.location.endswith(str(_line_of(wf, "a timer where")))


def test_divergence_extra_call():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        b = yield ctx.call_activity("double", input=a)
        yield ctx.call_activity("audit", input=b)  # not in history
        return a + b

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    err = info.value
    assert (err.kind, err.event_index) == ("extra-call", 5)
    assert err.recorded.startswith("workflow_completed")
    assert "name='audit'" in err.actual
    assert err.location.endswith(str(_line_of(wf, "not in history")))


def test_divergence_extra_call_past_the_end_of_history():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        yield ctx.call_activity("double", input=a)

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", [started(3), sched(1, "double", 3), done(1, 6)])
    assert info.value.kind == "extra-call"
    assert info.value.recorded is None
    assert "(nothing more)" in str(info.value)


def test_divergence_missing_call():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        return a  # the second call is gone

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    err = info.value
    assert (err.kind, err.event_index) == ("missing-call", 3)
    assert err.recorded.startswith("activity_scheduled seq=2")
    assert err.actual.startswith("workflow_completed")


def test_divergence_missing_call_while_waiting():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        yield ctx.wait_for_external_event("never")  # waits instead of calling
        return a

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    assert info.value.kind == "missing-call"
    assert info.value.location.endswith(str(_line_of(wf, "waits instead")))


def test_divergence_different_output():
    def wf(ctx, value):
        a = yield ctx.call_activity("double", input=value)
        b = yield ctx.call_activity("double", input=a)
        return a * b

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    assert info.value.event_index == 5
    assert "result=18" in info.value.recorded and "result=72" in info.value.actual


def test_divergence_timer_fire_time():
    def wf(ctx, _):
        yield ctx.create_timer(timedelta(minutes=6))

    history = [started(), ev("timer_created", seq=1, fire_at=T1)]
    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", history)
    assert "fire_at" in info.value.actual


def test_completion_for_a_task_the_code_never_scheduled():
    def wf(ctx, _):
        yield ctx.wait_for_external_event("x")

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", [started(), done(7, None)])
    assert info.value.kind == "unknown-task"


def test_divergence_location_inside_a_helper_generator():
    def helper(ctx):
        yield ctx.call_activity("double", input=99)  # helper line

    def wf(ctx, value):
        yield from helper(ctx)

    with pytest.raises(NonDeterminismError) as info:
        replay(wf, "i-1", recorded_chain())
    assert info.value.location.endswith(str(_line_of(helper, "helper line")))


def test_malformed_histories_are_rejected():
    with pytest.raises(ValueError):
        replay(chain, "i-1", [done(1, 1)])
    with pytest.raises(ValueError):
        replay(chain, "i-1", [started(1), started(1)])


def test_async_and_non_task_yields_fail_the_workflow():
    async def coro(ctx, _):
        return 1

    def yields_number(ctx, _):
        yield 42

    assert execute(coro, "i-1", [], [started()]).error["type"] == "TypeError"
    assert "not a task" in execute(yields_number, "i-1", [], [started()]).error["message"]
