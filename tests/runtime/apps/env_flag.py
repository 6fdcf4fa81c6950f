"""A workflow that branches on an environment variable nobody set when it was recorded."""

import os

from wfcheck.runtime import Registry

registry = Registry()


@registry.activity
def price(ctx, amount):
    return amount


@registry.activity
def new_price(ctx, amount):
    return amount * 0.9


@registry.workflow
def checkout(ctx, amount):
    if os.environ.get("ORDERS_NEW_PRICING"):  # noqa: WF301 - deliberate: verify must catch a flag unset at record time
        return (yield ctx.call_activity(new_price, input=amount))
    return (yield ctx.call_activity(price, input=amount))
