"""dt_sender.sender sending its second event to another instance (nobody-home -> somebody-else)."""

from dt_sender import greet
from durabletask import task


def sender(ctx: task.OrchestrationContext, target: str):
    ctx.send_event(target, "Greeting_Request", data="ann")
    ctx.send_event("somebody-else", "greeting_request", data="lost")
    return (yield ctx.call_activity(greet, input="sender"))
