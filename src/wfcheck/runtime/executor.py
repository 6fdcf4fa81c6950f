"""The replay core: history in, new history tail out. No I/O, no clock, no activity execution.

:func:`execute` replays a workflow function against the events already recorded (``old``),
then applies ``new`` input events, and returns the tail to append: the new input events
interleaved with the decisions the code made right after each of them. Because decisions are
stored exactly where they were made, replay is checked position by position: every decision the
code makes while replaying must equal the next recorded decision (same kind, sequence number,
name, input, fire-at time or result), and every recorded decision must be made again.

Two divergence modes (``mode=``):

* ``"strict"`` (the default here): the position-by-position check above.
* ``"engine"``: exactly what durabletask's and Dapr's ``_OrchestrationExecutor`` reject. A
  recorded scheduling decision must have been made by the code, by the time it is met in
  history, under the same sequence number with the same kind and name (and, for a child
  workflow, instance id); inputs and timer fire-at times are not compared; a completion for a
  task the code does not wait for is ignored; decisions the code makes that history does not
  hold yet are new work and are appended. A recorded end must be met by an end of the same kind
  (the engines never replay a finished instance; this keeps a full history meaningful).

A strict divergence that engine mode accepts says so: ``NonDeterminismError.engine_accepts``.
"""

from __future__ import annotations

import dataclasses
import inspect
import traceback
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Literal

from wfcheck.runtime import history as h
from wfcheck.runtime.codecs import PLAIN, PlainCodec
from wfcheck.runtime.context import WorkflowContext, format_location
from wfcheck.runtime.errors import NonDeterminismError, task_failed_error
from wfcheck.runtime.history import Event
from wfcheck.runtime.retry import RetryPolicy
from wfcheck.runtime.tasks import CompletableTask, ExternalEventTask, is_task

Mode = Literal["engine", "strict"]
MODES: tuple[str, ...] = ("engine", "strict")

RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CONTINUED_AS_NEW = "continued_as_new"
_STATUS_OF = {
    h.WORKFLOW_COMPLETED: COMPLETED,
    h.WORKFLOW_FAILED: FAILED,
    h.CONTINUED_AS_NEW: CONTINUED_AS_NEW,
}


@dataclasses.dataclass
class StepResult:
    """What one execution produced."""

    tail: list[Event]
    status: str
    output: Any = None
    error: dict[str, Any] | None = None
    custom_status: Any = None
    waiting_for_events: list[str] = dataclasses.field(default_factory=list)
    functions: dict[tuple[str, str], Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Decision:
    event: Event
    location: str | None


@dataclasses.dataclass
class _Retry:
    kind: str  # activity | child
    name: str
    input: Any
    instance_id: str | None
    policy: RetryPolicy
    started: datetime
    location: str | None
    failed_attempts: int = 0


def accepts_input(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes an input after the context (Dapr passes one only then)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


class Execution:
    """One replay of one workflow instance; used by :func:`execute`, not kept between steps."""

    def __init__(
        self,
        workflow: Callable[..., Any],
        instance_id: str,
        mode: Mode = "strict",
        codec: PlainCodec = PLAIN,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown divergence mode {mode!r}; expected 'engine' or 'strict'")
        self.workflow = workflow
        self.instance_id = instance_id
        self.mode = mode
        self.codec = codec
        self.current_time = datetime(1970, 1, 1, tzinfo=timezone.utc)
        self.is_replaying = False
        self.custom_status: Any = None
        self.functions: dict[tuple[str, str], Any] = {}
        self._seq = 0
        self._decisions: list[_Decision] = []
        self._pending: dict[int, CompletableTask] = {}
        self._timer_roles: dict[int, tuple[str, Any]] = {}
        self._waiters: dict[str, list[ExternalEventTask]] = {}
        self._buffered: dict[str, list[tuple[str, Any]]] = {}
        self._generator: Any = None
        self._waiting_on: Any = None
        self._done = False
        self._continue: tuple[Any, bool] | None = None
        self._resumed_at: str | None = None
        self.ctx: WorkflowContext | None = None
        self._length = 0
        self._terminal: Event | None = None
        # Dapr's is_patched bookkeeping (dapr/ext/workflow/_durabletask/worker.py)
        self.version: str | None = None
        self._history_patches: set[str] = set()
        self._applied_patches: dict[str, bool] = {}
        self.encountered_patches: list[str] = []
        self.parent_instance_id: str | None = None

    # -- calls from the context ----------------------------------------------------------------

    def note_function(self, kind: str, name: str, target: Any) -> None:
        if not isinstance(target, str):
            self.functions[(kind, name)] = target

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _decide(self, event: Event, location: str | None) -> None:
        self._decisions.append(_Decision(event, location))

    def schedule_activity(
        self, name: str, value: Any, retry_policy: Any, location: str | None, result_type: Any = None
    ) -> CompletableTask:
        task: CompletableTask = CompletableTask()
        task.expected_type = result_type
        policy = RetryPolicy.from_any(retry_policy)
        wire = self.codec.encode(value)
        self._schedule("activity", name, wire, None, task, location)
        if policy is not None:
            task.retry = _Retry("activity", name, wire, None, policy, self.current_time, location)
        return task

    def schedule_child(
        self,
        name: str,
        value: Any,
        instance_id: str | None,
        retry_policy: Any,
        location: str | None,
        result_type: Any = None,
    ) -> CompletableTask:
        task: CompletableTask = CompletableTask()
        task.expected_type = result_type
        policy = RetryPolicy.from_any(retry_policy)
        wire = self.codec.encode(value)
        self._schedule("child", name, wire, instance_id, task, location)
        if policy is not None:
            task.retry = _Retry("child", name, wire, instance_id, policy, self.current_time, location)
        return task

    def _schedule(
        self,
        kind: str,
        name: str,
        value: Any,
        instance_id: str | None,
        task: CompletableTask,
        location: str | None,
    ) -> int:
        seq = self._next_seq()
        stamp = h.format_time(self.current_time)
        if kind == "activity":
            event = Event(h.ACTIVITY_SCHEDULED, stamp, seq=seq, name=name, input=value)
        else:
            child_id = instance_id or f"{self.instance_id}:{seq:04x}"
            event = Event(
                h.CHILD_WORKFLOW_SCHEDULED, stamp, seq=seq, name=name, input=value, instance_id=child_id
            )
        self._pending[seq] = task
        self._decide(event, location)
        return seq

    def _absolute(self, moment: Any) -> datetime:
        if isinstance(moment, timedelta):
            return self.current_time + moment
        if isinstance(moment, datetime):
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        raise TypeError(f"a timer needs a datetime or a timedelta, not {type(moment).__name__}")

    def _create_timer(
        self, fire_at: datetime, role: tuple[str, Any], location: str | None
    ) -> tuple[int, CompletableTask]:
        seq = self._next_seq()
        task: CompletableTask = CompletableTask()
        self._pending[seq] = task
        self._timer_roles[seq] = role
        self._decide(
            Event(h.TIMER_CREATED, h.format_time(self.current_time), seq=seq, fire_at=h.format_time(fire_at)),
            location,
        )
        return seq, task

    def schedule_timer(self, fire_at: Any, location: str | None) -> CompletableTask:
        return self._create_timer(self._absolute(fire_at), ("timer", None), location)[1]

    def wait_for_event(
        self, name: str, timeout: Any, location: str | None, data_type: Any = None
    ) -> ExternalEventTask:
        task = ExternalEventTask(name)
        task.expected_type = data_type
        key = name.casefold()
        buffered = self._buffered.get(key)
        if buffered:
            task.complete(self.codec.decode(buffered.pop(0)[1], data_type))
            return task
        if isinstance(timeout, timedelta) and timeout <= timedelta(0):
            task.fail(TimeoutError(f"timed out waiting for external event {name!r}"))
            return task
        self._waiters.setdefault(key, []).append(task)
        if timeout is not None:
            task.timer_seq, _ = self._create_timer(self._absolute(timeout), ("event_timeout", task), location)
        return task

    def send_event(self, instance_id: str, name: str, data: Any, location: str | None) -> None:
        """A fire-and-forget decision (durabletask's SendEvent action): a sequence number, no
        task, no completion."""
        event = Event(
            h.EVENT_SENT,
            h.format_time(self.current_time),
            seq=self._next_seq(),
            name=name,
            instance_id=instance_id,
            data=self.codec.encode(data),
        )
        self._decide(event, location)

    def failed_task(self, message: str) -> CompletableTask:
        task: CompletableTask = CompletableTask()
        task.fail(task_failed_error({"type": "NotImplementedError", "message": message}))
        return task

    def is_patched(self, name: str) -> bool:
        """Dapr 1.19's rule: true if history recorded the patch, false for a patch first met
        while replaying, true (and recorded) for one first met in new work."""
        if name not in self._applied_patches:
            self._applied_patches[name] = name in self._history_patches or not self.is_replaying
        patched = self._applied_patches[name]
        if patched:
            self.encountered_patches.append(name)
        return patched

    def request_continue_as_new(self, new_input: Any, save_events: bool) -> None:
        if self._continue is None:
            self._continue = (self.codec.encode(new_input), save_events)

    # -- applying input events -----------------------------------------------------------------

    def _apply(self, index: int, event: Event) -> None:
        if event.kind not in h.INPUT_KINDS:
            raise ValueError(f"history event #{index} ({event.kind}) is not an input event here")
        self.current_time = h.parse_time(event.timestamp)
        if event.patches:
            self._history_patches.update(event.patches)
        if event.kind == h.WORKFLOW_STARTED:
            self.version = event.version
            if self._generator is not None or self._done:
                raise ValueError(f"history event #{index}: a second workflow_started")
            self._start(event.input)
            return
        if self._generator is None and not self._done:
            raise ValueError("history does not start with workflow_started")
        if event.kind == h.EVENT_RAISED:
            self._deliver_event(str(event.name), event.data)
        else:
            self._complete_task(index, event)
        self._resume()

    def _deliver_event(self, name: str, data: Any) -> None:
        key = name.casefold()
        waiters = self._waiters.get(key)
        while waiters:
            task = waiters.pop(0)
            if not task.is_complete:
                task.complete(self.codec.decode(data, task.expected_type))
                return
        self._buffered.setdefault(key, []).append((name, data))

    def _complete_task(self, index: int, event: Event) -> None:
        seq = event.seq
        task = self._pending.pop(seq, None) if seq is not None else None
        if task is None or seq is None:
            if self.mode == "engine":
                return  # durabletask: "Ignoring unexpected taskCompleted event"
            raise NonDeterminismError(
                kind="unknown-task",
                event_index=index,
                recorded=event.describe(),
                actual=f"no pending task with seq={event.seq}",
                location=self._resumed_at,
                instance_id=self.instance_id,
            )
        if event.kind == h.TIMER_FIRED:
            role, payload = self._timer_roles.pop(seq, ("timer", None))
            if role == "event_timeout":
                if not payload.is_complete:
                    payload.fail(TimeoutError(f"timed out waiting for external event {payload.name!r}"))
            elif role == "retry":
                retry: _Retry = payload.retry
                self._schedule(
                    retry.kind, retry.name, retry.input, retry.instance_id, payload, retry.location
                )
            else:
                task.complete(None)
            return
        if event.kind in (h.ACTIVITY_COMPLETED, h.CHILD_WORKFLOW_COMPLETED):
            task.complete(self.codec.decode(event.result, task.expected_type))
            return
        # a failure: retry if the policy allows, else raise it into the workflow
        retry = task.retry
        if retry is not None:
            retry.failed_attempts += 1
            delay = retry.policy.next_delay(retry.failed_attempts, retry.started, self.current_time)
            if delay is not None:
                self._create_timer(self.current_time + delay, ("retry", task), retry.location)
                return
        task.fail(task_failed_error(event.error or {}))

    # -- driving the generator -----------------------------------------------------------------

    def _start(self, wire_input: Any) -> None:
        code = getattr(self.workflow, "__code__", None)
        if code is not None:
            self._resumed_at = format_location(code.co_filename, code.co_firstlineno)
        try:
            workflow_input = self.codec.workflow_input(self.workflow, wire_input)
            self.ctx = WorkflowContext(self, self.instance_id, workflow_input)
            if accepts_input(self.workflow):
                produced = self.workflow(self.ctx, workflow_input)
            else:
                produced = self.workflow(self.ctx)
        except Exception as exc:  # the workflow failed before its first yield
            self._finish_failed(exc)
            return
        if inspect.iscoroutine(produced):
            produced.close()
            self._finish_failed(TypeError("async def workflows are not supported; write a generator"))
            return
        if not inspect.isgenerator(produced):
            self._finish_ok(produced)
            return
        self._generator = produced
        self._step(produced.send, None)
        self._resume()  # the first task may already be complete (e.g. a buffered event)

    def _resume(self) -> None:
        while self._generator is not None and self._waiting_on is not None and self._waiting_on.is_complete:
            waited = self._waiting_on
            self._resumed_at = suspended_location(self._generator)
            if waited.is_failed:
                self._step(self._generator.throw, waited.get_exception())
            else:
                self._step(self._generator.send, waited.get_result())

    def _step(self, advance: Callable[[Any], Any], value: Any) -> None:
        """Send ``value`` into (or throw it into) the generator; note what it yields next."""
        try:
            yielded = advance(value)
        except StopIteration as stop:
            self._finish_ok(stop.value)
            return
        except Exception as exc:
            self._finish_failed(exc)
            return
        if self._continue is not None:
            self._finish_ok(None)
            return
        if not is_task(yielded):
            self._generator.close()
            self._finish_failed(TypeError(f"workflow code yielded {yielded!r}, which is not a task"))
            return
        self._waiting_on = yielded

    def _finish_ok(self, result: Any) -> None:
        stamp = h.format_time(self.current_time)
        if self._continue is not None:
            new_input, save_events = self._continue
            carried = None
            if save_events:
                carried = [
                    {"name": name, "data": data} for items in self._buffered.values() for name, data in items
                ]
            self._end(Event(h.CONTINUED_AS_NEW, stamp, input=new_input, events=carried))
            return
        try:
            wire = self.codec.encode(result)
        except (TypeError, ValueError, RecursionError) as exc:  # not JSON, circular, too deep
            self._finish_failed(exc)
            return
        self._end(Event(h.WORKFLOW_COMPLETED, stamp, result=wire))

    def _finish_failed(self, exc: BaseException) -> None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._end(
            Event(
                h.WORKFLOW_FAILED,
                h.format_time(self.current_time),
                error={**h.error_payload(exc, text), "type": self.codec.error_type(exc)},
            )
        )

    def _end(self, event: Event) -> None:
        self._done = True
        self._generator = None
        self._waiting_on = None
        self._decide(event, self._resumed_at)

    # -- the replay loop -----------------------------------------------------------------------

    def run(self, old: Sequence[Event], new: Sequence[Event]) -> StepResult:
        """Replay ``old`` strictly, then apply ``new``."""
        self.replay_history(old)
        return self.apply_new(new)

    def replay_history(self, old: Sequence[Event]) -> None:
        """Feed recorded events back to the code, checking every decision it makes."""
        started = [i for i, e in enumerate(old) if e.kind == h.WORKFLOW_STARTED]
        if old and started[:1] != [0]:
            raise ValueError("history does not start with workflow_started")
        if len(started) > 1:
            raise ValueError(f"history event #{started[1]}: a second workflow_started")
        if self.mode == "engine":
            self._replay_engine(old)
        else:
            try:
                self._replay_strict(old)
            except NonDeterminismError as exc:
                exc.mark_engine_accepts(self._engine_accepts(old))
                raise
        self._length = len(old)
        self._terminal = next((e for e in reversed(old) if e.kind in h.TERMINAL_KINDS), None)

    def _engine_accepts(self, old: Sequence[Event]) -> bool:
        """Whether the engines would replay ``old`` against this code (a fresh execution)."""
        try:
            type(self)(self.workflow, self.instance_id, "engine", self.codec)._replay_engine(old)
        except NonDeterminismError:
            return False
        return True

    def _replay_engine(self, old: Sequence[Event]) -> None:
        made: dict[Any, _Decision] = {}  # made by the code, not yet met in history
        for index, event in enumerate(old):
            self.is_replaying = True
            if event.kind not in h.DECISION_KINDS:
                self._apply(index, event)
                for made_now in self._decisions:
                    made[_decision_key(made_now.event)] = made_now
                self._decisions.clear()
                continue
            key = _decision_key(event)
            if key not in made:
                raise self._missing(index, event)
            decision = made.pop(key)
            if not engine_same_decision(event, decision.event):
                raise NonDeterminismError(
                    kind="mismatch",
                    event_index=index,
                    recorded=event.describe(),
                    actual=decision.event.describe(),
                    location=decision.location,
                    instance_id=self.instance_id,
                )
        # made again but not in history yet: new work, appended by apply_new
        self._decisions = sorted(made.values(), key=lambda d: _decision_order(d.event))

    def _replay_strict(self, old: Sequence[Event]) -> None:
        pos = 0
        while pos < len(old):
            index, event = pos, old[pos]
            pos += 1
            self.is_replaying = True
            if event.kind in h.DECISION_KINDS:
                raise self._missing(index, event)
            self._apply(index, event)
            pos = self._reconcile(old, pos)

    def apply_new(self, new: Sequence[Event]) -> StepResult:
        """Apply new input events; return them interleaved with the decisions they caused.

        May be called again on the same execution with later events (a sticky worker does),
        which is equivalent to a fresh :meth:`run` over the longer history."""
        tail: list[Event] = []
        # engine mode: decisions replay made that history does not hold yet come first
        for decision in self._decisions:
            tail.append(decision.event)
            if decision.event.kind in h.TERMINAL_KINDS:
                self._terminal = decision.event
        self._decisions.clear()
        step_start: Event | None = None
        for event in new:
            if self._done:
                continue  # nothing listens any more; do not record
            self.is_replaying = False
            tail.append(event)
            step_start = step_start or event
            self._apply(self._length + len(tail) - 1, event)
            for decision in self._decisions:
                tail.append(decision.event)
                if decision.event.kind in h.TERMINAL_KINDS:
                    self._terminal = decision.event
            self._decisions.clear()
        if step_start is not None and self.encountered_patches:
            step_start.patches = list(self.encountered_patches)  # as Dapr's OrchestratorStarted
        self._length += len(tail)
        terminal = self._terminal
        status = RUNNING if terminal is None else _STATUS_OF[terminal.kind]
        output = None
        if terminal is not None:
            output = terminal.input if terminal.kind == h.CONTINUED_AS_NEW else terminal.result
        return StepResult(
            tail=tail,
            status=status,
            output=output,
            error=terminal.error if terminal is not None and terminal.kind == h.WORKFLOW_FAILED else None,
            custom_status=self.custom_status,
            waiting_for_events=sorted(
                {t.name for ts in self._waiters.values() for t in ts if not t.is_complete}
            ),
            functions=dict(self.functions),
        )

    def _reconcile(self, old: Sequence[Event], pos: int) -> int:
        """Match the decisions just made against the recorded ones that follow ``pos``."""
        for decision in self._decisions:
            recorded = old[pos] if pos < len(old) else None
            if recorded is None or recorded.kind not in h.DECISION_KINDS:
                raise NonDeterminismError(
                    kind="extra-call",
                    event_index=pos,
                    recorded=recorded.describe() if recorded else None,
                    actual=decision.event.describe(),
                    location=decision.location,
                    instance_id=self.instance_id,
                )
            if not same_decision(recorded, decision.event):
                kind = "mismatch"
                if recorded.kind in h.TERMINAL_KINDS and decision.event.kind not in h.TERMINAL_KINDS:
                    kind = "extra-call"  # history says the workflow ended here
                elif decision.event.kind in h.TERMINAL_KINDS and recorded.kind not in h.TERMINAL_KINDS:
                    kind = "missing-call"  # the code ended where history has more calls
                raise NonDeterminismError(
                    kind=kind,
                    event_index=pos,
                    recorded=recorded.describe(),
                    actual=decision.event.describe(),
                    location=decision.location,
                    instance_id=self.instance_id,
                )
            pos += 1
        self._decisions.clear()
        if pos < len(old) and old[pos].kind in h.DECISION_KINDS:
            raise self._missing(pos, old[pos])
        return pos

    def _missing(self, index: int, recorded: Event) -> NonDeterminismError:
        if self._generator is not None:
            where = suspended_location(self._generator)
            did = "waited at a yield without making this call"
        else:
            where = self._resumed_at
            did = "finished without making this call" if self._done else "did not make this call"
        return NonDeterminismError(
            kind="missing-call",
            event_index=index,
            recorded=recorded.describe(),
            actual=f"the workflow {did}",
            location=where,
            instance_id=self.instance_id,
        )


def same_decision(recorded: Event, now: Event) -> bool:
    if recorded.kind != now.kind or recorded.seq != now.seq:
        return False
    if recorded.kind in (h.ACTIVITY_SCHEDULED, h.CHILD_WORKFLOW_SCHEDULED):
        return (
            recorded.name == now.name
            and h.canonical_json(recorded.input) == h.canonical_json(now.input)
            and (recorded.kind == h.ACTIVITY_SCHEDULED or recorded.instance_id == now.instance_id)
        )
    if recorded.kind == h.EVENT_SENT:
        return (
            recorded.name == now.name
            and recorded.instance_id == now.instance_id
            and h.canonical_json(recorded.data) == h.canonical_json(now.data)
        )
    if recorded.kind == h.TIMER_CREATED:
        return h.parse_time(str(recorded.fire_at)) == h.parse_time(str(now.fire_at))
    if recorded.kind == h.WORKFLOW_COMPLETED:
        return h.canonical_json(recorded.result) == h.canonical_json(now.result)
    if recorded.kind == h.CONTINUED_AS_NEW:
        return h.canonical_json(recorded.input) == h.canonical_json(now.input)
    if recorded.kind == h.WORKFLOW_FAILED:
        rec, cur = recorded.error or {}, now.error or {}
        return rec.get("type") == cur.get("type") and rec.get("message") == cur.get("message")
    return True


def engine_same_decision(recorded: Event, now: Event) -> bool:
    """What durabletask's executor compares: kind, and name (and a child's instance id) for
    scheduling calls, target instance and name (casefolded) for ``send_event``; for an end only
    that it is the same kind of end."""
    if recorded.kind != now.kind:
        return False
    if recorded.kind in (h.ACTIVITY_SCHEDULED, h.CHILD_WORKFLOW_SCHEDULED):
        return recorded.name == now.name and (
            recorded.kind == h.ACTIVITY_SCHEDULED or recorded.instance_id == now.instance_id
        )
    if recorded.kind == h.EVENT_SENT:  # durabletask checks the target, then the name (casefolded)
        return recorded.instance_id == now.instance_id and str(recorded.name).casefold() == str(
            now.name
        ).casefold()
    return True


def _decision_key(event: Event) -> Any:
    return "end" if event.kind in h.TERMINAL_KINDS else event.seq


def _decision_order(event: Event) -> tuple[int, int]:
    return (1, 0) if event.kind in h.TERMINAL_KINDS else (0, int(event.seq or 0))


def suspended_location(generator: Any) -> str | None:
    """``file:line`` where a (possibly delegating) generator is suspended."""
    innermost = generator
    while getattr(innermost, "gi_yieldfrom", None) is not None and inspect.isgenerator(
        innermost.gi_yieldfrom
    ):
        innermost = innermost.gi_yieldfrom
    frame = getattr(innermost, "gi_frame", None)
    if frame is None:
        return None
    return format_location(frame.f_code.co_filename, frame.f_lineno)


def execute(
    workflow: Callable[..., Any],
    instance_id: str,
    old: Sequence[Event],
    new: Sequence[Event],
    *,
    mode: Mode = "strict",
    codec: PlainCodec = PLAIN,
) -> StepResult:
    """Replay ``old`` (checked as ``mode`` says), apply ``new``; return the tail to append and
    the new state. ``codec`` decodes payloads for the code (see :mod:`codecs`)."""
    return Execution(workflow, instance_id, mode, codec).run(old, new)


def replay(
    workflow: Callable[..., Any],
    instance_id: str,
    history: Sequence[Event],
    *,
    mode: Mode = "strict",
    codec: PlainCodec = PLAIN,
) -> StepResult:
    """Replay a complete recorded history; raises :class:`NonDeterminismError` on divergence."""
    return execute(workflow, instance_id, history, [], mode=mode, codec=codec)
