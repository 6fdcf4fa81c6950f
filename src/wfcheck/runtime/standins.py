"""Stand-ins for the SDKs' worker, client and runtime objects, so real modules load unchanged.

While ``replay`` imports user code (and from then on, in that process), these SDK methods are
replaced in place on their classes; nothing else of the SDK changes:

* durabletask ``durabletask.worker.TaskHubGrpcWorker`` (and subclasses such as
  ``DurableTaskSchedulerWorker``): ``add_orchestrator`` and ``add_activity`` still register
  with the SDK and are also captured into the runtime's registry; ``add_entity`` only notes
  the entity (calling one fails the task: entities are not supported); the
  ``data_converter=`` given to the constructor becomes the payload codec; ``start`` and
  ``stop`` do nothing (no connection).
* durabletask ``durabletask.client.TaskHubGrpcClient`` (and subclasses) and Dapr's vendored
  ``dapr.ext.workflow._durabletask.client.TaskHubGrpcClient`` (which ``DaprWorkflowClient``
  wraps): ``schedule_new_orchestration``, ``get_orchestration_state``,
  ``wait_for_orchestration_start``/``_completion``, ``raise_orchestration_event``,
  ``terminate_orchestration``, ``suspend_orchestration``, ``resume_orchestration``,
  ``purge_orchestration`` and ``close`` are served by an in-process runtime (virtual clock,
  memory store) over the captured registry, returning the SDK's own state objects. A wait for
  completion on an instance that can only wait for an external event raises ``TimeoutError``,
  as the real client does when its timeout passes.
* Dapr ``dapr.ext.workflow.WorkflowRuntime``: ``register_workflow``,
  ``register_versioned_workflow`` (name, version name, ``is_latest``) and
  ``register_activity`` still register with the SDK and are captured; ``start``,
  ``shutdown`` do nothing, ``wait_for_worker_ready`` returns true.

A registration made through a patched object also lands on that object
(``_wfcheck_registry``), so activities registered on a shared runtime in another module that
the workflow's module imports are found when that module was imported earlier.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from wfcheck.runtime.registry import Registry

_lock = threading.RLock()
_capturing: list[Registry] = []
_served: dict[str, Any] = {}
ENTITY_MARK = "_wfcheck_entity"

_TARGETS = {
    "durabletask.worker": "_patch_durabletask_worker",
    "durabletask.client": "_patch_client",
    "dapr.ext.workflow._durabletask.client": "_patch_client",
    "dapr.ext.workflow.workflow_runtime": "_patch_dapr_runtime",
}


def object_registry(obj: Any) -> Registry:
    registry = obj.__dict__.get("_wfcheck_registry")
    if registry is None:
        registry = Registry()
        obj.__dict__["_wfcheck_registry"] = registry
    return registry


def _capture(obj: Any, kind: str, fn: Any, name: str | None, **version: Any) -> None:
    targets = [object_registry(obj), *_capturing, served_registry()]
    for registry in targets:
        if kind == "workflow":
            registry.add_workflow(fn, name)
        elif kind == "versioned":
            registry.add_versioned_workflow(fn, str(name), version["version_name"], version["is_latest"])
        else:
            registry.add_activity(fn, name)


class capture:
    """Context manager: registrations made through stand-ins inside it also go to ``registry``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def __enter__(self) -> Registry:
        install()
        _capturing.append(self.registry)
        return self.registry

    def __exit__(self, *exc: object) -> None:
        _capturing.remove(self.registry)


# -- installing ------------------------------------------------------------------------------


class _PatchAfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds nothing itself; wraps the real loader of the modules in ``_TARGETS``."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _TARGETS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        real_loader = spec.loader

        class Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return real_loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                real_loader.exec_module(module)
                _patch(fullname, module)

        spec.loader = Loader()
        return spec


_finder = _PatchAfterImport()


def install() -> None:
    """Patch the SDK modules already imported; patch the others when they are imported."""
    with _lock:
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        for name in _TARGETS:
            module = sys.modules.get(name)
            if module is not None:
                _patch(name, module)


def _patch(name: str, module: Any) -> None:
    if getattr(module, "_wfcheck_patched", False):
        return
    globals()[_TARGETS[name]](module)
    module._wfcheck_patched = True


# -- durabletask worker ------------------------------------------------------------------------


def _patch_durabletask_worker(module: Any) -> None:
    cls = module.TaskHubGrpcWorker
    real_init = cls.__init__
    real_add_orchestrator, real_add_activity = cls.add_orchestrator, cls.add_activity

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        converter = kwargs.get("data_converter")
        _served["converter"] = converter  # the latest worker's converter serves the clients
        if converter is not None:
            for registry in [object_registry(self), *_capturing]:
                registry.converter = converter

    def add_orchestrator(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = real_add_orchestrator(self, fn, *args, **kwargs)
        _capture(self, "workflow", fn, name if isinstance(name, str) else None)
        return name

    def add_activity(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = real_add_activity(self, fn, *args, **kwargs)
        _capture(self, "activity", fn, name if isinstance(name, str) else None)
        return name

    def add_entity(self: Any, fn: Any, name: str | None = None) -> str:
        entity = str(name or getattr(fn, "__name__", "entity"))
        _served.setdefault("entities", set()).add(entity)
        return entity

    def start(self: Any) -> None:
        return None

    def stop(self: Any) -> None:
        return None

    cls.__init__ = __init__
    cls.add_orchestrator, cls.add_activity, cls.add_entity = add_orchestrator, add_activity, add_entity
    cls.start, cls.stop = start, stop


# -- Dapr WorkflowRuntime ------------------------------------------------------------------------


def _patch_dapr_runtime(module: Any) -> None:
    cls = module.WorkflowRuntime
    real_workflow, real_versioned = cls.register_workflow, cls.register_versioned_workflow
    real_activity = cls.register_activity

    def register_workflow(self: Any, fn: Any, *, name: str | None = None) -> None:
        real_workflow(self, fn, name=name)
        _capture(self, "workflow", fn, fn.__dict__.get("_dapr_alternate_name", name))

    def register_versioned_workflow(
        self: Any, fn: Any, *, name: str, version_name: str | None = None, is_latest: bool
    ) -> None:
        real_versioned(self, fn, name=name, version_name=version_name, is_latest=is_latest)
        fn.__dict__["_wfcheck_version"] = (name, version_name or fn.__name__, is_latest)
        _capture(self, "versioned", fn, name, version_name=version_name or fn.__name__, is_latest=is_latest)

    def register_activity(self: Any, fn: Any, *, name: str | None = None) -> None:
        real_activity(self, fn, name=name)
        _capture(self, "activity", fn, fn.__dict__.get("_dapr_alternate_name", name))

    def start(self: Any) -> None:
        return None

    def shutdown(self: Any) -> None:
        return None

    def wait_for_worker_ready(self: Any, timeout: float = 30.0) -> bool:
        return True

    cls.register_workflow, cls.register_versioned_workflow = register_workflow, register_versioned_workflow
    cls.register_activity = register_activity
    cls.start, cls.shutdown, cls.wait_for_worker_ready = start, shutdown, wait_for_worker_ready


# -- clients -----------------------------------------------------------------------------------


def served_registry() -> Registry:
    registry = _served.get("registry")
    if registry is None:
        registry = _served["registry"] = Registry()
    return registry


def _served_worker() -> Any:
    from wfcheck.runtime.codecs import codec_for_loaded_sdk
    from wfcheck.runtime.store import MemoryStore
    from wfcheck.runtime.worker import Worker

    registry = served_registry()
    worker = _served.get("worker")
    if worker is None:
        worker = _served["worker"] = Worker(registry, MemoryStore())
    worker.codec = registry.codec = codec_for_loaded_sdk(_served.get("converter"))
    return worker


def _patch_client(module: Any) -> None:
    cls = module.TaskHubGrpcClient
    state_cls = getattr(module, "OrchestrationState", None) or module.WorkflowState
    status_enum = module.OrchestrationStatus
    task_module = sys.modules[module.__name__.rsplit(".", 1)[0] + ".task"]

    def _state(instance_id: str) -> Any:
        worker = _served_worker()
        record = worker.store.find(instance_id)
        if record is None:
            return None
        status = {
            "running": status_enum.RUNNING,
            "completed": status_enum.COMPLETED,
            "failed": status_enum.FAILED,
            "terminated": status_enum.TERMINATED,
            "suspended": status_enum.SUSPENDED,
        }.get(record.status, status_enum.RUNNING)
        failure = None
        if record.error:
            failure = task_module.FailureDetails(
                record.error.get("message", ""), record.error.get("type", ""), record.error.get("traceback")
            )
        now = datetime.now(timezone.utc)
        encode = _json_text
        return state_cls(
            instance_id=instance_id,
            name=record.name,
            runtime_status=status,
            created_at=now,
            last_updated_at=now,
            serialized_input=encode(record.input),
            serialized_output=encode(record.output),
            serialized_custom_status=encode(record.custom_status),
            failure_details=failure,
        )

    def schedule_new_orchestration(self: Any, orchestrator: Any, *, input: Any = None,
                                   instance_id: str | None = None, **options: Any) -> str:
        worker = _served_worker()
        if not isinstance(orchestrator, str):
            served_registry().learn("workflow", _name(orchestrator), orchestrator)
        version = options.get("version") or getattr(self, "default_version", None)
        new_id = worker.start(_name(orchestrator), input, instance_id=instance_id, version=version)
        worker.run_until_idle(new_id)
        return new_id

    def get_orchestration_state(self: Any, instance_id: str, **_: Any) -> Any:
        return _state(instance_id)

    def wait_for_orchestration_start(self: Any, instance_id: str, **_: Any) -> Any:
        return _state(instance_id)

    def wait_for_orchestration_completion(
        self: Any, instance_id: str, *, timeout: float = 60, **_: Any
    ) -> Any:
        if _settle(instance_id, timeout) == "running":
            raise TimeoutError("Timed-out waiting for the orchestration to complete")
        return _state(instance_id)

    def raise_orchestration_event(self: Any, instance_id: str, event_name: str, *,
                                  data: Any = None, **_: Any) -> None:
        worker = _served_worker()
        worker.raise_event(instance_id, event_name, data)
        worker.run_until_idle(instance_id)

    def nothing(self: Any, *args: Any, **kwargs: Any) -> None:
        return None

    cls.schedule_new_orchestration = schedule_new_orchestration
    cls.get_orchestration_state = get_orchestration_state
    cls.wait_for_orchestration_start = wait_for_orchestration_start
    cls.wait_for_orchestration_completion = wait_for_orchestration_completion
    cls.raise_orchestration_event = raise_orchestration_event
    for method in ("terminate_orchestration", "suspend_orchestration", "resume_orchestration",
                   "purge_orchestration", "close"):
        if hasattr(cls, method):
            setattr(cls, method, nothing)


def _settle(instance_id: str, timeout: float) -> str:
    """Run the instance until it is idle; while it waits, fire the timers that a real client
    waiting ``timeout`` seconds would see fire (virtual time: no waiting)."""
    from wfcheck.runtime import history as h
    from wfcheck.runtime.worker import pending_work

    worker = _served_worker()
    record = worker.run_until_idle(instance_id)
    deadline = None
    while record.status == "running":
        history = worker.store.history(instance_id)
        timers = pending_work(history).timers
        if not timers:
            break
        if deadline is None:
            deadline = h.parse_time(history[-1].timestamp) + timedelta(seconds=timeout)
        if h.parse_time(str(timers[0].fire_at)) > deadline:
            break
        worker.run_until_idle(instance_id, fire_timers_while_waiting=True, max_steps=1)
        record = worker.run_until_idle(instance_id)
    return str(record.status)


def _name(target: Any) -> str:
    from wfcheck.runtime.context import function_name

    name: str = function_name(target)
    return name


def _json_text(value: Any) -> str | None:
    import json

    return None if value is None else json.dumps(value)
