"""Sub-orchestrations fanned out and in, each with its own activity."""

import os

from durabletask import client, task, worker


def make_device(_: task.ActivityContext, name: str) -> str:
    return f"device:{name}"


def provision(ctx: task.OrchestrationContext, name: str):
    device = yield ctx.call_activity(make_device, input=name)
    return {"device": device, "child": ctx.instance_id.rsplit("-", 1)[1]}


def fleet(ctx: task.OrchestrationContext, names: list):
    children = [
        ctx.call_sub_orchestrator(provision, input=name, instance_id=f"{ctx.instance_id}-{i}")
        for i, name in enumerate(names)
    ]
    devices = yield task.when_all(children)
    return devices


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(fleet)
    w.add_orchestrator(provision)
    w.add_activity(make_device)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(fleet, input=["a", "b", "c"])
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
