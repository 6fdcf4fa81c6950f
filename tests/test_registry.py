"""Structural rules as a registry: the catalog's structural entries and the registered rules
are one set, and every registered check is reached by the checker."""

from __future__ import annotations

from wfcheck.analysis import checker
from wfcheck.catalog import load_catalog
from wfcheck.checks import REGISTRY, RULES


def test_catalog_structural_entries_are_the_registered_rules() -> None:
    structural = {rule.code for rule in load_catalog().rules.values() if rule.kind == "structural"}
    assert structural == set(REGISTRY)
    assert len(RULES) == len(REGISTRY), "a code is registered twice"


def test_rules_without_checks_say_where_they_are_reported() -> None:
    for rule in RULES:
        has_checks = bool(rule.visit or rule.leave or rule.per_file)
        assert has_checks != bool(rule.reported_by), rule.code


def test_every_registered_node_type_has_a_checker_hook() -> None:
    for rule in RULES:
        for prefix, table in (("visit_", rule.visit), ("leave_", rule.leave)):
            for kind in table:
                hook = getattr(checker.WorkflowChecker, prefix + kind.__name__)
                assert hook is not getattr(checker.cst.CSTVisitor, prefix + kind.__name__), (
                    f"{rule.code}: no {prefix}{kind.__name__} on the checker"
                )
