"""Human approval with a timeout: a dataclass order, an approval event or a 24 h timer."""

from dataclasses import dataclass
from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@dataclass
class Order:
    cost: float
    product: str
    quantity: int


@wfr.workflow(name="purchase_order_wf")
def purchase_order_workflow(ctx: wf.DaprWorkflowContext, order: Order):
    if order.cost < 1000:
        return "Auto-approved"
    yield ctx.call_activity(send_approval_request, input=order)
    approval_event = ctx.wait_for_external_event("approval_received")
    timeout_event = ctx.create_timer(timedelta(hours=24))
    winner = yield wf.when_any([approval_event, timeout_event])
    if winner == timeout_event:
        return "Cancelled"
    yield ctx.call_activity(place_order, input=order)
    approval = approval_event.get_result()
    return f"Approved by '{approval['approver']}' for {order.quantity} x {order.product}"


@wfr.activity
def send_approval_request(_, order: Order) -> None:
    print(f"*** Requesting approval from user for order: {order.product}")


@wfr.activity
def place_order(_, order: Order) -> None:
    print(f"*** Placing order: {order.product}")


if __name__ == "__main__":
    wfr.start()
    client = wf.DaprWorkflowClient()
    instance_id = client.schedule_new_workflow(purchase_order_workflow, input=Order(2000, "MyProduct", 1))
    client.raise_workflow_event(instance_id, "approval_received", data={"approver": "Me"})
