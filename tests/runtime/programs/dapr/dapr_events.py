"""Waiting for several external events together (when_all), then a timer."""

from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="collect")
def collect_workflow(ctx: wf.DaprWorkflowContext):
    start = ctx.current_utc_datetime
    votes = yield wf.when_all([ctx.wait_for_external_event(name) for name in ("alice", "bob")])
    yield ctx.create_timer(timedelta(hours=1))
    waited = (ctx.current_utc_datetime - start).total_seconds()
    return {"votes": votes, "waited_at_least_an_hour": waited >= 3600}
