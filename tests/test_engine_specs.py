"""An engine is data: the checks and fixes read task shapes and the registration of a
generated activity from the run's engine specs, passed in with the settings."""

from __future__ import annotations

import textwrap
from dataclasses import replace

from helpers import settings

from wfcheck.engine import check_source
from wfcheck.fixes.apply import fix_source
from wfcheck.frameworks import ActivityRegistration, durabletask


def _source(text: str) -> bytes:
    return textwrap.dedent(text).lstrip().encode()


# durabletask as if its orchestrators were coroutines awaiting the context's tasks.
ASYNC_DURABLETASK = replace(durabletask.SPEC, generator_based=False, wait_keyword="await")

ASYNC_ORCHESTRATOR = _source(
    """
    from durabletask import task

    async def orch(ctx: task.OrchestrationContext, order):
        ctx.call_activity("charge", input=order)
        if ctx.is_replaying:
            await ctx.create_timer(5)
        await ctx.call_activity("ship", input=order)
    """
)


def test_context_method_tasks_of_a_coroutine_engine() -> None:
    run_settings = replace(settings(["WF5", "WF6"]), specs=(ASYNC_DURABLETASK,))
    found = check_source(ASYNC_ORCHESTRATOR, "wf.py", run_settings).diagnostics
    # The dropped task is one to `await`; no WF502: async is how this engine's workflows look.
    assert [(d.code, d.line) for d in found] == [("WF601", 4), ("WF606", 6)]
    assert found[0].message.startswith("`ctx.call_activity()` creates a task that is neither awaited")
    assert found[0].fix is not None and found[0].fix.message.startswith("`await` the task")
    outcome, fixed = fix_source(ASYNC_ORCHESTRATOR, "wf.py", run_settings, unsafe=True)
    assert b'    await ctx.call_activity("charge", input=order)\n' in fixed
    # The same code for the generator engine: an async orchestrator is itself the finding.
    shipped = replace(settings(["WF5", "WF6"]), specs=(durabletask.SPEC,))
    found = check_source(ASYNC_ORCHESTRATOR, "wf.py", shipped).diagnostics
    assert ("WF502", 3) in [(d.code, d.line) for d in found]


WORKER_REGISTRATION = _source(
    """
    import os

    from durabletask import task, worker


    def orch(ctx: task.OrchestrationContext, _):
        home = os.getenv("HOME")
        yield ctx.call_activity("greet", input=home)


    w = worker.TaskHubGrpcWorker()
    w.add_orchestrator(orch)
    """
)


def test_the_registration_of_a_generated_activity_comes_from_the_spec() -> None:
    _outcome, fixed = fix_source(WORKER_REGISTRATION, "wf.py", settings(), unsafe=True)
    assert fixed.decode().endswith("w.add_orchestrator(orch)\nw.add_activity(read_home)\n")
    # Another registration API for the same engine: a changed spec, nothing else.
    renamed = replace(
        durabletask.SPEC,
        activity_registration=ActivityRegistration(
            workflow_methods=("add_orchestrator",),
            statement="{receiver}.add_activity_function({fn}, name={fn!r})",
            empty_param="_payload=None",
        ),
    )
    _outcome, fixed = fix_source(
        WORKER_REGISTRATION, "wf.py", replace(settings(), specs=(renamed,)), unsafe=True
    )
    text = fixed.decode()
    assert "def read_home(ctx, _payload=None):\n" in text
    assert text.endswith("w.add_orchestrator(orch)\nw.add_activity_function(read_home, name='read_home')\n")
