"""A workflow module that uses activities registered on a runtime in another module."""

import dapr.ext.workflow as wf
from dapr_shared_rt import wfr


@wfr.workflow(name="fulfil")
def fulfil(ctx: wf.DaprWorkflowContext, item: str):
    reserved = yield ctx.call_activity("reserve", input=item)
    shipped = yield ctx.call_activity("ship_item", input=item)
    return [reserved, shipped]
