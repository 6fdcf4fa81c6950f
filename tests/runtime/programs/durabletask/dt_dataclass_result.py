"""An activity annotated to return a dataclass: the orchestrator gets the dataclass back."""

import os
from dataclasses import dataclass

from durabletask import client, task, worker


@dataclass
class Receipt:
    item: str
    total: float


def buy(_: task.ActivityContext, item: str) -> Receipt:
    return Receipt(item=item, total=round(len(item) * 2.5, 2))


def shopping(ctx: task.OrchestrationContext, items: list):
    total = 0.0
    for item in items:
        receipt = yield ctx.call_activity(buy, input=item)
        total += receipt.total
    return {"items": len(items), "total": total, "kind": type(receipt).__name__}


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(shopping)
    w.add_activity(buy)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(shopping, input=["tea", "bread"])
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
