"""History events: the event-sourced record of one workflow instance, and its JSON codec.

A history is an ordered list of :class:`Event`. Events come in two families:

* *decision* events record what the workflow code decided (schedule an activity, a timer or a
  child workflow; complete, fail or continue as new). On replay the code must make exactly the
  same decisions, in the same order, at the same positions.
* *input* events record what happened to the workflow from outside (it started, an activity
  finished, a timer fired, an event was raised). On replay they are fed back to the code.

Everything here is JSON-serialisable so a history can be stored, exported and imported.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

WORKFLOW_STARTED = "workflow_started"
ACTIVITY_SCHEDULED = "activity_scheduled"
ACTIVITY_COMPLETED = "activity_completed"
ACTIVITY_FAILED = "activity_failed"
TIMER_CREATED = "timer_created"
TIMER_FIRED = "timer_fired"
EVENT_RAISED = "event_raised"
CHILD_WORKFLOW_SCHEDULED = "child_workflow_scheduled"
CHILD_WORKFLOW_COMPLETED = "child_workflow_completed"
CHILD_WORKFLOW_FAILED = "child_workflow_failed"
EVENT_SENT = "event_sent"
CONTINUED_AS_NEW = "continued_as_new"
WORKFLOW_COMPLETED = "workflow_completed"
WORKFLOW_FAILED = "workflow_failed"

DECISION_KINDS = frozenset(
    {
        ACTIVITY_SCHEDULED,
        TIMER_CREATED,
        CHILD_WORKFLOW_SCHEDULED,
        EVENT_SENT,
        CONTINUED_AS_NEW,
        WORKFLOW_COMPLETED,
        WORKFLOW_FAILED,
    }
)
INPUT_KINDS = frozenset(
    {
        WORKFLOW_STARTED,
        ACTIVITY_COMPLETED,
        ACTIVITY_FAILED,
        TIMER_FIRED,
        EVENT_RAISED,
        CHILD_WORKFLOW_COMPLETED,
        CHILD_WORKFLOW_FAILED,
    }
)
TERMINAL_KINDS = frozenset({WORKFLOW_COMPLETED, WORKFLOW_FAILED, CONTINUED_AS_NEW})
ALL_KINDS = DECISION_KINDS | INPUT_KINDS


@dataclasses.dataclass
class Event:
    """One history event. Fields a kind does not use stay ``None`` and are not serialised.

    ``timestamp`` is an ISO-8601 UTC string: the moment the event was recorded (for a fired
    timer under the virtual clock, its fire-at time). ``seq`` is the sequence number the code
    gave the scheduling call that an event belongs to.

    ``version`` (on ``workflow_started``) is the instance's version: the Dapr named version the
    instance runs (``versioned_workflow``), or durabletask's orchestration version.
    ``event_sent`` (durabletask ``send_event``) is a decision with no completion: ``name`` is
    the event's name, ``instance_id`` the target instance, ``data`` the payload.
    ``patches`` (on the first input event of a step) lists the ``is_patched`` names that
    returned true in that step, as Dapr records them on the step's ``OrchestratorStarted``.
    """

    kind: str
    timestamp: str
    seq: int | None = None
    name: str | None = None
    input: Any = None
    result: Any = None
    error: dict[str, Any] | None = None
    fire_at: str | None = None
    instance_id: str | None = None
    data: Any = None
    events: list[dict[str, Any]] | None = None
    version: str | None = None
    patches: list[str] | None = None

    @property
    def is_decision(self) -> bool:
        return self.kind in DECISION_KINDS

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "timestamp": self.timestamp}
        for field in _OPTIONAL_FIELDS:
            value = getattr(self, field)
            if value is not None:
                out[field] = value
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        kind = raw.get("kind")
        if kind not in ALL_KINDS:
            raise ValueError(f"unknown history event kind: {kind!r}")
        unknown = set(raw) - _ALL_FIELDS
        if unknown:
            raise ValueError(f"unknown history event field(s): {sorted(unknown)}")
        return cls(**raw)

    def describe(self) -> str:
        """A one-line human description, used in error messages and `replay history`."""
        parts = [self.kind]
        if self.seq is not None:
            parts.append(f"seq={self.seq}")
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.kind in (ACTIVITY_SCHEDULED, CHILD_WORKFLOW_SCHEDULED, WORKFLOW_STARTED, CONTINUED_AS_NEW):
            parts.append(f"input={canonical_json(self.input)}")
        if self.version is not None:
            parts.append(f"version={self.version!r}")
        if self.patches:
            parts.append(f"patches={','.join(self.patches)}")
        if self.instance_id is not None and self.kind != WORKFLOW_STARTED:
            parts.append(f"instance_id={self.instance_id!r}")
        if self.fire_at is not None:
            parts.append(f"fire_at={self.fire_at}")
        if self.kind in (ACTIVITY_COMPLETED, CHILD_WORKFLOW_COMPLETED, WORKFLOW_COMPLETED):
            parts.append(f"result={canonical_json(self.result)}")
        if self.kind in (EVENT_RAISED, EVENT_SENT):
            parts.append(f"data={canonical_json(self.data)}")
        if self.error is not None:
            parts.append(f"error={self.error.get('type')}: {self.error.get('message')}")
        return " ".join(parts)


_OPTIONAL_FIELDS = tuple(f.name for f in dataclasses.fields(Event) if f.name not in ("kind", "timestamp"))
_ALL_FIELDS = frozenset(f.name for f in dataclasses.fields(Event))


# -- values -------------------------------------------------------------------------------------


# Captured at import: a perturbed replay process later swaps in shifted clock classes.
_TIME_TYPES = (_dt.date, _dt.time)


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, _TIME_TYPES):  # a datetime is a date
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump()
    if hasattr(value, "__dict__") and not callable(value):
        return vars(value)
    raise TypeError(f"workflow value of type {type(value).__name__} is not JSON-serialisable")


def to_wire(value: Any) -> Any:
    """Normalise a value exactly as storing and reloading it would (JSON round trip).

    Workflow and activity inputs and results always pass through this, so a live run and a
    replay hand the code identical values.
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        return json.loads(json.dumps(value, default=_default))
    except RecursionError:
        raise ValueError("workflow value is nested too deeply to store as JSON") from None


def canonical_json(value: Any) -> str:
    """Stable text for comparing recorded and current values."""
    return json.dumps(value, sort_keys=True, default=_default, separators=(",", ":"))


def error_payload(exc: BaseException, traceback_text: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if traceback_text:
        payload["traceback"] = traceback_text
    return payload


# -- timestamps ---------------------------------------------------------------------------------


def format_time(moment: _dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone(_dt.timezone.utc).isoformat()


def parse_time(text: str) -> _dt.datetime:
    moment = _dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment


# -- whole histories ----------------------------------------------------------------------------


def history_to_json(events: Iterable[Event]) -> list[dict[str, Any]]:
    return [event.to_dict() for event in events]


def history_from_json(raw: Iterable[dict[str, Any]]) -> list[Event]:
    return [Event.from_dict(item) for item in raw]


def find_damage(events: Sequence[Event]) -> str | None:
    """Why ``events`` cannot be a history this runtime recorded (whatever the code), or ``None``.

    Checks only what holds for every workflow: one ``workflow_started``, first; nothing after
    the end; every sequence number scheduled once; every completion answers a scheduling
    event that came before it and was still open. A history that fails this was damaged (an
    event deleted or edited), so replaying it would wrongly blame the code."""
    if not events:
        return None
    if events[0].kind != WORKFLOW_STARTED:
        return f"event #0 is {events[0].kind}, not workflow_started"
    scheduled: set[int] = set()
    open_seqs: set[int] = set()
    ended_at: int | None = None
    for index, event in enumerate(events[1:], 1):
        if event.kind == WORKFLOW_STARTED:
            return f"event #{index} is a second workflow_started"
        if ended_at is not None:
            return f"event #{index} ({event.kind}) comes after the workflow ended at event #{ended_at}"
        if event.seq is not None and event.kind in DECISION_KINDS:
            if event.seq in scheduled:
                return f"event #{index} schedules seq={event.seq} a second time"
            scheduled.add(event.seq)
            open_seqs.add(event.seq)
        elif event.seq is not None and event.kind in INPUT_KINDS:
            if event.seq not in open_seqs:
                why = "had already completed" if event.seq in scheduled else "was never scheduled"
                return f"event #{index} ({event.kind}) answers seq={event.seq}, which {why}"
            open_seqs.discard(event.seq)
        if event.kind in TERMINAL_KINDS:
            ended_at = index
    return None
