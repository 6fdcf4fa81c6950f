"""dt_sender.sender sending its first event under another name (Greeting_Request -> Greeting_Reply)."""

from dt_sender import greet
from durabletask import task


def sender(ctx: task.OrchestrationContext, target: str):
    ctx.send_event(target, "Greeting_Reply", data="ann")
    ctx.send_event("nobody-home", "greeting_request", data="lost")
    return (yield ctx.call_activity(greet, input="sender"))
