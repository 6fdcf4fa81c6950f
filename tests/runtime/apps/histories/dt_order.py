"""A durabletask orchestration, written as the durabletask examples are: the code whose
histories the history-check tests record on durabletask's in-memory backend."""

from datetime import timedelta

from durabletask import task

ATTEMPTS = {"flaky_charge": 0}


def quote(ctx, item):
    return {"item": item, "price": 12}


def reserve(ctx, order):
    return f"reserved {order['item']} at {order['price']}"


def notify(ctx, who):
    return f"told {who}"


def flaky_charge(ctx, amount):
    ATTEMPTS["flaky_charge"] += 1
    if ATTEMPTS["flaky_charge"] == 1:
        raise ConnectionError("card network down")
    return amount


def summarize(ctx: task.OrchestrationContext, order):
    line = yield ctx.call_activity(notify, input=f"summary of {order['reservation']}")
    return line


RETRY = task.RetryPolicy(first_retry_interval=timedelta(milliseconds=50), max_number_of_attempts=3)


def order(ctx: task.OrchestrationContext, item):
    offer = yield ctx.call_activity(quote, input=item)
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


ACTIVITIES = [quote, reserve, notify, flaky_charge]
