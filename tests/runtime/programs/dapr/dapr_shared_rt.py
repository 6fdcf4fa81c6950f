"""A runtime shared by several modules; activities registered here."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


def reserve(ctx, item: str) -> str:
    return f"reserved {item}"


def ship(ctx, item: str) -> str:
    return f"shipped {item}"


wfr.register_activity(reserve)
wfr.register_activity(ship, name="ship_item")
