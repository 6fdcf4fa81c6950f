"""Small workflows for the CLI tests."""

from datetime import datetime

from wfcheck.runtime import Registry

registry = Registry()


@registry.workflow
def approval(ctx, order):
    who = yield ctx.wait_for_external_event("approved")
    result = yield ctx.call_activity(describe, input={"amount": order["amount"], "who": who})
    return result


@registry.activity
def describe(ctx, payload):
    return f"{payload['amount']} approved by {payload['who']}"


@registry.workflow
def broken(ctx, _):
    yield ctx.call_activity(describe, input={"amount": 1, "who": "x"})
    return 1 / 0


@registry.workflow
def stamped(ctx, mode):
    # "leak" reads the wall clock's date (same within a run, different under a shifted clock)
    day = (
        datetime.now().strftime("%Y-%m-%d")  # noqa: WF101 - the leak the runtime must catch
        if mode == "leak"
        else ctx.current_utc_datetime.strftime("%Y-%m-%d")
    )
    first = yield ctx.call_activity(describe, input={"amount": day, "who": "clock"})
    second = yield ctx.call_activity(describe, input={"amount": first, "who": "again"})
    return second


@registry.workflow
def forever(ctx, n):
    yield ctx.create_timer(
        ctx.current_utc_datetime.replace(microsecond=0) + __import__("datetime").timedelta(hours=1)
    )
    ctx.continue_as_new(n + 1)
