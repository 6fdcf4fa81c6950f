"""Fan-out/fan-in with wf.when_all."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="batch_processing")
def batch_processing_workflow(ctx: wf.DaprWorkflowContext, wf_input: int):
    work_batch = yield ctx.call_activity(get_work_batch, input=wf_input)
    parallel_tasks = [ctx.call_activity(process_work_item, input=item) for item in work_batch]
    outputs = yield wf.when_all(parallel_tasks)
    total = sum(outputs)
    yield ctx.call_activity(process_results, input=total)
    return total


@wfr.activity(name="get_batch")
def get_work_batch(ctx, batch_size: int) -> list:
    return [i + 1 for i in range(batch_size)]


@wfr.activity
def process_work_item(ctx, work_item: int) -> int:
    return work_item * 2


@wfr.activity(name="final_process")
def process_results(ctx, final_result: int):
    print(f"Final result: {final_result}.")


if __name__ == "__main__":
    wfr.start()
    client = wf.DaprWorkflowClient()
    instance_id = client.schedule_new_workflow(workflow=batch_processing_workflow, input=10)
    print(client.wait_for_workflow_completion(instance_id).serialized_output)
