"""The same bump done wrong: v1 replaced by v2 instead of kept next to it."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity(name="insure")
def insure(ctx, item):
    return f"insured {item}"


@wfr.activity(name="ship")
def ship(ctx, parcel):
    return f"shipped {parcel}"


@wfr.workflow(name="shipping")
def shipping(ctx: wf.DaprWorkflowContext, item):
    parcel = yield ctx.call_activity(insure, input=item)
    approval = yield ctx.wait_for_external_event("approve")
    sent = yield ctx.call_activity(ship, input=parcel)
    return {"sent": sent, "approval": approval}
