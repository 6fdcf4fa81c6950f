"""dt_sender.sender with its first event's name in other letter case (names are case-insensitive)."""

from dt_sender import greet
from durabletask import task


def sender(ctx: task.OrchestrationContext, target: str):
    ctx.send_event(target, "GREETING_REQUEST", data="ann")
    ctx.send_event("nobody-home", "greeting_request", data="lost")
    return (yield ctx.call_activity(greet, input="sender"))
