"""Monitor: check a job's status, sleep on a timer, continue_as_new until it is done."""

from dataclasses import dataclass
from datetime import timedelta

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@dataclass
class JobStatus:
    job_id: str
    checks: int


@wfr.workflow(name="status_monitor")
def status_monitor_workflow(ctx: wf.DaprWorkflowContext, job: JobStatus):
    status = yield ctx.call_activity(check_status, input=job)
    if status == "done":
        return f"{job.job_id} done after {job.checks + 1} checks"
    yield ctx.create_timer(fire_at=ctx.current_utc_datetime + timedelta(minutes=10))
    ctx.continue_as_new(JobStatus(job_id=job.job_id, checks=job.checks + 1))


@wfr.activity
def check_status(ctx, job: JobStatus) -> str:
    return "done" if job.checks >= 3 else "running"


if __name__ == "__main__":
    wfr.start()
    wf.DaprWorkflowClient().schedule_new_workflow(status_monitor_workflow, input=JobStatus("job1", 0))
