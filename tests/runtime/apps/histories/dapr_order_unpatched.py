"""dapr_order.order with the same new activity as dapr_order_patched, but not behind a patch."""

from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity(name="quote")
def quote(ctx, item):
    return {"item": item, "price": 12}


@wfr.activity(name="check_stock")
def check_stock(ctx, item):
    return True


@wfr.activity(name="reserve")
def reserve(ctx, offer):
    return f"reserved {offer['item']} at {offer['price']}"


@wfr.workflow(name="order")
def order(ctx: wf.DaprWorkflowContext, item):
    yield ctx.call_activity(check_stock, input=item)
    offer = yield ctx.call_activity(quote, input=item)
    reservation = yield ctx.call_activity(reserve, input=offer)
    yield ctx.create_timer(timedelta(minutes=5))
    approval = yield ctx.wait_for_external_event("approve")
    receipt = yield ctx.call_child_workflow(receipt_workflow, input={"reservation": reservation})
    return {"reservation": reservation, "approval": approval, "receipt": receipt}


@wfr.workflow(name="receipt")
def receipt_workflow(ctx: wf.DaprWorkflowContext, order):
    line = yield ctx.call_activity(describe, input=order["reservation"])
    return line


@wfr.activity(name="describe")
def describe(ctx, text):
    return f"receipt: {text}"
