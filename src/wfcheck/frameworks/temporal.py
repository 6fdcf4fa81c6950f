"""Temporal (`temporalio.workflow`): workflow classes whose every method is workflow code."""

from __future__ import annotations

from wfcheck.frameworks.base import FrameworkSpec

_AWAITABLES = (
    "execute_activity",
    "execute_activity_class",
    "execute_activity_method",
    "execute_local_activity",
    "execute_local_activity_class",
    "execute_local_activity_method",
    "execute_child_workflow",
    "sleep",
    "wait_condition",
)

SPEC = FrameworkSpec(
    name="temporal",
    packages=("temporalio",),
    markers=(b"temporalio",),
    generator_based=False,
    workflow_class_decorators=frozenset({"temporalio.workflow.defn"}),
    activity_decorators=frozenset({"temporalio.activity.defn"}),
    awaitable_functions=frozenset(
        {f"temporalio.workflow.{fn}" for fn in _AWAITABLES} | {"asyncio.sleep"}
    ),
)
