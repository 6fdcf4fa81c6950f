"""durabletask's own verdicts on ``ctx.send_event`` (run as a script, in its own process).

``python send_event_engine.py OUT_DIR`` starts ``durabletask.testing``'s in-memory backend, runs
programs/durabletask/dt_send_event.py unchanged as ``__main__`` (a sender sends an event to a
waiting receiver, and one to an instance that does not exist), saves the sender's history as
protobuf JSON, and replays it with durabletask's ``_OrchestrationExecutor`` against each variant
of the sender in apps/histories. Prints one JSON object: the program's result line, the history
file, and per variant the error the engine failed the instance with (or null).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import runpy
import sys

from history_engines import free_port, load

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "programs", "durabletask", "dt_send_event.py")
VARIANTS = ["dt_sender", "dt_sender_renamed", "dt_sender_recased", "dt_sender_retargeted", "dt_sender_data"]


def verdict(variant: str, events: list) -> dict[str, str] | None:
    from durabletask import worker
    from durabletask.serialization import JsonDataConverter

    module = load(variant)
    starts = [i for i, e in enumerate(events) if e.HasField("orchestratorStarted")]
    cut = starts[-1]
    registry = worker._Registry()
    registry.add_named_orchestrator("sender", module.sender)
    executor = worker._OrchestrationExecutor(registry, logging.getLogger("judge"), JsonDataConverter())
    results = executor.execute("judge", events[:cut], events[cut:])
    for action in results.actions:
        complete = action.completeOrchestration
        if action.HasField("completeOrchestration") and complete.HasField("failureDetails"):
            details = complete.failureDetails
            return {"type": details.errorType, "message": details.errorMessage}
    return None


def main(out: str) -> int:
    from durabletask.internal import orchestrator_service_pb2 as pb
    from durabletask.testing import create_test_backend
    from google.protobuf import json_format

    port = free_port()
    backend = create_test_backend(port=port)
    os.environ["DURABLETASK_HOST"] = f"localhost:{port}"
    try:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            program = runpy.run_path(PROGRAM, run_name="__main__")
        lines = [line for line in printed.getvalue().splitlines() if line.startswith("result: ")]
        hub = program["c"]
        events = []
        request = pb.StreamInstanceHistoryRequest(instanceId=program["sent"])
        for chunk in hub._stub.StreamInstanceHistory(request):
            events.extend(chunk.events)
    finally:
        backend.stop()
    path = os.path.join(out, "sender_protobuf.json")
    with open(path, "w") as handle:
        json.dump({"events": [json_format.MessageToDict(e) for e in events]}, handle, indent=1)
    report = {
        "result": json.loads(lines[0][len("result: ") :]),
        "history": path,
        "verdicts": {variant: verdict(variant, events) for variant in VARIANTS},
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
