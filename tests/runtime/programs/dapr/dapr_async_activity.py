"""An async def activity (supported by Dapr 1.19) and a workflow without input."""

import asyncio

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.activity(name="fetch")
async def fetch(ctx, key: str) -> str:
    await asyncio.sleep(0)
    return key[::-1]


@wfr.workflow(name="async_user")
def async_user(ctx: wf.DaprWorkflowContext):
    results = yield wf.when_all([ctx.call_activity(fetch, input=k) for k in ("abc", "xyz")])
    return "-".join(results)
