"""Orchestrations written against the real ``durabletask`` package (microsoft/durabletask-python).

They use its task combinators, retry policy and failure type, and register on a real
``TaskHubGrpcWorker`` (which is never started); wfcheck's runtime runs them as they are.
"""

from datetime import timedelta

from durabletask import task, worker


def hello(ctx: task.ActivityContext, name: str) -> str:
    return f"Hello {name}!"


def fails(ctx: task.ActivityContext, _) -> None:
    raise ValueError("always")


def sequence(ctx: task.OrchestrationContext, _):
    result1 = yield ctx.call_activity(hello, input="Tokyo")
    result2 = yield ctx.call_activity(hello, input="Seattle")
    return [result1, result2]


def fan_out(ctx: task.OrchestrationContext, cities: list):
    results = yield task.when_all([ctx.call_activity(hello, input=c) for c in cities])
    timer = ctx.create_timer(timedelta(hours=1))
    event = ctx.wait_for_external_event("stop")
    winner = yield task.when_any([event, timer])
    child = yield ctx.call_sub_orchestrator(sequence)
    policy = task.RetryPolicy(first_retry_interval=timedelta(seconds=2), max_number_of_attempts=2)
    try:
        yield ctx.call_activity(fails, retry_policy=policy)
    except task.TaskFailedError as error:
        failure = error.details.message
    return {"results": results, "timer_won": winner is timer, "child": child, "failure": failure}


w = worker.TaskHubGrpcWorker()
w.add_orchestrator(sequence)
w.add_orchestrator(fan_out)
w.add_activity(hello)
w.add_activity(fails)
