"""Temporal (`temporalio.workflow`): workflow classes whose every method is workflow code."""

from __future__ import annotations

from wfcheck.frameworks.base import ActivityRegistration, FrameworkSpec

_AWAITABLES = (
    "execute_activity",
    "execute_activity_class",
    "execute_activity_method",
    "execute_local_activity",
    "execute_local_activity_class",
    "execute_local_activity_method",
    "execute_child_workflow",
    "start_child_workflow",
    "sleep",
    "wait",
    "wait_condition",
)

SPEC = FrameworkSpec(
    name="temporal",
    title="Temporal",
    packages=("temporalio",),
    markers=(b"temporalio",),
    generator_based=False,
    workflow_class_decorators=frozenset({"temporalio.workflow.defn"}),
    activity_decorators=frozenset({"temporalio.activity.defn"}),
    # Coroutines: Temporal's workflow API is module functions, awaited.
    task_functions=frozenset(
        {f"temporalio.workflow.{fn}" for fn in _AWAITABLES}
        | {
            "temporalio.workflow.ExternalWorkflowHandle.signal",
            "temporalio.workflow.ExternalWorkflowHandle.cancel",
            "asyncio.sleep",
        }
    ),
    wait_keyword="await",
    modules={"workflow": "temporalio.workflow", "activity": "temporalio.activity"},
    # `workflow.now()` is an aware UTC datetime.
    now_template="{workflow}.now()",
    now_is_aware=True,
    uuid_template="{workflow}.uuid4()",
    random_template="{workflow}.random()",
    sleep_template="await {workflow}.sleep({seconds})",
    asyncio_replacements={
        "asyncio.wait": "{workflow}.wait",
        "asyncio.as_completed": "{workflow}.as_completed",
    },
    activity_call_template=(
        "(await {workflow}.execute_activity({fn}{input_arg}, "
        "start_to_close_timeout={timedelta}(minutes=1)))"
    ),
    activity_registration=ActivityRegistration(
        module_decorator="@{activity}.defn",
        empty_param="",
        note=(
            "register it with your Temporal worker's activities; a sync activity needs "
            "the worker's activity_executor"
        ),
        house_note="register it with your Temporal worker's activities",
    ),
    passthrough_block_template="with {workflow}.unsafe.imports_passed_through():",
    passthrough_call="temporalio.workflow.unsafe.imports_passed_through",
    passthrough_modules=("temporalio",),
    sandbox_opt_out_keyword="sandboxed",
    unsandboxed_runners=frozenset({"temporalio.worker.UnsandboxedWorkflowRunner"}),
    patch_template="{workflow}.patched({id})",
    patch_removal_step="first replace `workflow.patched` with `workflow.deprecate_patch`",
    query_decorators=frozenset({"temporalio.workflow.query"}),
    replay_flags=("is_replaying", "is_replaying_history_events"),
    in_workflow_checks=frozenset({"temporalio.workflow.in_workflow"}),
)
