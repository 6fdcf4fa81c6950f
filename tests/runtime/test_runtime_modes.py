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


# -- Dapr named versions and patches -------------------------------------------------------------


def versions_registry(latest: str):
    from wfcheck.runtime import Registry

    registry = Registry()
    registry.add_activity(lambda ctx, x: f"[{x}]", "describe")

    def order_v1(ctx, order_id):
        first = yield ctx.call_activity("describe", input=f"v1 {order_id}")
        yield ctx.wait_for_external_event("go")
        return first

    def order_v2(ctx, order_id):
        first = yield ctx.call_activity("describe", input=f"v2 {order_id}")
        second = yield ctx.call_activity("describe", input="audit")
        yield ctx.wait_for_external_event("go")
        return first + second

    registry.add_versioned_workflow(order_v1, "order", "v1", is_latest=latest == "v1")
    if latest == "v2":
        registry.add_versioned_workflow(order_v2, "order", "v2", is_latest=True)
    return registry


@pytest.mark.parametrize("mode", ["engine", "strict"])
def test_an_in_flight_named_version_keeps_running_after_a_new_latest_version(mode):
    from wfcheck.runtime import MemoryStore, Worker

    store = MemoryStore()
    first = Worker(versions_registry("v1"), store, mode=mode)
    old = first.start("order", "o-1", instance_id="old")
    assert first.run_until_idle(old).status == "running"
    assert store.history(old)[0].version == "v1"
    # deploy v2 as the latest: the in-flight instance replays as v1, a new one starts as v2
    second = Worker(versions_registry("v2"), store, mode=mode)
    second.raise_event(old, "go")
    assert second.run_until_idle(old).output == "[v1 o-1]"
    new = second.start("order", "o-2", instance_id="new")
    second.raise_event(new, "go")
    assert second.run_until_idle(new).output == "[v2 o-2][audit]"
    assert store.history(new)[0].version == "v2"


def patched(ctx, _):
    first = yield ctx.call_activity("note", input="start")
    audit = "no audit"
    if ctx.is_patched("add-audit"):
        audit = yield ctx.call_activity("note", input="audited")
    yield ctx.wait_for_external_event("finish")
    return [first, audit]


def unpatched(ctx, _):
    first = yield ctx.call_activity("note", input="start")
    yield ctx.wait_for_external_event("finish")
    return [first, "no audit"]


def test_is_patched_is_false_for_history_that_predates_the_patch_and_true_for_new_work():
    recorded = [started(None), sched(1, "note", "start"), done(1, "start")]
    finish = [ev("event_raised", name="finish")]
    for mode in ("engine", "strict"):
        result = execute(patched, "i-1", recorded, finish, mode=mode)
        assert result.output == ["start", "no audit"]
        assert engine_verdict(patched, recorded, finish) is None
    # a new instance takes the patch and records it on the step's first event, as Dapr does
    fresh = execute(patched, "i-1", [], [started(None)])
    step = execute(patched, "i-1", fresh.tail, [done(1, "start")])
    assert [(e.kind, e.patches) for e in step.tail] == [
        ("activity_completed", ["add-audit"]),
        ("activity_scheduled", None),
    ]
    last = execute(patched, "i-1", fresh.tail + step.tail, [done(2, "audited")])
    history = fresh.tail + step.tail + last.tail
    # Dapr's executor accepts that history with the patch, and rejects it without the patch
    assert engine_verdict(patched, history, finish) is None
    assert engine_verdict(unpatched, history, finish) == "NonDeterminismError"
    assert execute(patched, "i-1", history, finish, mode="engine").output == ["start", "audited"]
    with pytest.raises(NonDeterminismError):
        execute(unpatched, "i-1", history, finish, mode="engine")
