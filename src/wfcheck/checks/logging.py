"""WF701 replay-unsafe-log: which `print`/`logging` findings sit behind a replay guard.

The catalog (rules/WF7-logging.toml) names the logging APIs; this module only knows the
guard: code under `if not ctx.is_replaying:` (or in the `else` of `if ctx.is_replaying:`)
runs once, so logging there is fine.
"""

from __future__ import annotations

from typing import Dict, List, Set

import libcst as cst

from wfcheck.analysis.walk import walk
from wfcheck.frameworks import REPLAY_FLAG_ATTRIBUTES

CODE = "WF701"


def _is_flag(node: cst.BaseExpression) -> bool:
    """`ctx.is_replaying` or `workflow.unsafe.is_replaying()`."""
    if isinstance(node, cst.Call):
        node = node.func
    return isinstance(node, cst.Attribute) and node.attr.value in REPLAY_FLAG_ATTRIBUTES


def _is_not_flag(node: cst.BaseExpression) -> bool:
    """`not <flag>`, alone or as one operand of an `and` chain."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return _is_flag(node.expression)
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.And):
        return _is_not_flag(node.left) or _is_not_flag(node.right)
    return False


class _Guards(cst.CSTVisitor):
    """Collects every node that only runs when the engine is not replaying."""

    def __init__(self) -> None:
        self.guarded: Set[int] = set()
        self.depth = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.depth:
            self.guarded.add(id(node))
        if isinstance(node, cst.If):
            walk(node.test, self)
            for branch, runs_once in (
                (node.body, _is_not_flag(node.test)),
                (node.orelse, _is_flag(node.test)),
            ):
                if branch is None:
                    continue
                self.depth += runs_once
                walk(branch, self)
                self.depth -= runs_once
            return False
        return True


def in_replay_guard(node: cst.CSTNode, parents: Dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """Does ``node`` run only when the engine is not replaying (see :class:`_Guards`)?"""
    child, current = node, parents.get(node)
    while current is not None:
        if isinstance(current, cst.If) and child is not current.test:
            if (child is current.body and _is_not_flag(current.test)) or (
                child is current.orelse and _is_flag(current.test)
            ):
                return True
        child, current = current, parents.get(current)
    return False


def drop_guarded(findings: List) -> List:
    """The findings minus WF701 findings inside a replay guard of their workflow."""
    guarded: Dict[int, Set[int]] = {}
    kept = []
    for finding in findings:
        if finding.code == CODE:
            key = id(finding.unit.node)
            if key not in guarded:
                visitor = _Guards()
                walk(finding.unit.node, visitor)
                guarded[key] = visitor.guarded
            if id(finding.node) in guarded[key]:
                continue
        kept.append(finding)
    return kept
