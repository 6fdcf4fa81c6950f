"""Structural rules: problems that are not "this API is banned".

Each module here declares its rule as ``RULE`` (:class:`~wfcheck.checks.registry.StructuralRule`):
the node types it handles and its checks; the workflow checker dispatches to them. Nothing
lists the modules: :func:`~wfcheck.checks.registry.discover` imports every module of this
package and collects what they declare, so a new structural rule is one module here plus its
catalog entry and fixtures. Rules reported by another stage are declared (with where) in
:mod:`wfcheck.checks.elsewhere`, so that the catalog's structural entries and this registry are
one set (tests/test_registry.py).
"""

from __future__ import annotations

from wfcheck.checks.registry import StructuralRule, discover

RULES: tuple[StructuralRule, ...] = discover(__name__, __path__)
REGISTRY: dict[str, StructuralRule] = {rule.code: rule for rule in RULES}

__all__ = ["REGISTRY", "RULES", "StructuralRule"]
