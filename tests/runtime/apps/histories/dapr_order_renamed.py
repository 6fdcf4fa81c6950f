"""dapr_order.order with its second activity renamed."""

from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity(name="quote")
def quote(ctx, item):
    return {"item": item, "price": 12}


@wfr.activity(name="hold")
def hold(ctx, offer):
    return f"held {offer['item']}"


@wfr.workflow(name="order")
def order(ctx: wf.DaprWorkflowContext, item):
    offer = yield ctx.call_activity(quote, input=item)
    reservation = yield ctx.call_activity(hold, input=offer)
    yield ctx.create_timer(timedelta(minutes=5))
    approval = yield ctx.wait_for_external_event("approve")
    return {"reservation": reservation, "approval": approval}
