"""In-flight proof: instances started with the old code, waiting at an external event, must
still replay their history after the fixes. The real engines are the judge: durabletask's
in-memory backend (`durabletask.testing`) and its orchestration executor, and Dapr's bundled
executor (`dapr.ext.workflow._durabletask`) fed the history a sidecar would record."""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest
from helpers import settings

from wfcheck.fixes.apply import fix_paths

FIXTURES = Path(__file__).parent / "fixtures" / "inflight"
_COUNTER = itertools.count()


def _fixed_copy(tmp_path: Path, name: str, unsafe: bool = False, versioned: bool = False) -> Path:
    target = tmp_path / f"v{next(_COUNTER)}" / name
    target.parent.mkdir()
    shutil.copy(FIXTURES / name, target)
    run = fix_paths([str(target)], replace(settings(), versioned_fixes=versioned), unsafe=unsafe)
    assert [o.error for o in run.outcomes] == [None]
    return target


def _load(path: Path) -> ModuleType:
    """Import a workflow module under a name of its own (the old and new code side by side)."""
    name = f"inflight_{next(_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# -- durabletask: the in-memory backend records, the engine judges ------------------------
# durabletask's protos and Dapr's vendored copy cannot share a process (duplicate symbols), so
# the durabletask side runs in a child process: tests/inflight_durabletask.py.


def test_durabletask_instances_waiting_at_an_event_survive_plain_fix(tmp_path) -> None:
    if importlib.util.find_spec("durabletask") is None:
        pytest.skip("durabletask is not installed")
    old = tmp_path / "old.py"
    shutil.copy(FIXTURES / "approval_durabletask.py", old)
    fixed_path = _fixed_copy(tmp_path, "approval_durabletask.py")
    fixed = fixed_path.read_text()
    # Plain --fix applied what keeps the history shape and left what changes it.
    assert "ctx.current_utc_datetime" in fixed and "ctx.new_uuid()" in fixed
    assert "time.sleep(0.01)" in fixed and 'os.getenv("REGION", "eu")' in fixed
    unsafe_path = _fixed_copy(tmp_path, "approval_durabletask.py", unsafe=True)
    assert "yield ctx.create_timer(" in unsafe_path.read_text()
    judge = Path(__file__).with_name("inflight_durabletask.py")
    run = subprocess.run(
        [sys.executable, str(judge), str(old), str(fixed_path), str(unsafe_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout.strip().splitlines()[-1])
    # durabletask's executor replays the recorded history with the fixed code...
    assert verdict["fixed_executor"] is None
    # ...and a worker with the fixed code finishes the instance on the in-memory backend.
    assert verdict["fixed_backend"] == "COMPLETED" and verdict["approved"] is True
    # The judge can fail: the history-changing fixes (a timer and an activity before the
    # recorded one) break the same instance.
    assert (verdict["unsafe_executor"] or "").endswith("NonDeterminismError")


# -- Dapr: its bundled executor, fed what a sidecar records -------------------------------


class _DaprSidecar:
    """Drives Dapr's bundled orchestration executor the way the sidecar does: each batch of
    actions becomes history (activities run at once, timers fire at once, patches recorded on
    the batch's workflowStarted event) until the instance waits for something else."""

    def __init__(self, module: ModuleType) -> None:
        from dapr.ext.workflow._durabletask import worker

        self.registry = module.wfr._WorkflowRuntime__worker._registry
        self.worker = worker
        self.now = datetime.now(timezone.utc).replace(tzinfo=None)

    def step(self, instance: str, history: list, new: list):
        from dapr.ext.workflow._durabletask.internal import helpers
        from dapr.ext.workflow._durabletask.internal import protos as pb

        executor = self.worker._OrchestrationExecutor(self.registry, logging.getLogger("dapr"))
        result = executor.execute(instance, history, new)
        if result.patches:
            new[0].workflowStarted.version.patches.extend(result.patches)
        history = history + new
        following = []
        finished = None
        for action in result.actions:
            if action.HasField("scheduleTask"):
                name = action.scheduleTask.name
                payload = action.scheduleTask.input.value or None
                history.append(helpers.new_task_scheduled_event(action.id, name, payload))
                activity = self.registry.get_activity(name)
                value = activity(_ActivityContext(), json.loads(payload) if payload else None)
                following.append(helpers.new_task_completed_event(action.id, json.dumps(value)))
            elif action.HasField("createTimer"):
                fire_at = action.createTimer.fireAt
                history.append(
                    pb.HistoryEvent(eventId=action.id, timerCreated=pb.TimerCreatedEvent(fireAt=fire_at))
                )
                if fire_at.ToDatetime() <= self.now + timedelta(minutes=1):
                    # A short timer fires at once; a long one (an event's timeout) is pending.
                    following.append(
                        pb.HistoryEvent(
                            eventId=-1,
                            timerFired=pb.TimerFiredEvent(fireAt=fire_at, timerId=action.id),
                        )
                    )
            elif action.HasField("completeWorkflow"):
                finished = action.completeWorkflow
        return history, following, finished

    def run(self, instance: str, history: list, first: list):
        """Run from ``first`` until the instance waits on the outside world or finishes."""
        from dapr.ext.workflow._durabletask.internal import helpers

        new = first
        while True:
            history, following, finished = self.step(instance, history, new)
            if finished is not None or not following:
                return history, finished
            new = [helpers.new_workflow_started_event(datetime.now(timezone.utc).replace(tzinfo=None))]
            new += following


class _ActivityContext:
    workflow_id = "i-1"
    task_id = 0


def _dapr_start(instance: str):
    from dapr.ext.workflow._durabletask.internal import helpers

    return [
        helpers.new_workflow_started_event(datetime.now(timezone.utc).replace(tzinfo=None)),
        helpers.new_execution_started_event("approval", instance, json.dumps("order-1")),
    ]


def _dapr_approve():
    from dapr.ext.workflow._durabletask.internal import helpers

    return [
        helpers.new_workflow_started_event(
            (datetime.now(timezone.utc) + timedelta(days=2)).replace(tzinfo=None)
        ),
        helpers.new_event_raised_event("approve", json.dumps(True)),
    ]


def _dapr_record_waiting(module: ModuleType, instance: str = "i-1") -> list:
    history, finished = _DaprSidecar(module).run(instance, [], _dapr_start(instance))
    assert finished is None, "the instance must be waiting for the approval"
    assert any(e.HasField("taskCompleted") for e in history)
    return history


def _dapr_finish(module: ModuleType, history: list, instance: str = "i-1"):
    _history, finished = _DaprSidecar(module).run(instance, history, _dapr_approve())
    assert finished is not None
    return finished


def _completed(finished) -> bool:
    from dapr.ext.workflow._durabletask.internal import protos as pb

    return finished.workflowStatus == pb.ORCHESTRATION_STATUS_COMPLETED


@pytest.fixture
def dapr_engine():
    pytest.importorskip("dapr.ext.workflow._durabletask.worker")


def test_dapr_instances_waiting_at_an_event_survive_plain_fix(tmp_path, dapr_engine) -> None:
    old = tmp_path / "old.py"
    shutil.copy(FIXTURES / "approval_dapr.py", old)
    history = _dapr_record_waiting(_load(old))
    fixed_path = _fixed_copy(tmp_path, "approval_dapr.py")
    fixed = fixed_path.read_text()
    assert "ctx.current_utc_datetime" in fixed and "time.sleep(0.01)" in fixed
    assert _completed(_dapr_finish(_load(fixed_path), history))
    # With the history-changing fixes applied, the same instance fails in Dapr's executor.
    unsafe = _load(_fixed_copy(tmp_path, "approval_dapr.py", unsafe=True))
    finished = _dapr_finish(unsafe, history)
    assert not _completed(finished)
    assert finished.failureDetails.errorType == "NonDeterminismError"


def test_versioned_dapr_fixes_replay_old_instances_and_take_the_new_path(tmp_path, dapr_engine) -> None:
    old = tmp_path / "old.py"
    shutil.copy(FIXTURES / "approval_dapr.py", old)
    history = _dapr_record_waiting(_load(old))
    fixed_path = _fixed_copy(tmp_path, "approval_dapr.py", unsafe=True, versioned=True)
    fixed = fixed_path.read_text()
    assert fixed.count('if ctx.is_patched("wfcheck-') == 2  # the sleep and the environment read
    new_code = _load(fixed_path)
    # The instance started before the fix keeps the old branch and finishes.
    assert _completed(_dapr_finish(new_code, history))
    # A new instance takes the fixed path: a durable timer and the generated activity.
    fresh = _dapr_record_waiting(new_code, "i-2")
    assert any(e.HasField("timerCreated") for e in fresh)
    scheduled = [e.taskScheduled.name for e in fresh if e.HasField("taskScheduled")]
    assert scheduled == ["read_region", "notify"]
    assert list(fresh[0].workflowStarted.version.patches)  # the patches are recorded
    assert _completed(_dapr_finish(new_code, fresh, "i-2"))


# -- Temporal: its own Replayer judges a history recorded with the old code ---------------


def _payload(value) -> dict:
    import base64

    return {
        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
        "data": base64.b64encode(json.dumps(value).encode()).decode(),
    }


def _temporal_history() -> dict:
    """What the old code records: started, a first workflow task that only waits (no command:
    the old code's sleep blocked the worker and recorded nothing), the approval signal, and
    the task that completed the workflow."""
    queue = {"name": "q", "kind": "Normal"}
    task = {"taskQueue": queue, "startToCloseTimeout": "10s", "attempt": 1}
    kinds = [
        ("WorkflowExecutionStarted", {
            "workflowType": {"name": "Approval"}, "taskQueue": queue,
            "input": {"payloads": [_payload("order-1")]}, "workflowTaskTimeout": "10s",
            "attempt": 1, "originalExecutionRunId": "r1", "firstExecutionRunId": "r1",
        }),
        ("WorkflowTaskScheduled", task),
        ("WorkflowTaskStarted", {"scheduledEventId": "2"}),
        ("WorkflowTaskCompleted", {"scheduledEventId": "2", "startedEventId": "3"}),
        ("WorkflowExecutionSignaled", {"signalName": "approve", "input": {}}),
        ("WorkflowTaskScheduled", task),
        ("WorkflowTaskStarted", {"scheduledEventId": "6"}),
        ("WorkflowTaskCompleted", {"scheduledEventId": "6", "startedEventId": "7"}),
        ("WorkflowExecutionCompleted", {
            "result": {"payloads": [_payload("order-1")]}, "workflowTaskCompletedEventId": "8",
        }),
    ]
    events = []
    for number, (kind, attributes) in enumerate(kinds, start=1):
        key = kind[0].lower() + kind[1:] + "EventAttributes"
        events.append(
            {
                "eventId": str(number),
                "eventTime": "2026-01-01T00:00:00Z",
                "eventType": kind,
                key: attributes,
            }
        )
    return {"events": events}


def _temporal_verdict(path: Path):
    import asyncio

    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    history = WorkflowHistory.from_json("approval-1", _temporal_history())
    replayer = Replayer(
        workflows=[_load(path).Approval], workflow_runner=UnsandboxedWorkflowRunner()
    )
    result = asyncio.run(replayer.replay_workflow(history, raise_on_replay_failure=False))
    return result.replay_failure


def test_versioned_temporal_fixes_replay_a_history_of_the_old_code(tmp_path) -> None:
    pytest.importorskip("temporalio.worker")
    old = tmp_path / "old.py"
    shutil.copy(FIXTURES / "approval_temporal.py", old)
    assert _temporal_verdict(old) is None
    versioned = _fixed_copy(tmp_path, "approval_temporal.py", unsafe=True, versioned=True)
    assert 'if workflow.patched("wfcheck-wf102-Approval-' in versioned.read_text()
    assert _temporal_verdict(versioned) is None
    # Plain --fix leaves the sleep (it changes the history); --unsafe-fixes without the
    # patch breaks the history, and Temporal's replayer says so.
    plain = _fixed_copy(tmp_path, "approval_temporal.py")
    assert "time.sleep(0.01)" in plain.read_text()
    unsafe = _fixed_copy(tmp_path, "approval_temporal.py", unsafe=True)
    assert "await workflow.sleep(0.01)" in unsafe.read_text()
    failure = _temporal_verdict(unsafe)
    assert failure is not None and "Nondeterminism" in str(failure)


def test_replay_verify_passes_on_the_versioned_new_path(tmp_path) -> None:
    """The fixed demo takes the patched branch in a new instance: wfcheck's runtime records the
    patch (as Dapr does) and replays it deterministically under perturbed clocks, seeds and
    environments."""
    pytest.importorskip("dapr.ext.workflow")
    demo = Path(__file__).parent.parent / "examples" / "replay_demo" / "order_workflow_buggy.py"
    target = tmp_path / "order_workflow.py"
    shutil.copy(demo, target)
    run = fix_paths([str(target)], replace(settings(), versioned_fixes=True), unsafe=True)
    assert [o.error for o in run.outcomes] == [None]
    assert 'if ctx.is_patched("wfcheck-wf202-' in target.read_text()
    verify = [sys.executable, "-m", "wfcheck", "replay", "verify", f"{target}:order_workflow"]
    order = ["--input", '{"item": "book", "amount": 12}', "--runs", "2"]
    done = subprocess.run(verify + order, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deterministic under 2 perturbed replays" in done.stdout
