"""An order workflow with a determinism bug: it reads the wall clock and draws a random UUID
inside workflow code and passes them to activities. Every replay computes new values, so the
activity inputs no longer match the history (`wfcheck check` flags both lines).
"""

import uuid
from datetime import datetime

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="order_workflow")
def order_workflow(ctx: wf.DaprWorkflowContext, order: dict):
    order_id = str(uuid.uuid4())  # non-deterministic: differs on every replay
    received_at = datetime.now().isoformat()  # non-deterministic: the wall clock
    reserved = yield ctx.call_activity(reserve_stock, input={"order_id": order_id, "item": order["item"]})
    receipt = yield ctx.call_activity(
        charge_customer, input={"order_id": order_id, "amount": order["amount"], "at": received_at}
    )
    return {"reserved": reserved, "receipt": receipt}


@wfr.activity(name="reserve_stock")
def reserve_stock(ctx: wf.WorkflowActivityContext, request: dict) -> bool:
    return True


@wfr.activity(name="charge_customer")
def charge_customer(ctx: wf.WorkflowActivityContext, request: dict) -> str:
    return f"charged {request['amount']} for {request['order_id'][:8]}"
