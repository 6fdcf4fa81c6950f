"""WF601 unyielded-task: a durable task created as a bare statement and dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.analysis.scopes import dotted_name
from wfcheck.checks.registry import StructuralRule

if TYPE_CHECKING:
    from wfcheck.analysis.checker import CheckContext

CODE = "WF601"


def check_expression_statement(ctx: CheckContext, statement: cst.Expr) -> None:
    call = statement.value
    if not isinstance(call, cst.Call):
        return
    spec = ctx.unit.framework
    func = call.func
    if is_context_task(ctx, func):
        ctx.report(call, CODE, (dotted_name(func) or "") + "()", verb=spec.wait_keyword)
        return
    qualified = ctx.resolve(func)
    if qualified is not None and qualified in spec.task_functions:
        ctx.report(call, CODE, (dotted_name(func) or qualified) + "()", verb=spec.wait_keyword)


def is_context_task(ctx: CheckContext, func: cst.BaseExpression) -> bool:
    """``<the workflow's context parameter>.<task method>``, not a look-alike receiver."""
    if not (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.attr.value in ctx.unit.framework.task_methods
    ):
        return False
    name = func.value.value
    if name != ctx.unit.context_param:
        return False
    owner = ctx.scope.owner_of(name)
    # The parameter of the workflow function itself (the unit's first scope).
    return owner is not None and len(ctx.scopes) > 1 and owner is ctx.scopes[1]


RULE = StructuralRule(CODE, visit={cst.Expr: check_expression_statement})
