"""Microsoft durabletask (`durabletask`)."""

from __future__ import annotations

from wfcheck.frameworks.base import ActivityRegistration, FrameworkSpec, Registration

_WORKERS = (
    "durabletask.worker.TaskHubGrpcWorker",
    "durabletask.azuremanaged.worker.DurableTaskSchedulerWorker",
)

SPEC = FrameworkSpec(
    name="durabletask",
    title="durabletask",
    packages=("durabletask",),
    markers=(b"durabletask",),
    generator_based=True,
    workflow_registrations={
        **{f"{w}.add_orchestrator": Registration(0, ("fn",)) for w in _WORKERS},
        **{f"{w}.add_named_orchestrator": Registration(1, ("fn",)) for w in _WORKERS},
    },
    activity_registrations={
        **{f"{w}.add_activity": Registration(0, ("fn",)) for w in _WORKERS},
        **{f"{w}.add_named_activity": Registration(1, ("fn",)) for w in _WORKERS},
    },
    lenient_workflow_registrations={
        "add_orchestrator": Registration(0, ("fn",)),
        "add_named_orchestrator": Registration(1, ("fn",)),
    },
    lenient_activity_registrations={
        "add_activity": Registration(0, ("fn",)),
        "add_named_activity": Registration(1, ("fn",)),
    },
    workflow_context_types=frozenset({"durabletask.task.OrchestrationContext"}),
    activity_context_types=frozenset({"durabletask.task.ActivityContext"}),
    task_methods=frozenset(
        {
            "call_activity",
            "call_sub_orchestrator",
            "call_entity",
            "lock_entities",
            "create_timer",
            "wait_for_external_event",
        }
    ),
    task_functions=frozenset({"durabletask.task.when_all", "durabletask.task.when_any"}),
    now_template="{ctx}.current_utc_datetime",
    now_is_aware=False,
    # `new_uuid()` returns the deterministic UUID as a string.
    uuid_template="{uuid}.UUID({ctx}.new_uuid())",
    sleep_template="yield {ctx}.create_timer({timedelta}(seconds={seconds}))",
    activity_call_template="(yield {ctx}.call_activity({fn}, input={input}))",
    activity_leading_params=("ctx",),
    activity_registration=ActivityRegistration(
        workflow_methods=("add_orchestrator", "add_named_orchestrator"),
        statement="{receiver}.add_activity({fn})",
    ),
    replay_flags=("is_replaying",),
)
