"""Walk workflow code once and report every catalogued API and structural problem in it.

One visitor per workflow unit tracks scopes as it descends (functions, lambdas,
comprehensions), resolves each call and attribute chain through the module's imports, looks
the qualified name up in the catalog, and hands the same nodes to the structural checks in
:mod:`wfcheck.checks`.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import libcst as cst

from wfcheck.analysis.findings import PASSED, Finding
from wfcheck.analysis.project import (
    TRANSITIVE_CODES,
    ModuleFacts,
    ProjectIndex,
    Reason,
    Summary,
    Target,
    helper_unit,
)
from wfcheck.analysis.scopes import (
    Comprehension,
    Resolved,
    Scope,
    comprehension_scope,
    dotted_name,
    function_scope,
)
from wfcheck.analysis.walk import walk
from wfcheck.analysis.workflows import WorkflowUnit
from wfcheck.catalog import Catalog, Rule
from wfcheck.checks import ordering, state, tasks
from wfcheck.frameworks import FrameworkSpec

_Result = TypeVar("_Result")


class CheckFailed(Exception):
    """A check raised unexpectedly; ``code`` is the rule it was checking for."""

    def __init__(self, code: str, error: Exception) -> None:
        super().__init__(f"{code}: {type(error).__name__}: {error}")
        self.code = code
        self.error = error


def run_check(code: str, check: Callable[..., _Result], *args: object) -> _Result:
    """Run one rule's check, blaming ``code`` for what it raises. An inner check's blame and
    a RecursionError (the file's depth, not a bug) pass through unchanged."""
    try:
        return check(*args)
    except (CheckFailed, RecursionError):
        raise
    except Exception as exc:
        raise CheckFailed(code, exc) from exc


class CheckContext:
    """What a check sees: the unit, the current scope, resolution, and a way to report.

    With a ``summary`` the unit is a helper being summarised: calls into the project are
    recorded as edges instead of being followed.
    """

    def __init__(
        self,
        unit: WorkflowUnit,
        facts: ModuleFacts,
        catalog: Catalog,
        enabled: frozenset[str],
        findings: list[Finding],
        project: ProjectIndex,
        summary: Summary | None = None,
    ) -> None:
        self.unit = unit
        self.facts = facts
        self.resolver = facts.resolver
        self.catalog = catalog
        self.module_mutables = facts.mutables
        self.enabled = enabled
        self.findings = findings
        self.project = project
        self.summary = summary
        self.scopes: list[Scope] = [unit.parent_scope]

    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    @property
    def framework(self) -> str:
        return self.unit.framework.name

    def resolve(self, node: cst.CSTNode) -> str | None:
        resolved = self.resolver.expr(node, self.scope)
        return resolved.qualified if resolved is not None else None

    def resolve_full(self, node: cst.CSTNode) -> Resolved | None:
        return self.resolver.expr(node, self.scope)

    def in_unit(self, scope: Scope | None) -> bool:
        """Is ``scope`` the unit's own or nested in it (not one enclosing the workflow)?"""
        unit_node = self.unit.node
        while scope is not None:
            if scope.node is unit_node:
                return True
            scope = scope.parent
        return False

    def report(
        self,
        node: cst.CSTNode,
        code: str,
        api: str,
        verb: str = "",
        chain: tuple[str, ...] = (),
        qualified: str = "",
        form: str = "call",
    ) -> None:
        if code not in self.enabled:
            return
        self.findings.append(
            Finding(code, node, self.unit, tuple(self.scopes), api, verb, qualified, chain, form)
        )


class WorkflowChecker(cst.CSTVisitor):
    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.index = ctx.facts.index
        self.reported_calls: dict[int, frozenset[str]] = {}

    # -- entry -----------------------------------------------------------------------------

    def run(self) -> None:
        node = self.ctx.unit.node
        if isinstance(node, cst.ClassDef):
            self._push(self._scope_for(node))
            for statement in node.body.body:
                if isinstance(statement, cst.FunctionDef):
                    # Only the body: a method's decorators and defaults run once, when the
                    # class is created at import, not when the workflow runs or replays.
                    self._push(self._scope_for(statement))
                    walk(statement.body, self)
                    self.ctx.scopes.pop()
            self.ctx.scopes.pop()
            return
        if (
            node.asynchronous is not None
            and self.ctx.unit.framework.generator_based
            and self.ctx.summary is None
        ):
            self.ctx.report(node.name, "WF502", self.ctx.unit.qualname)
        self._push(self._scope_for(node))
        walk(node.body, self)
        self.ctx.scopes.pop()

    def _scope_for(self, node: cst.FunctionDef | cst.ClassDef | cst.Lambda | Comprehension) -> Scope:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return self.index.scope_of(node)
        if isinstance(node, cst.Lambda):
            return function_scope(node, self.ctx.scope)
        return comprehension_scope(node, self.ctx.scope)

    def _push(self, scope: Scope) -> None:
        self.ctx.scopes.append(scope)

    # -- scopes ----------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        # Decorators and defaults run in the enclosing scope, the body in the function's own.
        for decorator in node.decorators:
            walk(decorator, self)
        for param in _all_params(node.params):
            if param.default is not None:
                walk(param.default, self)
        self._push(self._scope_for(node))
        walk(node.body, self)
        self.ctx.scopes.pop()
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._push(self._scope_for(node))
        walk(node.body, self)
        self.ctx.scopes.pop()
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        for param in _all_params(node.params):
            if param.default is not None:
                walk(param.default, self)
        self._push(self._scope_for(node))
        walk(node.body, self)
        self.ctx.scopes.pop()
        return False

    def _enter_comprehension(self, node: Comprehension) -> None:
        self._push(self._scope_for(node))

    def _leave_comprehension(self, original_node: Comprehension) -> None:
        self.ctx.scopes.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    # -- nodes that are not uses of names ----------------------------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        # `f(environ=...)`: the keyword is not a use of a name.
        walk(node.value, self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        return False

    # -- names and attribute chains (APIs flagged on any use) --------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if not self._check_reference(node):
            # Only the receiver is a use of a name; `.attr` is not.
            walk(node.value, self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self._check_reference(node)

    def _check_reference(self, node: cst.BaseExpression) -> bool:
        resolved = self.ctx.resolve_full(node)
        # A value the workflow computed or aliased itself was reported where it was read.
        if (
            resolved is None
            or resolved.instance
            or self.ctx.in_unit(resolved.bound_in)
        ):
            return False
        for rule, api in self.ctx.catalog.lookup(resolved.qualified):
            if api.use == "any" and self.ctx.framework in api.frameworks:
                self.ctx.report(node, rule.code, api.name, qualified=api.name)
                return True
        return False

    # -- calls -------------------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call) -> None:
        node = original_node
        func = node.func
        resolved = None
        if isinstance(func, (cst.Name, cst.Attribute)):
            resolved = self.ctx.resolve_full(func)
            if resolved is None or not self._check_call_api(node, resolved):
                run_check("WF604", self._follow_project_call, node)
        if isinstance(func, cst.Attribute):
            for rule, api in self.ctx.catalog.lookup_method(func.attr.value):
                if self.ctx.framework in api.frameworks:
                    self.ctx.report(node, rule.code, _render(func) + "()")
        if node.args:
            # Any API rule may be the one a passed function is for: no single rule to blame.
            run_check("", self._check_passed_functions, node, resolved)
        run_check("WF602", ordering.check_call, self.ctx, node)
        run_check("WF603", state.check_call, self.ctx, node)

    def _check_passed_functions(self, node: cst.Call, callee: Resolved | None) -> None:
        """`sorted(xs, key=random.random)`, `map(time.time, xs)`: builtins that call the
        function they are given make it as good as called here."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "sort":
            slots: tuple[object, ...] = ("key",)
        elif callee is not None:
            slots = _CALLERS.get(callee.qualified, ())
        else:
            return
        for position, arg in enumerate(node.args):
            slot = arg.keyword.value if arg.keyword is not None else position
            if slot not in slots or not isinstance(arg.value, (cst.Name, cst.Attribute)):
                continue
            resolved = self.ctx.resolve_full(arg.value)
            if resolved is None or resolved.instance:
                continue
            # Called with one argument per element: `map(time.localtime, stamps)` reads no
            # clock, so patterns that only flag calls without arguments do not apply.
            for rule in self._rules_for(resolved.qualified, args=1):
                self.ctx.report(
                    arg.value,
                    rule.code,
                    display_name(resolved.qualified) + "()",
                    qualified=resolved.qualified,
                    form=PASSED,
                )

    def _check_call_api(self, node: cst.Call, resolved: Resolved) -> bool:
        """Report catalogued APIs; True when the call was judged by the catalog."""
        ctx = self.ctx
        receiver = _receiver_call(node.func)
        # `DB.execute(q).fetchone()`: what the first call was reported for is not repeated.
        already = self.reported_calls.get(id(receiver), frozenset()) if receiver else frozenset()
        if resolved.instance and resolved.origin and ctx.catalog.is_handle(resolved.origin):
            made_here = resolved.constructed and (
                resolved.bound_in is None or ctx.in_unit(resolved.bound_in)
            )
            if not made_here:
                # A handle (client, file, generator) made at import time or passed in does
                # its API's work on every use from workflow code: `DB.execute(...)`.
                handle_rules = [r for r in self._rules_for(resolved.origin) if r.code not in already]
                self._report_call(node, handle_rules, _render(node.func), resolved.origin)
                return True
        rules: list[Rule] = []
        # Members of a value (`Path(p).read_text`) match exact entries only: wildcards name a
        # module's functions, not the methods of what they return (`random.choice(x).title()`).
        for rule, api in ctx.catalog.lookup(resolved.qualified, exact_only=resolved.instance):
            if api.use != "call" or rule in rules or ctx.framework not in api.frameworks:
                continue
            if api.max_args is not None and _given_args(node) > api.max_args:
                continue
            if rule.code not in already:
                rules.append(rule)
        self._report_call(node, rules, display_name(resolved.qualified), resolved.qualified)
        return bool(rules)

    def _report_call(self, node: cst.Call, rules: list[Rule], name: str, qualified: str) -> None:
        for rule in rules:
            self.ctx.report(node, rule.code, name + "()", qualified=qualified)
        if rules:
            self.reported_calls[id(node)] = frozenset(r.code for r in rules)

    def _rules_for(self, origin: str, args: int | None = None) -> list[Rule]:
        """The rules whose call patterns name ``origin``: for a call with ``args`` arguments,
        or whatever their argument conditions (None)."""
        rules: list[Rule] = []
        for rule, api in self.ctx.catalog.lookup(origin):
            if api.use != "call" or self.ctx.framework not in api.frameworks or rule in rules:
                continue
            if args is None or api.max_args is None or args <= api.max_args:
                rules.append(rule)
        return rules

    def _follow_project_call(self, node: cst.Call) -> None:
        """WF604/WF605: a call into the project's own code."""
        ctx = self.ctx
        target = ctx.project.target_of(node.func, ctx.scope, ctx.facts)
        if target is None and ctx.summary is None:
            self._check_field_factories(node)
            return
        if target is None or target.facts.in_workflow(target.parent_scope, target.node):
            return  # workflow code is checked where it is written
        if ctx.summary is not None:
            ctx.summary.calls.append(target)
            return
        if target.is_activity:
            ctx.report(node, "WF605", target.qualname + "()")
            return
        chain = ctx.project.chain(target, ctx.unit.framework)
        if chain is None:
            return
        names = " -> ".join(f"{step.qualname}()" for step in chain.steps)
        reason = chain.reason
        message = f"{target.qualname}() is not replay-safe: {names} -> {reason.api} [{reason.code}]"
        others = chain.total_reasons - 1
        if others:
            message += f" (and {others} other reason{'s' if others != 1 else ''})"
        steps = tuple(f"{step.qualname}() ({step.location()})" for step in chain.steps)
        steps += (f"{reason.api} [{reason.code}] ({reason.path}:{reason.line}:{reason.column})",)
        ctx.report(node, "WF604", message, chain=steps)

    def _check_field_factories(self, node: cst.Call) -> None:
        """`Payment(...)` of a dataclass or model without `__init__`: its fields'
        `default_factory=uuid.uuid4` (or `factory=`) run at construction, in the workflow."""
        ctx = self.ctx
        found = ctx.project.class_of(node.func, ctx.scope, ctx.facts)
        if found is None:
            return
        facts, cls = found
        if ctx.project.vouched_for(facts, cls, cls.name.value):
            return
        scope = facts.index.module_scope
        for factory in _field_factories(cls):
            calls: list[cst.BaseExpression] = (
                [factory] if isinstance(factory, (cst.Name, cst.Attribute)) else []
            )
            if isinstance(factory, cst.Lambda):
                calls = [c.func for c in _calls_in(factory.body)]
            for func in calls:
                resolved = facts.resolver.expr(func, scope)
                if resolved is None or resolved.instance:
                    continue
                # A factory is called without arguments.
                for rule in self._rules_for(resolved.qualified, args=0):
                    where = facts.positions[func].start
                    api_name = display_name(resolved.qualified) + "()"
                    name = cls.name.value
                    ctx.report(
                        node,
                        "WF604",
                        f"{name}() is not replay-safe: {name}() -> field default "
                        f"{api_name} [{rule.code}]",
                        chain=(
                            f"{name}() ({facts.path}:{facts.positions[cls.name].start.line})",
                            f"{api_name} [{rule.code}] ({facts.path}:{where.line}:{where.column + 1})",
                        ),
                    )
                    return

    # -- statements --------------------------------------------------------------------------

    def visit_Expr(self, node: cst.Expr) -> None:
        run_check("WF601", tasks.check_expression_statement, self.ctx, node)

    def visit_For(self, node: cst.For) -> None:
        run_check("WF602", ordering.check_iteration, self.ctx, node.iter)
        self._check_target(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        run_check("WF602", ordering.check_comprehension, self.ctx, node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._check_target(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check_target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check_target(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._check_target(node.target)

    def _check_target(self, target: cst.BaseExpression) -> None:
        run_check("WF603", state.check_target, self.ctx, target)


def summarize(
    target: Target,
    framework: FrameworkSpec,
    catalog: Catalog,
    enabled: frozenset[str],
    project: ProjectIndex,
) -> Summary:
    """What a project function does itself (WF1xx-WF5xx findings) and which project functions
    it calls; line suppressions in the helper's own module apply."""
    summary = Summary()
    findings: list[Finding] = []
    transitive = frozenset(code for code in enabled if TRANSITIVE_CODES.match(code))
    ctx = CheckContext(
        helper_unit(target, framework), target.facts, catalog, transitive, findings, project, summary
    )
    WorkflowChecker(ctx).run()
    facts = target.facts
    for finding in findings:
        start = facts.positions[finding.node].start
        if facts.line_suppresses(start.line, finding.code):
            continue
        summary.reasons.append(
            Reason(finding.code, finding.api, facts.path, start.line, start.column + 1)
        )
    return summary


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    result = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            result.append(star)
    return result


def _receiver_call(func: cst.BaseExpression) -> cst.Call | None:
    """The call a method is invoked on, through attributes and subscripts:
    ``S3.get_object(...)["Body"].read`` -> ``S3.get_object(...)``."""
    if not isinstance(func, cst.Attribute):
        return None
    node = func.value
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node if isinstance(node, cst.Call) else None


def display_name(qualified: str) -> str:
    """How an API is named in messages: builtins without their module."""
    return qualified[len("builtins."):] if qualified.startswith("builtins.") else qualified


def _render(node: cst.BaseExpression) -> str:
    return dotted_name(node) or "..." + (
        "." + node.attr.value if isinstance(node, cst.Attribute) else ""
    )


# Keywords of `dataclasses.field`, `pydantic.Field`, `attrs.field`/`attr.ib` whose function
# builds a field's default when the object is made.
_FACTORY_KEYWORDS = frozenset({"default_factory", "factory"})


def _field_factories(cls: cst.ClassDef) -> list[cst.BaseExpression]:
    """The default factories a class body's fields name (`x: T = field(default_factory=f)`)."""
    factories: list[cst.BaseExpression] = []
    for statement in cls.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            value = small.value if isinstance(small, (cst.AnnAssign, cst.Assign)) else None
            if isinstance(value, cst.Call):
                factories += [
                    arg.value
                    for arg in value.args
                    if arg.keyword is not None and arg.keyword.value in _FACTORY_KEYWORDS
                ]
    return factories


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


def _calls_in(node: cst.CSTNode) -> list[cst.Call]:
    collector = _Calls()
    walk(node, collector)
    return collector.calls


# Builtins that call a function argument (by keyword or position) once per element.
_CALLERS: dict[str, tuple[object, ...]] = {
    "builtins.sorted": ("key",),
    "builtins.min": ("key",),
    "builtins.max": ("key",),
    "builtins.map": (0,),
    "builtins.filter": (0,),
}

__all__ = ["CheckContext", "CheckFailed", "Finding", "WorkflowChecker", "run_check", "summarize"]


def _given_args(call: cst.Call) -> int:
    """Arguments that say something: `None` is the default of every argument `max_args`
    patterns look at (`random.Random(None)` seeds from the OS like `random.Random()`)."""
    return sum(
        1
        for arg in call.args
        if not (isinstance(arg.value, cst.Name) and arg.value.value == "None")
    )
