"""Workflows that leak one kind of process state into an activity input (and a clean one).

Each value is the same at every step of one run, so only a replay in a *different* process
(shifted clock, other hash seed, changed environment) exposes it.
"""

import os
import time
import uuid
from datetime import datetime

from wfcheck.runtime import Registry

registry = Registry()
PROCESS_TOKEN = str(uuid.uuid4())  # drawn once per process, at import


def leaked_value(ctx, mode):
    if mode == "date":
        return datetime.now().date().isoformat()
    if mode == "epoch_day":
        return int(time.time() // 86400)
    if mode == "env":
        return os.environ.get("DEMO_REGION", "unset")
    if mode == "set_order":
        return [name for name in {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}]
    if mode == "process_uuid":
        return PROCESS_TOKEN
    if mode == "clean":
        # the isinstance check must hold in a perturbed process too (shifted datetime class)
        return [ctx.current_utc_datetime.date().isoformat(), isinstance(ctx.current_utc_datetime, datetime)]
    raise ValueError(mode)


@registry.workflow
def leaky(ctx, mode):
    value = leaked_value(ctx, mode)  # noqa: WF604 - the leaks the runtime must catch
    first = yield ctx.call_activity(echo, input={"value": value})
    second = yield ctx.call_activity(echo, input={"again": first})
    return second


@registry.activity
def echo(ctx, payload):
    return payload
