"""dt_order.order changed behind durabletask's orchestration version: instances started as
version 1.0 keep the old call, new ones (2.0) make the new one."""

from datetime import timedelta

from dt_order import RETRY, flaky_charge, notify, quote, reserve, summarize
from dt_order_renamed import hold
from durabletask import task


def order(ctx: task.OrchestrationContext, item):
    offer = yield ctx.call_activity(quote, input=item)
    if ctx.version == "1.0":
        reservation = yield ctx.call_activity(reserve, input=offer)
    else:
        reservation = yield ctx.call_activity(hold, input=offer)
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
