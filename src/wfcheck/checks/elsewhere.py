"""Structural rules reported by another stage than the checks, and where.

They have no node types to handle: the project analysis, the engine and the suppression pass
report them. They are declared here so that the catalog's structural entries and the registry
stay one set (tests/test_registry.py).
"""

from __future__ import annotations

from wfcheck.checks.registry import StructuralRule
from wfcheck.settings import INTERNAL_ERROR, SYNTAX_ERROR, UNUSED_SUPPRESSION

# The analysis reports these under their names (wfcheck.analysis.checker).
ASYNC_WORKFLOW = "WF502"
NONDETERMINISTIC_HELPER = "WF604"
DIRECT_ACTIVITY_CALL = "WF605"

RULES = (
    StructuralRule(
        ASYNC_WORKFLOW, reported_by="wfcheck.analysis.checker (an async generator-engine workflow)"
    ),
    StructuralRule(
        NONDETERMINISTIC_HELPER,
        reported_by="wfcheck.analysis.checker (project calls, wfcheck.analysis.project)",
    ),
    StructuralRule(DIRECT_ACTIVITY_CALL, reported_by="wfcheck.analysis.checker (project calls)"),
    StructuralRule(UNUSED_SUPPRESSION, reported_by="wfcheck.analysis.diagnose (suppression comments)"),
    StructuralRule(SYNTAX_ERROR, reported_by="wfcheck.analysis.diagnose (files that do not parse)"),
    StructuralRule(INTERNAL_ERROR, reported_by="wfcheck.analysis.diagnose (a check that raised)"),
)
