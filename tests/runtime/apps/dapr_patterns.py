"""Ordinary Dapr workflow code, in the style of Dapr's Python workflow examples.

Written against the real ``dapr.ext.workflow`` package and left untouched by the tests: they
load this module and run its workflows on wfcheck's runtime.
"""

from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()

# -- task chaining -------------------------------------------------------------------------------


@wfr.workflow(name="task_chain")
def task_chain_workflow(ctx: wf.DaprWorkflowContext, wf_input: int):
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
    return None


# -- fan-out / fan-in ----------------------------------------------------------------------------


@wfr.workflow(name="batch_processing")
def batch_processing_workflow(ctx: wf.DaprWorkflowContext, wf_input: int):
    work_batch = yield ctx.call_activity(get_work_batch, input=wf_input)
    parallel_tasks = [ctx.call_activity(process_work_item, input=work_item) for work_item in work_batch]
    outputs = yield wf.when_all(parallel_tasks)
    total = sum(outputs)
    yield ctx.call_activity(process_results, input=total)
    return total


@wfr.activity(name="get_batch")
def get_work_batch(ctx, batch_size: int):
    return [i + 1 for i in range(batch_size)]


@wfr.activity
def process_work_item(ctx, work_item: int):
    return work_item * 2


@wfr.activity
def process_results(ctx, final_result: int):
    return final_result


# -- human approval: external event raced against a timer -----------------------------------------


@wfr.workflow(name="purchase_order")
def purchase_order_workflow(ctx: wf.DaprWorkflowContext, order: dict):
    if order["cost"] < 1000:
        return "Auto-approved"
    yield ctx.call_activity(send_approval_request, input=order)
    approval_event = ctx.wait_for_external_event("approval_received")
    timeout_event = ctx.create_timer(timedelta(hours=24))
    winner = yield wf.when_any([approval_event, timeout_event])
    if winner == timeout_event:
        return "Cancelled"
    approval = approval_event.get_result()
    yield ctx.call_activity(place_order, input=order)
    return f"Approved by {approval['approver']}"


@wfr.workflow(name="expense_with_deadline")
def expense_workflow(ctx: wf.DaprWorkflowContext, amount: int):
    try:
        decision = yield ctx.wait_for_external_event("decision", timeout=timedelta(days=3))
    except TimeoutError:
        return "expired"
    return f"decided: {decision}"


@wfr.activity
def send_approval_request(ctx, order):
    return None


@wfr.activity
def place_order(ctx, order):
    return None


# -- monitor: timer + continue_as_new ------------------------------------------------------------


@wfr.workflow(name="status_monitor")
def status_monitor_workflow(ctx: wf.DaprWorkflowContext, job: dict):
    status = yield ctx.call_activity(check_status, input=job)
    checks = job["checks"] + 1
    if status == "healthy" and checks >= 3:
        return {"checks": checks, "last_check": ctx.current_utc_datetime.isoformat()}
    next_sleep_interval = 60 if status == "healthy" else 5
    yield ctx.create_timer(fire_at=ctx.current_utc_datetime + timedelta(minutes=next_sleep_interval))
    ctx.continue_as_new({"checks": checks, "started": job["started"] or ctx.current_utc_datetime.isoformat()})


@wfr.activity
def check_status(ctx, job):
    return "healthy" if job["checks"] >= 1 else "unhealthy"


# -- child workflows -----------------------------------------------------------------------------


@wfr.workflow(name="main_workflow")
def main_workflow(ctx: wf.DaprWorkflowContext, orders: list):
    results = []
    for order in orders:
        result = yield ctx.call_child_workflow(
            child_workflow, input=order, instance_id=f"{ctx.instance_id}-{order}"
        )
        results.append(result)
    both = yield wf.when_all([ctx.call_child_workflow("child_workflow", input=o) for o in ("x", "y")])
    return results + both


@wfr.workflow
def child_workflow(ctx: wf.DaprWorkflowContext, order: str):
    shipped = yield ctx.call_activity(ship, input=order)
    return f"{ctx.instance_id}:{shipped}"


@wfr.activity
def ship(ctx, order):
    return f"shipped {order}"


# -- retries -------------------------------------------------------------------------------------

retry_policy = wf.RetryPolicy(
    first_retry_interval=timedelta(seconds=1),
    max_number_of_attempts=3,
    backoff_coefficient=2,
    max_retry_interval=timedelta(seconds=10),
    retry_timeout=timedelta(seconds=100),
)

ATTEMPTS = {}


@wfr.workflow(name="retryable")
def retry_workflow(ctx: wf.DaprWorkflowContext, fail_times: int):
    start = ctx.current_utc_datetime
    value = yield ctx.call_activity(flaky, input=fail_times, retry_policy=retry_policy)
    waited = (ctx.current_utc_datetime - start).total_seconds()
    try:
        yield ctx.call_activity(flaky, input=99, retry_policy=retry_policy)
    except wf.TaskFailedError as error:
        return {"value": value, "waited": waited, "gave_up": str(error)}
    return {"value": value, "waited": waited, "gave_up": None}


@wfr.activity
def flaky(ctx, fail_times: int):
    key = (ctx.workflow_id, fail_times)
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] <= fail_times:
        raise RuntimeError(f"attempt {ATTEMPTS[key]} failed")
    return ATTEMPTS[key]
