"""One orchestrator sends an event to another that is waiting for it (ctx.send_event).

The sender also sends to an instance that does not exist (dropped silently) and uses another
casing of the event name than the receiver waits for (names are case-insensitive)."""

import os

from durabletask import client, task, worker


def greet(_: task.ActivityContext, name: str) -> str:
    return f"Hello, {name}!"


def receiver(ctx: task.OrchestrationContext, _):
    name = yield ctx.wait_for_external_event("greeting_request")
    return (yield ctx.call_activity(greet, input=name))


def sender(ctx: task.OrchestrationContext, target: str):
    ctx.send_event(target, "Greeting_Request", data="ann")
    ctx.send_event("nobody-home", "greeting_request", data="lost")
    return (yield ctx.call_activity(greet, input="sender"))


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(receiver)
    w.add_orchestrator(sender)
    w.add_activity(greet)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    target = c.schedule_new_orchestration(receiver, instance_id="greeter")
    sent = c.schedule_new_orchestration(sender, input=target)
    sent_state = c.wait_for_orchestration_completion(sent, timeout=30)
    state = c.wait_for_orchestration_completion(target, timeout=30)
    print(f"result: [{sent_state.serialized_output}, {state.serialized_output}]")
