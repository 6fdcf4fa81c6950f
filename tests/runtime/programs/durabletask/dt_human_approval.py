"""Human approval: a dataclass order, an approval event (data_type=) or a 24 h timeout."""

import os
from dataclasses import dataclass
from datetime import timedelta

from durabletask import client, task, worker


@dataclass
class Order:
    cost: float
    product: str
    quantity: int


@dataclass
class Approval:
    approver: str


def send_approval_request(_: task.ActivityContext, order: Order) -> None:
    print(f"*** Sending approval request for order: {order.product}")


def place_order(_: task.ActivityContext, order: Order) -> str:
    return f"placed {order.quantity} x {order.product}"


def purchase_order_workflow(ctx: task.OrchestrationContext, order: Order):
    if order.cost < 1000:
        return "Auto-approved"
    yield ctx.call_activity(send_approval_request, input=order)
    approval_event = ctx.wait_for_external_event("approval_received", data_type=Approval)
    timeout_event = ctx.create_timer(timedelta(hours=24))
    winner = yield task.when_any([approval_event, timeout_event])
    if winner == timeout_event:
        return "Cancelled"
    placed = yield ctx.call_activity(place_order, input=order)
    return f"{placed}, approved by '{approval_event.get_result().approver}'"


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(purchase_order_workflow)
    w.add_activity(send_approval_request)
    w.add_activity(place_order)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(purchase_order_workflow, input=Order(2000, "MyProduct", 2))
    c.wait_for_orchestration_start(instance_id, timeout=30)
    c.raise_orchestration_event(instance_id, "approval_received", data=Approval("Me"))
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
