"""dt_sender.sender sending other data with its first event (ann -> bob)."""

from dt_sender import greet
from durabletask import task


def sender(ctx: task.OrchestrationContext, target: str):
    ctx.send_event(target, "Greeting_Request", data="bob")
    ctx.send_event("nobody-home", "greeting_request", data="lost")
    return (yield ctx.call_activity(greet, input="sender"))
