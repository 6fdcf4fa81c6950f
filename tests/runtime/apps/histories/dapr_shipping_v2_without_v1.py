"""The bump done wrong another way: v2 registered as a named version, v1 dropped."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity(name="insure")
def insure(ctx, item):
    return f"insured {item}"


@wfr.activity(name="ship")
def ship(ctx, parcel):
    return f"shipped {parcel}"


@wfr.versioned_workflow(name="shipping", version_name="v2", is_latest=True)
def shipping_v2(ctx: wf.DaprWorkflowContext, item):
    parcel = yield ctx.call_activity(insure, input=item)
    approval = yield ctx.wait_for_external_event("approve")
    sent = yield ctx.call_activity(ship, input=parcel)
    return {"sent": sent, "approval": approval}
