"""Approval with a deadline: a dataclass purchase above a limit waits for a typed decision
event (data_type=) or a 24 h timer; the worker and client start at import."""

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


def ask_buyer(_: task.ActivityContext, order: Order) -> None:
    print(f"buyer asked to confirm {order.quantity} x {order.product}")


def reserve_budget(_: task.ActivityContext, order: Order) -> str:
    return f"reserved {order.cost * order.quantity:.0f} for {order.product}"


def purchase_order_workflow(ctx: task.OrchestrationContext, order: Order):
    if order.cost * order.quantity <= 500:
        return f"{order.product}: no sign-off needed"
    yield ctx.call_activity(ask_buyer, input=order)
    decision = ctx.wait_for_external_event("approval_received", data_type=Approval)
    deadline = ctx.create_timer(timedelta(hours=24))
    first = yield task.when_any([decision, deadline])
    if first is deadline:
        return f"{order.product}: no decision in time"
    reserved = yield ctx.call_activity(reserve_budget, input=order)
    return f"{reserved}; decided by {decision.get_result().approver}"


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(purchase_order_workflow)
    w.add_activity(ask_buyer)
    w.add_activity(reserve_budget)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(purchase_order_workflow, input=Order(2000, "MyProduct", 2))
    c.wait_for_orchestration_start(instance_id, timeout=30)
    c.raise_orchestration_event(instance_id, "approval_received", data=Approval("Me"))
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
