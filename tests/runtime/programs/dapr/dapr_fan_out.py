"""Fan-out/fan-in with wf.when_all: one page of shelf ids is listed, every shelf is counted in
parallel, and the total is reported."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="batch_processing")
def stock_take(ctx: wf.DaprWorkflowContext, shelves: int):
    shelf_ids = yield ctx.call_activity(list_shelves, input=shelves)
    counts = yield wf.when_all([ctx.call_activity(count_shelf, input=s) for s in shelf_ids])
    total = sum(counts)
    yield ctx.call_activity(report_total, input=total)
    return {"shelves": len(shelf_ids), "items": total}


@wfr.activity(name="list_shelves")
def list_shelves(ctx, shelves: int) -> list:
    return [f"S{n:02d}" for n in range(shelves)]


@wfr.activity
def count_shelf(ctx, shelf_id: str) -> int:
    return 3 * int(shelf_id[1:]) + 1


@wfr.activity(name="report")
def report_total(ctx, total: int):
    print(f"stock take: {total} items")


if __name__ == "__main__":
    wfr.start()
    client = wf.DaprWorkflowClient()
    instance_id = client.schedule_new_workflow(workflow=stock_take, input=10)
    print(client.wait_for_workflow_completion(instance_id).serialized_output)
