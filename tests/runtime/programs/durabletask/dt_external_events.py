"""Two external events in any order (case-insensitive names), gathered with when_all."""

import os

from durabletask import client, task, worker


def record(_: task.ActivityContext, votes: list) -> str:
    return " & ".join(sorted(votes))


def voting(ctx: task.OrchestrationContext, _):
    first = ctx.wait_for_external_event("Vote_A")
    second = ctx.wait_for_external_event("vote_b")
    votes = yield task.when_all([first, second])
    return (yield ctx.call_activity(record, input=votes))


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(voting)
    w.add_activity(record)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(voting)
    c.raise_orchestration_event(instance_id, "VOTE_B", data="bob")
    c.raise_orchestration_event(instance_id, "vote_a", data="ann")
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
