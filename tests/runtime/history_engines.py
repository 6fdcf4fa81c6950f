"""Record histories on the real engines, and ask the engines for their own replay verdict.

Run as a script in its own process (durabletask and Dapr's vendored copy of it cannot share
one): ``python history_engines.py durabletask OUT_DIR`` records the durabletask histories the
history-check tests use into OUT_DIR and prints, as JSON, every file written and the engine's
verdict on each changed variant of the code; the tests compare wfcheck's verdicts with these.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps", "histories")
DT_VARIANTS = [
    "dt_order",
    "dt_order_renamed",
    "dt_order_reordered",
    "dt_order_input",
    "dt_order_appended",
    "dt_order_inserted",
    "dt_order_versioned",
]


def load(name: str):
    if APPS not in sys.path:
        sys.path.insert(0, APPS)
    spec = importlib.util.spec_from_file_location(name, os.path.join(APPS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- durabletask ----------------------------------------------------------------------------------


def record_durabletask(out: str) -> dict[str, str]:
    """Run dt_order.order on durabletask's in-memory backend twice (one instance completed, one
    left waiting for its approval) and save each history three ways: the history export
    extension's JSON document and gzipped JSONL, and the HistoryEvent messages as protobuf JSON;
    then run the extension's own export job, which writes every finished instance (the
    completed one and its child) to a folder beside OUT_DIR."""
    from datetime import datetime, timedelta, timezone

    from durabletask import client, worker
    from durabletask.extensions.history_export import (
        ExportDestination,
        ExportHistoryClient,
        ExportJobCreationOptions,
        ExportMode,
    )
    from durabletask.extensions.history_export.models import ExportFormat, ExportFormatKind
    from durabletask.extensions.history_export.serialization import (
        orchestration_state_to_dict,
        serialize_history,
    )
    from durabletask.internal import orchestrator_service_pb2 as pb
    from durabletask.testing import create_test_backend
    from google.protobuf import json_format

    app = load("dt_order")
    began = datetime.now(timezone.utc) - timedelta(minutes=1)
    port = free_port()
    backend = create_test_backend(port=port)
    runner = worker.TaskHubGrpcWorker(host_address=f"localhost:{port}")
    runner.add_orchestrator(app.order)
    runner.add_orchestrator(app.summarize)
    for activity in app.ACTIVITIES:
        runner.add_activity(activity)
    hub = client.TaskHubGrpcClient(host_address=f"localhost:{port}")
    job_folder = out.rstrip(os.sep) + "-export-job"
    exporter = ExportHistoryClient(hub, FolderWriter(job_folder))
    exporter.register_worker(runner)
    runner.start()
    files = {}
    try:
        for label, approve in (("completed", True), ("inflight", False)):
            app.ATTEMPTS["flaky_charge"] = 0
            instance = hub.schedule_new_orchestration(
                app.order, input="lamp", instance_id=f"dt-{label}", version="1.0"
            )
            state = _wait_until_waiting(hub, pb, instance)
            if approve:
                hub.raise_orchestration_event(instance, "approve", data={"by": "ops"})
                state = hub.wait_for_orchestration_completion(instance, timeout=60)
                assert state is not None and state.runtime_status.name == "COMPLETED", state
            events = hub.get_orchestration_history(instance)
            for kind, suffix in (
                (ExportFormatKind.JSON, ".json"),
                (ExportFormatKind.JSONL_GZIP, ".jsonl.gz"),
            ):
                payload = serialize_history(
                    events,
                    instance_id=instance,
                    fmt=ExportFormat(kind=kind, schema_version="1.0"),
                    metadata=orchestration_state_to_dict(state),
                )
                path = os.path.join(out, f"dt_{label}_export{suffix}")
                with open(path, "wb") as handle:
                    handle.write(payload)
                files[f"{label}/export{suffix}"] = path
            messages = []
            for chunk in hub._stub.StreamInstanceHistory(
                pb.StreamInstanceHistoryRequest(instanceId=instance)
            ):
                messages.extend(chunk.events)
            path = os.path.join(out, f"dt_{label}_protobuf.json")
            with open(path, "w") as handle:
                json.dump({"events": [json_format.MessageToDict(m) for m in messages]}, handle, indent=1)
            files[f"{label}/protobuf.json"] = path
            if approve:  # the child workflow the completed instance ran, on its own
                children = [
                    e.subOrchestrationInstanceCreated.instanceId
                    for e in messages
                    if e.HasField("subOrchestrationInstanceCreated")
                ]
                child = []
                for chunk in hub._stub.StreamInstanceHistory(
                    pb.StreamInstanceHistoryRequest(instanceId=children[0])
                ):
                    child.extend(chunk.events)
                # beside OUT_DIR, not in it: a folder check of OUT_DIR is about the parent
                os.makedirs(out.rstrip(os.sep) + "-children", exist_ok=True)
                path = os.path.join(out.rstrip(os.sep) + "-children", "dt_child_protobuf.json")
                with open(path, "w") as handle:
                    json.dump([json_format.MessageToDict(m) for m in child], handle, indent=1)
                files["child/protobuf.json"] = path
        # and the extension's own export job, run by the worker, for every finished instance
        job = exporter.create_job(
            ExportJobCreationOptions(
                mode=ExportMode.BATCH,
                completed_time_from=began,
                completed_time_to=datetime.now(timezone.utc) + timedelta(seconds=1),
                destination=ExportDestination(container="histories"),
                format=ExportFormat(kind=ExportFormatKind.JSONL_GZIP, schema_version="1.0"),
            )
        )
        done = exporter.wait_for_job(job.job_id)
        assert done is not None and done.exported_instances == 2 and not done.failures, done
        files["export-job"] = os.path.join(job_folder, "histories")
    finally:
        runner.stop()
        backend.stop()
    return files


class FolderWriter:
    """A history export destination writing each blob to a local folder (the extension's
    ``HistoryWriter`` protocol)."""

    def __init__(self, root: str) -> None:
        self.root = root

    def write(
        self, *, instance_id, container, blob_name, payload, content_type, content_encoding, metadata=None
    ) -> None:
        path = os.path.join(self.root, container, blob_name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(payload)


def _wait_until_waiting(hub, pb, instance: str):
    """Until the instance has recorded everything up to its wait for 'approve'."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = hub.get_orchestration_state(instance)
        history = []
        for chunk in hub._stub.StreamInstanceHistory(pb.StreamInstanceHistoryRequest(instanceId=instance)):
            history.extend(chunk.events)
        completions = [e for e in history if e.HasField("taskCompleted")]
        if len(completions) == 5 and history[-1].HasField("orchestratorCompleted"):
            return state
        time.sleep(0.05)
    raise TimeoutError(f"{instance} never reached its wait for approval")


def durabletask_verdict(variant: str, protobuf_file: str) -> dict[str, str] | None:
    """durabletask's own executor replays the recorded events against ``variant``'s code: the
    error (type and message) it fails the instance with, or None when it accepts the history. Everything but
    the last episode is old history, the last episode the new events, as a dispatch would be."""
    from durabletask import worker
    from durabletask.internal import orchestrator_service_pb2 as pb
    from durabletask.serialization import JsonDataConverter
    from google.protobuf import json_format

    module = load(variant)
    with open(protobuf_file) as handle:
        raw = json.load(handle)["events"]
    events = [json_format.ParseDict(item, pb.HistoryEvent()) for item in raw]
    starts = [i for i, e in enumerate(events) if e.HasField("orchestratorStarted")]
    cut = starts[-1]
    registry = worker._Registry()
    registry.add_named_orchestrator("order", module.order)
    executor = worker._OrchestrationExecutor(registry, logging.getLogger("judge"), JsonDataConverter())
    results = executor.execute("judge", events[:cut], events[cut:])
    for action in results.actions:
        if action.HasField("completeOrchestration") and action.completeOrchestration.HasField(
            "failureDetails"
        ):
            details = action.completeOrchestration.failureDetails
            return {"type": details.errorType, "message": details.errorMessage}
    return None


def wfcheck_verdicts(variant: str, path: str, attr: str = "order") -> dict[str, object]:
    from wfcheck.runtime.replay_check import check_path

    out = {}
    for mode in ("engine", "strict"):
        (result,) = check_path(os.path.join(APPS, variant + ".py") + ":" + attr, path, mode)
        out[mode] = result.to_dict()
    return out


# -- Dapr -----------------------------------------------------------------------------------------


class DaprSidecar:
    """The part of a Dapr sidecar that writes history, around Dapr's own bundled executor.

    Each dispatch hands ``_OrchestrationExecutor.execute`` the history so far and the new
    events (a ``workflowStarted`` carrying the virtual clock, then the inputs), and appends
    the actions it returns as the sidecar records them: ``taskScheduled``, ``timerCreated``
    (with its origin; the optional timer of an indefinite wait included) and
    ``executionCompleted``. The version name and patches the executor reports are stamped on
    that dispatch's ``workflowStarted``, where the executor reads them back on replay.
    Activities run through Dapr's own activity executor; timers fire on a virtual clock.
    """

    def __init__(self, module) -> None:
        from dapr.ext.workflow._durabletask import worker as dw

        self.dw = dw
        self.registry = module.wfr._WorkflowRuntime__worker._registry
        self.history: list = []
        self.children: dict[str, list] = {}
        self.now = __import__("datetime").datetime(2026, 1, 1, 9, 0, 0)

    def dispatch(self, instance: str, inputs: list) -> list:
        from dapr.ext.workflow._durabletask.internal import helpers as ph

        started = ph.new_workflow_started_event(self.now)
        new = [started, *inputs]
        executor = self.dw._OrchestrationExecutor(self.registry, logging.getLogger("sidecar"))
        results = executor.execute(instance, self.history, new)
        if results.version_name or results.patches:
            started.workflowStarted.version.name = results.version_name or ""
            started.workflowStarted.version.patches.extend(results.patches or [])
        self.history.extend(new)
        return list(results.actions)

    def record(self, action) -> list:
        """Append the event for ``action``; return the input events it will later cause."""
        from dapr.ext.workflow._durabletask.internal import helpers as ph
        from dapr.ext.workflow._durabletask.internal import protos as pb

        if action.HasField("scheduleTask"):
            call = action.scheduleTask
            event = ph.new_task_scheduled_event(action.id, call.name, call.input.value or None)
            self.history.append(event)
            fn = self.registry.get_activity(call.name)
            output = self.dw._ActivityExecutor(logging.getLogger("sidecar")).execute(
                fn, "instance", call.name, action.id, call.input.value or None
            )
            return [ph.new_task_completed_event(action.id, output)]
        if action.HasField("createTimer"):
            timer = action.createTimer
            event = pb.HistoryEvent(eventId=action.id, timestamp=ph.new_timestamp(self.now))
            event.timerCreated.CopyFrom(pb.TimerCreatedEvent(fireAt=timer.fireAt))
            origin = timer.WhichOneof("origin")
            if origin:
                getattr(event.timerCreated, origin).CopyFrom(getattr(timer, origin))
            self.history.append(event)
            if timer.fireAt.seconds >= 253402300799:  # the optional timer: never fires
                return []
            return [("timer", action.id, timer.fireAt.ToDatetime())]
        if action.HasField("createChildWorkflow"):
            call = action.createChildWorkflow
            self.history.append(
                ph.new_child_workflow_created_event(
                    action.id, call.name, call.instanceId, call.input.value or None
                )
            )
            child = DaprSidecar.__new__(DaprSidecar)
            child.dw, child.registry, child.history, child.now = self.dw, self.registry, [], self.now
            child.children = self.children
            events = child.run(
                call.name, call.instanceId, json.loads(call.input.value or "null"), approve=False
            )
            self.children[call.instanceId] = events
            done = events[-1].executionCompleted
            return [ph.new_child_workflow_completed_event(action.id, done.result.value or None)]
        if action.HasField("completeWorkflow"):
            done = action.completeWorkflow
            event = pb.HistoryEvent(eventId=-1, timestamp=ph.new_timestamp(self.now))
            event.executionCompleted.workflowStatus = done.workflowStatus
            if done.HasField("result"):
                event.executionCompleted.result.value = done.result.value
            if done.HasField("failureDetails"):
                event.executionCompleted.failureDetails.CopyFrom(done.failureDetails)
            self.history.append(event)
            return []
        raise NotImplementedError(action)

    def run(self, name: str, instance: str, item, *, approve: bool) -> list:
        """Run ``name`` until it completes, or (``approve=False``) until it waits for approval."""
        from dapr.ext.workflow._durabletask.internal import helpers as ph

        inputs = [ph.new_execution_started_event(name, instance, json.dumps(item))]
        timers: list = []
        for _ in range(50):
            actions = self.dispatch(instance, inputs)
            inputs = []
            for action in actions:
                for caused in self.record(action):
                    if isinstance(caused, tuple):
                        timers.append(caused)
                    else:
                        inputs.append(caused)
            if any(a.HasField("completeWorkflow") for a in actions):
                return self.history
            if not inputs and timers:
                _, timer_id, fire_at = timers.pop(0)
                self.now = fire_at
                inputs = [ph.new_timer_fired_event(timer_id, fire_at)]
            if not inputs:
                if not approve:
                    return self.history
                approve = False
                inputs = [ph.new_event_raised_event("approve", json.dumps({"by": "ops"}))]
            self.now += __import__("datetime").timedelta(seconds=1)
        raise RuntimeError("the workflow did not settle")


DAPR_RECORDINGS = {
    # history label: (module, workflow name, complete it?)
    "order-completed": ("dapr_order", "order", True),
    "order-inflight": ("dapr_order", "order", False),
    "patched-inflight": ("dapr_order_patched", "order", False),
    "shipping-v1-inflight": ("dapr_shipping_v1", "shipping", False),
}
DAPR_VARIANTS = {
    "order": [
        "dapr_order",
        "dapr_order_renamed",
        "dapr_order_reordered",
        "dapr_order_input",
        "dapr_order_patched",
        "dapr_order_unpatched",
    ],
    "patched": ["dapr_order_patched", "dapr_order"],
    "shipping": [
        "dapr_shipping_v1",
        "dapr_shipping_v2",
        "dapr_shipping_v2_only",
        "dapr_shipping_v2_without_v1",
    ],
}


def record_dapr(out: str) -> dict[str, str]:
    from google.protobuf import json_format

    files = {}
    for label, (module_name, name, approve) in DAPR_RECORDINGS.items():
        sidecar = DaprSidecar(load(module_name))
        events = sidecar.run(name, f"dapr-{label}", "lamp", approve=approve)
        path = os.path.join(out, f"dapr_{label}.json")
        with open(path, "w") as handle:
            json.dump([json_format.MessageToDict(e) for e in events], handle, indent=1)
        files[label] = path
        for child_events in sidecar.children.values():
            # beside OUT_DIR, not in it: a folder check of OUT_DIR is about the parents
            folder = out.rstrip(os.sep) + "-children"
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"dapr_{label}_child.json")
            with open(path, "w") as handle:
                json.dump({"events": [json_format.MessageToDict(e) for e in child_events]}, handle, indent=1)
            files[f"{label}/child"] = path
    return files


def dapr_verdict(variant: str, name: str, path: str) -> dict[str, str] | None:
    """Dapr's own executor replays the recorded events (all but the last dispatch as old
    history) against ``variant``'s registrations."""
    from dapr.ext.workflow._durabletask import worker as dw
    from dapr.ext.workflow._durabletask.internal import protos as pb
    from google.protobuf import json_format

    module = load(variant)
    registry = module.wfr._WorkflowRuntime__worker._registry
    with open(path) as handle:
        events = [json_format.ParseDict(item, pb.HistoryEvent()) for item in json.load(handle)]
    cut = [i for i, e in enumerate(events) if e.HasField("workflowStarted")][-1]
    executor = dw._OrchestrationExecutor(registry, logging.getLogger("judge"))
    results = executor.execute("judge", events[:cut], events[cut:])
    for action in results.actions:
        if action.HasField("completeWorkflow") and action.completeWorkflow.HasField("failureDetails"):
            details = action.completeWorkflow.failureDetails
            return {"type": details.errorType, "message": details.errorMessage}
        if action.HasField("workflowVersionNotAvailable"):  # Dapr stalls the instance
            return {"type": "VersionNotRegistered", "message": "workflow version not available"}
    return None


def main_dapr(out: str) -> None:
    logging.disable(logging.WARNING)
    files = record_dapr(out)
    verdicts = []
    for label, path in files.items():
        if label.endswith("/child"):
            continue
        family = label.split("-")[0]
        name = DAPR_RECORDINGS[label][1]
        for variant in DAPR_VARIANTS[family]:
            engine = dapr_verdict(variant, name, path)
            verdicts.append(
                {
                    "history": label,
                    "variant": variant,
                    "engine": engine,
                    "wfcheck": wfcheck_verdicts(variant, path, attr=name),
                }
            )
    print(json.dumps({"files": files, "verdicts": verdicts}))


def main_durabletask(out: str) -> None:
    logging.disable(logging.WARNING)
    files = record_durabletask(out)
    verdicts = []
    for history in ("completed", "inflight"):
        for variant in DT_VARIANTS:
            engine = durabletask_verdict(variant, files[f"{history}/protobuf.json"])
            for key, path in files.items():
                if key.startswith(history + "/"):
                    verdicts.append(
                        {
                            "history": history,
                            "format": key.split("/", 1)[1],
                            "variant": variant,
                            "engine": engine,
                            "wfcheck": wfcheck_verdicts(variant, path),
                        }
                    )
    print(json.dumps({"files": files, "verdicts": verdicts}))


if __name__ == "__main__":
    engine_name, out_dir = sys.argv[1], sys.argv[2]
    if engine_name == "durabletask":
        main_durabletask(out_dir)
    elif engine_name == "dapr":
        main_dapr(out_dir)
    else:
        raise SystemExit(f"unknown engine {engine_name}")
