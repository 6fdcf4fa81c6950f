"""The two divergence modes, with Dapr's own executor as the judge of what the engine rejects.

Each case is an in-flight instance recorded by one version of a workflow and resumed by
another (the deployment question). ``engine`` mode must agree with Dapr's
``_OrchestrationExecutor`` exactly; ``strict`` mode rejects more, and says when the engine
would accept what it rejects.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine_judge import engine_verdict
from runtime_helpers import T0, done, ev, sched, started

from wfcheck.runtime import NonDeterminismError, execute

ORDER = {"id": 7, "qty": 2}
T_1H = "2026-01-01T01:00:00+00:00"


def recorded_v1():
    return [started(ORDER), sched(1, "check", ORDER), done(1, "ok")]


def approve():
    return [ev("event_raised", name="approve", data=True)]


def v1(ctx, order):
    checked = yield ctx.call_activity("check", input=order)
    decision = yield ctx.wait_for_external_event("approve")
    return [checked, decision]


def inserted_before_wait(ctx, order):
    checked = yield ctx.call_activity("check", input=order)
    yield ctx.call_activity("notify", input=order["id"])
    decision = yield ctx.wait_for_external_event("approve")
    return [checked, decision]


def changed_input(ctx, order):
    checked = yield ctx.call_activity("check", input={**order, "priority": "high"})
    decision = yield ctx.wait_for_external_event("approve")
    return [checked, decision]


def renamed(ctx, order):
    checked = yield ctx.call_activity("validate", input=order)
    decision = yield ctx.wait_for_external_event("approve")
    return [checked, decision]


def inserted_first(ctx, order):
    yield ctx.call_activity("notify", input=order["id"])
    checked = yield ctx.call_activity("check", input=order)
    decision = yield ctx.wait_for_external_event("approve")
    return [checked, decision]


def removed(ctx, order):
    decision = yield ctx.wait_for_external_event("approve")
    return [None, decision]


ACCEPTED_BY_ENGINE = [v1, inserted_before_wait, changed_input]
REJECTED_BY_ENGINE = [renamed, inserted_first, removed]


@pytest.mark.parametrize("workflow", ACCEPTED_BY_ENGINE + REJECTED_BY_ENGINE, ids=lambda f: f.__name__)
def test_engine_mode_agrees_with_daprs_executor(workflow):
    verdict = engine_verdict(workflow, recorded_v1(), approve())
    try:
        execute(workflow, "i-1", recorded_v1(), approve(), mode="engine")
        ours = None
    except NonDeterminismError:
        ours = "NonDeterminismError"
    assert ours == verdict
    assert (verdict is None) == (workflow in ACCEPTED_BY_ENGINE)


def test_engine_mode_records_a_legally_inserted_call_as_new_work():
    result = execute(inserted_before_wait, "i-1", recorded_v1(), approve(), mode="engine")
    assert [(e.kind, e.seq, e.name) for e in result.tail] == [
        ("activity_scheduled", 2, "notify"),
        ("event_raised", None, "approve"),
    ]
    # the stored history, extended, replays in both modes from now on
    history = recorded_v1() + result.tail + [done(2, None)]
    final = execute(inserted_before_wait, "i-1", history[:-1], history[-1:], mode="strict")
    assert (final.status, final.output) == ("completed", ["ok", True])


@pytest.mark.parametrize("workflow", [inserted_before_wait, changed_input], ids=lambda f: f.__name__)
def test_strict_only_divergences_say_the_engine_would_accept_them(workflow):
    with pytest.raises(NonDeterminismError) as caught:
        execute(workflow, "i-1", recorded_v1(), approve(), mode="strict")
    assert caught.value.engine_accepts
    assert "the engine would accept this; it changes the value" in str(caught.value)


@pytest.mark.parametrize("workflow", REJECTED_BY_ENGINE, ids=lambda f: f.__name__)
def test_divergences_the_engine_rejects_carry_no_such_note(workflow):
    with pytest.raises(NonDeterminismError) as caught:
        execute(workflow, "i-1", recorded_v1(), approve(), mode="strict")
    assert not caught.value.engine_accepts
    assert "engine would accept" not in str(caught.value)


def timer_then_activity(hours):
    def workflow(ctx, _):
        yield ctx.create_timer(timedelta(hours=hours))
        return (yield ctx.call_activity("after"))

    return workflow


def test_a_changed_timer_fire_time_is_strict_only():
    recorded = [
        started(None),
        ev("timer_created", seq=1, fire_at=T_1H),
        ev("timer_fired", T_1H, seq=1, fire_at=T_1H),
        sched(2, "after", timestamp=T_1H),
    ]
    new = [done(2, 5)]
    two_hours = timer_then_activity(2)
    assert engine_verdict(two_hours, recorded, new) is None
    assert execute(two_hours, "i-1", recorded, new, mode="engine").output == 5
    with pytest.raises(NonDeterminismError) as caught:
        execute(two_hours, "i-1", recorded, new, mode="strict")
    assert caught.value.engine_accepts
    assert execute(timer_then_activity(1), "i-1", recorded, new, mode="strict").output == 5


def test_a_timer_where_history_has_an_activity_is_rejected_by_both():
    recorded = [started(None), sched(1, "after", timestamp=T0)]
    workflow = timer_then_activity(1)
    assert engine_verdict(workflow, recorded, [done(1, 5)]) == "NonDeterminismError"
    for mode in ("engine", "strict"):
        with pytest.raises(NonDeterminismError):
            execute(workflow, "i-1", recorded, [done(1, 5)], mode=mode)


def test_unknown_mode_is_a_value_error():
    with pytest.raises(ValueError, match="unknown divergence mode"):
        execute(v1, "i-1", [], [started(ORDER)], mode="lenient")  # type: ignore[arg-type]
