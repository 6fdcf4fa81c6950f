"""is_patched: a new instance takes the patched branch."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity
def note(ctx, text: str) -> str:
    return text


@wfr.workflow(name="patched")
def patched_workflow(ctx: wf.DaprWorkflowContext):
    first = yield ctx.call_activity(note, input="start")
    if ctx.is_patched("add-audit"):
        audit = yield ctx.call_activity(note, input="audited")
    else:
        audit = "no audit"
    yield ctx.wait_for_external_event("finish")
    if ctx.is_patched("add-audit"):
        return [first, audit, "patched"]
    return [first, audit]


if __name__ == "__main__":
    wfr.start()
    wf.DaprWorkflowClient().schedule_new_workflow(patched_workflow)
