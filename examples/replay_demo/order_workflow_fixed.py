"""The corrected twin of order_workflow_buggy.py: time comes from history
(`ctx.current_utc_datetime`) and the order id is derived from the instance id, so every replay
makes exactly the same calls with exactly the same inputs.
"""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="order_workflow")
def order_workflow(ctx: wf.DaprWorkflowContext, order: dict):
    order_id = f"{ctx.instance_id}-order"
    received_at = ctx.current_utc_datetime.isoformat()
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
