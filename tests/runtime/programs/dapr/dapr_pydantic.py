"""Pydantic models: the workflow and activity inputs are rebuilt from the annotation."""

from dapr.ext.workflow import (
    DaprWorkflowClient,
    DaprWorkflowContext,
    WorkflowActivityContext,
    WorkflowRuntime,
)
from pydantic import BaseModel


class OrderRequest(BaseModel):
    order_id: str
    customer: str
    amount: float


class OrderResult(BaseModel):
    order_id: str
    approved: bool
    message: str


wfr = WorkflowRuntime()


@wfr.workflow(name="order_workflow")
def order_workflow(ctx: DaprWorkflowContext, order: OrderRequest):
    raw = yield ctx.call_activity(approve_order, input=order)
    result = OrderResult.model_validate(raw)
    return {"id": result.order_id, "approved": result.approved, "for": order.customer}


@wfr.activity(name="approve_order")
def approve_order(ctx: WorkflowActivityContext, order: OrderRequest) -> OrderResult:
    if order.amount <= 100.0:
        return OrderResult(order_id=order.order_id, approved=True, message="auto-approved")
    return OrderResult(order_id=order.order_id, approved=False, message="needs review")


def main():
    wfr.start()
    client = DaprWorkflowClient()
    client.schedule_new_workflow(
        order_workflow, input=OrderRequest(order_id="o-1", customer="ann", amount=20)
    )


if __name__ == "__main__":
    main()
