"""wfcheck's reference replay runtime: run durable workflow code in-process, durably, and
prove (or disprove) that it replays deterministically.

Stdlib only. Modules: ``history`` (events, JSON), ``store`` (SQLite/memory), ``tasks``
(awaitables, ``when_all``/``when_any``), ``context`` (the ``ctx`` API), ``executor`` (the pure
replay core), ``registry`` (names -> functions, loading user code, unwrapping Dapr decorators),
``clock``, ``worker`` (the driver), ``perturb``/``verify`` (perturbed replays, chaos), ``cli``.
"""

from wfcheck.runtime.context import ActivityContext, WorkflowContext
from wfcheck.runtime.errors import NonDeterminismError, TaskFailedError, WorkflowNotFoundError
from wfcheck.runtime.executor import StepResult, execute, replay
from wfcheck.runtime.history import Event
from wfcheck.runtime.registry import Registry, load_target
from wfcheck.runtime.retry import RetryPolicy
from wfcheck.runtime.store import MemoryStore, SQLiteStore, open_store
from wfcheck.runtime.tasks import when_all, when_any
from wfcheck.runtime.worker import Hooks, Worker

# Azure Durable Functions names for the combinators
task_all = when_all
task_any = when_any

__all__ = [
    "ActivityContext",
    "Event",
    "Hooks",
    "MemoryStore",
    "NonDeterminismError",
    "Registry",
    "RetryPolicy",
    "SQLiteStore",
    "StepResult",
    "TaskFailedError",
    "Worker",
    "WorkflowContext",
    "WorkflowNotFoundError",
    "execute",
    "load_target",
    "open_store",
    "replay",
    "task_all",
    "task_any",
    "when_all",
    "when_any",
]
