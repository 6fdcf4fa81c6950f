"""Task chaining (Dapr style: a WorkflowRuntime, decorators, a main() that starts it)."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="chaining")
def chaining_workflow(ctx: wf.DaprWorkflowContext, wf_input: int):
    try:
        result1 = yield ctx.call_activity(step1, input=wf_input)
        result2 = yield ctx.call_activity(step2, input=result1)
        result3 = yield ctx.call_activity(step3, input=result2)
    except Exception as e:
        yield ctx.call_activity(error_handler, input=str(e))
        raise
    return [result1, result2, result3]


@wfr.activity(name="step10")
def step1(ctx, activity_input):
    return activity_input + 1


@wfr.activity(name="step20")
def step2(ctx, activity_input):
    return activity_input * 2


@wfr.activity(name="step30")
def step3(ctx, activity_input):
    return activity_input ^ 2


@wfr.activity
def error_handler(ctx, error):
    print(f"Executing error handler: {error}.")


def main():
    wfr.start()
    client = wf.DaprWorkflowClient()
    instance_id = client.schedule_new_workflow(workflow=chaining_workflow, input=42)
    state = client.wait_for_workflow_completion(instance_id)
    print(f"Workflow completed! Status: {state.runtime_status}, output: {state.serialized_output}")
    wfr.shutdown()


if __name__ == "__main__":
    main()
