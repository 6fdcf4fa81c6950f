"""Engine specs, one module per engine; see :mod:`wfcheck.frameworks.base`."""

from __future__ import annotations

from typing import Dict, Tuple

from wfcheck.frameworks import azure, dapr, durabletask, temporal
from wfcheck.frameworks.base import FrameworkSpec, Registration

SPECS: Tuple[FrameworkSpec, ...] = (dapr.SPEC, durabletask.SPEC, azure.SPEC, temporal.SPEC)
BY_NAME: Dict[str, FrameworkSpec] = {spec.name: spec for spec in SPECS}

# Methods a workflow's context parameter offers that identify an unmarked generator workflow
# (the signature fallback), and the engine each one points to when imports do not say.
FALLBACK_TASK_METHODS: Dict[str, str] = {
    "call_activity": "",
    "call_sub_orchestrator": "durabletask",
    "call_child_workflow": "dapr",
    "create_timer": "",
    "wait_for_external_event": "",
}
FALLBACK_CONTEXT_NAMES = ("ctx", "context")
FALLBACK_FRAMEWORK = "durabletask"

# Text that any file holding workflow code must contain; the prefilter looks for these.
MARKERS: Tuple[bytes, ...] = tuple(
    sorted(
        {marker for spec in SPECS for marker in spec.markers}
        | {m.encode() for m in FALLBACK_TASK_METHODS}
    )
)

__all__ = [
    "BY_NAME",
    "FALLBACK_CONTEXT_NAMES",
    "FALLBACK_FRAMEWORK",
    "FALLBACK_TASK_METHODS",
    "FrameworkSpec",
    "MARKERS",
    "Registration",
    "SPECS",
]
