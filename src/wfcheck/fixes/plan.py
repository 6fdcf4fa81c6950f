"""Fix planning: the stage between suppression and diagnostics.

It receives only the findings that survived suppression, in source order, and returns one
`Fix` (or None) per finding. Everything a rewrite needs comes from the finding (unit, scopes,
resolved API) and the module's facts; planning writes no analysis state, and the names it
gives generated code are reserved only for the findings planned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from wfcheck.analysis.checker import run_check
from wfcheck.analysis.findings import Finding
from wfcheck.analysis.project import ModuleFacts, ProjectIndex
from wfcheck.analysis.scopes import Resolved, Scope
from wfcheck.analysis.workflows import WorkflowUnit
from wfcheck.catalog import Catalog
from wfcheck.diagnostics import Fix


@dataclass(frozen=True)
class FixOptions:
    """What the user asked of the fixes: guard history-changing fixes with the engine's patch
    API (`--versioned-fixes`), and the decorators that register activities in this project."""

    versioned: bool = False
    activity_decorators: tuple[str, ...] = ()


@dataclass
class ModulePlan:
    """State shared by the fixes planned for one module: the names already given out."""

    facts: ModuleFacts
    catalog: Catalog
    project: ProjectIndex
    options: FixOptions = field(default_factory=FixOptions)
    taken: set[str] = field(default_factory=set)


class PlanContext:
    """What a fix builder sees for one finding (the checker's view, frozen at the finding)."""

    def __init__(self, plan: ModulePlan, finding: Finding) -> None:
        self.plan = plan
        self.finding = finding
        self.facts = plan.facts
        self.catalog = plan.catalog
        self.project = plan.project
        self.options = plan.options
        self.taken = plan.taken
        self.unit: WorkflowUnit = finding.unit
        self.scopes: Sequence[Scope] = finding.scopes

    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    def resolve(self, node: cst.CSTNode) -> str | None:
        resolved = self.facts.resolver.expr(node, self.scope)
        return resolved.qualified if resolved is not None else None

    def resolve_full(self, node: cst.CSTNode) -> Resolved | None:
        return self.facts.resolver.expr(node, self.scope)


def plan_fixes(
    plan: ModulePlan, findings: Sequence[Finding]
) -> list[Fix | None]:
    """One fix (or None) per finding, in the order given."""
    from wfcheck.fixes.builder import build_fix

    fixes: list[Fix | None] = []
    for finding in findings:
        ctx = PlanContext(plan, finding)
        fixes.append(run_check(finding.code, build_fix, ctx, finding))
    return fixes


__all__ = ["FixOptions", "ModulePlan", "PlanContext", "plan_fixes"]
