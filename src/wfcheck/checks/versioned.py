"""WF801 versioned-fix-legacy-branch: the old code a versioned fix keeps.

`--versioned-fixes` writes a history-changing fix as `if ctx.is_patched("wfcheck-..."):
<new> else: <old>` (Temporal: `workflow.patched`). The `else` branch is the workflow as it
was, kept on purpose for instances started before the fix: no rule reports what is in it (a
fix loop or a pre-commit hook would otherwise never settle). Instead the guard itself is
reported once, under WF801, which is opt-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import libcst as cst

from wfcheck.analysis.findings import STATEMENT, Finding
from wfcheck.checks.registry import StructuralRule
from wfcheck.frameworks import PATCH_CHECK_ATTRIBUTES

CODE = "WF801"
# Patch ids wfcheck writes start with this (see wfcheck.fixes.versioned).
PATCH_PREFIX = "wfcheck-"


def patch_id(test: cst.BaseExpression) -> str | None:
    """The id of a wfcheck patch check (`ctx.is_patched("wfcheck-...")`), else None."""
    if not isinstance(test, cst.Call) or not test.args:
        return None
    func = test.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
    if name not in PATCH_CHECK_ATTRIBUTES:
        return None
    first = test.args[0].value
    if not isinstance(first, cst.SimpleString):
        return None
    value = first.evaluated_value
    return value if isinstance(value, str) and value.startswith(PATCH_PREFIX) else None


def legacy_guard(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> cst.If | None:
    """The wfcheck patch check whose `else` branch holds ``node``, if any."""
    child, current = node, parents.get(node)
    while current is not None:
        if (
            isinstance(current, cst.If)
            and child is current.orelse
            and patch_id(current.test) is not None
        ):
            return current
        child, current = current, parents.get(current)
    return None


def split_legacy(
    findings: list[Finding], parents: Mapping[cst.CSTNode, cst.CSTNode], enabled: frozenset[str]
) -> list[Finding]:
    """The findings outside the old branches of versioned fixes, plus (WF801 enabled) one
    finding per guard whose old branch held any."""
    kept: list[Finding] = []
    guards: dict[int, Finding] = {}
    for finding in findings:
        guard = legacy_guard(finding.node, parents) if finding.code != CODE else None
        if guard is None:
            kept.append(finding)
            continue
        if CODE in enabled and id(guard) not in guards:
            guards[id(guard)] = replace(
                finding,
                code=CODE,
                node=guard.test,
                api=patch_id(guard.test) or "",
                verb="",
                qualified="",
                chain=(),
                form=STATEMENT,
            )
    return kept + list(guards.values())


# Reported after the checks, from their findings (wfcheck.analysis.diagnose calls split_legacy).
RULE = StructuralRule(CODE, reported_by="wfcheck.analysis.diagnose (split_legacy, after the checks)")
