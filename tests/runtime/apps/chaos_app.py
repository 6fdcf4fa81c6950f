"""A workflow with every kind of step, for the chaos (SIGKILL/resume) tests."""

import os
import time
from datetime import timedelta

from wfcheck.runtime import Registry, RetryPolicy, when_all

registry = Registry()
SLEEP = float(os.environ.get("CHAOS_APP_SLEEP", "0"))


@registry.activity
def add_one(ctx, n):
    time.sleep(SLEEP)
    return n + 1


@registry.activity
def sometimes_fails(ctx, n):
    # the first attempt is scheduled as seq 8 and fails; the retry (seq 10) succeeds
    if ctx.task_id == 8:
        raise RuntimeError("transient")
    return n * 10


@registry.workflow
def child(ctx, n):
    a = yield ctx.call_activity(add_one, input=n)
    return a * 2


@registry.workflow
def pipeline(ctx, n):
    a = yield ctx.call_activity(add_one, input=n)
    b = yield ctx.call_activity(add_one, input=a)
    fanned = yield when_all([ctx.call_activity(add_one, input=b + i) for i in range(3)])
    yield ctx.create_timer(timedelta(hours=6))
    c = yield ctx.call_child_workflow(child, input=sum(fanned))
    d = yield ctx.call_activity(
        sometimes_fails,
        input=c,
        retry_policy=RetryPolicy(first_retry_interval=timedelta(seconds=5), max_number_of_attempts=3),
    )
    return {"a": a, "b": b, "fanned": fanned, "c": c, "d": d, "at": ctx.current_utc_datetime.isoformat()}
