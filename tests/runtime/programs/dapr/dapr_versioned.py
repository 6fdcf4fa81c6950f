"""Named versions: two versions of one workflow, the second registered as the latest."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity(name="describe")
def describe(ctx, text: str) -> str:
    return f"[{text}]"


@wfr.versioned_workflow(name="order", is_latest=False)
def order_v1(ctx: wf.DaprWorkflowContext, order_id: str):
    first = yield ctx.call_activity(describe, input=f"v1 {order_id}")
    yield ctx.wait_for_external_event("go")
    return first


@wfr.versioned_workflow(name="order", version_name="v2", is_latest=True)
def order_v2(ctx: wf.DaprWorkflowContext, order_id: str):
    first = yield ctx.call_activity(describe, input=f"v2 {order_id}")
    second = yield ctx.call_activity(describe, input="audit")
    yield ctx.wait_for_external_event("go")
    return first + second


if __name__ == "__main__":
    wfr.start()
    wf.DaprWorkflowClient().schedule_new_workflow("order", input="o-1")
