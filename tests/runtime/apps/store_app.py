"""Workflows for the lease, resume and damaged-store tests."""

import os
import time

from wfcheck.runtime import Registry

registry = Registry()
NAP = float(os.environ.get("STORE_APP_NAP", "0"))


@registry.activity
def mark(ctx, payload):
    # one line per real run of this activity, whichever process runs it
    with open(payload["journal"], "a", encoding="utf-8") as handle:
        handle.write(f"{ctx.task_id}\n")
    return payload["n"]


@registry.activity
def nap(ctx, journal):
    with open(journal, "a", encoding="utf-8") as handle:
        handle.write("nap\n")
    time.sleep(NAP)
    return NAP


@registry.workflow
def steps(ctx, journal):
    first = yield ctx.call_activity(mark, input={"journal": journal, "n": 1})
    yield ctx.call_activity(nap, input=journal)
    second = yield ctx.call_activity(mark, input={"journal": journal, "n": 2})
    third = yield ctx.call_activity(mark, input={"journal": journal, "n": 3})
    decision = yield ctx.wait_for_external_event("go")
    return [first, second, third, decision]
