"""A Dapr named-versioned workflow: only v1 exists when its histories are recorded."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity(name="pack")
def pack(ctx, item):
    return f"packed {item}"


@wfr.activity(name="ship")
def ship(ctx, parcel):
    return f"shipped {parcel}"


@wfr.versioned_workflow(name="shipping", version_name="v1", is_latest=True)
def shipping_v1(ctx: wf.DaprWorkflowContext, item):
    parcel = yield ctx.call_activity(pack, input=item)
    approval = yield ctx.wait_for_external_event("approve")
    sent = yield ctx.call_activity(ship, input=parcel)
    return {"sent": sent, "approval": approval}
