"""ctx.version: the client schedules with a version; the orchestrator branches on it."""

import os

from durabletask import client, task, worker


def describe(_: task.ActivityContext, text: str) -> str:
    return f"<{text}>"


def versioned(ctx: task.OrchestrationContext, _):
    if ctx.version == "2.0":
        return (yield ctx.call_activity(describe, input="new path"))
    return (yield ctx.call_activity(describe, input=f"old path ({ctx.version})"))


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(versioned)
    w.add_activity(describe)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(versioned, version="2.0")
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
