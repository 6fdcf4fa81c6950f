"""An activity returns a dataclass: Dapr tags it and the workflow reads it by attribute."""

from dataclasses import dataclass

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@dataclass
class Quote:
    item: str
    price: float


@wfr.workflow(name="pricing")
def pricing_workflow(ctx: wf.DaprWorkflowContext, items: list):
    total = 0.0
    for item in items:
        quote = yield ctx.call_activity(get_quote, input=item)
        total += quote.price
    return round(total, 2)


@wfr.activity
def get_quote(ctx, item: str) -> Quote:
    return Quote(item=item, price=len(item) * 1.25)


if __name__ == "__main__":
    wfr.start()
    wf.DaprWorkflowClient().schedule_new_workflow(pricing_workflow, input=["apple", "kiwi"])
