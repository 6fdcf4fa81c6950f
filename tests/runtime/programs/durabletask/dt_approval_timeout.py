"""Human approval whose approver never answers: the timer wins."""

import os
from datetime import timedelta

from durabletask import client, task, worker


def notify(_: task.ActivityContext, who: str) -> str:
    return f"asked {who}"


def approval_with_timeout(ctx: task.OrchestrationContext, who: str):
    asked = yield ctx.call_activity(notify, input=who)
    approval = ctx.wait_for_external_event("approval")
    timeout = ctx.create_timer(timedelta(seconds=2))
    winner = yield task.when_any([approval, timeout])
    if winner == timeout:
        return [asked, "timed out"]
    return [asked, approval.get_result()]


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(approval_with_timeout)
    w.add_activity(notify)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(approval_with_timeout, input="manager")
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
