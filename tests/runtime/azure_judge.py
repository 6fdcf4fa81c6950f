"""The Azure Durable Functions Python SDK as a judge: runs an unchanged DFApp orchestrator
through the SDK's own ``Orchestrator`` handle (``DurableOrchestrationContext`` replaying a
history, ``TaskOrchestrationExecutor`` deciding the actions), playing the Functions host's part:
after each episode the new ``CallActivity`` actions are executed in-process and appended to the
history as ``TaskScheduled``/``TaskCompleted`` events, until the SDK reports ``isDone``.

Only activity calls are served (enough for chaining and fan-out); any other action fails."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
from typing import Any

_STAMP = "2026-01-01T00:00:00.000000Z"
_CALL_ACTIVITY = 0
_EXECUTION_STARTED, _TASK_SCHEDULED, _TASK_COMPLETED, _ORCHESTRATOR_STARTED = 0, 4, 5, 12


def _event(kind: int, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    return {"EventType": kind, "EventId": event_id, "IsPlayed": False, "Timestamp": _STAMP, **fields}


def run(path: str, orchestrator: str, workflow_input: Any) -> tuple[Any, list[str]]:
    """The orchestration's output and the activity names it scheduled, in order."""
    spec = importlib.util.spec_from_file_location(f"_azure_judge_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handle = getattr(module, orchestrator)._function._func
    activities = {}
    for value in vars(module).values():
        function = getattr(value, "_function", None)
        if function is not None and getattr(function.get_trigger(), "type", None) == "activityTrigger":
            activities[function.get_function_name()] = function._func
    wire = json.dumps(workflow_input)
    history = [
        _event(_ORCHESTRATOR_STARTED),
        _event(_EXECUTION_STARTED, Input=wire, Name=orchestrator, Version=""),
    ]
    handled = 0
    scheduled: list[str] = []
    for _ in range(1000):
        body = {
            "history": history,
            "instanceId": "judge",
            "isReplaying": False,
            "parentInstanceId": None,
            "input": wire,
        }
        state = json.loads(handle(json.dumps(body)))
        if state.get("isDone"):
            if state.get("error"):
                raise RuntimeError(state["error"])
            return state.get("output"), scheduled
        actions = [action for group in state["actions"] for action in group]
        history.append(_event(_ORCHESTRATOR_STARTED))
        for task_id in range(handled, len(actions)):
            action = actions[task_id]
            if action["actionType"] != _CALL_ACTIVITY:
                raise NotImplementedError(f"the judge serves only activity calls, not {action}")
            name = action["functionName"]
            result = activities[name](json.loads(action["input"]))
            if inspect.iscoroutine(result):
                result = asyncio.run(result)
            scheduled.append(name)
            history.append(_event(_TASK_SCHEDULED, task_id, Name=name))
            history.append(_event(_TASK_COMPLETED, TaskScheduledId=task_id, Result=json.dumps(result)))
        handled = len(actions)
    raise RuntimeError("the orchestration did not finish in 1000 episodes")
