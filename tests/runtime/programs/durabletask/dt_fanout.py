"""Fan-out/fan-in: get a work list, process each item in parallel, sum the results."""

import os

from durabletask import client, task, worker


def get_work_items(ctx: task.ActivityContext, count: int) -> list:
    return [f"item-{i}" for i in range(count)]


def process_work_item(ctx: task.ActivityContext, item: str) -> int:
    return len(item) * 3


def orchestrator(ctx: task.OrchestrationContext, count: int):
    work_items = yield ctx.call_activity(get_work_items, input=count)
    tasks = [ctx.call_activity(process_work_item, input=item) for item in work_items]
    results = yield task.when_all(tasks)
    return {"work_items": len(work_items), "sum": sum(results)}


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(orchestrator)
    w.add_activity(get_work_items)
    w.add_activity(process_work_item)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(orchestrator, input=12)
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
