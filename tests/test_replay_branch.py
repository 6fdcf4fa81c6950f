"""WF606 judged by a real engine: Dapr's bundled durabletask executor replays an
orchestrator that issues a command only while not replaying, and rejects the replay."""

from __future__ import annotations

import logging
import textwrap

import pytest
from helpers import found

pytest.importorskip("dapr.ext.workflow._durabletask")

from dapr.ext.workflow._durabletask import worker  # noqa: E402
from dapr.ext.workflow._durabletask.internal import helpers  # noqa: E402

SOURCE = textwrap.dedent(
    """
    from dapr.ext.workflow._durabletask import task


    def order(ctx: task.OrchestrationContext, item):
        if not ctx.is_replaying:
            yield ctx.call_activity("notify", input=item)  # expect: WF606
        result = yield ctx.call_activity("ship", input=item)
        return result


    def fixed(ctx: task.OrchestrationContext, item):
        yield ctx.call_activity("notify", input=item)
        result = yield ctx.call_activity("ship", input=item)
        return result
    """
)


def _replay(orchestrator) -> object:
    """First run schedules `notify`; it completes; the replay must match that history."""
    registry = worker._Registry()
    name = registry.add_orchestrator(orchestrator)
    executor = worker._OrchestrationExecutor(registry, logging.getLogger("test"))
    started = [
        helpers.new_workflow_started_event(),
        helpers.new_execution_started_event(name, "i1", encoded_input='"book"'),
    ]
    first = executor.execute("i1", [], started)
    assert [a.WhichOneof("workflowActionType") for a in first.actions] == ["scheduleTask"]
    old = started + [helpers.new_task_scheduled_event(1, "notify", '"book"')]
    new = [helpers.new_workflow_started_event(), helpers.new_task_completed_event(1, '"ok"')]
    return executor.execute("i1", old, new)


def _namespace() -> dict:
    namespace: dict = {}
    exec(compile(SOURCE, "<wf606>", "exec"), namespace)
    return namespace


def test_engine_rejects_the_replay_that_wfcheck_flags() -> None:
    assert found(SOURCE) == {(7, "WF606"): 1}
    namespace = _namespace()
    broken = _replay(namespace["order"])
    failed = [a for a in broken.actions if a.WhichOneof("workflowActionType") == "completeWorkflow"]
    assert failed and failed[0].completeWorkflow.failureDetails.errorType == "NonDeterminismError"
    healthy = _replay(namespace["fixed"])
    kinds = [a.WhichOneof("workflowActionType") for a in healthy.actions]
    assert kinds == ["scheduleTask"], kinds  # `ship` scheduled: the replay matched
