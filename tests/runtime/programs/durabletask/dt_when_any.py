"""when_any between an activity and a long timer: the activity wins."""

import os
from datetime import timedelta

from durabletask import client, task, worker


def fast(_: task.ActivityContext, n: int) -> int:
    return n * n


def race(ctx: task.OrchestrationContext, n: int):
    work = ctx.call_activity(fast, input=n)
    deadline = ctx.create_timer(timedelta(hours=1))
    winner = yield task.when_any([work, deadline])
    if winner == deadline:
        return "deadline"
    return {"winner": "work", "value": work.get_result()}


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(race)
    w.add_activity(fast)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(race, input=7)
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
