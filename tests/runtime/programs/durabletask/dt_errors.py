"""Task failures the orchestrator catches: a failing activity and an unknown activity."""

import os

from durabletask import client, task, worker


def boom(_: task.ActivityContext, text: str):
    raise ValueError(f"bad {text}")


def guarded(ctx: task.OrchestrationContext, _):
    seen = []
    try:
        yield ctx.call_activity(boom, input="input")
    except task.TaskFailedError as error:
        seen.append([error.details.error_type, error.details.message])
    try:
        yield ctx.call_activity("missing_activity")
    except task.TaskFailedError:
        seen.append("missing activity failed the task")
    return seen


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(guarded)
    w.add_activity(boom)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(guarded)
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
