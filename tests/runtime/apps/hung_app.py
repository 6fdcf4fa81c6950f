"""A workflow with an activity that never returns (for --activity-timeout)."""

import time
from datetime import timedelta

from wfcheck.runtime import Registry, when_any

registry = Registry()


@registry.activity
def hang(ctx, _):
    time.sleep(3600)


@registry.activity
def add_one(ctx, n):
    return n + 1


@registry.workflow
def wf(ctx, n):
    a = yield ctx.call_activity(add_one, input=n)
    try:
        yield ctx.call_activity(hang)
        outcome = "returned"
    except Exception as error:
        outcome = error.details.error_type
    timer = ctx.create_timer(timedelta(milliseconds=200))
    winner = yield when_any([ctx.call_activity(hang), timer])
    return [a, outcome, "timer" if winner is timer else "activity"]
