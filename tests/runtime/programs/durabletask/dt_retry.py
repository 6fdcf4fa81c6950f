"""An activity that fails twice and is retried by a RetryPolicy."""

import os
from datetime import timedelta

from durabletask import client, task, worker

attempts: dict = {}


def flaky(_: task.ActivityContext, key: str) -> str:
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] < 3:
        raise ConnectionError(f"attempt {attempts[key]} failed")
    return f"{key} ok after {attempts[key]} attempts"


def with_retries(ctx: task.OrchestrationContext, key: str):
    policy = task.RetryPolicy(
        first_retry_interval=timedelta(seconds=1), max_number_of_attempts=3, backoff_coefficient=1.5
    )
    return (yield ctx.call_activity(flaky, input=key, retry_policy=policy))


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(with_retries)
    w.add_activity(flaky)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(with_retries, input="job")
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
attempts.clear()
