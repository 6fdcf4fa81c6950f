"""Everything by name: activities registered only on the worker, called and scheduled by string."""

import os

from durabletask import client, task, worker


def to_lower(_: task.ActivityContext, text: str) -> str:
    return text.lower()


def exclaim(_: task.ActivityContext, text: str) -> str:
    return text + "!"


def pipeline(ctx: task.OrchestrationContext, text: str):
    lowered = yield ctx.call_activity("to_lower", input=text)
    return (yield ctx.call_activity("exclaim", input=lowered))


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(pipeline)
    w.add_activity(to_lower)
    w.add_activity(exclaim)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration("pipeline", input="HeLLo")
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
