"""`replay check`: replay today's workflow code against histories recorded earlier.

A recorded history (:mod:`importers`) is fed to the code the way the engine itself feeds it:
event by event, in recorded order. Input events (started, completions, fired timers, raised
events) are applied; each recorded *decision* (an activity, timer or child scheduled) is
matched against the decisions the code has made so far, by sequence number, as durabletask's
and Dapr's executors match a history event to a pending action by its id. So a batch in which
several completions arrive before the engine recorded the next decisions replays exactly as
it did on the engine.

Two modes (see docs/runtime.md):

* ``engine``: a divergence is what the engine itself rejects on replay: a recorded decision
  the code no longer makes at that number, or makes as another kind or another name. Inputs,
  timer fire times and results are not compared; decisions the code adds after the last
  recorded one are new work, which the engine accepts.
* ``strict``: also the input of each activity and child, timer fire times, child instance
  ids, the way the workflow ended, and decisions the code makes that history never recorded.
  A divergence that only strict mode finds says the engine would accept it.

Each divergence carries the engine's own words for the error where it has some: the message
durabletask's (or Dapr's) executor raises, produced by that SDK's own functions when it is
installed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import sys
from typing import Any, Callable, Literal

from wfcheck.runtime import history as h
from wfcheck.runtime.errors import NonDeterminismError
from wfcheck.runtime.executor import Execution, same_decision, suspended_location
from wfcheck.runtime.history import Event
from wfcheck.runtime.importers import RecordedHistory

Mode = Literal["engine", "strict"]
MODES: tuple[str, ...] = ("engine", "strict")

# The engine API that makes each decision, in the engines' own words.
_METHOD = {
    h.ACTIVITY_SCHEDULED: "call_activity",
    h.TIMER_CREATED: "create_timer",
    h.CHILD_WORKFLOW_SCHEDULED: "call_sub_orchestrator",
    h.EVENT_SENT: "send_event",
}
_ACTION_TYPE = {
    "durabletask": {
        h.ACTIVITY_SCHEDULED: "scheduleTask",
        h.TIMER_CREATED: "createTimer",
        h.CHILD_WORKFLOW_SCHEDULED: "createSubOrchestration",
        h.EVENT_SENT: "sendEvent",
    },
    "dapr": {
        h.ACTIVITY_SCHEDULED: "scheduleTask",
        h.TIMER_CREATED: "createTimer",
        h.CHILD_WORKFLOW_SCHEDULED: "createChildWorkflow",
    },
}
_SDK_WORKER = {
    "durabletask": ("durabletask.worker", "dapr.ext.workflow._durabletask.worker"),
    "dapr": ("dapr.ext.workflow._durabletask.worker", "durabletask.worker"),
}


@dataclasses.dataclass
class Side:
    """One side of a divergence: what history recorded, or what the code did now."""

    kind: str
    name: str | None = None
    input_digest: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Divergence:
    """Where replaying a recorded history against today's code went another way."""

    kind: str  # mismatch | missing-call | extra-call | unknown-task | failed
    message: str
    event_index: int | None = None  # position in the file's event list
    event_id: int | None = None  # the engine's id of the recorded event
    sequence: int | None = None  # the sequence number of the decision
    recorded: Side | None = None
    actual: Side | None = None
    location: str | None = None  # file:line of the workflow statement
    engine_message: str | None = None
    strict_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["recorded"] = self.recorded.to_dict() if self.recorded else None
        out["actual"] = self.actual.to_dict() if self.actual else None
        path, line = split_location(self.location)
        out["path"], out["line"] = path, line
        return out


@dataclasses.dataclass
class CheckResult:
    """The verdict on one history."""

    source: str
    instance_id: str
    engine: str
    format: str
    mode: str
    workflow: str | None
    events: int
    divergence: Divergence | None = None
    error: str | None = None  # the history could not be checked (not a divergence)

    @property
    def ok(self) -> bool:
        return self.divergence is None and self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "instance_id": self.instance_id,
            "engine": self.engine,
            "format": self.format,
            "mode": self.mode,
            "workflow": self.workflow,
            "events": self.events,
            "status": "ok" if self.ok else ("error" if self.error else "diverged"),
            "divergence": self.divergence.to_dict() if self.divergence else None,
            "error": self.error,
        }


def split_location(location: str | None) -> tuple[str | None, int | None]:
    if not location:
        return None, None
    path, sep, line = location.rpartition(":")
    if sep and line.isdigit():
        return path, int(line)
    return location, None


def digest(value: Any) -> str:
    """A short stable digest of a payload, for reports (the payloads themselves may be big
    or sensitive)."""
    return hashlib.sha256(h.canonical_json(value).encode()).hexdigest()[:12]


def side_of(event: Event) -> Side:
    name = event.name
    if event.kind == h.TIMER_CREATED:
        return Side(event.kind, None, None, f"fire_at={event.fire_at}")
    if event.kind in (h.ACTIVITY_SCHEDULED, h.CHILD_WORKFLOW_SCHEDULED):
        detail = f"instance_id={event.instance_id}" if event.kind == h.CHILD_WORKFLOW_SCHEDULED else None
        return Side(event.kind, name, digest(event.input), detail)
    if event.kind == h.EVENT_SENT:
        return Side(event.kind, name, digest(event.data), f"instance_id={event.instance_id}")
    if event.kind == h.WORKFLOW_COMPLETED:
        return Side(event.kind, None, digest(event.result), None)
    if event.kind == h.CONTINUED_AS_NEW:
        return Side(event.kind, None, digest(event.input), None)
    if event.kind == h.WORKFLOW_FAILED:
        error = event.error or {}
        return Side(event.kind, None, None, f"{error.get('type')}: {error.get('message')}")
    return Side(event.kind, name, None, None)


# -- the engines' own words -------------------------------------------------------------------------


class _ActionStub:
    """Enough of an ``OrchestratorAction`` for the SDK's message helpers (``WhichOneof``)."""

    def __init__(self, action_type: str) -> None:
        self._type = action_type

    def WhichOneof(self, _group: str) -> str:  # noqa: N802 - protobuf's name
        return self._type

    def HasField(self, name: str) -> bool:  # noqa: N802 - protobuf's name
        return name == self._type


def _sdk_worker(engine: str) -> Any:
    """The engine SDK's worker module. The durabletask package and Dapr's copy of it cannot
    share a process (both register the same protobuf symbols), so the family the user's code
    already loaded is used; with neither loaded, the engine's own."""
    durabletask_loaded = any(n == "durabletask" or n.startswith("durabletask.") for n in sys.modules)
    dapr_loaded = any(n.startswith("dapr.ext.workflow._durabletask") for n in sys.modules)
    candidates = list(_SDK_WORKER.get(engine, ()))
    if durabletask_loaded and dapr_loaded:
        candidates = [n for n in candidates if n in sys.modules]
    elif durabletask_loaded:
        candidates = [n for n in candidates if n.startswith("durabletask.")]
    elif dapr_loaded:
        candidates = [n for n in candidates if n.startswith("dapr.")]
    for name in candidates[:1]:
        try:
            return importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not installed or broken: fall back to our words
            return None
    return None


def engine_words(
    engine: str,
    problem: str,
    task_id: int | None,
    recorded: Event,
    actual: Event | None,
) -> str | None:
    """The message the engine's executor raises for this divergence (``None`` where the
    engine raises nothing, e.g. for Temporal handled elsewhere, or wfcheck's own format)."""
    if engine not in _SDK_WORKER or task_id is None:
        return None
    method = _METHOD.get(recorded.kind)
    if method is None:
        return None
    module = _sdk_worker(engine)
    try:
        if problem == "missing-call":
            maker: Callable[..., Any] = module._get_non_determinism_error
            return str(maker(task_id, method))
        if problem == "wrong-type" and actual is not None:
            action_type = _ACTION_TYPE[engine].get(actual.kind)
            if action_type is None:
                return None
            return str(module._get_wrong_action_type_error(task_id, method, _ActionStub(action_type)))
        if problem == "wrong-target" and actual is not None:
            return str(
                module._get_wrong_action_target_error(
                    task_id,
                    method_name=method,
                    expected_instance_id=recorded.instance_id,
                    actual_instance_id=actual.instance_id,
                )
            )
        if problem == "wrong-name" and actual is not None:
            return str(
                module._get_wrong_action_name_error(
                    task_id,
                    method_name=method,
                    expected_task_name=recorded.name,
                    actual_task_name=actual.name,
                )
            )
    except Exception:  # noqa: BLE001 - SDK missing or changed: describe it ourselves
        pass
    return _own_words(problem, task_id, method, recorded, actual)


def _own_words(problem: str, task_id: int, method: str, recorded: Event, actual: Event | None) -> str:
    """The engine's verdict in wfcheck's words, when its SDK cannot phrase it."""
    now = _METHOD.get(actual.kind, actual.kind) if actual is not None else None
    if problem == "missing-call":
        return f"history has {method} as task {task_id}; the code makes no such call any more"
    if problem == "wrong-type":
        return f"history has {method} as task {task_id}; the code now makes {now} there"
    if problem == "wrong-target" and actual is not None:
        return (
            f"history has {method} as task {task_id} for instance '{recorded.instance_id}'; "
            f"the code now targets '{actual.instance_id}'"
        )
    return (
        f"history has {method} '{recorded.name}' as task {task_id}; the code now calls "
        f"'{actual.name if actual is not None else None}' there"
    )


# -- the replay -----------------------------------------------------------------------------------


def _same_name(recorded: Event, actual: Event) -> bool:
    """durabletask compares a sent event's name casefolded, every other name exactly."""
    if recorded.kind == h.EVENT_SENT:
        return str(actual.name).casefold() == str(recorded.name).casefold()
    return actual.name == recorded.name


class _Diverged(Exception):
    def __init__(self, divergence: Divergence) -> None:
        super().__init__(divergence.message)
        self.divergence = divergence


class _Replay:
    def __init__(
        self, workflow: Callable[..., Any], history: RecordedHistory, mode: str, codec: Any = None
    ) -> None:
        self.history = history
        self.mode = mode
        self.strict = mode == "strict"
        options = {"codec": codec} if codec is not None else {}
        self.execution = Execution(workflow, history.instance_id, **options)
        self.execution.is_replaying = True
        self.made: dict[int, tuple[Event, str | None]] = {}
        self.ended: tuple[Event, str | None] | None = None

    # the code's decisions so far, by sequence number
    def collect(self) -> None:
        decisions = self.execution._decisions
        for decision in decisions:
            event = decision.event
            if event.kind in h.TERMINAL_KINDS:
                if self.ended is None:
                    self.ended = (event, decision.location)
            elif event.seq is not None:
                self.made[event.seq] = (event, decision.location)
        decisions.clear()

    def where(self) -> str | None:
        generator = self.execution._generator
        if generator is not None:
            return suspended_location(generator)
        return self.execution._resumed_at

    def diverge(
        self,
        index: int,
        problem: str,
        recorded: Event | None,
        actual: Event | None,
        location: str | None,
        message: str,
        *,
        strict_only: bool = False,
        engine_problem: str | None = None,
    ) -> _Diverged:
        history = self.history
        event_id = history.event_ids[index] if index < len(history.event_ids) else None
        position = history.positions[index] if index < len(history.positions) else None
        words = None
        if recorded is not None and engine_problem is not None and not strict_only:
            task_id = event_id if isinstance(event_id, int) and event_id >= 0 else recorded.seq
            words = engine_words(history.engine, engine_problem, task_id, recorded, actual)
        if strict_only:
            message += "; the engine would accept this (it changes a value, not the history's shape)"
        sequence = (
            recorded.seq
            if recorded is not None and recorded.seq is not None
            else (actual.seq if actual is not None else None)
        )
        return _Diverged(
            Divergence(
                kind=problem,
                message=message,
                event_index=position,
                event_id=event_id if isinstance(event_id, int) and event_id >= 0 else None,
                sequence=sequence,
                recorded=side_of(recorded) if recorded is not None else None,
                actual=side_of(actual) if actual is not None else None,
                location=location,
                engine_message=words,
                strict_only=strict_only,
            )
        )

    def run(self) -> None:
        events = self.history.events
        for index, event in enumerate(events):
            if event.kind in h.DECISION_KINDS:
                self.collect()
                if event.kind in h.TERMINAL_KINDS:
                    self.check_end(index, event)
                else:
                    self.match(index, event)
                continue
            if (
                event.kind not in (h.WORKFLOW_STARTED, h.EVENT_RAISED)
                and event.seq not in self.execution._pending
            ):
                if self.strict:
                    raise self.diverge(
                        index,
                        "unknown-task",
                        event,
                        None,
                        self.where(),
                        f"history completes task #{event.seq}, which the code has not scheduled",
                        strict_only=True,
                    )
                continue  # the engines log and skip a completion for an unknown task
            try:
                self.execution._apply(index, event)
            except NonDeterminismError as exc:
                raise self.diverge(index, exc.kind, event, None, exc.location, str(exc)) from None
        self.collect()
        if self.strict:
            self.check_leftovers(len(events))

    def match(self, index: int, recorded: Event) -> None:
        seq = recorded.seq if recorded.seq is not None else -1
        made = self.made.pop(seq, None)
        if made is None:
            did = "finished" if self.execution._done else "did not make this call"
            raise self.diverge(
                index,
                "missing-call",
                recorded,
                None,
                self.where(),
                f"history recorded {recorded.describe()}, but the code {did} (sequence number {seq})",
                engine_problem="missing-call",
            )
        actual, location = made
        if actual.kind != recorded.kind:
            raise self.diverge(
                index,
                "mismatch",
                recorded,
                actual,
                location,
                f"history recorded {recorded.kind} #{seq}; the code now makes {actual.kind}",
                engine_problem="wrong-type",
            )
        if recorded.kind == h.EVENT_SENT and actual.instance_id != recorded.instance_id:
            raise self.diverge(
                index,
                "mismatch",
                recorded,
                actual,
                location,
                f"history recorded {recorded.kind} #{seq} to instance {recorded.instance_id!r}; "
                f"the code now sends it to {actual.instance_id!r}",
                engine_problem="wrong-target",
            )
        if recorded.kind != h.TIMER_CREATED and not _same_name(recorded, actual):
            raise self.diverge(
                index,
                "mismatch",
                recorded,
                actual,
                location,
                f"history recorded {recorded.kind} #{seq} of {recorded.name!r}; "
                f"the code now calls {actual.name!r}",
                engine_problem="wrong-name",
            )
        if self.strict and not same_decision(recorded, self._engine_named(index, recorded, actual)):
            raise self.diverge(
                index,
                "mismatch",
                recorded,
                actual,
                location,
                f"history recorded {recorded.describe()}; the code now makes {actual.describe()}",
                strict_only=True,
            )

    def _engine_named(self, index: int, recorded: Event, actual: Event) -> Event:
        """``actual`` with the child instance id the engine would have generated, when both
        sides carry a generated one: the engines derive it from their task id
        (``<instance>:<id as 4 hex digits>``), which differs from this runtime's sequence number
        after a durabletask retry (durabletask schedules a retry under the same id again)."""
        if actual.kind != h.CHILD_WORKFLOW_SCHEDULED or actual.seq is None:
            return actual
        engine_id = self.history.event_ids[index] if index < len(self.history.event_ids) else None
        ours = f"{self.history.instance_id}:{actual.seq:04x}"
        if engine_id is None or actual.instance_id != ours:
            return actual
        theirs = f"{self.history.instance_id}:{engine_id:04x}"
        return dataclasses.replace(actual, instance_id=theirs) if recorded.instance_id == theirs else actual

    def check_end(self, index: int, recorded: Event) -> None:
        if not self.strict:
            return  # the engines never compare how a recorded run ended
        if self.ended is None and self.made:
            seq = min(self.made)
            actual, location = self.made[seq]
            raise self.diverge(
                index,
                "extra-call",
                recorded,
                actual,
                location,
                f"history recorded that the workflow ended here; the code now makes {actual.describe()}",
                strict_only=True,
            )
        if self.ended is None:
            raise self.diverge(
                index,
                "missing-call",
                recorded,
                None,
                self.where(),
                f"history recorded {recorded.describe()}, but the code has not ended here",
                strict_only=True,
            )
        actual, location = self.ended
        if not same_decision(recorded, actual):
            raise self.diverge(
                index,
                "mismatch",
                recorded,
                actual,
                location,
                f"history recorded {recorded.describe()}; the code now ends with {actual.describe()}",
                strict_only=True,
            )

    def check_leftovers(self, end: int) -> None:
        if self.made:
            seq = min(self.made)
            actual, location = self.made[seq]
            raise self.diverge(
                end,
                "extra-call",
                None,
                actual,
                location,
                f"the code makes {actual.describe()}, which history never recorded",
                strict_only=True,
            )


def check_history(
    workflow: Callable[..., Any],
    history: RecordedHistory,
    mode: str = "engine",
    name: str | None = None,
    codec: Any = None,
) -> CheckResult:
    """Replay ``history`` against ``workflow`` in ``mode``; never raises for a divergence.
    ``codec`` is the payload codec of the SDK the workflow's module uses, where the runtime
    has one."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (expected engine or strict)")
    result = CheckResult(
        source=history.source,
        instance_id=history.instance_id,
        engine=history.engine,
        format=history.format,
        mode=mode,
        workflow=name or history.workflow_name,
        events=len(history.events),
    )
    try:
        _Replay(workflow, history, mode, codec).run()
    except _Diverged as diverged:
        result.divergence = diverged.divergence
    except ValueError as exc:  # a malformed history (e.g. no workflow_started first)
        result.error = str(exc)
    return result
