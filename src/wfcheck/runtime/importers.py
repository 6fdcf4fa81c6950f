"""Histories recorded by the real engines, read into this runtime's events.

One entry point, :func:`load_histories`, reads a file and detects its format from the content:

* ``wfcheck``: wfcheck's own export (``wfcheck replay history --format json``,
  ``Store.export_json``): every instance and generation in it.
* ``durabletask-export``: durabletask's history export extension
  (``durabletask.extensions.history_export``): the JSON document
  (``{"schema_version", "instance_id", "events": [{"event_type": "TaskScheduledEvent", ...}]}``)
  and the gzipped JSONL (a metadata line, then one event a line).
* ``protobuf-json``: ``HistoryEvent`` messages as ``google.protobuf.json_format`` writes them,
  a bare list or ``{"events": [...]}``: what durabletask's ``StreamInstanceHistory`` /
  ``get_orchestration_history`` and Dapr's ``GetInstanceHistory`` return. Both dialects:
  durabletask's (``orchestratorStarted``, ``subOrchestrationInstance*``) and Dapr's
  (``workflowStarted`` with the named version and patches, ``childWorkflowInstance*``,
  optional timers of indefinite waits).
* ``temporal``: Temporal's JSON history (``temporal workflow show --output json``, or a list
  of ``{"events": [...]}`` documents). It is not converted: :mod:`temporal_check` hands it to
  temporalio's own ``Replayer``.

Engine histories are converted, not just copied: their task ids become this runtime's
sequence numbers (dense, in the order the decisions were recorded, which is the order the
code makes them), so a retried activity that durabletask records again under the same id gets
the next number as it does here; a Dapr optional timer (the sentinel behind an indefinite
``wait_for_external_event``) is dropped, as Dapr's own replay tolerates its absence. Each
converted event keeps the engine's event id and its position in the file, for the report.

Every event kind the engines write is mapped: to an event, to nothing (bookkeeping such as
``orchestratorCompleted``), or to a clear "not replayable here" error (entities, including
``eventSent`` entity messages); an unknown kind is an error naming it. Standard library only.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import re
from collections.abc import Iterable
from typing import Any

from wfcheck.runtime import history as h
from wfcheck.runtime.history import Event

WFCHECK = "wfcheck"
DURABLETASK_EXPORT = "durabletask-export"
PROTOBUF_JSON = "protobuf-json"
TEMPORAL = "temporal"

HISTORY_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz", ".gz")

_EPOCH = "1970-01-01T00:00:00+00:00"
# Whether this runtime's events carry the instance's version and the Dapr patches of a step.
_CARRIES_VERSIONS = {"version", "patches"} <= {f.name for f in dataclasses.fields(Event)}
# Dapr's fireAt for the optional timer behind an indefinite wait (9999-12-31T23:59:59.999999999Z).
_OPTIONAL_TIMER_PREFIX = "9999-12-31T23:59:59"


class HistoryFormatError(ValueError):
    """A history file that cannot be read: one line, naming the file and what is wrong."""


@dataclasses.dataclass
class RecordedHistory:
    """One instance's recorded history, ready to be replayed.

    ``events`` are this runtime's events; ``event_ids[i]`` and ``positions[i]`` are the
    engine's own id of ``events[i]`` and its index in the file's event list (``None``/index for
    wfcheck's export, whose events have no ids). ``version`` is the orchestration version
    (durabletask) or the named workflow version (Dapr); ``patches`` the Dapr patches recorded
    as applied; ``terminated`` that it was stopped from outside. For Temporal, ``events`` is
    empty and ``raw`` is the history document.
    """

    source: str
    format: str
    engine: str
    instance_id: str
    workflow_name: str | None
    events: list[Event] = dataclasses.field(default_factory=list)
    event_ids: list[int | None] = dataclasses.field(default_factory=list)
    positions: list[int] = dataclasses.field(default_factory=list)
    version: str | None = None
    patches: list[str] = dataclasses.field(default_factory=list)
    terminated: bool = False
    raw: Any = None

    @property
    def label(self) -> str:
        return f"{self.source} [{self.instance_id}]"


# -- reading files --------------------------------------------------------------------------------


def history_files(path: str) -> list[str]:
    """``path`` itself, or the history files in a folder (recursively, sorted)."""
    if os.path.isdir(path):
        found = []
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.lower().endswith(HISTORY_SUFFIXES):
                    found.append(os.path.join(root, name))
        return found
    if not os.path.exists(path):
        raise HistoryFormatError(f"{path}: no such file or directory")
    return [path]


def load_histories(path: str) -> list[RecordedHistory]:
    """Every instance history in the file at ``path``, whatever its format."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise HistoryFormatError(f"{path}: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise HistoryFormatError(f"{path}: not a readable gzip file ({exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HistoryFormatError(f"{path}: not UTF-8 text (not a history file)") from None
    try:
        return parse_histories(text, path)
    except RecursionError:
        raise HistoryFormatError(f"{path}: JSON nested too deeply") from None


def parse_histories(text: str, source: str = "<history>") -> list[RecordedHistory]:
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as whole_error:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            items = [json.loads(line) for line in lines]
        except json.JSONDecodeError:
            raise HistoryFormatError(f"{source}: not JSON ({whole_error})") from None
        return [_from_jsonl(items, source)]
    return _from_document(document, source)


def _from_document(document: Any, source: str) -> list[RecordedHistory]:
    if isinstance(document, dict):
        if document.get("format") == "wfcheck-history/1":
            return _from_wfcheck(document, source)
        events = document.get("events")
        if isinstance(events, list):
            if "schema_version" in document or any(isinstance(e, dict) and "event_type" in e for e in events):
                return [_from_durabletask_export(document, events, source)]
            if _looks_temporal(events):
                return [_temporal(document, source, 0)]
            return [_from_protobuf_json(events, source, document.get("instance_id"))]
        if "format" in document:
            raise HistoryFormatError(f"{source}: unknown history format {document['format']!r}")
        raise HistoryFormatError(
            f"{source}: not a history (expected wfcheck's export, durabletask's history export, "
            "a list of HistoryEvent messages or a Temporal history)"
        )
    if isinstance(document, list):
        if not document:
            raise HistoryFormatError(f"{source}: empty history")
        if all(isinstance(d, dict) and isinstance(d.get("events"), list) for d in document) and all(
            _looks_temporal(d["events"]) for d in document
        ):
            return [_temporal(d, source, i) for i, d in enumerate(document)]
        if _looks_temporal(document):
            return [_temporal({"events": document}, source, 0)]
        if isinstance(document[0], dict) and "event_type" in document[0]:
            return [_from_durabletask_export({}, document, source)]
        return [_from_protobuf_json(document, source, None)]
    raise HistoryFormatError(f"{source}: not a history (a JSON {type(document).__name__})")


def _from_jsonl(items: list[Any], source: str) -> RecordedHistory:
    if not items or not isinstance(items[0], dict):
        raise HistoryFormatError(f"{source}: empty history")
    header: dict[str, Any] = {}
    if items[0].get("kind") == "metadata":
        header, items = items[0], items[1:]
    if not all(isinstance(item, dict) for item in items):
        raise HistoryFormatError(f"{source}: a JSONL line is not an event object")
    if items and "event_type" not in items[0]:
        return _from_protobuf_json(items, source, header.get("instance_id"))
    return _from_durabletask_export(header, items, source)


def _looks_temporal(events: list[Any]) -> bool:
    return bool(events) and isinstance(events[0], dict) and "eventType" in events[0]


def _temporal(document: dict[str, Any], source: str, index: int) -> RecordedHistory:
    events = document["events"]
    attributes = events[0].get("workflowExecutionStartedEventAttributes") or {}
    name = (attributes.get("workflowType") or {}).get("name")
    workflow_id = document.get("workflowId") or document.get("workflow_id") or f"history-{index}"
    return RecordedHistory(
        source=source,
        format=TEMPORAL,
        engine="temporal",
        instance_id=str(workflow_id),
        workflow_name=name,
        raw={"events": events},
    )


# -- wfcheck's own export -------------------------------------------------------------------------


def _from_wfcheck(document: dict[str, Any], source: str) -> list[RecordedHistory]:
    found = []
    try:
        for item in document["instances"]:
            record = item["record"]
            generations = sorted(item["generations"].items(), key=lambda kv: int(kv[0]))
            for generation, raw in generations:
                events = h.history_from_json(raw)
                label = record["instance_id"]
                if len(generations) > 1:
                    label = f"{label}#{generation}"
                found.append(
                    RecordedHistory(
                        source=source,
                        format=WFCHECK,
                        engine=WFCHECK,
                        instance_id=label,
                        workflow_name=record.get("name"),
                        events=events,
                        event_ids=[None] * len(events),
                        positions=list(range(len(events))),
                    )
                )
    except (KeyError, TypeError, ValueError) as exc:
        raise HistoryFormatError(f"{source}: malformed wfcheck history export ({exc})") from None
    return found


# -- durabletask's history export -----------------------------------------------------------------

_SNAKE = re.compile(r"_([a-z])")


def _camel(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def _from_durabletask_export(header: dict[str, Any], events: list[Any], source: str) -> RecordedHistory:
    """The export writes each event's dataclass fields (snake case) plus ``event_type``, the
    class name; both are turned into the protobuf-JSON shape and read by one converter."""
    converted = []
    for index, item in enumerate(events):
        if not isinstance(item, dict) or not isinstance(item.get("event_type"), str):
            raise HistoryFormatError(f"{source}: event #{index} has no event_type")
        type_name = item["event_type"]
        key = type_name[:-5] if type_name.endswith("Event") else type_name
        key = key[:1].lower() + key[1:]
        body = {_camel(k): v for k, v in item.items() if k not in ("event_type", "event_id", "timestamp")}
        converted.append({"eventId": item.get("event_id"), "timestamp": item.get("timestamp"), key: body})
    history = _from_protobuf_json(converted, source, header.get("instance_id"))
    history.format = DURABLETASK_EXPORT
    return history


# -- protobuf JSON (durabletask and Dapr HistoryEvent) --------------------------------------------

_INFORMATIONAL = {
    "orchestratorCompleted",
    "workflowCompleted",
    "genericEvent",
    "historyState",
    "executionSuspended",
    "executionResumed",
    "executionStalled",
    "executionRewound",
    "continueAsNew",
}
_NOT_REPLAYABLE = {
    "eventSent": "send_event to an entity",
    "entityOperationSignaled": "signal_entity",
    "entityOperationCalled": "call_entity",
    "entityOperationCompleted": "call_entity",
    "entityOperationFailed": "call_entity",
    "entityLockRequested": "lock_entities",
    "entityLockGranted": "lock_entities",
    "entityUnlockSent": "lock_entities",
    "detachedWorkflowInstanceCreated": "a detached child workflow",
}
_DAPR_ONLY = {
    "workflowStarted",
    "workflowCompleted",
    "childWorkflowInstanceCreated",
    "childWorkflowInstanceCompleted",
    "childWorkflowInstanceFailed",
    "executionStalled",
    "detachedWorkflowInstanceCreated",
}
_HANDLED = {
    "orchestratorStarted",
    "workflowStarted",
    "executionStarted",
    "executionCompleted",
    "executionTerminated",
    "taskScheduled",
    "taskCompleted",
    "taskFailed",
    "subOrchestrationInstanceCreated",
    "subOrchestrationInstanceCompleted",
    "subOrchestrationInstanceFailed",
    "childWorkflowInstanceCreated",
    "childWorkflowInstanceCompleted",
    "childWorkflowInstanceFailed",
    "timerCreated",
    "timerFired",
    "eventRaised",
    "eventSent",
}
KNOWN_KINDS = frozenset(_HANDLED | _INFORMATIONAL | set(_NOT_REPLAYABLE))
_ENVELOPE = {"eventId", "event_id", "timestamp", "router"}
_STATUS_NAMES = {
    1: "COMPLETED",
    2: "CONTINUED_AS_NEW",
    3: "FAILED",
    4: "CANCELED",
    5: "TERMINATED",
    6: "PENDING",
    7: "SUSPENDED",
    8: "STALLED",
}


def _kind_of(item: dict[str, Any], source: str, index: int) -> str:
    keys = [k for k in item if k not in _ENVELOPE]
    if len(keys) != 1:
        raise HistoryFormatError(f"{source}: event #{index} is not a HistoryEvent (fields {sorted(item)})")
    kind = keys[0]
    if kind not in KNOWN_KINDS:
        raise HistoryFormatError(f"{source}: event #{index} has an unknown history event kind {kind!r}")
    return kind


def _payload(value: Any) -> Any:
    """An engine payload (a JSON string, ``""`` or absent for none) as a value."""
    if value is None or value == "":
        return None
    if isinstance(value, dict) and "value" in value:  # a wrapper written without json_format
        return _payload(value["value"])
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _time(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # json_format writes up to nanoseconds; Python parses microseconds
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return h.format_time(h.parse_time(text))
    except ValueError:
        return None


def _failure(details: Any) -> dict[str, Any]:
    details = details if isinstance(details, dict) else {}
    error_type = details.get("errorType") or details.get("error_type") or "Exception"
    message = details.get("errorMessage") or details.get("message") or ""
    out: dict[str, Any] = {"type": str(error_type).rsplit(".", 1)[-1], "message": str(message)}
    trace = details.get("stackTrace") or details.get("stack_trace")
    if isinstance(trace, str) and trace:
        out["traceback"] = trace
    return out


def _status(value: Any) -> str:
    if isinstance(value, int):
        return _STATUS_NAMES.get(value, str(value))
    text = str(value or "")
    return text.replace("ORCHESTRATION_STATUS_", "").replace("WORKFLOW_STATUS_", "") or "COMPLETED"


def _from_protobuf_json(items: Iterable[Any], source: str, instance_id: str | None) -> RecordedHistory:
    items = list(items)
    if not items:
        raise HistoryFormatError(f"{source}: empty history")
    kinds = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise HistoryFormatError(f"{source}: event #{index} is not a JSON object")
        kinds.append(_kind_of(item, source, index))
    engine = (
        "dapr" if any(k in _DAPR_ONLY for k in kinds) or any("router" in i for i in items) else "durabletask"
    )
    history = RecordedHistory(
        source=source, format=PROTOBUF_JSON, engine=engine, instance_id=instance_id or "", workflow_name=None
    )
    _Converter(history).run(items, kinds)
    if not history.instance_id:
        history.instance_id = os.path.basename(source)
    return history


class _Converter:
    def __init__(self, history: RecordedHistory) -> None:
        self.history = history
        self.now = _EPOCH
        self.next_seq = 0
        self.seq_of: dict[tuple[str, int], int] = {}  # (family, engine id) -> sequence number
        self.dropped_timers: set[int] = set()
        self.step_patches: list[str] = []

    def emit(self, event: Event, event_id: Any, index: int) -> None:
        if event.kind in h.INPUT_KINDS and self.step_patches and _CARRIES_VERSIONS:
            event.patches = list(self.step_patches)  # type: ignore[attr-defined,unused-ignore]
            self.step_patches = []
        if event.kind == h.WORKFLOW_STARTED and self.history.version and _CARRIES_VERSIONS:
            event.version = self.history.version  # type: ignore[attr-defined,unused-ignore]
        self.history.events.append(event)
        self.history.event_ids.append(event_id if isinstance(event_id, int) else None)
        self.history.positions.append(index)

    def decision_seq(self, family: str, engine_id: int) -> int:
        self.next_seq += 1
        self.seq_of[(family, engine_id)] = self.next_seq
        return self.next_seq

    def completed_seq(self, family: str, engine_id: Any) -> int:
        if not isinstance(engine_id, int):
            engine_id = int(engine_id or 0)
        # an id the history never scheduled: a number no task has, so replay reports it
        return self.seq_of.get((family, engine_id), -engine_id - 1)

    def run(self, items: list[dict[str, Any]], kinds: list[str]) -> None:
        for index, (item, kind) in enumerate(zip(items, kinds)):
            body = item[kind] if isinstance(item[kind], dict) else {}
            event_id = item.get("eventId", item.get("event_id"))
            if isinstance(event_id, str) and event_id.lstrip("-").isdigit():
                event_id = int(event_id)
            stamp = _time(item.get("timestamp"))
            # Only the episode markers carry the engine's clock; the others are often unset (epoch).
            if kind in ("orchestratorStarted", "workflowStarted"):
                if stamp:
                    self.now = stamp
                version = body.get("version")
                if isinstance(version, dict):
                    if version.get("name"):
                        self.history.version = str(version["name"])
                    for patch in version.get("patches") or []:
                        if patch not in self.history.patches:
                            self.history.patches.append(str(patch))
                        # Dapr's replay learns a patch when it meets this workflowStarted:
                        # this runtime, on the step's first input event
                        if patch not in self.step_patches:
                            self.step_patches.append(str(patch))
                continue
            if kind in _INFORMATIONAL:
                continue
            if kind == "eventSent" and not str(body.get("instanceId") or "").startswith("@"):
                self.convert(kind, body, event_id, index)  # an entity message ("@...") is not
                continue
            if kind in _NOT_REPLAYABLE:
                raise HistoryFormatError(
                    f"{self.history.source}: event #{index} ({kind}) records {_NOT_REPLAYABLE[kind]}, "
                    "which wfcheck's runtime does not replay"
                )
            self.convert(kind, body, event_id, index)

    def convert(self, kind: str, body: dict[str, Any], event_id: Any, index: int) -> None:
        now = self.now
        if kind == "executionStarted":
            instance = body.get("orchestrationInstance") or body.get("workflowInstance") or {}
            if not self.history.instance_id:
                self.history.instance_id = str(instance.get("instanceId") or "")
            self.history.workflow_name = body.get("name")
            if body.get("version") and self.history.engine == "durabletask":
                self.history.version = _payload_text(body.get("version"))
            event = Event(
                h.WORKFLOW_STARTED,
                now,
                name=body.get("name"),
                input=_payload(body.get("input")),
                instance_id=self.history.instance_id or None,
            )
        elif kind == "taskScheduled":
            seq = self.decision_seq("task", int(event_id))
            event = Event(
                h.ACTIVITY_SCHEDULED, now, seq=seq, name=body.get("name"), input=_payload(body.get("input"))
            )
        elif kind in ("subOrchestrationInstanceCreated", "childWorkflowInstanceCreated"):
            seq = self.decision_seq("task", int(event_id))
            event = Event(
                h.CHILD_WORKFLOW_SCHEDULED,
                now,
                seq=seq,
                name=body.get("name"),
                input=_payload(body.get("input")),
                instance_id=body.get("instanceId"),
            )
        elif kind == "timerCreated":
            fire_at = body.get("fireAt")
            if isinstance(fire_at, str) and fire_at.startswith(_OPTIONAL_TIMER_PREFIX):
                self.dropped_timers.add(int(event_id))
                return
            seq = self.decision_seq("task", int(event_id))
            event = Event(h.TIMER_CREATED, now, seq=seq, fire_at=_time(fire_at) or now)
        elif kind == "timerFired":
            timer_id = body.get("timerId")
            if timer_id in self.dropped_timers:
                return
            event = Event(
                h.TIMER_FIRED, _time(body.get("fireAt")) or now, seq=self.completed_seq("task", timer_id)
            )
        elif kind == "taskCompleted":
            event = Event(
                h.ACTIVITY_COMPLETED,
                now,
                seq=self.completed_seq("task", body.get("taskScheduledId")),
                result=_payload(body.get("result")),
            )
        elif kind == "taskFailed":
            event = Event(
                h.ACTIVITY_FAILED,
                now,
                seq=self.completed_seq("task", body.get("taskScheduledId")),
                error=_failure(body.get("failureDetails")),
            )
        elif kind in ("subOrchestrationInstanceCompleted", "childWorkflowInstanceCompleted"):
            event = Event(
                h.CHILD_WORKFLOW_COMPLETED,
                now,
                seq=self.completed_seq("task", body.get("taskScheduledId")),
                result=_payload(body.get("result")),
            )
        elif kind in ("subOrchestrationInstanceFailed", "childWorkflowInstanceFailed"):
            event = Event(
                h.CHILD_WORKFLOW_FAILED,
                now,
                seq=self.completed_seq("task", body.get("taskScheduledId")),
                error=_failure(body.get("failureDetails")),
            )
        elif kind == "eventSent":  # send_event: a decision with no completion
            event = Event(
                h.EVENT_SENT,
                now,
                seq=self.decision_seq("task", int(event_id)),
                name=body.get("name"),
                instance_id=body.get("instanceId"),
                data=_payload(body.get("input")),
            )
        elif kind == "eventRaised":
            event = Event(h.EVENT_RAISED, now, name=body.get("name"), data=_payload(body.get("input")))
        elif kind == "executionTerminated":
            # stopped from outside: the history ends here as an in-flight one would
            self.history.terminated = True
            return
        else:  # executionCompleted
            status = _status(body.get("orchestrationStatus", body.get("workflowStatus")))
            if status in ("TERMINATED", "CANCELED"):
                self.history.terminated = True
                return
            if status == "CONTINUED_AS_NEW":
                event = Event(h.CONTINUED_AS_NEW, now, input=_payload(body.get("result")))
            elif status == "FAILED":
                event = Event(h.WORKFLOW_FAILED, now, error=_failure(body.get("failureDetails")))
            else:
                event = Event(h.WORKFLOW_COMPLETED, now, result=_payload(body.get("result")))
        self.emit(event, event_id, index)


def _payload_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    return None if value in (None, "") else str(value)
