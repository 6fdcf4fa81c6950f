"""dt_order.order calling the same activities with a changed input (a discount)."""

from datetime import timedelta

from dt_order import RETRY, flaky_charge, notify, quote, reserve, summarize
from durabletask import task


def order(ctx: task.OrchestrationContext, item):
    offer = yield ctx.call_activity(quote, input=item)
    offer = {**offer, "price": offer["price"] - 2}
    reservation = yield ctx.call_activity(reserve, input=offer)
    yield ctx.create_timer(timedelta(milliseconds=50))
    told = yield task.when_all([ctx.call_activity(notify, input=who) for who in ("buyer", "seller")])
    charged = yield ctx.call_activity(flaky_charge, input=offer["price"], retry_policy=RETRY)
    approval = yield ctx.wait_for_external_event("approve")
    summary = yield ctx.call_sub_orchestrator(summarize, input={"reservation": reservation})
    return {
        "reservation": reservation,
        "told": told,
        "charged": charged,
        "approval": approval,
        "summary": summary,
    }
