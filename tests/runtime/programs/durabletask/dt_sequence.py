"""Activity sequence; the worker and client are built and started at import, the way the
durabletask examples do it: three stops of a delivery route, each a separate activity."""

import os

from durabletask import client, task, worker


def arrive(ctx: task.ActivityContext, stop: str) -> str:
    return f"arrived at {stop}"


def sequence(ctx: task.OrchestrationContext, _):
    log = []
    for stop in ("depot", "market", "harbour"):
        log.append((yield ctx.call_activity(arrive, input=stop)))
    return log


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(sequence)
    w.add_activity(arrive)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(sequence)
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    if state and state.runtime_status == client.OrchestrationStatus.COMPLETED:
        print(f"result: {state.serialized_output}")
    elif state:
        print(f"failed: {state.failure_details}")
