"""A parent calling a child workflow twice, by function and by name."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow
def main_workflow(ctx: wf.DaprWorkflowContext, names: list):
    first = yield ctx.call_child_workflow(workflow=child_workflow, input=names[0])
    second = yield ctx.call_child_workflow(
        "child_workflow", input=names[1], instance_id=f"{ctx.instance_id}-b"
    )
    return [first, second]


@wfr.workflow
def child_workflow(ctx: wf.DaprWorkflowContext, name: str):
    greeting = yield ctx.call_activity(greet, input=name)
    return greeting.upper()


@wfr.activity
def greet(ctx, name: str) -> str:
    return f"hello {name}"


if __name__ == "__main__":
    wfr.start()
    wf.DaprWorkflowClient().schedule_new_workflow(main_workflow, input=["ann", "bob"])
