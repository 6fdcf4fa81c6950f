"""The driver around the pure executor: the store, the clock and activity execution.

One *step* = pick one new input event (a raised event from the inbox, the result of running one
pending activity, a finished child workflow, a due timer), run the executor over the stored
history plus that event, and append the returned tail in one transaction. Everything pending is
derived from the stored history, so a worker killed at any moment resumes where the store says:
completed activities are never run again; an activity that was running when the worker died has
no recorded result and runs again (at-least-once).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import traceback
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from wfcheck.runtime import history as h
from wfcheck.runtime.clock import RealClock, VirtualClock
from wfcheck.runtime.context import ActivityContext, function_name
from wfcheck.runtime.executor import CONTINUED_AS_NEW, Execution, Mode, StepResult, accepts_input
from wfcheck.runtime.history import Event
from wfcheck.runtime.registry import Registry
from wfcheck.runtime.store import Commit, InstanceRecord, MemoryStore, Store

TERMINAL_STATUSES = frozenset({"completed", "failed"})


class Hooks:
    """Points where a test harness (chaos) may act. The defaults do nothing."""

    def before_activity(self, instance_id: str, seq: int, name: str) -> None:
        pass

    def after_activity(self, instance_id: str, seq: int, name: str) -> None:
        pass

    def after_commit(self, instance_id: str) -> None:
        pass


@dataclasses.dataclass
class Pending:
    activities: list[Event]
    children: list[Event]
    timers: list[Event]


def pending_work(events: Sequence[Event]) -> Pending:
    """Scheduled activities, child workflows and timers without a recorded outcome."""
    scheduled: dict[int, Event] = {}
    for event in events:
        scheduling = event.kind in (h.ACTIVITY_SCHEDULED, h.CHILD_WORKFLOW_SCHEDULED, h.TIMER_CREATED)
        if scheduling and event.seq is not None:
            scheduled[event.seq] = event
        elif event.seq is not None:
            scheduled.pop(event.seq, None)
        elif event.kind in h.TERMINAL_KINDS:
            scheduled.clear()
    items = sorted(scheduled.items())
    return Pending(
        activities=[e for _, e in items if e.kind == h.ACTIVITY_SCHEDULED],
        children=[e for _, e in items if e.kind == h.CHILD_WORKFLOW_SCHEDULED],
        timers=sorted(
            (e for _, e in items if e.kind == h.TIMER_CREATED),
            key=lambda e: (h.parse_time(str(e.fire_at)), e.seq),
        ),
    )


class Worker:
    def __init__(
        self,
        registry: Registry,
        store: Store | None = None,
        *,
        clock: Any = None,
        hooks: Hooks | None = None,
        target: str | None = None,
        sticky: bool = False,
        mode: Mode = "strict",
    ) -> None:
        """``mode`` is the divergence check of every replay (see :mod:`executor`).
        ``sticky=True`` keeps each instance's execution in memory between steps instead of
        replaying the whole history at every step: linear instead of quadratic in the history
        length, but a step no longer re-checks the code against the history (a restart
        still does)."""
        self.registry = registry
        self.store = store if store is not None else MemoryStore()
        self.clock = clock if clock is not None else VirtualClock()
        self.hooks = hooks or Hooks()
        self.target = target
        self.steps = 0
        self.hit_step_limit = False
        self.sticky = sticky
        self.mode = mode
        self.codec = registry.codec
        self._cache: dict[str, tuple[int, int, Event | None, Execution]] = {}
        self._histories: dict[str, tuple[int, list[Event]]] = {}

    # -- public --------------------------------------------------------------------------------

    def start(
        self,
        workflow: Any,
        input: Any = None,
        *,
        instance_id: str | None = None,
        start_time: datetime | None = None,
        version: str | None = None,
    ) -> str:
        """Record ``workflow_started`` and run the first step (one transaction). ``version``
        is the instance's version (durabletask's ``schedule_new_orchestration(version=)``)."""
        name = function_name(workflow)
        if not isinstance(workflow, str):
            self.registry.learn("workflow", name, workflow)
        instance_id = instance_id or uuid.uuid4().hex
        moment = start_time or self.clock.now()
        record = InstanceRecord(
            instance_id=instance_id, name=name, input=self.codec.encode(input), target=self.target
        )
        self._start_instance(record, moment, version)
        return instance_id

    def run(self, workflow: Any, input: Any = None, **options: Any) -> InstanceRecord:
        """Start an instance and run it until it finishes or can only wait."""
        idle_options = {k: options.pop(k) for k in ("fire_timers_while_waiting", "max_steps") if k in options}
        instance_id = self.start(workflow, input, **options)
        return self.run_until_idle(instance_id, **idle_options)

    def raise_event(self, instance_id: str, name: str, data: Any = None) -> None:
        self.store.enqueue_event(instance_id, name, self.codec.encode(data))

    def run_until_idle(
        self, instance_id: str, *, fire_timers_while_waiting: bool = False, max_steps: int = 100_000
    ) -> InstanceRecord:
        """Step the instance (and its child workflows) until it has finished, waits only for
        an external event, or ``max_steps`` steps were taken."""
        self.hit_step_limit = True
        for _ in range(max_steps):
            if not self._advance(instance_id, fire_timers_while_waiting):
                self.hit_step_limit = False
                break
        return self.store.get(instance_id)

    def waiting_for(self, instance_id: str) -> list[str]:
        """Names of the external events the instance is waiting for now."""
        record = self.store.get(instance_id)
        if record.status in TERMINAL_STATUSES:
            return []
        return self._replay_state(record).waiting_for_events

    # -- steps ---------------------------------------------------------------------------------

    def _start_instance(self, record: InstanceRecord, moment: datetime, version: str | None = None) -> None:
        self._histories.pop(record.instance_id, None)  # a retried child reuses its id
        started = Event(
            h.WORKFLOW_STARTED,
            h.format_time(moment),
            name=record.name,
            input=record.input,
            instance_id=record.instance_id,
            version=version,
        )
        result = self._execute(
            record.name, record.instance_id, record.generation, [], [started], record.parent_id
        )
        record = dataclasses.replace(
            record,
            status=result.status,
            output=result.output,
            error=result.error,
            custom_status=result.custom_status,
        )
        self.store.create(record, result.tail, replace=record.parent_id is not None)
        self._after_commit(record.instance_id)

    def _execute(
        self,
        name: str,
        instance_id: str,
        generation: int,
        old: Sequence[Event],
        new: Sequence[Event],
        parent_id: str | None = None,
    ) -> StepResult:
        execution = None
        if self.sticky:
            cached = self._cache.pop(instance_id, None)
            if (
                cached is not None
                and cached[:2] == (generation, len(old))
                and (not old or cached[2] == old[-1])
            ):
                execution = cached[3]
        if execution is None:
            execution = self.new_execution(name, instance_id, old or new)
            execution.parent_instance_id = parent_id
            execution.replay_history(old)
        result = execution.apply_new(new)
        for (kind, fname), target in result.functions.items():
            self.registry.learn(kind, fname, target)
        if self.sticky:
            last = result.tail[-1] if result.tail else (old[-1] if old else None)
            self._cache[instance_id] = (generation, len(old) + len(result.tail), last, execution)
        return result

    def new_execution(self, name: str, instance_id: str, history: Sequence[Event]) -> Execution:
        """An execution of the function history says runs (a Dapr named version is kept for the
        instance's life; a new instance gets the latest, recorded on its start event)."""
        first = history[0] if history else None
        recorded = first.version if first is not None and first.kind == h.WORKFLOW_STARTED else None
        workflow, version = self.registry.resolve_workflow(name, recorded)
        if first is not None and first.kind == h.WORKFLOW_STARTED and recorded is None and version:
            first.version = version
        return Execution(workflow, instance_id, self.mode, self.codec)

    def _history(self, record: InstanceRecord) -> list[Event]:
        """The current generation's events (sticky: kept in memory while the store agrees)."""
        if self.sticky:
            cached = self._histories.get(record.instance_id)
            if (
                cached is not None
                and cached[0] == record.generation
                and self.store.count(record.instance_id, record.generation) == len(cached[1])
            ):
                return cached[1]
        events = self.store.history(record.instance_id)
        if self.sticky:
            self._histories[record.instance_id] = (record.generation, events)
        return events

    def _replay_state(self, record: InstanceRecord) -> StepResult:
        history = self._history(record)
        return self._execute(
            record.name, record.instance_id, record.generation, history, [], record.parent_id
        )

    def _step(
        self,
        record: InstanceRecord,
        history: Sequence[Event],
        new: Sequence[Event],
        consumed: Sequence[int] = (),
    ) -> None:
        result = self._execute(
            record.name, record.instance_id, record.generation, history, new, record.parent_id
        )
        self.store.commit(
            record.instance_id,
            Commit(
                events=result.tail,
                status=result.status,
                output=result.output,
                error=result.error,
                custom_status=result.custom_status,
                consumed_inbox=consumed,
            ),
        )
        cached = self._histories.get(record.instance_id)
        if cached is not None and cached[1] is history:
            cached[1].extend(result.tail)
        self._after_commit(record.instance_id)

    def _after_commit(self, instance_id: str) -> None:
        self.steps += 1
        self.hooks.after_commit(instance_id)

    def _next_generation(self, record: InstanceRecord) -> None:
        history = self.store.history(record.instance_id)
        last = history[-1]
        moment = h.parse_time(last.timestamp)
        stamp = h.format_time(moment)
        first = [
            Event(
                h.WORKFLOW_STARTED, stamp, name=record.name, input=last.input, instance_id=record.instance_id
            )
        ]
        first += [
            Event(h.EVENT_RAISED, stamp, name=e["name"], data=e.get("data")) for e in (last.events or [])
        ]
        result = self._execute(
            record.name, record.instance_id, record.generation + 1, [], first, record.parent_id
        )
        self.store.commit(
            record.instance_id,
            Commit(
                events=[],
                status=result.status,
                output=result.output,
                error=result.error,
                custom_status=result.custom_status,
                next_generation=result.tail,
                next_input=last.input,
            ),
        )
        self._after_commit(record.instance_id)

    def _now(self, history: Sequence[Event]) -> datetime:
        floor = h.parse_time(history[-1].timestamp) if history else None
        return self.clock.now(floor)

    def _advance(self, instance_id: str, fire_timers_while_waiting: bool) -> bool:
        record = self.store.get(instance_id)
        if record.status == CONTINUED_AS_NEW:
            self._next_generation(record)
            return True
        if record.status in TERMINAL_STATUSES:
            return False
        history = self._history(record)
        inbox = self.store.inbox(instance_id)
        if inbox:
            ident, name, data = inbox[0]
            raised = Event(h.EVENT_RAISED, h.format_time(self._now(history)), name=name, data=data)
            self._step(record, history, [raised], consumed=[ident])
            return True
        pending = pending_work(history)
        if pending.activities:
            self._step(record, history, [self._run_activity(instance_id, pending.activities[0], history)])
            return True
        for scheduled in pending.children:
            if self._advance_child(record, history, scheduled, fire_timers_while_waiting):
                return True
        if pending.timers:
            return self._fire_timer(record, history, pending.timers[0], fire_timers_while_waiting)
        return False

    def _run_activity(self, instance_id: str, scheduled: Event, history: Sequence[Event]) -> Event:
        seq, name = scheduled.seq, str(scheduled.name)
        if seq is None:  # pending_work() lists only events with a sequence number
            raise ValueError(f"cannot run {scheduled.describe()}: it has no sequence number")
        self.hooks.before_activity(instance_id, seq, name)
        try:
            fn = self.registry.get_activity(name)
            context = ActivityContext(instance_id, seq)
            if accepts_input(fn):
                produced = fn(context, self.codec.activity_input(fn, scheduled.input))
            else:
                produced = fn(context)
            if inspect.iscoroutine(produced):
                produced = asyncio.run(produced)
            event = Event(h.ACTIVITY_COMPLETED, "", seq=seq, result=self.codec.encode(produced))
        except Exception as exc:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            error = {**h.error_payload(exc, text), "type": self.codec.error_type(exc)}
            event = Event(h.ACTIVITY_FAILED, "", seq=seq, error=error)
        self.hooks.after_activity(instance_id, seq, name)
        event.timestamp = h.format_time(self._now(history))
        return event

    def _advance_child(
        self,
        record: InstanceRecord,
        history: Sequence[Event],
        scheduled: Event,
        fire_timers_while_waiting: bool,
    ) -> bool:
        child_id = str(scheduled.instance_id)
        child = self.store.find(child_id)
        stamp = h.format_time(self._now(history))
        if not self.registry.has_workflow(str(scheduled.name)):  # as the engines: a task failure
            message = f"no workflow registered as {scheduled.name!r}"
            error = {"type": "WorkflowNotFoundError", "message": message}
            failed = Event(h.CHILD_WORKFLOW_FAILED, stamp, seq=scheduled.seq, error=error)
            self._step(record, history, [failed])
            return True
        if child is None or child.parent_id != record.instance_id or child.parent_seq != scheduled.seq:
            child_record = InstanceRecord(
                instance_id=child_id,
                name=str(scheduled.name),
                input=scheduled.input,
                target=record.target,
                parent_id=record.instance_id,
                parent_seq=scheduled.seq,
            )
            self._start_instance(child_record, self._now(history))
            return True
        if child.status == "completed":
            self._step(
                record,
                history,
                [Event(h.CHILD_WORKFLOW_COMPLETED, stamp, seq=scheduled.seq, result=child.output)],
            )
            return True
        if child.status == "failed":
            self._step(
                record, history, [Event(h.CHILD_WORKFLOW_FAILED, stamp, seq=scheduled.seq, error=child.error)]
            )
            return True
        return self._advance(child_id, fire_timers_while_waiting)

    def _fire_timer(
        self, record: InstanceRecord, history: Sequence[Event], timer: Event, fire_timers_while_waiting: bool
    ) -> bool:
        if not fire_timers_while_waiting and self._replay_state(record).waiting_for_events:
            return False
        fire_at = h.parse_time(str(timer.fire_at))
        if not self.clock.virtual:
            while True:
                remaining = (fire_at - self.clock.now()).total_seconds()
                if remaining <= 0:
                    break
                if self.store.inbox(record.instance_id):
                    return True  # the next step consumes it
                self.clock.sleep(min(remaining, 0.2))
        moment = max(fire_at, self._now(history))
        self._step(
            record,
            history,
            [Event(h.TIMER_FIRED, h.format_time(moment), seq=timer.seq, fire_at=timer.fire_at)],
        )
        return True


def make_worker(
    registry: Registry, store: Store | None = None, *, real_time: bool = False, **options: Any
) -> Worker:
    return Worker(registry, store, clock=RealClock() if real_time else VirtualClock(), **options)
