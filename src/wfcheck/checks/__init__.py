"""Structural rules: problems that are not "this API is banned".

Each module declares one rule (:class:`~wfcheck.checks.registry.StructuralRule`): the node
types it handles and its checks; the workflow checker dispatches to them. Rules reported by
another stage are registered below with where they are reported, so that the catalog's
structural entries and this registry are one set (tests/test_registry.py).
"""

from __future__ import annotations

from wfcheck.checks import ordering, replay_branch, sandbox_imports, state, tasks
from wfcheck.checks.registry import StructuralRule

RULES: tuple[StructuralRule, ...] = (
    tasks.RULE,
    ordering.RULE,
    state.RULE,
    replay_branch.RULE,
    sandbox_imports.RULE,
    StructuralRule("WF502", reported_by="wfcheck.analysis.checker (an async generator-engine workflow)"),
    StructuralRule("WF604", reported_by="wfcheck.analysis.checker (project calls, wfcheck.analysis.project)"),
    StructuralRule("WF605", reported_by="wfcheck.analysis.checker (project calls)"),
    StructuralRule("WF800", reported_by="wfcheck.analysis.diagnose (suppression comments)"),
    StructuralRule("WF801", reported_by="wfcheck.analysis.diagnose"),
    StructuralRule("WF900", reported_by="wfcheck.analysis.diagnose (files that do not parse)"),
    StructuralRule("WF999", reported_by="wfcheck.analysis.diagnose (a check that raised)"),
)
REGISTRY: dict[str, StructuralRule] = {rule.code: rule for rule in RULES}

__all__ = ["REGISTRY", "RULES", "StructuralRule"]
