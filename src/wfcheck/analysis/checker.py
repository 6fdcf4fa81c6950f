"""Walk workflow code once and report every catalogued API and structural problem in it.

One visitor per workflow unit tracks scopes as it descends (functions, lambdas,
comprehensions), resolves each call and attribute chain through the module's imports, looks
the qualified name up in the catalog, and hands the same nodes to the structural checks in
:mod:`wfcheck.checks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Callable, TypeVar

import libcst as cst

from wfcheck.analysis.findings import CONTEXT_MANAGER, PASSED, Finding
from wfcheck.analysis.project import (
    TRANSITIVE_CODES,
    Callee,
    Edge,
    FunctionRef,
    ModuleFacts,
    ProjectIndex,
    Reason,
    Summary,
    Target,
    decorator_names,
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
from wfcheck.catalog import FRAMEWORKS, Catalog, Rule
from wfcheck.checks import RULES
from wfcheck.checks.elsewhere import ASYNC_WORKFLOW, DIRECT_ACTIVITY_CALL, NONDETERMINISTIC_HELPER
from wfcheck.checks.logging import in_replay_guard
from wfcheck.checks.registry import Check
from wfcheck.frameworks import IN_WORKFLOW_ENGINES, FrameworkSpec

_Result = TypeVar("_Result")
_Method = TypeVar("_Method", bound=Callable[..., object])

_NONE: frozenset[str] = frozenset()
ALL_ENGINES: frozenset[str] = frozenset(FRAMEWORKS)
# A reason's guard: it sits under `if not ctx.is_replaying:` (it runs once, not on replays).
NOT_REPLAYING = "not-replaying"

# The key of a WF604 finding about a dataclass field's default factory (its message in the
# catalog); other WF604 findings explain a chain of calls.
FIELD_DEFAULT = "field-default"


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

    ``engines`` are the engines the code being walked is analysed for: the workflow's own
    engine, or every engine for a helper (:class:`EffectsContext`). A finding is reported
    for the engines whose catalog entries flag it; where the walk goes on differently for
    some engines (a name judged as an API for one engine is not looked into for it), it goes
    on for the others only (:meth:`only`).
    """

    def __init__(
        self,
        unit: WorkflowUnit,
        facts: ModuleFacts,
        catalog: Catalog,
        enabled: frozenset[str],
        findings: list[Finding],
        project: ProjectIndex,
        engines: frozenset[str] | None = None,
    ) -> None:
        self.unit = unit
        self.facts = facts
        self.resolver = facts.resolver
        self.catalog = catalog
        self.module_mutables = facts.mutables
        self.enabled = enabled
        self.findings = findings
        self.project = project
        self.engines: frozenset[str] = (
            frozenset({unit.framework.name}) if engines is None else engines
        )
        self.scopes: list[Scope] = [unit.parent_scope]

    @contextmanager
    def only(self, engines: frozenset[str]) -> Iterator[None]:
        """Walk on for ``engines`` alone (a subset of the current ones)."""
        saved = self.engines
        self.engines = engines
        try:
            yield
        finally:
            self.engines = saved

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
        engines: frozenset[str] | None = None,
    ) -> None:
        """Report a finding for ``engines`` (default: all the walk is for); a workflow is
        walked for its own engine only, so a finding for other engines is not one."""
        live = self.engines if engines is None else engines & self.engines
        if not live or code not in self.enabled or live <= self._outside_workflow_branch(node):
            return
        self.findings.append(
            Finding(code, node, self.unit, tuple(self.scopes), api, verb, qualified, chain, form)
        )


    def _outside_workflow_branch(self, node: cst.CSTNode) -> frozenset[str]:
        """The engines for which ``node`` is under `if not workflow.in_workflow():` or the
        `else` of `if workflow.in_workflow():` (or after `if workflow.in_workflow(): return`):
        code a helper runs only when it is called from outside those engines' workflow code.
        The check is an engine's own: in another engine's workflow that branch runs."""
        parents = self.facts.parents
        outside = _NONE
        child, current = node, parents.get(node)
        while current is not None and current is not self.unit.node:
            if isinstance(current, cst.IndentedBlock):
                outside |= self._after_in_workflow_exit(current, child)
            if isinstance(current, (cst.If, cst.IfExp)) and child is not current.test:
                test, negated = current.test, False
                if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                    test, negated = test.expression, True
                if isinstance(test, cst.Call) and (child is current.orelse) != negated:
                    outside |= self._in_workflow_engines(test)
            child, current = current, parents.get(current)
        return outside

    def _in_workflow_engines(self, test: cst.Call) -> frozenset[str]:
        """The engines whose workflow code `test` (an `in_workflow()` check) tells apart."""
        return IN_WORKFLOW_ENGINES.get(self.resolve(test.func) or "", _NONE)

    def _after_in_workflow_exit(
        self, block: cst.IndentedBlock, statement: cst.CSTNode
    ) -> frozenset[str]:
        """The engines for which an earlier `if workflow.in_workflow(): raise/return` in
        ``block`` ends the function before ``statement``."""
        ended = _NONE
        for earlier in block.body:
            if earlier is statement:
                break
            if (
                isinstance(earlier, cst.If)
                and earlier.orelse is None
                and isinstance(earlier.test, cst.Call)
                and _ends_with_exit(earlier.body)
            ):
                ended |= self._in_workflow_engines(earlier.test)
        return ended


def _ends_with_exit(body: cst.BaseSuite) -> bool:
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    last = statements[-1] if statements else None
    if isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return bool(last.body) and isinstance(last.body[-1], (cst.Raise, cst.Return))
    return False


def _dispatching(method: _Method) -> _Method:
    """Marks a checker hook that also dispatches its node to the registered rules."""
    method.dispatches = True  # type: ignore[attr-defined]
    return method


class WorkflowChecker(cst.CSTVisitor):
    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.index = ctx.facts.index
        # Call node -> the codes reported for it -> for which engines.
        self.reported_calls: dict[int, dict[str, frozenset[str]]] = {}
        # Names and attribute chains reported as an API on any use (`banned-api` entries),
        # and for which engines.
        self.reported_references: dict[int, frozenset[str]] = {}

    # -- entry -----------------------------------------------------------------------------

    def run(self) -> None:
        start = len(self.ctx.findings)
        unit = self.ctx.unit
        if unit is _first_unit_of(self.ctx.facts, unit.framework):
            for code, check in _PER_FILE:
                run_check(code, check, self.ctx, self.ctx.facts.module)
        self._run()
        _merge_repeated_causes(self.ctx, start)

    def _run(self) -> None:
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
        self._check_unit(node)
        self._push(self._scope_for(node))
        walk(node.body, self)
        self.ctx.scopes.pop()

    def _check_unit(self, node: cst.FunctionDef | cst.Lambda) -> None:
        """WF502: an `async def` workflow of a generator-based engine."""
        if getattr(node, "asynchronous", None) is not None and self.ctx.unit.framework.generator_based:
            self.ctx.report(node.name, ASYNC_WORKFLOW, self.ctx.unit.qualname)  # type: ignore[union-attr]

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
        self._walk_header(node)
        self._push(self._scope_for(node))
        walk(node.body, self)
        self.ctx.scopes.pop()
        return False

    def _walk_header(self, node: cst.FunctionDef) -> None:
        # Decorators and defaults run in the enclosing scope, the body in the function's own.
        for decorator in node.decorators:
            walk(decorator, self)
        for param in _all_params(node.params):
            if param.default is not None:
                walk(param.default, self)

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
        # For the engines that judged the chain as an API, it is one use: not looked into.
        judged = self._check_reference(node)
        if not judged:
            self._attribute_uses(node)
        elif judged != self.ctx.engines:
            with self.ctx.only(self.ctx.engines - judged):
                self._attribute_uses(node)
        return False

    def _attribute_uses(self, node: cst.Attribute) -> None:
        run_check(NONDETERMINISTIC_HELPER, self._check_implicit_calls, node)
        # Only the receiver is a use of a name; `.attr` is not.
        walk(node.value, self)

    def visit_Name(self, node: cst.Name) -> None:
        self._check_reference(node)

    def _check_reference(self, node: cst.BaseExpression) -> frozenset[str]:
        """Report a name or chain flagged on any use: for each engine, the first catalog
        entry for it; the engines it was judged for."""
        resolved = self.ctx.resolve_full(node)
        # A value the workflow computed or aliased itself was reported where it was read.
        if (
            resolved is None
            or resolved.instance
            or self.ctx.in_unit(resolved.bound_in)
        ):
            return _NONE
        remaining = self.ctx.engines
        for rule, api in self.ctx.catalog.lookup(resolved.qualified):
            hit = remaining & api.frameworks if api.use == "any" else _NONE
            if hit:
                self.ctx.report(node, rule.code, api.name, qualified=api.name, engines=hit)
                remaining -= hit
                if not remaining:
                    break
        judged = self.ctx.engines - remaining
        if judged:
            self.reported_references[id(node)] = judged
        return judged

    # -- calls -------------------------------------------------------------------------------

    @_dispatching
    def leave_Call(self, original_node: cst.Call) -> None:
        node = original_node
        func = node.func
        resolved = None
        if isinstance(func, (cst.Name, cst.Attribute)):
            resolved = self.ctx.resolve_full(func)
            # A callee already reported as an API (a `banned-api` entry that is also a project
            # helper) is not reported a second time as a helper (WF604), for the engines it
            # was reported for.
            judged = self._check_call_api(node, resolved) if resolved is not None else _NONE
            judged |= self.reported_references.get(id(func), _NONE)
            if not judged:
                run_check(NONDETERMINISTIC_HELPER, self._follow_project_call, node)
            elif not self.ctx.engines <= judged:
                with self.ctx.only(self.ctx.engines - judged):
                    run_check(NONDETERMINISTIC_HELPER, self._follow_project_call, node)
        elif isinstance(func, cst.Call):
            # `functools.partial(helper, x)()`
            run_check(NONDETERMINISTIC_HELPER, self._follow_project_call, node)
        if isinstance(func, cst.Attribute):
            for rule, api in self.ctx.catalog.lookup_method(func.attr.value):
                hit = self.ctx.engines & api.frameworks
                if hit:
                    self.ctx.report(node, rule.code, _render(func) + "()", engines=hit)
        if node.args:
            # Any API rule may be the one a passed function is for: no single rule to blame.
            run_check("", self._check_passed_functions, node, resolved)
        self._dispatch(_LEAVE, node)

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
            if slot not in slots or not isinstance(arg.value, (cst.Name, cst.Attribute, cst.Call)):
                continue
            # A project function passed by reference runs here: `sorted(xs, key=_rank)`.
            target = self.ctx.project.target_of(arg.value, self.ctx.scope, self.ctx.facts)
            if target is not None:
                caller = _render(func) if isinstance(func, (cst.Name, cst.Attribute)) else "..."
                passed = "partial(...)" if isinstance(arg.value, cst.Call) else _render(arg.value)
                shown = f"{caller}() calling {passed}"
                run_check(
                    NONDETERMINISTIC_HELPER, self._follow, arg.value, target, False, shown, PASSED
                )
                continue
            if isinstance(arg.value, cst.Call):
                continue
            resolved = self.ctx.resolve_full(arg.value)
            if resolved is None or resolved.instance:
                continue
            # Called with one argument per element: `map(time.localtime, stamps)` reads no
            # clock, so patterns that only flag calls without arguments do not apply.
            for rule, engines in self._rules_for(resolved.qualified, args=1):
                self.ctx.report(
                    arg.value,
                    rule.code,
                    display_name(resolved.qualified) + "()",
                    qualified=resolved.qualified,
                    form=PASSED,
                    engines=engines,
                )

    def _check_call_api(self, node: cst.Call, resolved: Resolved) -> frozenset[str]:
        """Report catalogued APIs; the engines for which the call was judged by the catalog."""
        ctx = self.ctx
        receiver = _receiver_call(node.func)
        # `DB.execute(q).fetchone()`: what the first call was reported for is not repeated.
        already = self.reported_calls.get(id(receiver), {}) if receiver else {}
        if resolved.instance and resolved.origin and ctx.catalog.is_handle(resolved.origin):
            made_here = resolved.constructed and (
                resolved.bound_in is None or ctx.in_unit(resolved.bound_in)
            )
            if not made_here:
                # A handle (client, file, generator) made at import time or passed in does
                # its API's work on every use from workflow code: `DB.execute(...)`.
                handle_rules = _unreported(self._rules_for(resolved.origin), already)
                self._report_call(node, handle_rules, _render(node.func), resolved.origin)
                return ctx.engines
        # Members of a value (`Path(p).read_text`) match exact entries only: wildcards name a
        # module's functions, not the methods of what they return (`random.choice(x).title()`).
        rules = _unreported(
            self._rules_for(resolved.qualified, _given_args(node), exact_only=resolved.instance),
            already,
        )
        if not rules:
            return _NONE
        self._report_call(node, rules, display_name(resolved.qualified), resolved.qualified)
        return frozenset().union(*(engines for _, engines in rules))

    def _report_call(
        self, node: cst.Call, rules: list[tuple[Rule, frozenset[str]]], name: str, qualified: str
    ) -> None:
        reported: dict[str, frozenset[str]] = {}
        for rule, engines in rules:
            if engines:
                self.ctx.report(node, rule.code, name + "()", qualified=qualified, engines=engines)
                reported[rule.code] = reported.get(rule.code, _NONE) | engines
        if reported:
            self.reported_calls[id(node)] = reported

    def _rules_for(
        self, origin: str, args: int | None = None, exact_only: bool = False
    ) -> list[tuple[Rule, frozenset[str]]]:
        """The rules whose call patterns name ``origin`` (``exact_only``: no wildcard
        patterns): for a call with ``args`` arguments, or whatever their argument conditions
        (None); each with the engines it applies to (a rule once per engine, at its first
        entry for the engine)."""
        rules: list[tuple[Rule, frozenset[str]]] = []
        claimed: dict[str, frozenset[str]] = {}
        for rule, api in self.ctx.catalog.lookup(origin, exact_only=exact_only):
            if api.use != "call":
                continue
            hit = (self.ctx.engines & api.frameworks) - claimed.get(rule.code, _NONE)
            if hit and (args is None or api.max_args is None or args <= api.max_args):
                rules.append((rule, hit))
                claimed[rule.code] = claimed.get(rule.code, _NONE) | hit
        return rules

    def _follow_project_call(self, node: cst.Call) -> None:
        """WF604/WF605: a call into the project's own code."""
        ctx = self.ctx
        target = ctx.project.target_of(node.func, ctx.scope, ctx.facts)
        if target is None:
            self._check_construction(node)
            return
        shown = ""
        if not isinstance(node.func, cst.Name) or node.func.value != target.node_name:
            # `stamp_now()` of a partial, `clock_ms()` of a lambda, `partial(f, x)()`
            shown = f"{_render(node.func) if not isinstance(node.func, cst.Call) else 'partial(...)'}()"
            if shown.rsplit(".", 1)[-1] == f"{target.node_name}()":
                shown = ""
        self._follow(node, target, direct=True, shown=shown)

    def _follow(
        self,
        node: cst.CSTNode,
        target: Callee,
        direct: bool = False,
        shown: str = "",
        form: str = "call",
    ) -> None:
        """Project code that runs at ``node``, unless it is workflow code (checked where it
        is written) or sits under `if not ctx.is_replaying:` (it runs once, not on replays):
        see :meth:`_runs`."""
        if target.in_workflow:
            return
        if in_replay_guard(node, self.ctx.facts.parents):
            return
        self._runs(node, target, direct, shown, form)

    def _runs(self, node: cst.CSTNode, target: Callee, direct: bool, shown: str, form: str) -> None:
        """``target`` runs at ``node`` in workflow code: reported with the shortest chain to
        what makes it unsafe. ``direct``: called by name here (an activity called so is
        WF605); ``shown``: how the code that runs it reads when that is not a call of the
        function by its name."""
        ctx = self.ctx
        if target.is_activity:
            if direct:
                ctx.report(node, DIRECT_ACTIVITY_CALL, target.qualname + "()")
            return
        chain = ctx.project.chain(target, ctx.unit.framework.name)
        if chain is None:
            return
        names = " -> ".join(f"{step.qualname}()" for step in chain.steps)
        reason = chain.reason
        shown = shown or f"{target.qualname}()"
        explained = f"{names} -> {reason.api} [{reason.code}]"
        others = chain.total_reasons - 1
        if others:
            explained += f" (and {others} other reason{'s' if others != 1 else ''})"
        steps = tuple(f"{step.qualname}() ({ctx.project.location(step)})" for step in chain.steps)
        steps += (f"{reason.api} [{reason.code}] ({reason.path}:{reason.line}:{reason.column})",)
        ctx.report(node, NONDETERMINISTIC_HELPER, shown, explained, chain=steps, form=form)

    def _check_construction(self, node: cst.Call) -> None:
        """`Payment(...)` of a dataclass or model without `__init__`: its fields'
        `default_factory=uuid.uuid4` (or `factory=`) run at construction, in the workflow,
        unless the call passes that field; a dataclass's `__post_init__` runs too."""
        ctx = self.ctx
        found = ctx.project.class_of(node.func, ctx.scope, ctx.facts)
        if found is None:
            return
        facts, cls = found
        hook = _post_init_hook(cls)
        if hook is not None:
            post_init = ctx.project.special_method(facts, cls, hook)
            if post_init is not None:
                self._follow(node, post_init, shown=f"{cls.name.value}() (its `{hook}`)")
        self._check_field_factories(node, facts, cls)

    def _check_field_factories(self, node: cst.Call, facts: ModuleFacts, cls: cst.ClassDef) -> None:
        """The first default factory of ``cls`` that runs at ``node`` and that a rule flags."""
        ctx = self.ctx
        if ctx.project.vouched_for(facts, cls, cls.name.value):
            return
        live = ctx.engines
        scope = facts.index.module_scope
        given, positional, unpacks = _given_fields(node)
        for position, name, factory in _field_factories(cls):
            if unpacks or name in given or (not cls.bases and position < positional):
                continue  # the factory (maybe) never runs: the caller gives the value
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
                for rule, engines in self._rules_for(resolved.qualified, args=0):
                    if not engines & live:
                        continue
                    where = facts.positions[func].start
                    api_name = display_name(resolved.qualified) + "()"
                    cls_name = cls.name.value
                    ctx.report(
                        node,
                        NONDETERMINISTIC_HELPER,
                        f"{cls_name}()",
                        f"{api_name} [{rule.code}]",
                        qualified=FIELD_DEFAULT,
                        chain=(
                            f"{cls_name}() ({facts.path}:{facts.positions[cls.name].start.line})",
                            f"{api_name} [{rule.code}] ({facts.path}:{where.line}:{where.column + 1})",
                        ),
                        engines=engines & live,
                    )
                    live -= engines
                    if not live:
                        return

    def _check_implicit_calls(self, node: cst.Attribute) -> None:
        """`order.total` where `total` is a project `@property`: reading it runs the getter."""
        parent = self.ctx.facts.parents.get(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            return  # a method call: followed as a call
        if isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.Del)):
            return
        resolved = self.ctx.resolve_full(node)
        if resolved is None:
            return
        project, directory = self.ctx.project, self.ctx.facts.directory
        if resolved.instance:
            target = project.definition(resolved.qualified, directory)
        else:
            # `CONFIG.region` with `CONFIG = Settings()` in (or imported from) a project module
            target = project.instance_member(resolved.qualified, directory)
        if target is not None and target.is_property:
            self._follow(node, target, shown=f"reading the property `.{node.attr.value}`")

    def visit_With(self, node: cst.With) -> None:
        """`with Timer():` runs the project class's `__enter__` and `__exit__` here."""
        ctx = self.ctx
        names = ("__aenter__", "__aexit__") if node.asynchronous else ("__enter__", "__exit__")
        for item in node.items:
            expr = item.item
            found = None
            if isinstance(expr, cst.Call):
                found = ctx.project.class_of(expr.func, ctx.scope, ctx.facts)
            elif isinstance(expr, (cst.Name, cst.Attribute)):
                resolved = ctx.resolve_full(expr)
                if resolved is not None and resolved.instance:
                    found = ctx.project.class_of_name(resolved.qualified, ctx.facts)
            if found is None:
                continue
            for name in names:
                method = ctx.project.special_method(found[0], found[1], name)
                if method is not None:
                    shown = f"`with {_render(expr.func) if isinstance(expr, cst.Call) else _render(expr)}`"
                    run_check(
                        NONDETERMINISTIC_HELPER,
                        self._follow, expr, method, False, shown, CONTEXT_MANAGER,
                    )

    # -- structural rules (wfcheck.checks) ----------------------------------------------------

    def _dispatch(self, table: dict[type, list[tuple[str, Check]]], node: cst.CSTNode) -> None:
        for code, check in table.get(type(node), ()):
            run_check(code, check, self.ctx, node)


# Node type -> the registered checks for it, in registration order.
_VISIT: dict[type, list[tuple[str, Check]]] = {}
_LEAVE: dict[type, list[tuple[str, Check]]] = {}
_PER_FILE: list[tuple[str, Check]] = []
for _rule in RULES:
    for _kind, _check in _rule.visit.items():
        _VISIT.setdefault(_kind, []).append((_rule.code, _check))
    for _kind, _check in _rule.leave.items():
        _LEAVE.setdefault(_kind, []).append((_rule.code, _check))
    if _rule.per_file is not None:
        _PER_FILE.append((_rule.code, _rule.per_file))


def _install_hooks() -> None:
    """A `visit_<Node>`/`leave_<Node>` for each node type a rule handles. Types the checker
    itself handles dispatch from its own method (it calls `_dispatch` first)."""
    for table, prefix in ((_VISIT, "visit_"), (_LEAVE, "leave_")):
        for kind in table:
            name = prefix + kind.__name__
            own = WorkflowChecker.__dict__.get(name)
            if own is not None:
                if not getattr(own, "dispatches", False):
                    raise TypeError(f"WorkflowChecker.{name} must dispatch to the registered rules")
                continue

            def hook(self: WorkflowChecker, node: cst.CSTNode, table=table) -> None:
                self._dispatch(table, node)

            hook.__name__ = name
            setattr(WorkflowChecker, name, hook)


_install_hooks()

class EffectsContext(CheckContext):
    """A helper summarised for every engine at once: a finding becomes a :class:`Reason`
    (with the engines whose catalog entries flag it, where the helper's own module does not
    suppress it), and project code it runs becomes an :class:`Edge` (with the engines under
    which it runs there); the callees' trees are kept apart, for summarising them in turn.

    The unit is engine-free (:data:`~wfcheck.frameworks.NO_ENGINE`): a structural
    rule a helper carries (none today: they are all WF6xx) that depends on the engine must
    say for which engines it reports (``engines=``), as the catalog look-ups do."""

    def __init__(
        self,
        target: Target,
        catalog: Catalog,
        enabled: frozenset[str],
        project: ProjectIndex,
        engines: frozenset[str] = ALL_ENGINES,
    ) -> None:
        super().__init__(helper_unit(target), target.facts, catalog, enabled, [], project, engines)
        self.reasons: list[Reason] = []
        self.calls: list[Edge] = []
        self.callees: list[Callee] = []
        self._called: dict[FunctionRef, frozenset[str]] = {}

    def report(
        self,
        node: cst.CSTNode,
        code: str,
        api: str,
        verb: str = "",
        chain: tuple[str, ...] = (),
        qualified: str = "",
        form: str = "call",
        engines: frozenset[str] | None = None,
    ) -> None:
        engines = self.engines if engines is None else engines & self.engines
        if engines and code in self.enabled:
            engines -= self._outside_workflow_branch(node)
        if not engines or code not in self.enabled:
            return
        facts = self.facts
        start = facts.positions[node].start
        if facts.line_suppresses(start.line, code):
            return
        guard = NOT_REPLAYING if in_replay_guard(node, facts.parents) else ""
        self.reasons.append(
            Reason(code, api, facts.path, start.line, start.column + 1, _interned(engines), guard)
        )

    def call(self, target: Callee) -> None:
        """``target`` runs here for the current engines. A callee already met for an engine
        is not recorded again for it (a breadth-first search would skip it anyway)."""
        ref = target.ref
        seen = self._called.get(ref, _NONE)
        engines = self.engines - seen
        if engines:
            self._called[ref] = seen | engines
            self.calls.append(Edge(ref, _interned(engines)))
            if not seen:
                self.callees.append(target)

    def summary(self) -> Summary:
        return Summary(tuple(self.reasons), tuple(self.calls))


# One object per set of engines, shared by every reason and call that has it.
_ENGINE_SETS: dict[frozenset[str], frozenset[str]] = {}


def _interned(engines: frozenset[str]) -> frozenset[str]:
    return _ENGINE_SETS.setdefault(engines, engines)


class HelperChecker(WorkflowChecker):
    """Walks a helper to summarise it: like workflow code, but for every engine, with calls
    into the project recorded as edges instead of followed, and only the rules a helper can
    carry to its callers (WF1xx-WF5xx) run."""

    ctx: EffectsContext

    def run(self) -> None:
        self._run()

    def _check_unit(self, node: cst.FunctionDef | cst.Lambda) -> None:
        pass  # WF502 is about a workflow's own signature

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        # A helper's nested function runs when it is called (followed as a call), not when
        # it is defined: one only handed to a thread is not the helper's doing.
        self._walk_header(node)
        return False

    def _runs(self, node: cst.CSTNode, target: Callee, direct: bool, shown: str, form: str) -> None:
        # An edge, for the engines whose workflow code runs it here (not those whose
        # `if not workflow.in_workflow():` branch it sits in).
        ctx = self.ctx
        engines = ctx.engines - ctx._outside_workflow_branch(node)
        if engines:
            with ctx.only(engines):
                ctx.call(target)

    def _check_field_factories(self, node: cst.Call, facts: ModuleFacts, cls: cst.ClassDef) -> None:
        pass  # reported at the workflow's own construction of the class (WF604), not carried

    def _dispatch(self, table: dict[type, list[tuple[str, Check]]], node: cst.CSTNode) -> None:
        # A structural rule whose code a helper cannot carry could only report what is
        # dropped: it is not run.
        enabled = self.ctx.enabled
        for code, check in table.get(type(node), ()):
            if code in enabled:
                run_check(code, check, self.ctx, node)


def summarize(
    target: Target,
    catalog: Catalog,
    enabled: frozenset[str],
    project: ProjectIndex,
    engines: frozenset[str] = ALL_ENGINES,
) -> tuple[Summary, list[Callee]]:
    """What a project function does itself (WF1xx-WF5xx findings) and which project functions
    it calls, for every engine (or only ``engines``: what the tests compare with); line
    suppressions in the helper's own module apply. The callees met come back too (they hold
    the trees to summarise them with)."""
    transitive = frozenset(code for code in enabled if TRANSITIVE_CODES.match(code))
    ctx = EffectsContext(target, catalog, transitive, project, engines)
    HelperChecker(ctx).run()
    # A project decorator's wrapper runs whenever the decorated function is called.
    for wrapper in project.decorator_wrappers(target):
        ctx.call(wrapper)
    return ctx.summary(), ctx.callees


def _first_unit_of(facts: ModuleFacts, framework: FrameworkSpec) -> WorkflowUnit | None:
    """The module's first workflow unit of an engine: where once-per-file checks run."""
    return next((u for u in facts.units if u.framework.name == framework.name), None)


def _merge_repeated_causes(ctx: CheckContext, start: int) -> None:
    """One WF604 finding per root cause in a workflow: the same helper, called the same way,
    reaching the same reason from several call sites is reported at the first, naming the
    others. A call site
    with its own suppression comment keeps its finding (the comment decides about it)."""
    findings = ctx.findings
    first: dict[tuple[object, ...], Finding] = {}
    others: dict[int, list[int]] = {}
    kept: list[Finding] = []
    positions = ctx.facts.positions
    for finding in findings[start:]:
        if finding.code != NONDETERMINISTIC_HELPER or not finding.chain:
            kept.append(finding)
            continue
        line = positions[finding.node].start.line
        if ctx.facts.line_suppresses(line, NONDETERMINISTIC_HELPER):
            kept.append(finding)
            continue
        # The same helper spelled the same way: `label_for(...)` and `labels.make_label(...)`
        # stay apart (each is how a reader finds the call).
        func = finding.node.func if isinstance(finding.node, cst.Call) else finding.node
        spelled = dotted_name(func) if isinstance(func, cst.BaseExpression) else None
        key = (spelled or type(func).__name__, *finding.chain)
        leader = first.get(key)
        if leader is None:
            first[key] = finding
            kept.append(finding)
        elif line != positions[leader.node].start.line:
            others.setdefault(id(leader), []).append(line)
    for index, finding in enumerate(kept):
        lines = sorted(set(others.get(id(finding), ())))
        if lines:
            listed = ", ".join(str(n) for n in lines)
            also = f" (also called at line{'s' if len(lines) > 1 else ''} {listed})"
            kept[index] = replace(finding, verb=finding.verb + also)
    findings[start:] = kept


def _unreported(
    rules: list[tuple[Rule, frozenset[str]]], already: dict[str, frozenset[str]]
) -> list[tuple[Rule, frozenset[str]]]:
    """``rules`` less the engines each was already reported for (at the receiver's call)."""
    left = [(rule, engines - already.get(rule.code, _NONE)) for rule, engines in rules]
    return [(rule, engines) for rule, engines in left if engines]


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


def _field_factories(cls: cst.ClassDef) -> list[tuple[int, str, cst.BaseExpression]]:
    """The default factories a class body's fields name (`x: T = field(default_factory=f)`),
    with the field's position among the annotated fields and its name."""
    factories: list[tuple[int, str, cst.BaseExpression]] = []
    position = 0
    for statement in cls.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.AnnAssign):
                name = small.target.value if isinstance(small.target, cst.Name) else ""
                index, position = position, position + 1
            elif isinstance(small, cst.Assign):
                target = small.targets[0].target
                name, index = (target.value if isinstance(target, cst.Name) else ""), -1
            else:
                continue
            value = small.value
            if isinstance(value, cst.Call):
                factories += [
                    (index if index >= 0 else 1 << 30, name, arg.value)
                    for arg in value.args
                    if arg.keyword is not None and arg.keyword.value in _FACTORY_KEYWORDS
                ]
    return factories


def _given_fields(call: cst.Call) -> tuple[set[str], int, bool]:
    """The keyword names a construction passes, how many positional arguments, and whether
    it unpacks `*args`/`**kwargs` (then any field may be given)."""
    names: set[str] = set()
    positional = 0
    unpacks = False
    for arg in call.args:
        if arg.star:
            unpacks = True
        elif arg.keyword is not None:
            names.add(arg.keyword.value)
        else:
            positional += 1
    return names, positional, unpacks


def _post_init_hook(cls: cst.ClassDef) -> str | None:
    """The hook a generated `__init__` calls: dataclasses' `__post_init__`, attrs'
    `__attrs_post_init__`."""
    for name in decorator_names(cls):
        last = name.rsplit(".", 1)[-1]
        if last == "dataclass":
            return "__post_init__"
        if last in ("define", "frozen", "mutable", "s", "attrs"):
            return "__attrs_post_init__"
    return None


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


__all__ = [
    "CheckContext",
    "CheckFailed",
    "EffectsContext",
    "Finding",
    "HelperChecker",
    "WorkflowChecker",
    "run_check",
    "summarize",
]


def _given_args(call: cst.Call) -> int:
    """Arguments that say something: `None` is the default of every argument `max_args`
    patterns look at (`random.Random(None)` seeds from the OS like `random.Random()`)."""
    return sum(
        1
        for arg in call.args
        if not (isinstance(arg.value, cst.Name) and arg.value.value == "None")
    )
