"""Monitor: poll, sleep on a timer, continue_as_new with the next state."""

import os
from datetime import timedelta

from durabletask import client, task, worker


def check(_: task.ActivityContext, state: dict) -> bool:
    return state["polls"] >= 2


def monitor(ctx: task.OrchestrationContext, state: dict):
    healthy = yield ctx.call_activity(check, input=state)
    if healthy:
        return f"{state['name']} healthy after {state['polls'] + 1} polls"
    yield ctx.create_timer(ctx.current_utc_datetime + timedelta(seconds=1))
    ctx.continue_as_new({"name": state["name"], "polls": state["polls"] + 1})


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(monitor)
    w.add_activity(check)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(monitor, input={"name": "db", "polls": 0})
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
