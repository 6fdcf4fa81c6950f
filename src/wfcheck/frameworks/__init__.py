"""Engine specs, one module per engine; see :mod:`wfcheck.frameworks.base`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from wfcheck.frameworks import azure, dapr, durabletask, temporal
from wfcheck.frameworks.base import ActivityRegistration, FrameworkSpec, Registration

SPECS: tuple[FrameworkSpec, ...] = (dapr.SPEC, durabletask.SPEC, azure.SPEC, temporal.SPEC)

# The engine a project helper is analysed under: none (a helper is summarised for every
# engine at once; what differs between engines is kept on each reason and call instead).
NO_ENGINE = FrameworkSpec(name="", title="", packages=(), markers=(), generator_based=False)

# Methods a workflow's context parameter offers that identify an unmarked generator workflow
# (the signature fallback), and the engine each one points to when imports do not say.
FALLBACK_TASK_METHODS: dict[str, str] = {
    "call_activity": "",
    "call_sub_orchestrator": "durabletask",
    "call_child_workflow": "dapr",
    "create_timer": "",
    "wait_for_external_event": "",
    "call_entity": "",
    "lock_entities": "durabletask",
    # Azure's context-method composites and HTTP task (its test helpers take generators
    # yielding only these).
    "task_all": "azure",
    "task_any": "azure",
    "call_http": "azure",
    "call_activity_with_retry": "azure",
    "call_sub_orchestrator_with_retry": "azure",
}
FALLBACK_FRAMEWORK = "durabletask"

# Text that a file importing an engine must contain; the prefilter looks for these...
MARKERS: tuple[bytes, ...] = tuple(sorted({marker for spec in SPECS for marker in spec.markers}))
# ...or, in a file that yields at all (the signature fallback needs a `yield`), one of these.
FALLBACK_MARKERS: tuple[bytes, ...] = tuple(sorted(m.encode() for m in FALLBACK_TASK_METHODS))

# Every engine's, for the checks that do not depend on the unit's engine (a helper is
# analysed for all of them). Code guarded by `if not <replay flag>:` runs once, not on every
# replay.
REPLAY_FLAG_ATTRIBUTES: tuple[str, ...] = tuple(
    sorted({flag for spec in SPECS for flag in spec.replay_flags})
)
PATCH_CHECK_ATTRIBUTES: tuple[str, ...] = tuple(
    sorted({spec.patch_check for spec in SPECS if spec.patch_check is not None})
)
IN_WORKFLOW_CHECKS: frozenset[str] = frozenset(
    check for spec in SPECS for check in spec.in_workflow_checks
)
# Each such check, and the engines whose workflow code it tells apart: `temporalio`'s
# `workflow.in_workflow()` is False in a Dapr workflow, whose "outside" branch then runs.
IN_WORKFLOW_ENGINES: dict[str, frozenset[str]] = {
    check: frozenset(spec.name for spec in SPECS if check in spec.in_workflow_checks)
    for check in IN_WORKFLOW_CHECKS
}

def house_activity_decorators(spec: FrameworkSpec) -> list[str]:
    """The activity decorators configuration added to ``spec`` (in-house wrappers), sorted."""
    base = next((s for s in SPECS if s.name == spec.name), None)
    shipped = base.activity_decorators if base is not None else frozenset()
    return sorted(spec.activity_decorators - shipped)


def configured_specs(
    frameworks: Sequence[str] | None = None,
    workflow_decorators: Mapping[str, str] = {},
    activity_decorators: Mapping[str, str] = {},
    workflow_context_types: Mapping[str, str] = {},
) -> tuple[FrameworkSpec, ...]:
    """The engine specs restricted to ``frameworks`` (None: all) and extended with in-house
    wrappers: each mapping goes from a qualified name to the engine it wraps."""

    def mine(table: Mapping[str, str], spec: FrameworkSpec) -> frozenset:
        return frozenset(name for name, engine in table.items() if engine == spec.name)

    return tuple(
        replace(
            spec,
            workflow_decorators=spec.workflow_decorators | mine(workflow_decorators, spec),
            activity_decorators=spec.activity_decorators | mine(activity_decorators, spec),
            workflow_context_types=spec.workflow_context_types
            | mine(workflow_context_types, spec),
        )
        for spec in SPECS
        if frameworks is None or spec.name in frameworks
    )


__all__ = [
    "ActivityRegistration",
    "PATCH_CHECK_ATTRIBUTES",
    "REPLAY_FLAG_ATTRIBUTES",
    "configured_specs",
    "house_activity_decorators",
    "FALLBACK_FRAMEWORK",
    "FALLBACK_MARKERS",
    "FALLBACK_TASK_METHODS",
    "FrameworkSpec",
    "IN_WORKFLOW_CHECKS",
    "IN_WORKFLOW_ENGINES",
    "MARKERS",
    "NO_ENGINE",
    "Registration",
    "SPECS",
]
