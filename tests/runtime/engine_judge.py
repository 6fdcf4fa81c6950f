"""Dapr's own orchestration executor (its vendored durabletask) as the judge of a history.

:func:`engine_verdict` converts a wfcheck history into Dapr's protobuf history events and lets
``_OrchestrationExecutor.execute`` replay it (old events) with one more event (new), exactly as
a Dapr sidecar dispatch would; the answer is the error type the engine fails the instance
with, or ``None`` when it accepts the history.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Callable

from wfcheck.runtime import history as h
from wfcheck.runtime.history import Event


def _encode(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _naive(stamp: Any):
    return h.parse_time(str(stamp)).replace(tzinfo=None)


def to_dapr_events(events: Sequence[Event], name: str = "wf", patches_at: dict[int, list[str]] | None = None):
    from dapr.ext.workflow._durabletask.internal import helpers as ph

    out = []
    for index, event in enumerate(events):
        moment = h.parse_time(event.timestamp).replace(tzinfo=None)
        if event.kind in h.INPUT_KINDS:
            started = ph.new_workflow_started_event(moment)
            version = event.version if hasattr(event, "version") else None
            patches = list(event.patches or []) if hasattr(event, "patches") else []
            if patches_at and index in patches_at:
                patches += patches_at[index]
            if version or patches:
                started.workflowStarted.version.name = version or ""
                started.workflowStarted.version.patches.extend(patches)
            out.append(started)
        if event.kind == h.WORKFLOW_STARTED:
            out.append(ph.new_execution_started_event(name, "i-1", _encode(event.input)))
        elif event.kind == h.ACTIVITY_SCHEDULED:
            out.append(ph.new_task_scheduled_event(int(event.seq), str(event.name), _encode(event.input)))
        elif event.kind == h.ACTIVITY_COMPLETED:
            out.append(ph.new_task_completed_event(int(event.seq), _encode(event.result)))
        elif event.kind == h.ACTIVITY_FAILED:
            out.append(ph.new_task_failed_event(int(event.seq), RuntimeError("failed")))
        elif event.kind == h.TIMER_CREATED:
            out.append(ph.new_timer_created_event(int(event.seq), _naive(event.fire_at)))
        elif event.kind == h.TIMER_FIRED:
            out.append(ph.new_timer_fired_event(int(event.seq), _naive(event.fire_at)))
        elif event.kind == h.EVENT_RAISED:
            out.append(ph.new_event_raised_event(str(event.name), _encode(event.data)))
        elif event.kind == h.CHILD_WORKFLOW_SCHEDULED:
            out.append(
                ph.new_child_workflow_created_event(
                    int(event.seq), str(event.name), str(event.instance_id), _encode(event.input)
                )
            )
        elif event.kind == h.CHILD_WORKFLOW_COMPLETED:
            out.append(ph.new_child_workflow_completed_event(int(event.seq), _encode(event.result)))
        elif event.kind in h.TERMINAL_KINDS:
            continue  # the engines never replay a finished instance
        else:  # pragma: no cover - the tests use only the kinds above
            raise ValueError(event.kind)
    return out


def engine_verdict(
    workflow: Callable[..., Any], old: Sequence[Event], new: Sequence[Event], name: str = "wf"
) -> str | None:
    """The error type Dapr's executor fails the instance with, or ``None``."""
    from dapr.ext.workflow._durabletask import worker as dw

    registry = dw._Registry()
    registry.add_named_orchestrator(name, workflow)
    executor = dw._OrchestrationExecutor(registry, logging.getLogger("engine-judge"))
    old_pb = to_dapr_events(old, name)
    new_pb = to_dapr_events(new, name)
    results = executor.execute("i-1", old_pb, new_pb)
    for action in results.actions:
        if action.HasField("completeWorkflow") and action.completeWorkflow.HasField("failureDetails"):
            return action.completeWorkflow.failureDetails.errorType
    return None
