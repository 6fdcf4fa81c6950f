"""Temporal histories are checked by Temporal's own replayer (``temporalio.worker.Replayer``).

wfcheck does not re-implement Temporal's state machines: the engine's replayer is the judge of
what Temporal rejects (``engine`` mode), and its error is reported in wfcheck's format, with
the history event id it names. ``strict`` mode also compares, in order, the activities and
child workflows the code starts (name and arguments) against the ones history scheduled,
which Temporal's replayer does not check. ``temporalio`` is an optional dependency
(``pip install 'wfcheck[temporal]'``); it is imported only here, only when a Temporal history
is checked.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import re
import sys
import types
from typing import Any

from wfcheck.runtime import history as h
from wfcheck.runtime.history_check import CheckResult, Divergence, Side, digest
from wfcheck.runtime.importers import HistoryFormatError, RecordedHistory

_EVENT_ID = re.compile(r"HistoryEvent\(id: (\d+)")
_CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')
_SCHEDULED = {
    "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED": (
        "activityTaskScheduledEventAttributes",
        "activityType",
        "activity",
    ),
    "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED": (
        "startChildWorkflowExecutionInitiatedEventAttributes",
        "workflowType",
        "child",
    ),
}


class TemporalUnavailable(RuntimeError):
    """temporalio is not installed."""


def _require_temporalio() -> None:
    try:
        import temporalio.worker  # noqa: F401
    except ImportError:
        raise TemporalUnavailable(
            "checking a Temporal history needs temporalio: pip install 'wfcheck[temporal]'"
        ) from None


def _definition(cls: Any) -> Any:
    from temporalio import workflow

    try:
        return workflow._Definition.from_class(cls)
    except Exception:  # noqa: BLE001 - not a workflow class
        return None


def workflow_classes(module: types.ModuleType, attr: str) -> tuple[Any, list[Any]]:
    """The class TARGET names, and every other workflow class in its module (children),
    one per workflow name."""
    _require_temporalio()
    target = getattr(module, attr, None)
    if target is None or _definition(target) is None:
        raise LookupError(f"{attr!r} in {module.__name__} is not a Temporal @workflow.defn class")
    chosen = [target]
    names = {_definition(target).name}
    for value in vars(module).values():
        if isinstance(value, type) and value is not target:
            definition = _definition(value)
            if definition is not None and definition.name not in names:
                names.add(definition.name)
                chosen.append(value)
    return target, chosen


def workflow_name(cls: Any) -> str:
    return str(_definition(cls).name)


def _event_type(raw: str) -> str:
    """``ActivityTaskScheduled`` (the CLI's JSON) or ``EVENT_TYPE_ACTIVITY_TASK_SCHEDULED``
    (protobuf enum names) as the enum name."""
    if raw.startswith("EVENT_TYPE_"):
        return raw
    return "EVENT_TYPE_" + re.sub(r"(?<!^)(?=[A-Z])", "_", raw).upper()


def _validate_event_types(history: RecordedHistory) -> None:
    from temporalio.api.enums.v1 import EventType

    known = set(EventType.keys())
    for index, event in enumerate(history.raw["events"]):
        raw = str(event.get("eventType", ""))
        if _event_type(raw) not in known:
            raise HistoryFormatError(
                f"{history.source}: event #{index} has an unknown Temporal event type {raw!r}"
            )


def _payloads(value: Any) -> list[Any]:
    out = []
    for payload in (value or {}).get("payloads") or []:
        data = payload.get("data")
        try:
            out.append(json.loads(base64.b64decode(data))) if data else out.append(None)
        except ValueError:
            out.append(data)
    return out


def _recorded_calls(history: RecordedHistory) -> list[tuple[int, str, str, list[Any]]]:
    calls = []
    for event in history.raw["events"]:
        spec = _SCHEDULED.get(_event_type(str(event.get("eventType", ""))))
        if spec is None:
            continue
        attributes = event.get(spec[0]) or {}
        name = (attributes.get(spec[1]) or {}).get("name")
        calls.append((int(event.get("eventId", 0)), spec[2], str(name), _payloads(attributes.get("input"))))
    return calls


def _location(cls: Any) -> str | None:
    from wfcheck.runtime.context import format_location

    candidates: list[Any] = [c for c in (getattr(cls, "run", None), cls) if c is not None]
    for candidate in candidates:
        try:
            code_file = inspect.getsourcefile(candidate)
            _, line = inspect.getsourcelines(candidate)
        except (OSError, TypeError):
            continue
        if code_file:
            return format_location(code_file, line)
    return None


def _make_interceptor(calls: list[tuple[str, str, list[Any], str | None]], source_file: str | None) -> Any:
    from temporalio.worker import Interceptor, WorkflowInboundInterceptor, WorkflowOutboundInterceptor

    from wfcheck.runtime.context import format_location

    def where() -> str | None:
        frame = sys._getframe(2)
        while frame is not None:
            if source_file and os.path.abspath(frame.f_code.co_filename) == source_file:
                return format_location(frame.f_code.co_filename, frame.f_lineno)
            frame = frame.f_back  # type: ignore[assignment]
        return None

    class Outbound(WorkflowOutboundInterceptor):
        def start_activity(self, input: Any) -> Any:
            calls.append(("activity", str(input.activity), list(input.args), where()))
            return super().start_activity(input)

        def start_local_activity(self, input: Any) -> Any:
            calls.append(("activity", str(input.activity), list(input.args), where()))
            return super().start_local_activity(input)

        async def start_child_workflow(self, input: Any) -> Any:
            calls.append(("child", str(input.workflow), list(input.args), where()))
            return await super().start_child_workflow(input)

    class Inbound(WorkflowInboundInterceptor):
        def init(self, outbound: Any) -> None:
            super().init(Outbound(outbound))

    class Recorder(Interceptor):
        def workflow_interceptor_class(self, input: Any) -> Any:
            return Inbound

    return Recorder()


def check_temporal(module: types.ModuleType, attr: str, history: RecordedHistory, mode: str) -> CheckResult:
    """Replay one Temporal history through temporalio's Replayer with TARGET's classes."""
    _require_temporalio()
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    _validate_event_types(history)
    target, classes = workflow_classes(module, attr)
    name = workflow_name(target)
    result = CheckResult(
        source=history.source,
        instance_id=history.instance_id,
        engine="temporal",
        format=history.format,
        mode=mode,
        workflow=name,
        events=len(history.raw["events"]),
    )
    if history.workflow_name and history.workflow_name != name:
        result.error = f"history is of workflow type {history.workflow_name!r}; {attr} defines {name!r}"
        return result
    source_file = getattr(module, "__file__", None)
    calls: list[tuple[str, str, list[Any], str | None]] = []
    from temporalio.runtime import Runtime, TelemetryConfig

    replayer = Replayer(
        workflows=classes,
        interceptors=[_make_interceptor(calls, os.path.abspath(source_file or ""))],
        # the core's own log lines would repeat, unformatted, the failure reported here
        runtime=Runtime(telemetry=TelemetryConfig(logging=None)),
    )
    try:
        parsed = WorkflowHistory.from_json(history.instance_id, history.raw)
    except Exception as exc:  # noqa: BLE001 - malformed JSON history
        raise HistoryFormatError(f"{history.source}: not a readable Temporal history ({exc})") from None
    replayed = asyncio.run(replayer.replay_workflow(parsed, raise_on_replay_failure=False))
    failure = replayed.replay_failure
    if failure is not None:
        text = str(failure)
        core = _CORE_MESSAGE.search(text)
        if core:  # the core's own sentence, without the Rust debug dump around it
            text = core.group(1)
        found = _EVENT_ID.search(text)
        event_id = int(found.group(1)) if found else None
        result.divergence = Divergence(
            kind="mismatch",
            message=f"Temporal's replayer rejects this history: {type(failure).__name__}",
            event_index=event_id - 1 if event_id else None,
            event_id=event_id,
            recorded=_recorded_side(history, event_id),
            location=_location(target),
            engine_message=text,
        )
        return result
    if mode == "strict":
        result.divergence = _compare_calls(_recorded_calls(history), calls)
    return result


def _recorded_side(history: RecordedHistory, event_id: int | None) -> Side | None:
    for event in history.raw["events"] if event_id else ():
        if str(event.get("eventId")) == str(event_id):
            name = None
            for key, value in event.items():
                if key.endswith("EventAttributes") and isinstance(value, dict):
                    for field in ("activityType", "workflowType"):
                        if isinstance(value.get(field), dict):
                            name = value[field].get("name")
                    payloads = value.get("input")
                    return Side(
                        str(event.get("eventType")), name, digest(_payloads(payloads)) if payloads else None
                    )
            return Side(str(event.get("eventType")))
    return None


def _compare_calls(
    recorded: list[tuple[int, str, str, list[Any]]], made: list[tuple[str, str, list[Any], str | None]]
) -> Divergence | None:
    note = "; the engine would accept this (Temporal's replayer does not compare it)"
    for position, (event_id, kind, name, payloads) in enumerate(recorded):
        rec_side = Side(
            "activity_scheduled" if kind == "activity" else "child_workflow_scheduled",
            name,
            digest(payloads),
        )
        if position >= len(made):
            return Divergence(
                kind="missing-call",
                message=f"history scheduled {kind} {name!r} (event {event_id}); the code no longer does"
                + note,
                event_index=event_id - 1,
                event_id=event_id,
                sequence=position + 1,
                recorded=rec_side,
                strict_only=True,
            )
        made_kind, made_name, args, location = made[position]
        wire = h.to_wire(args)
        now_side = Side(
            "activity_scheduled" if made_kind == "activity" else "child_workflow_scheduled",
            made_name,
            digest(wire),
        )
        if (made_kind, made_name) != (kind, name) or h.canonical_json(wire) != h.canonical_json(payloads):
            return Divergence(
                kind="mismatch",
                message=f"history scheduled {kind} {name!r} with input {h.canonical_json(payloads)} "
                f"(event {event_id}); the code now starts {made_kind} {made_name!r} with input "
                f"{h.canonical_json(wire)}" + note,
                event_index=event_id - 1,
                event_id=event_id,
                sequence=position + 1,
                recorded=rec_side,
                actual=now_side,
                location=location,
                strict_only=True,
            )
    if len(made) > len(recorded):
        made_kind, made_name, args, location = made[len(recorded)]
        return Divergence(
            kind="extra-call",
            message=f"the code starts {made_kind} {made_name!r}, which history never scheduled" + note,
            sequence=len(recorded) + 1,
            actual=Side(made_kind, made_name, digest(h.to_wire(args))),
            location=location,
            strict_only=True,
        )
    return None
