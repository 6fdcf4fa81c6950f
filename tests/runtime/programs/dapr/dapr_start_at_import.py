"""The runtime is started and a client is built at import time (no main guard)."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="hello_world_wf")
def hello_world_wf(ctx: wf.DaprWorkflowContext, wf_input):
    yield ctx.call_activity(hello_act, input=1)
    yield ctx.call_activity(hello_act, input=10)
    counter = yield ctx.call_activity(hello_act, input=100)
    return counter


counter = 0


def hello_act(ctx: wf.WorkflowActivityContext, wf_input):
    global counter
    counter += wf_input
    return counter


wfr.register_activity(hello_act)
wfr.start()
wfr.wait_for_worker_ready(timeout=30)
client = wf.DaprWorkflowClient()
