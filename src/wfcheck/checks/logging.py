"""WF701 replay-unsafe-log: which `print`/`logging` findings sit behind a replay guard.

The catalog (rules/WF7-logging.toml) names the logging APIs; this module only knows the
guard: code under `if not ctx.is_replaying:` (or in the `else` of `if ctx.is_replaying:`)
runs once, so logging there is fine.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

from wfcheck.frameworks import REPLAY_FLAG_ATTRIBUTES
from wfcheck.settings import REPLAY_UNSAFE_LOG as CODE


def is_replay_flag(node: cst.BaseExpression) -> bool:
    """`ctx.is_replaying` or `workflow.unsafe.is_replaying()`."""
    if isinstance(node, cst.Call):
        node = node.func
    return isinstance(node, cst.Attribute) and node.attr.value in REPLAY_FLAG_ATTRIBUTES


def is_not_replay_flag(node: cst.BaseExpression) -> bool:
    """`not <flag>`, alone or as one operand of an `and` chain."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return is_replay_flag(node.expression)
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.And):
        return is_not_replay_flag(node.left) or is_not_replay_flag(node.right)
    return False


def in_replay_guard(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> bool:
    """Does ``node`` run only when the engine is not replaying: in the body of
    `if not <flag>:` (also `if not <flag> and ...:`) or the `else` of `if <flag>:`?"""
    child, current = node, parents.get(node)
    while current is not None:
        if isinstance(current, cst.If) and (
            (child is current.body and is_not_replay_flag(current.test))
            or (child is current.orelse and is_replay_flag(current.test))
        ):
            return True
        child, current = current, parents.get(current)
    return False


def drop_guarded(findings: list, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> list:
    """The findings minus WF701 findings inside a replay guard."""
    return [f for f in findings if f.code != CODE or not in_replay_guard(f.node, parents)]
