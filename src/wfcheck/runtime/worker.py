"""The driver around the pure executor: the store, the clock and activity execution.

One *step* = pick one new input event (a raised event from the inbox, the result of one
finished activity, a finished child workflow, a due timer), run the executor over the stored
history plus that event, and append the returned tail in one transaction. Everything pending is
derived from the stored history, so a worker killed at any moment resumes where the store says:
completed activities are never run again; an activity that was running when the worker died has
no recorded result and runs again (at-least-once).

Activities run on a pool of threads (:mod:`wfcheck.runtime.activities`): every activity the
workflow has scheduled and not yet seen finish runs at once, up to
``max_concurrent_activities``, each with a time limit (``activity_timeout``: past it, the
activity fails with ``TimeoutError`` and its thread is abandoned). Each result is one step,
committed in the order the activities finish. The virtual clock lets time pass at real speed
while activities run, so a timer racing an activity fires when its duration has really
elapsed; when nothing runs, time jumps to the next timer.

While it advances an instance the worker holds the instance's lease in the store (see
:mod:`wfcheck.runtime.store`); every commit checks it, so two processes never both record.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import queue
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from wfcheck.runtime import history as h
from wfcheck.runtime.activities import ActivityPool
from wfcheck.runtime.clock import RealClock, VirtualClock
from wfcheck.runtime.context import ActivityContext, function_name
from wfcheck.runtime.errors import InstanceLeasedError
from wfcheck.runtime.executor import CONTINUED_AS_NEW, Execution, Mode, StepResult, accepts_input
from wfcheck.runtime.history import Event
from wfcheck.runtime.registry import Registry
from wfcheck.runtime.store import LEASE_SECONDS, Commit, InstanceRecord, MemoryStore, Owner, Store

TERMINAL_STATUSES = frozenset({"completed", "failed"})
DEFAULT_ACTIVITY_TIMEOUT = 60.0
DEFAULT_MAX_CONCURRENT_ACTIVITIES = 16
_REAL_CLOCK_POLL = 0.2  # how often a real-time wait looks at the inbox


class Hooks:
    """Points where a test harness (chaos) may act. The defaults do nothing.

    ``before_activity`` is called when an activity is handed to a thread, ``after_activity``
    when its outcome is about to be committed; both on the worker's own thread."""

    def before_activity(self, instance_id: str, seq: int, name: str) -> None:
        pass

    def after_activity(self, instance_id: str, seq: int, name: str) -> None:
        pass

    def after_commit(self, instance_id: str) -> None:
        pass


_SCHEDULING_KINDS = (h.ACTIVITY_SCHEDULED, h.CHILD_WORKFLOW_SCHEDULED, h.TIMER_CREATED)


@dataclasses.dataclass
class Pending:
    activities: list[Event]
    children: list[Event]
    timers: list[Event]


class PendingIndex:
    """Scheduled activities, child workflows and timers without a recorded outcome, kept up
    to date event by event (a sticky worker feeds it each step's tail: no rescans)."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self._open: dict[int, Event] = {}
        self.add(events)

    def add(self, events: Iterable[Event]) -> None:
        for event in events:
            if event.kind in _SCHEDULING_KINDS and event.seq is not None:
                self._open[event.seq] = event
            elif event.seq is not None:
                self._open.pop(event.seq, None)
            elif event.kind in h.TERMINAL_KINDS:
                self._open.clear()

    def pending(self) -> Pending:
        items = sorted(self._open.items())
        return Pending(
            activities=[e for _, e in items if e.kind == h.ACTIVITY_SCHEDULED],
            children=[e for _, e in items if e.kind == h.CHILD_WORKFLOW_SCHEDULED],
            timers=sorted(
                (e for _, e in items if e.kind == h.TIMER_CREATED),
                key=lambda e: (h.parse_time(str(e.fire_at)), e.seq),
            ),
        )


def pending_work(events: Sequence[Event]) -> Pending:
    """Scheduled activities, child workflows and timers without a recorded outcome."""
    return PendingIndex(events).pending()


# (instance id, generation, seq): an activity of one generation of one instance
_Key = tuple[str, int, int]


@dataclasses.dataclass
class _Running:
    ident: int
    name: str
    deadline: float | None


def _json_copy(value: Any) -> Any:
    """What the activity receives: its own copy, so mutating it cannot touch the history."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.loads(json.dumps(value))


def _failure(seq: int, exc: BaseException, codec: Any) -> Event:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    error = {**h.error_payload(exc, text), "type": codec.error_type(exc)}
    return Event(h.ACTIVITY_FAILED, "", seq=seq, error=error)


def _activity_call(fn: Any, context: ActivityContext, wire: Any, seq: int, codec: Any) -> Any:
    """The call a pool thread makes (decoding the input the way the SDK does, and encoding the
    result): never raises; returns the outcome event."""

    def call() -> Event:
        try:
            wants_input = accepts_input(fn)
            produced = fn(context, codec.activity_input(fn, wire)) if wants_input else fn(context)
            if inspect.iscoroutine(produced):
                produced = asyncio.run(produced)
            return Event(h.ACTIVITY_COMPLETED, "", seq=seq, result=codec.encode(produced))
        except BaseException as exc:  # SystemExit too: a failed task, not a dead worker
            return _failure(seq, exc, codec)

    return call


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
        activity_timeout: float | None = DEFAULT_ACTIVITY_TIMEOUT,
        max_concurrent_activities: int = DEFAULT_MAX_CONCURRENT_ACTIVITIES,
        lease_seconds: float = LEASE_SECONDS,
        mode: Mode = "strict",
    ) -> None:
        """``mode`` is the divergence check of every replay (see :mod:`executor`).
        ``sticky=True`` keeps each instance's execution in memory between steps instead of
        replaying the whole history at every step: linear instead of quadratic in the history
        length, but a step no longer re-checks the code against the history (a restart
        still does). ``activity_timeout`` (seconds, ``None``: none) bounds one activity run;
        ``max_concurrent_activities`` bounds how many run at once."""
        if max_concurrent_activities < 1:
            raise ValueError("max_concurrent_activities must be at least 1")
        if activity_timeout is not None and activity_timeout <= 0:
            raise ValueError("activity_timeout must be positive (or None for no limit)")
        self.registry = registry
        self.store = store if store is not None else MemoryStore()
        self.clock = clock if clock is not None else VirtualClock()
        self.hooks = hooks or Hooks()
        self.target = target
        self.steps = 0
        self.hit_step_limit = False
        self.sticky = sticky
        self.activity_timeout = activity_timeout
        self.max_concurrent_activities = max_concurrent_activities
        self.owner = Owner.this_process()
        self.lease_seconds = lease_seconds
        self._leased: set[str] = set()
        self._renewed = 0.0
        self.mode = mode
        self.codec = registry.codec
        self._cache: dict[str, tuple[int, int, Event | None, Execution]] = {}
        self._histories: dict[str, tuple[int, list[Event], PendingIndex]] = {}
        self._pool = ActivityPool()
        self._running: dict[_Key, _Running] = {}
        self._by_ident: dict[int, _Key] = {}
        self._finished: dict[_Key, Event] = {}
        self._next_ident = 0
        self._timer_seen: dict[_Key, tuple[float, datetime]] = {}
        self._wake: float | None = None

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
        try:
            self._start_instance(record, moment, version)
        finally:
            self._release()
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
        an external event, or ``max_steps`` steps were taken.

        Holds the instance's lease meanwhile (:class:`InstanceLeasedError` when another live
        process holds it). An event raised by another process just as this one lets go is
        not left behind: after releasing, the inbox is looked at once more."""
        self.hit_step_limit = False
        steps = 0
        fruitless = 0  # passes that took no step: an event nothing consumes must not loop
        while True:
            before = steps
            try:
                steps = self._run_leased(instance_id, fire_timers_while_waiting, steps, max_steps)
            finally:
                self._release()
            fruitless = fruitless + 1 if steps == before else 0
            record = self.store.get(instance_id)
            if self.hit_step_limit or fruitless > 1 or not self._events_queued(instance_id):
                return record
            try:
                self._hold(instance_id)
            except InstanceLeasedError:
                return record  # another process holds it now and will consume the event

    def _events_queued(self, instance_id: str) -> bool:
        """Whether an external event waits in the inbox of the instance or a running child."""
        return any(
            self.store.inbox(member.instance_id)
            for member in self.store.family(instance_id)
            if member.status not in TERMINAL_STATUSES
        )

    def waiting_for(self, instance_id: str) -> list[str]:
        """Names of the external events the instance is waiting for now."""
        record = self.store.get(instance_id)
        if record.status in TERMINAL_STATUSES:
            return []
        return self._replay_state(record).waiting_for_events

    # -- leases --------------------------------------------------------------------------------

    def _hold(self, instance_id: str) -> None:
        if instance_id not in self._leased:
            self.store.acquire_lease(instance_id, self.owner, self.lease_seconds)
            self._leased.add(instance_id)
            self._renewed = time.monotonic()

    def _renew(self) -> None:
        if self._leased and time.monotonic() - self._renewed > self.lease_seconds / 3:
            self.store.renew_leases(self.owner, self.lease_seconds)
            self._renewed = time.monotonic()

    def _release(self) -> None:
        if self._leased:
            self._leased.clear()
            self.store.release_leases(self.owner)
        # outcomes still to come belong to a run that is over: they are run again later
        self._running.clear()
        self._by_ident.clear()
        self._finished.clear()
        self._timer_seen.clear()

    # -- the loop ------------------------------------------------------------------------------

    def _run_leased(self, instance_id: str, fire: bool, steps: int, max_steps: int) -> int:
        self._hold(instance_id)
        while steps < max_steps:
            self._wake = None
            if self._advance(instance_id, fire):
                steps += 1
                continue
            if self.store.get(instance_id).status in TERMINAL_STATUSES:
                break  # activities still running were scheduled by code that has finished
            if not self._running and self._wake is None:
                break
            self._wait()
        else:
            self.hit_step_limit = True
        return steps

    def _wait(self) -> None:
        """Until an activity finishes, one runs out of time, a timer is due or (real clock)
        the inbox should be looked at again; keeps the leases alive meanwhile."""
        now = time.monotonic()
        limits = [self._renewed + self.lease_seconds / 3]
        if self._wake is not None:
            limits.append(self._wake)
        limits += [r.deadline for r in self._running.values() if r.deadline is not None]
        timeout = max(0.0, min(limits) - now)
        try:
            self._collect(*self._pool.outcomes.get(timeout=timeout))
            while True:
                self._collect(*self._pool.outcomes.get_nowait())
        except queue.Empty:
            pass
        now = time.monotonic()
        for key, running in list(self._running.items()):
            if running.deadline is not None and running.deadline <= now:
                error = TimeoutError(
                    f"activity {running.name!r} did not finish within {self.activity_timeout:g} s"
                    " (--activity-timeout); its thread was abandoned"
                )
                self._finished[key] = _failure(key[2], error, self.codec)
                self._forget_running(key)
        self._renew()

    def _collect(self, ident: int, event: Event) -> None:
        key = self._by_ident.get(ident)
        if key is not None:  # else: given up on (timeout) or no longer wanted
            self._finished[key] = event
            self._forget_running(key)

    def _forget_running(self, key: _Key) -> None:
        running = self._running.pop(key, None)
        if running is not None:
            self._by_ident.pop(running.ident, None)
        if not self._running:
            self._timer_seen.clear()  # nothing runs: the virtual clock may jump again

    def _forget_instance(self, instance_id: str) -> None:
        for key in [k for k in self._running if k[0] == instance_id]:
            self._forget_running(key)
        for key in [k for k in self._finished if k[0] == instance_id]:
            del self._finished[key]

    # -- steps ---------------------------------------------------------------------------------

    def _start_instance(self, record: InstanceRecord, moment: datetime, version: str | None = None) -> None:
        self._hold(record.instance_id)
        self._histories.pop(record.instance_id, None)  # a retried child reuses its id
        self._forget_instance(record.instance_id)
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
        self.store.create(record, result.tail, replace=record.parent_id is not None, owner=self.owner)
        self._deliver_sent(result.tail)
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
        if not self.sticky:
            self._histories.pop(instance_id, None)
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
        """The current generation's events, kept in memory while the store agrees (one index
        lookup, not a count). Sticky: for good, extended by each step. Otherwise only until
        the next replay (which may hand the code the events' own values), so every step still
        replays exactly what the store holds, read once per step."""
        cached = self._histories.get(record.instance_id)
        if (
            cached is not None
            and cached[0] == record.generation
            and self.store.count(record.instance_id, record.generation) == len(cached[1])
        ):
            return cached[1]
        events = self.store.history(record.instance_id)
        self._histories[record.instance_id] = (record.generation, events, PendingIndex(events))
        return events

    def _pending(self, record: InstanceRecord, history: list[Event]) -> Pending:
        cached = self._histories.get(record.instance_id)
        if cached is not None and cached[1] is history:
            return cached[2].pending()
        return pending_work(history)

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
                owner=self.owner,
            ),
        )
        cached = self._histories.get(record.instance_id)
        if cached is not None and cached[1] is history:
            cached[1].extend(result.tail)
            cached[2].add(result.tail)
        self._deliver_sent(result.tail)
        self._after_commit(record.instance_id)

    def _deliver_sent(self, events: Sequence[Event]) -> None:
        """durabletask ``send_event``, once the sending step is committed: the event goes to the
        target's inbox (as ``raise-event`` puts it), or is dropped silently when the target does
        not exist. The target is not run here (a one-way message), only its inbox filled."""
        for event in events:
            if event.kind == h.EVENT_SENT and event.instance_id and self.store.find(event.instance_id):
                self.store.enqueue_event(event.instance_id, str(event.name), event.data)

    def _after_commit(self, instance_id: str) -> None:
        self.steps += 1
        self.hooks.after_commit(instance_id)

    def _next_generation(self, record: InstanceRecord) -> None:
        self._forget_instance(record.instance_id)
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
                owner=self.owner,
            ),
        )
        self._deliver_sent(result.tail)
        self._after_commit(record.instance_id)

    def _now(self, history: Sequence[Event]) -> datetime:
        floor = h.parse_time(history[-1].timestamp) if history else None
        return self.clock.now(floor)

    def _advance(self, instance_id: str, fire_timers_while_waiting: bool) -> bool:
        """Commit one step of this instance or one of its children; ``False`` when none can
        be taken now (they may wait for activities, a timer (see ``_wake``) or an event)."""
        self._hold(instance_id)
        record = self.store.get(instance_id)
        if record.status == CONTINUED_AS_NEW:
            self._next_generation(record)
            return True
        if record.status in TERMINAL_STATUSES:
            self._forget_instance(instance_id)
            return False
        history = self._history(record)
        inbox = self.store.inbox(instance_id)
        if inbox:
            ident, name, data = inbox[0]
            raised = Event(h.EVENT_RAISED, h.format_time(self._now(history)), name=name, data=data)
            self._step(record, history, [raised], consumed=[ident])
            return True
        pending = self._pending(record, history)
        if self._commit_finished_activity(record, history, pending):
            return True
        self._dispatch(record, pending.activities)
        if self._commit_finished_activity(record, history, pending):
            return True  # one that could not even start (not registered)
        for scheduled in pending.children:
            if self._advance_child(record, history, scheduled, fire_timers_while_waiting):
                return True
        if pending.timers:
            return self._fire_timer(record, history, pending.timers[0], fire_timers_while_waiting)
        return False

    def _commit_finished_activity(
        self, record: InstanceRecord, history: Sequence[Event], pending: Pending
    ) -> bool:
        for scheduled in pending.activities:
            key = (record.instance_id, record.generation, int(scheduled.seq))  # type: ignore[arg-type]
            event = self._finished.pop(key, None)
            if event is not None:
                self.hooks.after_activity(record.instance_id, key[2], str(scheduled.name))
                event.timestamp = h.format_time(self._now(history))
                self._step(record, history, [event])
                return True
        return False

    def _dispatch(self, record: InstanceRecord, activities: Sequence[Event]) -> None:
        """Hand every scheduled activity that is not running yet to the pool (bounded)."""
        for scheduled in activities:
            if len(self._running) >= self.max_concurrent_activities:
                return
            seq, name = int(scheduled.seq), str(scheduled.name)  # type: ignore[arg-type]
            key = (record.instance_id, record.generation, seq)
            if key in self._running or key in self._finished:
                continue
            self.hooks.before_activity(record.instance_id, seq, name)
            try:
                fn = self.registry.get_activity(name)
            except Exception as exc:
                self._finished[key] = _failure(seq, exc, self.codec)
                continue
            context = ActivityContext(record.instance_id, seq)
            self._next_ident += 1
            deadline = None if self.activity_timeout is None else time.monotonic() + self.activity_timeout
            self._running[key] = _Running(self._next_ident, name, deadline)
            self._by_ident[self._next_ident] = key
            call = _activity_call(fn, context, _json_copy(scheduled.input), seq, self.codec)
            self._pool.submit(self._next_ident, call)

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
        remaining = self._until_due(record, history, timer, fire_at)
        if remaining > 0:
            wake = time.monotonic() + (remaining if self.clock.virtual else min(remaining, _REAL_CLOCK_POLL))
            self._wake = wake if self._wake is None else min(self._wake, wake)
            return False
        self._timer_seen.pop((record.instance_id, record.generation, int(timer.seq)), None)  # type: ignore[arg-type]
        moment = max(fire_at, self._now(history))
        self._step(
            record,
            history,
            [Event(h.TIMER_FIRED, h.format_time(moment), seq=timer.seq, fire_at=timer.fire_at)],
        )
        return True

    def _until_due(
        self, record: InstanceRecord, history: Sequence[Event], timer: Event, fire_at: datetime
    ) -> float:
        """Seconds of real time before ``timer`` is due (``<= 0``: now). The real clock:
        until its fire-at time. The virtual clock: at once when no activity runs; while one
        does, time passes at real speed from when the worker first saw the timer waiting."""
        if not self.clock.virtual:
            return (fire_at - self.clock.now()).total_seconds()
        if not self._running:
            return 0.0
        key = (record.instance_id, record.generation, int(timer.seq))  # type: ignore[arg-type]
        seen = self._timer_seen.setdefault(key, (time.monotonic(), self._now(history)))
        return (fire_at - seen[1]).total_seconds() - (time.monotonic() - seen[0])


def make_worker(
    registry: Registry, store: Store | None = None, *, real_time: bool = False, **options: Any
) -> Worker:
    return Worker(registry, store, clock=RealClock() if real_time else VirtualClock(), **options)
