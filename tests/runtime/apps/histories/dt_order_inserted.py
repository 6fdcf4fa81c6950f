"""dt_order.order with a new activity inserted before the wait for approval: legal for an
instance already waiting there (new work), not for one that went past it."""

from datetime import timedelta

from dt_order import RETRY, flaky_charge, notify, quote, reserve, summarize
from durabletask import task


def order(ctx: task.OrchestrationContext, item):
    offer = yield ctx.call_activity(quote, input=item)
    reservation = yield ctx.call_activity(reserve, input=offer)
    yield ctx.create_timer(timedelta(milliseconds=50))
    told = yield task.when_all([ctx.call_activity(notify, input=who) for who in ("buyer", "seller")])
    charged = yield ctx.call_activity(flaky_charge, input=offer["price"], retry_policy=RETRY)
    yield ctx.call_activity(notify, input="warehouse")
    approval = yield ctx.wait_for_external_event("approve")
    summary = yield ctx.call_sub_orchestrator(summarize, input={"reservation": reservation})
    return {
        "reservation": reservation,
        "told": told,
        "charged": charged,
        "approval": approval,
        "summary": summary,
    }
