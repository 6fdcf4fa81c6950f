"""The sender of programs/durabletask/dt_send_event.py, without the module's own run: the code
recorded histories are replayed against (the variants change one thing each)."""

from durabletask import task


def greet(_: task.ActivityContext, name: str) -> str:
    return f"Hello, {name}!"


def sender(ctx: task.OrchestrationContext, target: str):
    ctx.send_event(target, "Greeting_Request", data="ann")
    ctx.send_event("nobody-home", "greeting_request", data="lost")
    return (yield ctx.call_activity(greet, input="sender"))
