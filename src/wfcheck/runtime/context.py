"""The object workflow code receives as ``ctx``: Dapr's ``DaprWorkflowContext`` names, plus the
durabletask and Azure Durable Functions (v1, generator style) aliases.

Every scheduling call only *records a decision*; the executor matches it against history.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable

from wfcheck.runtime.azure_apps import azure_function
from wfcheck.runtime.tasks import Task, WhenAllTask, WhenAnyTask, when_all, when_any

if TYPE_CHECKING:  # pragma: no cover
    from wfcheck.runtime.executor import Execution

_UNSET: Any = object()
_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
# Frames in these places are plumbing between the user's statement and this runtime.
_PLUMBING_MARKERS = (
    os.sep + os.path.join("dapr", "ext", "workflow") + os.sep,
    os.sep + "durabletask" + os.sep,
    os.sep + "_durabletask" + os.sep,
)
_UUID_NAMESPACE = uuid.UUID("9e8a6f0c-3f0d-4c1e-9a55-77f1c4d1a2b0")


def _is_plumbing(filename: str) -> bool:
    if filename.startswith(_RUNTIME_DIR):
        return True
    return any(marker in filename for marker in _PLUMBING_MARKERS)


def format_location(filename: str, lineno: int) -> str:
    try:
        rel = os.path.relpath(filename)
        if not rel.startswith(".."):
            filename = rel
    except ValueError:  # other drive on Windows
        pass
    return f"{filename}:{lineno}"


def caller_location() -> str | None:
    """``file:line`` of the nearest frame outside this runtime and the workflow SDKs."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_plumbing(filename):
            return format_location(filename, frame.f_lineno)
        frame = frame.f_back
    return None


def function_name(target: Any) -> str:
    """The registered name of an activity/workflow given as a name, an Azure v2 function, a
    Dapr-decorated function (whose ``_dapr_alternate_name`` holds the name) or a plain function."""
    if isinstance(target, str):
        return target
    azure = azure_function(target)
    if azure is not None:
        # An Azure Functions v2 function passed by object: the SDK schedules it under its
        # builder's `_name` (the Python name), as `DurableOrchestrationContext` does.
        sdk_name = getattr(target._function, "_name", None)
        return sdk_name if isinstance(sdk_name, str) and sdk_name else azure[1][0]
    alternate = getattr(target, "_dapr_alternate_name", None)
    if isinstance(alternate, str):
        return alternate
    name = getattr(target, "__name__", None)
    if not name or name == "<lambda>":
        raise ValueError(f"cannot infer a name for {target!r}; pass the name as a string")
    return name


class WorkflowContext:
    """``ctx`` for one execution of one workflow instance."""

    def __init__(self, execution: Execution, instance_id: str, workflow_input: Any) -> None:
        self._execution = execution
        self._instance_id = instance_id
        self._input = workflow_input
        self._uuid_counter = 0

    # -- state ---------------------------------------------------------------------------------

    @property
    def instance_id(self) -> str:
        return self._instance_id

    @property
    def current_utc_datetime(self) -> datetime:
        """The time recorded in history for the event being processed (naive UTC, as Dapr)."""
        return self._execution.current_time.replace(tzinfo=None)

    @property
    def is_replaying(self) -> bool:
        return self._execution.is_replaying

    @property
    def version(self) -> str | None:
        """durabletask's orchestration version / the Dapr named version this instance runs."""
        return self._execution.version

    @property
    def parent_instance_id(self) -> str | None:
        return self._execution.parent_instance_id

    def is_patched(self, patch_name: str) -> bool:
        """Dapr ``is_patched``: true for new work, false where history predates the patch."""
        return self._execution.is_patched(patch_name)

    def get_propagated_history(self) -> Any:
        """Dapr history propagation: ``None``, what Dapr returns when the caller propagated no
        history (this runtime does not propagate histories between instances)."""
        return None

    def create_replay_safe_logger(self, logger: Any) -> Any:
        """durabletask: a logger that drops records while the code is replaying."""
        return _ReplaySafeLogger(logger, self)

    def call_entity(self, *_args: Any, **_kwargs: Any) -> Task:
        """durabletask entities are not supported here: the task fails (a normal task failure)."""
        return self._execution.failed_task("durable entities are not supported by wfcheck's runtime")

    signal_entity = call_entity
    lock_entities = call_entity

    def set_custom_status(self, custom_status: Any) -> None:
        self._execution.custom_status = custom_status

    def get_input(self) -> Any:
        """Azure Durable Functions: the workflow input."""
        return self._input

    def new_uuid(self) -> str:
        """A UUID that is the same on every replay (durabletask/Azure ``new_uuid``)."""
        self._uuid_counter += 1
        seed = f"{self._instance_id}|{self._execution.current_time.isoformat()}|{self._uuid_counter}"
        return str(uuid.uuid5(_UUID_NAMESPACE, seed))

    def new_guid(self) -> uuid.UUID:
        """durabletask's deterministic ``new_guid`` (reachable from Dapr's context too)."""
        return uuid.UUID(self.new_uuid())

    # -- scheduling ----------------------------------------------------------------------------

    def call_activity(
        self,
        activity: Callable[..., Any] | str,
        input_: Any = _UNSET,
        *,
        input: Any = None,
        retry_policy: Any = None,
        app_id: str | None = None,
        return_type: Any = None,
        **_ignored: Any,
    ) -> Task:
        """Dapr/durabletask ``call_activity(fn|name, *, input=, retry_policy=, return_type=)``;
        Azure ``call_activity(name, input_)``."""
        value = input if input_ is _UNSET else input_
        name = function_name(activity)
        self._execution.note_function("activity", name, activity)
        if return_type is None:
            return_type = self._execution.codec.activity_result_type(activity)
        return self._execution.schedule_activity(
            name, value, retry_policy, caller_location(), return_type
        )

    def call_child_workflow(
        self,
        workflow: Callable[..., Any] | str,
        *,
        input: Any = None,
        instance_id: str | None = None,
        retry_policy: Any = None,
        app_id: str | None = None,
        return_type: Any = None,
        **_ignored: Any,
    ) -> Task:
        name = function_name(workflow)
        self._execution.note_function("workflow", name, workflow)
        return self._execution.schedule_child(
            name, input, instance_id, retry_policy, caller_location(), return_type
        )

    def call_sub_orchestrator(
        self,
        orchestrator: Callable[..., Any] | str,
        input_: Any = _UNSET,
        instance_id: str | None = None,
        *,
        input: Any = None,
        retry_policy: Any = None,
        **ignored: Any,
    ) -> Task:
        """durabletask ``call_sub_orchestrator``; Azure ``call_sub_orchestrator(name, input_)``."""
        value = input if input_ is _UNSET else input_
        return self.call_child_workflow(
            orchestrator, input=value, instance_id=instance_id, retry_policy=retry_policy, **ignored
        )

    def create_timer(self, fire_at: datetime | timedelta) -> Task:
        return self._execution.schedule_timer(fire_at, caller_location())

    def wait_for_external_event(
        self,
        name: str,
        *,
        timeout: datetime | timedelta | None = None,
        data_type: Any = None,
        **_ignored: Any,
    ) -> Task:
        """Completes with the event's data (decoded as ``data_type``, durabletask); with
        ``timeout`` fails with ``TimeoutError`` when the timer fires first."""
        return self._execution.wait_for_event(name, timeout, caller_location(), data_type)

    def send_event(self, instance_id: str, event_name: str, *, data: Any = None) -> None:
        """durabletask ``send_event``: one-way; the target (if it exists) receives ``event_name``
        in its inbox once this step is committed, otherwise the event is dropped silently."""
        if not instance_id or not instance_id.strip():
            raise ValueError("instance_id cannot be empty")
        if instance_id.startswith("@"):
            raise ValueError(
                "Instance IDs starting with '@' are reserved for entities; "
                "use signal_entity() to send an entity operation."
            )
        if not event_name or not event_name.strip():
            raise ValueError("event_name cannot be empty")
        self._execution.send_event(instance_id, event_name, data, caller_location())

    def continue_as_new(self, new_input: Any = None, *, save_events: bool = False, **_ignored: Any) -> None:
        """Restart this instance with ``new_input`` once the code returns; with
        ``save_events`` unprocessed external events carry over."""
        self._execution.request_continue_as_new(new_input, save_events)

    # -- combinators as methods (Azure names, and a convenience) --------------------------------

    def task_all(self, tasks: Sequence[Any]) -> WhenAllTask:
        return when_all(tasks)

    def task_any(self, tasks: Sequence[Any]) -> WhenAnyTask:
        return when_any(tasks)

    when_all = task_all
    when_any = task_any


class _ReplaySafeLogger:
    def __init__(self, logger: Any, ctx: WorkflowContext) -> None:
        self._logger = logger
        self._ctx = ctx

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._logger, name)
        if name in ("debug", "info", "warning", "warn", "error", "exception", "critical", "log"):

            def log(*args: Any, **kwargs: Any) -> None:
                if not self._ctx.is_replaying:
                    attribute(*args, **kwargs)

            return log
        return attribute


class ActivityContext:
    """What an activity receives as its first argument (Dapr and durabletask names)."""

    def __init__(self, instance_id: str, task_id: int) -> None:
        self.workflow_id = instance_id
        self.orchestration_id = instance_id
        self.task_id = task_id
        self.task_execution_id = f"{instance_id}:{task_id}"

    def get_propagated_history(self) -> Any:
        """Dapr history propagation: ``None`` (no history is propagated here)."""
        return None
