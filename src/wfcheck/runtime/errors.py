"""Exceptions the runtime raises into workflow code or to its caller."""

from __future__ import annotations

import sys
from typing import Any


class NonDeterminismError(Exception):
    """The workflow code did not make the decisions its history recorded.

    ``event_index`` is the 0-based position in the history where replay diverged,
    ``recorded`` what the history holds there (``None`` past its end), ``actual`` what the
    code did now (``None`` when it did nothing), ``location`` the ``file:line`` of the
    workflow statement that diverged. ``engine_accepts`` is true for a divergence that only
    strict mode reports: durabletask and Dapr would replay this history against this code.
    """

    ENGINE_ACCEPTS_NOTE = "the engine would accept this; it changes the value"

    def __init__(
        self,
        *,
        kind: str,
        event_index: int,
        recorded: str | None,
        actual: str | None,
        location: str | None,
        instance_id: str | None = None,
    ) -> None:
        self.kind = kind
        self.event_index = event_index
        self.recorded = recorded
        self.actual = actual
        self.location = location
        self.instance_id = instance_id
        self.engine_accepts = False
        super().__init__(self._message())

    def mark_engine_accepts(self, accepts: bool) -> None:
        self.engine_accepts = accepts
        self.args = (self._message(),)

    def __str__(self) -> str:
        return self._message()

    def _message(self) -> str:
        where = f" of instance {self.instance_id!r}" if self.instance_id else ""
        lines = [f"non-determinism ({self.kind}) at history event #{self.event_index}{where}"]
        lines.append(f"  history recorded: {self.recorded if self.recorded else '(nothing more)'}")
        lines.append(f"  code did now:     {self.actual if self.actual else '(nothing)'}")
        if self.location:
            lines.append(f"  at {self.location}")
        if self.engine_accepts:
            lines.append(f"  strict mode only: {self.ENGINE_ACCEPTS_NOTE}")
        return "\n".join(lines)

    def __reduce__(self):  # keep picklable despite keyword-only constructor
        return (
            _rebuild,
            (
                self.kind,
                self.event_index,
                self.recorded,
                self.actual,
                self.location,
                self.instance_id,
                self.engine_accepts,
            ),
        )


def _rebuild(
    kind, event_index, recorded, actual, location, instance_id, engine_accepts=False
):  # pragma: no cover - pickle helper
    error = NonDeterminismError(
        kind=kind,
        event_index=event_index,
        recorded=recorded,
        actual=actual,
        location=location,
        instance_id=instance_id,
    )
    error.mark_engine_accepts(engine_accepts)
    return error


class FailureDetails:
    """What failed: the attribute names match durabletask's ``FailureDetails``."""

    def __init__(self, message: str, error_type: str, stack_trace: str | None) -> None:
        self.message = message
        self.error_type = error_type
        self.stack_trace = stack_trace


class TaskFailedError(Exception):
    """An activity or child workflow failed (after any retries); raised into the workflow."""

    def __init__(self, message: str, details: FailureDetails) -> None:
        Exception.__init__(self, message)
        self._details = details

    @property
    def details(self) -> FailureDetails:
        return self._details


# SDK classes that workflow code may `except`. They are looked up in sys.modules, never
# imported, so the runtime stays stdlib-only; when one is loaded, the error raised into the
# workflow also is an instance of it.
_SDK_TASK_FAILED = (
    ("dapr.ext.workflow._durabletask.task", "TaskFailedError"),
    ("durabletask.task", "TaskFailedError"),
)
_combined: dict[tuple, type] = {}


def task_failed_error(error: dict[str, Any]) -> TaskFailedError:
    bases: list[type[BaseException]] = [TaskFailedError]
    for module_name, attr in _SDK_TASK_FAILED:
        cls = getattr(sys.modules.get(module_name), attr, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            bases.append(cls)
    key = tuple(bases)
    cls = _combined.get(key)
    if cls is None:
        cls = (
            TaskFailedError
            if len(bases) == 1
            else type("TaskFailedError", key, {"__init__": TaskFailedError.__init__})
        )
        _combined[key] = cls
    message = f"{error.get('type', 'Exception')}: {error.get('message', '')}"
    details = FailureDetails(
        str(error.get("message", "")), str(error.get("type", "Exception")), error.get("traceback")
    )
    return cls(message, details)


class WorkflowNotFoundError(LookupError):
    """A workflow or activity name is not registered."""


class InstanceNotFoundError(LookupError):
    """No instance with this id in the store."""


class StoreError(Exception):
    """The history store cannot be read or written: missing, not a SQLite file, corrupt, or
    holding a value that is not what this runtime wrote. Never the user's code's fault."""


class DamagedHistoryError(StoreError):
    """A stored history is structurally impossible (a missing event, a completion of a task
    that was never scheduled, ...): the store was damaged, the code did not diverge."""


class InstanceLeasedError(Exception):
    """Another live process holds the single-writer lease of an instance."""

    def __init__(self, instance_id: str, pid: int, host: str) -> None:
        self.instance_id = instance_id
        self.pid = pid
        self.host = host
        super().__init__(self._message())

    def _message(self) -> str:
        return (
            f"instance {self.instance_id!r} is being run by pid {self.pid} on {self.host};"
            " wait for it to finish or stop that process"
        )


class LeaseLostError(InstanceLeasedError):
    """This worker's lease expired and another process took the instance over: this worker
    stops without writing anything more."""

    def _message(self) -> str:
        return (
            f"lost the lease on instance {self.instance_id!r} to pid {self.pid} on {self.host};"
            " nothing more was recorded by this process"
        )


class TargetError(Exception):
    """``FILE_OR_MODULE:WORKFLOW`` cannot be loaded (a usage error, one line)."""
