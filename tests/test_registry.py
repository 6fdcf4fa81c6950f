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


def test_a_module_dropped_into_the_package_is_registered_without_a_list(tmp_path, monkeypatch) -> None:
    """What adding a structural rule takes on the code side: one module declaring RULE."""
    import sys

    import pytest

    from wfcheck.checks.registry import discover

    package = tmp_path / "toy_checks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "registry.py").write_text("")  # the registry module itself is skipped
    (package / "toy.py").write_text(
        "import libcst as cst\n"
        "from wfcheck.checks.registry import StructuralRule\n"
        "RULE = StructuralRule('WF698', visit={cst.Global: lambda ctx, node: None})\n"
    )
    (package / "helpers.py").write_text("X = 1\n")  # a module without a rule
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        rules = discover("toy_checks", [str(package)])
        assert [rule.code for rule in rules] == ["WF698"]
        (package / "again.py").write_text(
            "from wfcheck.checks.registry import StructuralRule\nRULES = (StructuralRule('WF698'),)\n"
        )
        with pytest.raises(ValueError, match="WF698 is declared twice"):
            discover("toy_checks", [str(package)])
    finally:
        for name in [m for m in sys.modules if m.startswith("toy_checks")]:
            del sys.modules[name]
