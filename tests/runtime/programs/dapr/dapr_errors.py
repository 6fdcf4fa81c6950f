"""An activity failure caught in the workflow; a missing activity and child are task failures."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity
def boom(ctx, text: str):
    raise ValueError(f"bad {text}")


@wfr.workflow(name="errors")
def errors_workflow(ctx: wf.DaprWorkflowContext):
    caught = []
    try:
        yield ctx.call_activity(boom, input="input")
    except Exception as error:
        caught.append(type(error).__name__)
    try:
        yield ctx.call_activity("no_such_activity")
    except Exception as error:
        caught.append(type(error).__name__)
    try:
        yield ctx.call_child_workflow("no_such_workflow")
    except Exception as error:
        caught.append(type(error).__name__)
    return caught
