"""Real ``dapr.ext.workflow`` code, unchanged, runs on wfcheck's runtime.

The module under test (apps/dapr_patterns.py) imports the real SDK, builds a real
``WorkflowRuntime`` and registers with its decorators; nothing talks to a sidecar.
"""

from __future__ import annotations

import pytest
from runtime_helpers import app

wf = pytest.importorskip("dapr.ext.workflow")

from wfcheck.runtime import NonDeterminismError, SQLiteStore, Worker, replay  # noqa: E402
from wfcheck.runtime.registry import dapr_kind, load_target, unwrap_dapr  # noqa: E402

PATTERNS = app("dapr_patterns.py")


def run(attr, workflow_input, store=None, **options):
    registry, name = load_target(f"{PATTERNS}:{attr}")
    worker = Worker(registry, store)
    instance_id = worker.start(name, workflow_input, instance_id=options.pop("instance_id", None))
    return worker, worker.run_until_idle(instance_id, **options)


def replays_cleanly(worker, record):
    for member in worker.store.family(record.instance_id):
        for generation in worker.store.generations(member.instance_id):
            events = worker.store.history(member.instance_id, generation)
            replay(worker.registry.get_workflow(member.name), member.instance_id, events)
    return True


def test_decorators_are_unwrapped_to_the_user_functions():
    import dapr_patterns as module  # loaded by load_target above or here

    wrapper = module.task_chain_workflow
    assert wrapper.__code__.co_argcount == 0  # the SDK's wrapper takes no arguments
    inner = unwrap_dapr(wrapper)
    assert inner is wrapper.__wrapped__ and inner.__code__.co_argcount == 2
    assert wrapper._dapr_alternate_name == "task_chain"
    assert dapr_kind(wrapper) == "workflow" and dapr_kind(module.step1) == "activity"


@pytest.fixture(autouse=True, scope="module")
def _importable():
    load_target(f"{PATTERNS}:task_chain_workflow")


def test_task_chaining(tmp_path):
    worker, record = run("task_chain_workflow", 10, SQLiteStore(str(tmp_path / "d.db")))
    assert (record.name, record.status, record.output) == ("task_chain", "completed", [11, 22, 20])
    names = [e.name for e in worker.store.history(record.instance_id) if e.kind == "activity_scheduled"]
    assert names == ["step10", "step20", "step30"]  # the registered names, not the function names
    assert replays_cleanly(worker, record)


def test_fan_out_fan_in_with_the_sdk_when_all():
    worker, record = run("batch_processing_workflow", 5)
    assert record.output == 30
    scheduled = [e for e in worker.store.history(record.instance_id) if e.kind == "activity_scheduled"]
    assert [e.name for e in scheduled] == ["get_batch"] + ["process_work_item"] * 5 + ["process_results"]
    assert replays_cleanly(worker, record)


def test_human_approval_event_wins_the_race():
    worker, record = run("purchase_order_workflow", {"cost": 5000}, instance_id="po-1")
    assert record.status == "running"
    assert worker.waiting_for("po-1") == ["approval_received"]
    worker.raise_event("po-1", "approval_received", {"approver": "Ada"})
    record = worker.run_until_idle("po-1")
    assert record.output == "Approved by Ada"
    assert replays_cleanly(worker, record)


def test_human_approval_times_out():
    worker, record = run("purchase_order_workflow", {"cost": 5000}, fire_timers_while_waiting=True)
    assert record.output == "Cancelled"
    _, cheap = run("purchase_order_workflow", {"cost": 5})
    assert cheap.output == "Auto-approved"


def test_wait_for_external_event_with_timeout():
    worker, record = run("expense_workflow", 3, fire_timers_while_waiting=True)
    assert record.output == "expired"
    worker, record = run("expense_workflow", 3, instance_id="ex")
    worker.raise_event("ex", "decision", "yes")
    assert worker.run_until_idle("ex").output == "decided: yes"


def test_monitor_with_timer_and_continue_as_new():
    worker, record = run("status_monitor_workflow", {"checks": 0, "started": None})
    assert record.status == "completed"
    assert record.output["checks"] == 3
    assert worker.store.generations(record.instance_id) == [0, 1, 2]
    first = worker.store.history(record.instance_id, 0)[0].timestamp
    from wfcheck.runtime.history import parse_time

    elapsed = parse_time(record.output["last_check"] + "+00:00") - parse_time(first)
    assert elapsed.total_seconds() == (5 + 60) * 60  # unhealthy: 5 min, then healthy: 60 min
    assert replays_cleanly(worker, record)


def test_child_workflows_by_function_and_by_name():
    worker, record = run("main_workflow", ["a", "b"], instance_id="m")
    assert record.output == ["m-a:shipped a", "m-b:shipped b", "m:0003:shipped x", "m:0004:shipped y"]
    assert {c.instance_id for c in worker.store.children("m")} == {"m-a", "m-b", "m:0003", "m:0004"}
    assert replays_cleanly(worker, record)


def test_retries_with_the_sdk_retry_policy_and_task_failed_error():
    worker, record = run("retry_workflow", 2)
    # two failures, then success on attempt 3 after 1 s + 2 s of (virtual) backoff;
    # the second call exhausts 3 attempts and the SDK's TaskFailedError is caught
    assert record.output == {"value": 3, "waited": 3.0, "gave_up": "RuntimeError: attempt 3 failed"}
    assert replays_cleanly(worker, record)


def test_a_changed_dapr_workflow_is_caught_on_replay():
    worker, record = run("task_chain_workflow", 10)
    history = worker.store.history(record.instance_id)
    import dapr_patterns as module

    def edited(ctx: wf.DaprWorkflowContext, wf_input: int):
        result1 = yield ctx.call_activity(module.step1, input=wf_input)
        result2 = yield ctx.call_activity(module.step3, input=result1)  # step2 skipped
        return [result1, result2]

    with pytest.raises(NonDeterminismError) as info:
        replay(edited, record.instance_id, history)
    assert "name='step20'" in info.value.recorded and "name='step30'" in info.value.actual
