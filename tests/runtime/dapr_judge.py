"""Run Dapr workflow programs on Dapr's own Python engine half (the judge).

``python dapr_judge.py SCENARIOS.json`` imports each program (as a module, so its ``main()``
does not run), takes the registry its real ``WorkflowRuntime`` built, and drives Dapr's own
``_OrchestrationExecutor`` and ``_ActivityExecutor`` the way the sidecar does: history events
in, actions out; each scheduled activity runs through Dapr's activity wrapper and its result
comes back as the next event; child workflows run the same way; a step's version name and
patches go on its ``workflowStarted`` event; the optional timer Dapr 1.19 creates for an
indefinite ``wait_for_external_event`` is recorded and never fires. When only timers are
left, a scenario's external events are raised first (in order), then the earliest timer fires
(its fire time becomes the clock). Prints one JSON object per scenario: status, output
(decoded JSON) or error type.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os
import sys
from datetime import datetime
from typing import Any

T0 = datetime(2026, 1, 1)


def load_runtime_registry(path: str) -> Any:
    import dapr.ext.workflow as wf

    # a program that starts its runtime at import must not connect to a sidecar here
    wf.WorkflowRuntime.start = lambda self: None
    wf.WorkflowRuntime.wait_for_worker_ready = lambda self, timeout=30.0: True

    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    runtimes = [v for v in vars(module).values() if isinstance(v, wf.WorkflowRuntime)]
    for value in list(vars(module).values()):  # a runtime shared from an imported module
        if isinstance(value, type(sys)):
            runtimes += [v for v in vars(value).values() if isinstance(v, wf.WorkflowRuntime)]
    registry = runtimes[0]._WorkflowRuntime__worker._registry
    for other in runtimes[1:]:
        extra = other._WorkflowRuntime__worker._registry
        registry.orchestrators.update(extra.orchestrators)
        registry.activities.update(extra.activities)
    return registry


def run_instance(
    registry: Any, name: str, instance_id: str, encoded_input: str | None, events: list[tuple[str, Any]]
) -> dict[str, Any]:
    import dapr.ext.workflow._durabletask.internal.protos as pb
    from dapr.ext.workflow._durabletask import worker as dw
    from dapr.ext.workflow._durabletask.internal import helpers as ph

    logger = logging.getLogger("dapr-judge")
    executor = dw._OrchestrationExecutor(registry, logger)
    activities = dw._ActivityExecutor(logger)
    now = T0
    old: list[Any] = []
    new = [
        ph.new_workflow_started_event(now),
        ph.new_execution_started_event(name, instance_id, encoded_input),
    ]
    timers: dict[int, datetime] = {}
    queue: list[Any] = []
    for _ in range(10_000):
        step_start = new[0]
        results = executor.execute(instance_id, old, new)
        if results.version_name or results.patches:
            step_start.workflowStarted.version.name = results.version_name or ""
            step_start.workflowStarted.version.patches.extend(results.patches or [])
        old += new
        new = []
        ready: list[Any] = []
        for action in results.actions:
            if action.HasField("completeWorkflow"):
                done = action.completeWorkflow
                if done.workflowStatus == pb.ORCHESTRATION_STATUS_CONTINUED_AS_NEW:
                    carried = [
                        ph.new_event_raised_event(e.eventRaised.name, e.eventRaised.input.value or None)
                        for e in done.carryoverEvents
                    ]
                    old, timers, queue = [], {}, []
                    new = [
                        ph.new_workflow_started_event(now),
                        ph.new_execution_started_event(name, instance_id, done.result.value or None),
                        *carried,
                    ]
                    break
                if done.HasField("failureDetails"):
                    return {"status": "failed", "error_type": done.failureDetails.errorType}
                value = done.result.value
                return {"status": "completed", "output": json.loads(value) if value else None}
            if action.HasField("scheduleTask"):
                sched = action.scheduleTask
                old.append(ph.new_task_scheduled_event(action.id, sched.name, sched.input.value or None))
                fn = registry.get_activity(sched.name)
                try:
                    if getattr(fn, "_is_async", False) or asyncio.iscoroutinefunction(fn):
                        out = asyncio.run(
                            activities.execute_async(
                                fn, instance_id, sched.name, action.id, sched.input.value or None
                            )
                        )
                    else:
                        out = activities.execute(
                            fn, instance_id, sched.name, action.id, sched.input.value or None
                        )
                    ready.append(ph.new_task_completed_event(action.id, out))
                except Exception as exc:  # noqa: BLE001 - an activity failure is an event
                    ready.append(ph.new_task_failed_event(action.id, exc))
            elif action.HasField("createTimer"):
                created = pb.HistoryEvent(eventId=action.id, timerCreated=pb.TimerCreatedEvent())
                created.timerCreated.fireAt.CopyFrom(action.createTimer.fireAt)
                origin = action.createTimer.WhichOneof("origin")
                if origin:
                    getattr(created.timerCreated, origin).CopyFrom(getattr(action.createTimer, origin))
                old.append(created)
                if not ph.is_optional_timer_action(action):  # Dapr 1.19: an indefinite wait's timer
                    timers[action.id] = action.createTimer.fireAt.ToDatetime()
            elif action.HasField("createChildWorkflow"):
                child = action.createChildWorkflow
                old.append(
                    ph.new_child_workflow_created_event(
                        action.id, child.name, child.instanceId, child.input.value or None
                    )
                )
                outcome = run_instance(registry, child.name, child.instanceId, child.input.value or None, [])
                if outcome["status"] == "completed":
                    output = outcome["output"]
                    ready.append(
                        ph.new_child_workflow_completed_event(
                            action.id, None if output is None else json.dumps(output)
                        )
                    )
                else:
                    ready.append(
                        ph.new_child_workflow_failed_event(action.id, RuntimeError(outcome["error_type"]))
                    )
        if new:
            continue
        queue += ready  # each result is its own dispatch, in the order the tasks were scheduled
        if queue:
            new = [ph.new_workflow_started_event(now), queue.pop(0)]
            continue
        if events:
            event_name, data = events.pop(0)
            new = [
                ph.new_workflow_started_event(now),
                ph.new_event_raised_event(event_name, None if data is None else json.dumps(data)),
            ]
            continue
        if timers:
            timer_id = min(timers, key=lambda k: (timers[k], k))
            now = max(now, timers.pop(timer_id))
            new = [ph.new_workflow_started_event(now), ph.new_timer_fired_event(timer_id, now)]
            continue
        return {"status": "running"}
    raise RuntimeError("too many steps")


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        scenarios = json.load(handle)
    for scenario in scenarios:
        registry = load_runtime_registry(scenario["program"])
        outcome = run_instance(
            registry,
            scenario["workflow"],
            "judge-1",
            None if scenario.get("input") is None else json.dumps(scenario["input"]),
            [tuple(e) for e in scenario.get("events", [])],
        )
        print(json.dumps({"program": os.path.basename(scenario["program"]), **outcome}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
