"""Child process of tests/test_in_flight.py: record an instance of the old code on
durabletask's in-memory backend until it waits at the external event, then judge the fixed
code with durabletask's own executor and with a worker on the same backend.

    python inflight_durabletask.py OLD.py FIXED.py UNSAFE.py   -> one JSON line
"""

from __future__ import annotations

import importlib.util
import json
import logging
import socket
import sys
import time
from datetime import datetime, timezone
from types import ModuleType


def _load(path: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def _worker(address: str, module: ModuleType):
    from durabletask import worker

    runner = worker.TaskHubGrpcWorker(host_address=address)
    runner.add_orchestrator(module.approval)
    for name in ("notify", "read_region"):
        if hasattr(module, name):
            runner.add_activity(getattr(module, name))
    runner.start()
    return runner


def _record_waiting_instance(server, address: str, module: ModuleType) -> tuple[str, list]:
    from durabletask import client

    runner = _worker(address, module)
    try:
        hub = client.TaskHubGrpcClient(host_address=address)
        instance = hub.schedule_new_orchestration(module.approval, input="order-1")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            record = server._instances[instance]
            waiting = instance not in server._orchestration_in_flight
            if waiting and any(e.HasField("taskCompleted") for e in record.history):
                break
            time.sleep(0.05)
        else:
            raise SystemExit("the instance never reached the external event")
    finally:
        runner.stop()
    return instance, list(server._instances[instance].history)


def _executor_verdict(module: ModuleType, instance: str, history: list) -> str | None:
    """Replay ``history`` plus the approval with ``module``'s code in durabletask's executor:
    the error type the engine fails the instance with, or None."""
    from durabletask import worker
    from durabletask.internal import helpers
    from durabletask.serialization import JsonDataConverter

    registry = worker._Registry()
    registry.add_orchestrator(module.approval)
    executor = worker._OrchestrationExecutor(registry, logging.getLogger("inflight"), JsonDataConverter())
    new = [
        helpers.new_orchestrator_started_event(datetime.now(timezone.utc)),
        helpers.new_event_raised_event("approve", json.dumps(True)),
    ]
    result = executor.execute(instance, history, new)
    for action in result.actions:
        if action.HasField("completeOrchestration"):
            details = action.completeOrchestration.failureDetails
            return details.errorType or None
    return None


def main(old: str, fixed: str, unsafe: str) -> dict:
    from durabletask import client
    from durabletask.testing import InMemoryOrchestrationBackend

    server = InMemoryOrchestrationBackend(port=_free_port())
    address = server.start()
    try:
        instance, history = _record_waiting_instance(server, address, _load(old, "old_code"))
        new_code = _load(fixed, "fixed_code")
        verdict: dict = {
            "fixed_executor": _executor_verdict(new_code, instance, history),
            "unsafe_executor": _executor_verdict(_load(unsafe, "unsafe_code"), instance, history),
        }
        runner = _worker(address, new_code)
        try:
            hub = client.TaskHubGrpcClient(host_address=address)
            hub.raise_orchestration_event(instance, "approve", data=True)
            state = hub.wait_for_orchestration_completion(instance, timeout=30)
        finally:
            runner.stop()
        verdict["fixed_backend"] = state.runtime_status.name if state else None
        output = json.loads(state.serialized_output) if state and state.serialized_output else {}
        verdict["approved"] = output.get("approved")
        return verdict
    finally:
        server.stop(grace=0)


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    print(json.dumps(main(*sys.argv[1:4])))
