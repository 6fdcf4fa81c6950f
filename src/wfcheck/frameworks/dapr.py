"""Dapr Workflows (`dapr.ext.workflow`)."""

from __future__ import annotations

from wfcheck.frameworks.base import ActivityRegistration, FrameworkSpec, Registration

_RUNTIMES = (
    "dapr.ext.workflow.WorkflowRuntime",
    "dapr.ext.workflow.workflow_runtime.WorkflowRuntime",
)
_TASK_MODULES = (
    "dapr.ext.workflow",
    "dapr.ext.workflow.dapr_workflow_context",
    "dapr.ext.workflow._durabletask.task",
)
# The durabletask SDK Dapr vendors (`dapr.ext.workflow._durabletask`): orchestrators written
# against it run on the Dapr sidecar; its OrchestrationContext has no `new_uuid`.
_VENDORED = "dapr.ext.workflow._durabletask"
_VENDORED_WORKERS = (f"{_VENDORED}.worker.TaskHubGrpcWorker",)

SPEC = FrameworkSpec(
    name="dapr",
    title="Dapr",
    packages=("dapr.ext.workflow",),
    markers=(b"dapr",),
    generator_based=True,
    workflow_decorators=frozenset(
        f"{rt}.{method}" for rt in _RUNTIMES for method in ("workflow", "versioned_workflow")
    ),
    activity_decorators=frozenset(f"{rt}.activity" for rt in _RUNTIMES),
    lenient_workflow_decorator_methods=frozenset({"workflow", "versioned_workflow"}),
    lenient_activity_decorator_methods=frozenset({"activity"}),
    workflow_registrations={
        **{
            f"{rt}.{method}": Registration(0, ("fn", "workflow", "__fn"))
            for rt in _RUNTIMES
            # `wfr.versioned_workflow(fn, name=..., is_latest=...)` also works as a plain call.
            for method in ("register_workflow", "register_versioned_workflow", "versioned_workflow")
        },
        **{f"{w}.add_orchestrator": Registration(0, ("fn",)) for w in _VENDORED_WORKERS},
        **{f"{w}.add_named_orchestrator": Registration(1, ("fn",)) for w in _VENDORED_WORKERS},
    },
    activity_registrations={
        **{f"{rt}.register_activity": Registration(0, ("fn", "activity")) for rt in _RUNTIMES},
        **{f"{w}.add_activity": Registration(0, ("fn",)) for w in _VENDORED_WORKERS},
        **{f"{w}.add_named_activity": Registration(1, ("fn",)) for w in _VENDORED_WORKERS},
    },
    lenient_workflow_registrations={
        "register_workflow": Registration(0, ("fn", "workflow")),
        "register_versioned_workflow": Registration(0, ("fn", "workflow")),
        "versioned_workflow": Registration(0, ("__fn",)),
    },
    lenient_activity_registrations={"register_activity": Registration(0, ("fn", "activity"))},
    workflow_context_types=frozenset(
        {
            "dapr.ext.workflow.DaprWorkflowContext",
            "dapr.ext.workflow.dapr_workflow_context.DaprWorkflowContext",
            "dapr.ext.workflow.WorkflowContext",
            "dapr.ext.workflow.workflow_context.WorkflowContext",
            f"{_VENDORED}.task.OrchestrationContext",
        }
    ),
    activity_context_types=frozenset(
        {
            "dapr.ext.workflow.WorkflowActivityContext",
            "dapr.ext.workflow.workflow_activity_context.WorkflowActivityContext",
            f"{_VENDORED}.task.ActivityContext",
        }
    ),
    task_methods=frozenset(
        {
            "call_activity",
            "call_child_workflow",
            "call_sub_orchestrator",
            "create_timer",
            "wait_for_external_event",
        }
    ),
    task_functions=frozenset(
        f"{module}.{fn}" for module in _TASK_MODULES for fn in ("when_all", "when_any")
    ),
    # `current_utc_datetime` is the history event's timestamp as a naive UTC datetime.
    now_template="{ctx}.current_utc_datetime",
    now_is_aware=False,
    # DaprWorkflowContext has no public replay-safe UUID: uuid4() is moved into an activity.
    sleep_template="yield {ctx}.create_timer({timedelta}(seconds={seconds}))",
    activity_call_template="(yield {ctx}.call_activity({fn}, input={input}))",
    activity_leading_params=("ctx",),
    activity_registration=ActivityRegistration(
        receiver_decorator='@{receiver}.activity(name="{fn}")',
        workflow_methods=("register_workflow", "register_versioned_workflow"),
        statement="{receiver}.register_activity({fn})",
        # dapr-ext-workflow up to 1.17 calls an activity without input as `f(ctx)`.
        empty_param="_input=None",
    ),
    # dapr-ext-workflow 1.17+.
    patch_template="{ctx}.is_patched({id})",
    replay_flags=("is_replaying",),
)
