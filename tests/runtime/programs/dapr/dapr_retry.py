"""An activity that fails twice, retried by a wf.RetryPolicy."""

from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()
attempts: dict = {}

retry_policy = wf.RetryPolicy(
    first_retry_interval=timedelta(seconds=1),
    max_number_of_attempts=3,
    backoff_coefficient=2,
    max_retry_interval=timedelta(seconds=10),
    retry_timeout=timedelta(seconds=100),
)


@wfr.workflow(name="retrying")
def retrying_workflow(ctx: wf.DaprWorkflowContext, key: str):
    value = yield ctx.call_activity(flaky, input=key, retry_policy=retry_policy)
    return value


@wfr.activity
def flaky(ctx, key: str) -> str:
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] < 3:
        raise ValueError(f"attempt {attempts[key]} failed")
    return f"{key} succeeded on attempt {attempts[key]}"


if __name__ == "__main__":
    wfr.start()
    wf.DaprWorkflowClient().schedule_new_workflow(retrying_workflow, input="k")
