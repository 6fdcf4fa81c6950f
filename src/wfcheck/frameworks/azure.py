"""Azure Durable Functions (`azure.durable_functions`), v1 and v2 programming models."""

from __future__ import annotations

from wfcheck.frameworks.base import ActivityRegistration, FrameworkSpec, Registration

_APPS = (
    "azure.durable_functions.DFApp",
    "azure.durable_functions.Blueprint",
    "azure.durable_functions.decorators.durable_app.DFApp",
    "azure.durable_functions.decorators.durable_app.Blueprint",
)
_CONTEXTS = (
    "azure.durable_functions.DurableOrchestrationContext",
    "azure.durable_functions.models.DurableOrchestrationContext",
    "azure.durable_functions.models.DurableOrchestrationContext.DurableOrchestrationContext",
)

SPEC = FrameworkSpec(
    name="azure",
    title="Azure Durable Functions",
    packages=("azure.durable_functions",),
    markers=(b"durable_functions",),
    generator_based=True,
    workflow_decorators=frozenset(f"{app}.orchestration_trigger" for app in _APPS),
    activity_decorators=frozenset(f"{app}.activity_trigger" for app in _APPS),
    lenient_workflow_decorator_methods=frozenset({"orchestration_trigger"}),
    lenient_activity_decorator_methods=frozenset({"activity_trigger"}),
    context_name_keyword="context_name",
    workflow_registrations={
        "azure.durable_functions.Orchestrator.create": Registration(0, ("fn",)),
        "azure.durable_functions.orchestrator.Orchestrator.create": Registration(0, ("fn",)),
    },
    workflow_context_types=frozenset(_CONTEXTS),
    task_methods=frozenset(
        {
            "call_activity",
            "call_activity_with_retry",
            "call_sub_orchestrator",
            "call_sub_orchestrator_with_retry",
            "call_http",
            "call_entity",
            "create_timer",
            "wait_for_external_event",
            "task_all",
            "task_any",
        }
    ),
    # Azure parses the history timestamp into an aware UTC datetime.
    now_template="{ctx}.current_utc_datetime",
    now_is_aware=True,
    # `new_uuid()` returns a deterministic name-based UUID as a string.
    uuid_template="{uuid}.UUID({ctx}.new_uuid())",
    # Azure's create_timer takes the time to fire at.
    sleep_template=(
        "yield {ctx}.create_timer({ctx}.current_utc_datetime + {timedelta}(seconds={seconds}))"
    ),
    activity_call_template='(yield {ctx}.call_activity("{fn}", {input}))',
    # The v2 programming model's app decorator (v1 function.json apps have nothing to follow).
    activity_registration=ActivityRegistration(
        receiver_decorator='@{receiver}.activity_trigger(input_name="{param}")',
        empty_param="payload",
    ),
    replay_flags=("is_replaying",),
)
