"""Order processing on Dapr Workflows (in the style of Dapr's order-processing quickstart).

Contains deliberate determinism mistakes for `wfcheck check examples/` to find.
"""

import os
import random
import uuid
from datetime import datetime, timedelta

import dapr.ext.workflow as wf
from pricing import discount_for, final_price

wfr = wf.WorkflowRuntime()

PROCESSED_ORDERS = []


@wfr.workflow(name="order_processing")
def order_processing_workflow(ctx: wf.DaprWorkflowContext, order: dict):
    # Mistake: the wall clock differs on every replay.
    received_at = datetime.utcnow().isoformat()
    # Mistake: a fresh UUID on every replay changes the activity input.
    tracking_id = str(uuid.uuid4())
    # Mistake: configuration read inside the workflow.
    warehouse = os.environ.get("WAREHOUSE", "eu-1")

    yield ctx.call_activity(
        notify,
        input={"message": f"Received order {order['id']} at {received_at}", "tracking": tracking_id},
    )
    reserved = yield ctx.call_activity(reserve_inventory, input={"order": order, "warehouse": warehouse})
    if not reserved:
        return {"status": "out_of_stock"}

    if order["total"] > 1000:
        approval = ctx.wait_for_external_event("manager_approval")
        timeout = ctx.create_timer(ctx.current_utc_datetime + timedelta(hours=24))
        winner = yield wf.when_any([approval, timeout])
        if winner == timeout:
            return {"status": "approval_timed_out"}

    # Mistake: module-level state shared by every instance and replay.
    PROCESSED_ORDERS.append(order["id"])
    # Fine: a pure helper. Mistake: a helper that draws a random promotion two calls down.
    discount = discount_for(order["total"])
    amount = final_price(order["total"])
    yield ctx.call_activity(process_payment, input={**order, "amount": amount, "discount": discount})
    # Mistake: the task is created but never yielded.
    ctx.call_activity(notify, input={"message": f"Order {order['id']} completed"})
    return {"status": "completed", "tracking": tracking_id}


@wfr.activity(name="notify")
def notify(ctx: wf.WorkflowActivityContext, payload: dict) -> None:
    # Activities may do anything: this is not flagged.
    print(f"[{datetime.now().isoformat()}] {payload['message']}")


@wfr.activity(name="reserve_inventory")
def reserve_inventory(ctx: wf.WorkflowActivityContext, request: dict) -> bool:
    return random.random() > 0.05


@wfr.activity(name="process_payment")
def process_payment(ctx: wf.WorkflowActivityContext, order: dict) -> str:
    return f"payment-{uuid.uuid4()}"
