"""WF606 replay-branch-command: a durable command issued only while replaying, or only
while not.

`if ctx.is_replaying:` (Dapr, durabletask, Azure) and `if workflow.unsafe.is_replaying():`
(Temporal) split the workflow in two: the first run takes one branch and every replay the
other. A command (an activity, a timer, a child workflow, a wait) in either branch makes the
replay issue other commands than the history recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.analysis.scopes import dotted_name
from wfcheck.checks.logging import is_not_replay_flag, is_replay_flag
from wfcheck.checks.registry import StructuralRule
from wfcheck.checks.tasks import is_context_task

if TYPE_CHECKING:
    from wfcheck.analysis.checker import CheckContext

CODE = "WF606"


def check_call(ctx: CheckContext, call: cst.Call) -> None:
    if not _is_command(ctx, call):
        return
    branch = replay_branch(call, ctx.facts.parents, ctx.unit.node)
    if branch is None:
        return
    name = (dotted_name(call.func) or "...") + "()"
    ctx.report(call, CODE, name, verb="only while replaying" if branch else "only while not replaying")


def _is_command(ctx: CheckContext, call: cst.Call) -> bool:
    if is_context_task(ctx, call.func):
        return True
    qualified = ctx.resolve(call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
    return qualified is not None and qualified in ctx.unit.framework.task_functions


def replay_branch(
    node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode], stop: cst.CSTNode
) -> bool | None:
    """True when ``node`` runs only while replaying, False only while not, None when the
    replay flag does not decide (the innermost deciding `if` or conditional expression wins)."""
    child, current = node, parents.get(node)
    while current is not None and current is not stop:
        if isinstance(current, (cst.If, cst.IfExp)) and child is not current.test:
            in_body = child is current.body
            in_else = child is current.orelse
            if is_replay_flag(current.test):
                if in_body or in_else:
                    return in_body
            elif is_not_replay_flag(current.test):
                if in_body:
                    return False
                if in_else and isinstance(current.test, cst.UnaryOperation):
                    return True  # the `else` of a plain `if not <flag>:`
        child, current = current, parents.get(current)
    return None


RULE = StructuralRule(CODE, leave={cst.Call: check_call})
