"""Awaitable tasks that workflow code yields, and the ``when_all``/``when_any`` combinators.

The attribute protocol (``is_complete``, ``is_failed``, ``get_result``, ``get_exception``,
``on_child_completed``, and a parent link) is the one durabletask's tasks follow, so the real
``dapr.ext.workflow.when_all``/``when_any`` and ``durabletask.task.when_all``/``when_any``
(which build their own composite objects) can wrap this runtime's tasks, and the runtime can
drive those composites in turn. Two generations of the parent link exist: the durabletask
copy inside Dapr sets one ``_parent``; durabletask 1.x keeps a ``_parents`` dict (a task may
feed several composites). A task here notifies both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Task(Generic[T]):
    def __init__(self) -> None:
        self._is_complete = False
        self._result: Any = None
        self._exception: BaseException | None = None
        self._parent: Any = None  # set by Dapr's vendored durabletask composites
        self._parents: dict[int, Any] = {}  # used by durabletask 1.x composites and this module
        self.expected_type: Any = None  # return_type= / data_type=, for the payload codec

    @property
    def is_complete(self) -> bool:
        return self._is_complete

    @property
    def is_failed(self) -> bool:
        return self._exception is not None

    def get_result(self) -> T:
        if not self._is_complete:
            raise ValueError("the task has not completed")
        if self._exception is not None:
            raise self._exception
        return self._result

    def get_exception(self) -> BaseException:
        if self._exception is None:
            raise ValueError("the task has not failed")
        return self._exception

    def _finish(self) -> None:
        self._is_complete = True
        parents = list(self._parents.values())
        self._parents.clear()
        if self._parent is not None:
            parents.insert(0, self._parent)
        for parent in parents:
            parent.on_child_completed(self)


class CompletableTask(Task[T]):
    """Completed by a history event (activity, timer, child workflow, external event)."""

    def __init__(self) -> None:
        super().__init__()
        self.retry: Any = None  # the executor's retry state, when a retry policy applies

    def complete(self, result: Any) -> None:
        if self._is_complete:
            return
        self._result = result
        self._finish()

    def fail(self, exc: BaseException) -> None:
        if self._is_complete:
            return
        self._exception = exc
        self._finish()


class CompositeTask(Task[T]):
    def __init__(self, tasks: Sequence[Any]) -> None:
        super().__init__()
        self._tasks = list(tasks)
        if len({id(t) for t in self._tasks}) != len(self._tasks):
            raise ValueError("the same task was passed to when_all/when_any more than once")
        self._completed = 0
        for child in self._tasks:
            if child.is_complete:
                continue
            links = getattr(child, "_parents", None)
            if isinstance(links, dict):
                links[id(self)] = self
            else:
                child._parent = self
        for child in self._tasks:
            if child.is_complete and not self._is_complete:
                self.on_child_completed(child)

    def get_tasks(self) -> list[Any]:
        return list(self._tasks)

    def on_child_completed(self, child: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class WhenAllTask(CompositeTask[list[Any]]):
    """Completes with every result, in the order given, or fails with the first failure."""

    def __init__(self, tasks: Sequence[Any]) -> None:
        super().__init__(tasks)
        if not self._tasks:
            self._result = []
            self._is_complete = True

    def on_child_completed(self, child: Any) -> None:
        if self._is_complete:
            return
        self._completed += 1
        if child.is_failed:
            self._exception = child.get_exception()
            self._finish()
        elif self._completed == len(self._tasks):
            self._result = [t.get_result() for t in self._tasks]
            self._finish()


class WhenAnyTask(CompositeTask[Any]):
    """Completes with the first child task to finish (the task itself, not its result)."""

    def on_child_completed(self, child: Any) -> None:
        if self._is_complete:
            return
        self._result = child
        self._finish()


class ExternalEventTask(CompletableTask[Any]):
    """Waits for a named external event; with a timeout it fails with ``TimeoutError``."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.timer_seq: int | None = None


def when_all(tasks: Sequence[Any]) -> WhenAllTask:
    """A task that completes when all ``tasks`` complete, or fails when one fails."""
    return WhenAllTask(tasks)


def when_any(tasks: Sequence[Any]) -> WhenAnyTask:
    """A task that completes when the first of ``tasks`` completes; its result is that task."""
    return WhenAnyTask(tasks)


def is_task(obj: Any) -> bool:
    """Duck-typed: this runtime's tasks and composites built by the Dapr/durabletask SDKs."""
    return hasattr(obj, "is_complete") and hasattr(obj, "get_result") and hasattr(obj, "is_failed")
