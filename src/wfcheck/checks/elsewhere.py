"""Structural rules reported by another stage than the checks, and where.

They have no node types to handle: the project analysis, the engine and the suppression pass
report them. They are declared here so that the catalog's structural entries and the registry
stay one set (tests/test_registry.py).
"""

from __future__ import annotations

from wfcheck.checks.registry import StructuralRule
from wfcheck.settings import INTERNAL_ERROR, SYNTAX_ERROR, UNUSED_SUPPRESSION

RULES = (
    StructuralRule("WF502", reported_by="wfcheck.analysis.checker (an async generator-engine workflow)"),
    StructuralRule("WF604", reported_by="wfcheck.analysis.checker (project calls, wfcheck.analysis.project)"),
    StructuralRule("WF605", reported_by="wfcheck.analysis.checker (project calls)"),
    StructuralRule(UNUSED_SUPPRESSION, reported_by="wfcheck.analysis.diagnose (suppression comments)"),
    StructuralRule(SYNTAX_ERROR, reported_by="wfcheck.analysis.diagnose (files that do not parse)"),
    StructuralRule(INTERNAL_ERROR, reported_by="wfcheck.analysis.diagnose (a check that raised)"),
)
