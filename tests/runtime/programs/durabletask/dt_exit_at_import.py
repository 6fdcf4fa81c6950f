"""A script that runs its scenario at import and then calls exit(), as some examples do."""

import os

from durabletask import client, task, worker


def double(ctx: task.ActivityContext, n: int) -> int:
    return n * 2


def doubler(ctx: task.OrchestrationContext, n: int):
    twice = yield ctx.call_activity(double, input=n)
    return (yield ctx.call_activity(double, input=twice))


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(doubler)
    w.add_activity(double)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(doubler, input=5)
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
    exit()
