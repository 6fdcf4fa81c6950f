"""Approval with a deadline: a dataclass expense claim above a limit waits for a manager's
decision event or a 24 h timer, whichever comes first."""

from dataclasses import dataclass
from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@dataclass
class Claim:
    cost: float
    product: str
    quantity: int


@wfr.workflow(name="purchase_order_wf")
def expense_claim(ctx: wf.DaprWorkflowContext, claim: Claim):
    if claim.cost * claim.quantity <= 500:
        return f"{claim.product}: within the limit"
    yield ctx.call_activity(notify_manager, input=claim)
    decision = ctx.wait_for_external_event("approval_received")
    deadline = ctx.create_timer(timedelta(hours=24))
    first = yield wf.when_any([decision, deadline])
    if first is deadline:
        return f"{claim.product}: expired without a decision"
    receipt = yield ctx.call_activity(book_expense, input=claim)
    return f"{receipt}, signed off by {decision.get_result()['approver']}"


@wfr.activity
def notify_manager(_, claim: Claim) -> None:
    print(f"manager asked about {claim.product} ({claim.cost})")


@wfr.activity
def book_expense(_, claim: Claim) -> str:
    return f"booked {claim.quantity} x {claim.product} at {claim.cost:.2f}"


if __name__ == "__main__":
    wfr.start()
    client = wf.DaprWorkflowClient()
    instance_id = client.schedule_new_workflow(expense_claim, input=Claim(2000, "laptop", 1))
    client.raise_workflow_event(instance_id, "approval_received", data={"approver": "dana"})
