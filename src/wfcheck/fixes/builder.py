"""From a finding to a `Fix`: the engine's replay-safe API where one exists, else a generated
activity (see :mod:`wfcheck.fixes.extract`).

Every fix states its applicability on two axes, from the rows of rules/fixes/rewrites.toml.
Meaning: *safe*, after the fix the workflow computes the same thing on its first run and
replays deterministically; *unsafe*, the meaning shifts (local time becomes UTC, an order
changes, the workflow now waits) or the fix cannot verify its value is serializable;
*display-only*, no correct rewrite exists here and the message says why. History: *keeps*,
an instance started with the old code replays the fixed code; *changes*, the fix adds or
reorders a durable command, so it is versioned (:mod:`wfcheck.fixes.versioned`) or left to
`--unsafe-fixes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.analysis.findings import CONTEXT_MANAGER, PASSED
from wfcheck.catalog import load_fix_catalog
from wfcheck.checks import sandbox_imports
from wfcheck.checks.logging import in_replay_guard
from wfcheck.diagnostics import Edit, Fix
from wfcheck.fixes.imports import SYMBOLS, ImportPlanner

if TYPE_CHECKING:
    from wfcheck.analysis.findings import Finding
    from wfcheck.fixes.plan import PlanContext

SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display-only"
KEEPS, CHANGES = "keeps", "changes"

# `random` module functions that `random.Random` (and so `workflow.random()`) also offers.
_RANDOM_METHODS = frozenset(
    {"random", "uniform", "randint", "randrange", "choice", "choices", "sample", "shuffle",
     "gauss", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
     "gammavariate", "betavariate", "paretovariate", "weibullvariate", "triangular",
     "getrandbits", "randbytes", "binomialvariate"}
)
_UTC_NAMES = frozenset({"datetime.timezone.utc", "datetime.UTC", "pytz.utc", "pytz.UTC"})


class FixSite:
    """Where a finding sits, as far as rewriting it is concerned."""

    def __init__(self, ctx: PlanContext, node: cst.CSTNode) -> None:
        self.ctx = ctx
        self.node = node
        self.facts = ctx.facts
        self.unit = ctx.unit
        self.spec = ctx.unit.framework
        self.scope = ctx.scope
        # Directly in the workflow function's (or Temporal method's) own body, where a
        # `yield`/`await` belongs to the workflow itself.
        base = 3 if isinstance(ctx.unit.node, cst.ClassDef) else 2
        self.direct = len(ctx.scopes) == base
        self.imports = ImportPlanner(self.facts, self.spec.modules)

    @property
    def method(self) -> cst.FunctionDef | None:
        node = self.ctx.scopes[-1].node if self.direct else None
        return node if isinstance(node, cst.FunctionDef) else None

    def wait_problem(self) -> str | None:
        """Why a `yield`/`await` cannot be written here; None when it can."""
        keyword = self.spec.wait_keyword
        method = self.method
        if not self.direct or method is None:
            return f"`{keyword}` is not possible in a nested function, lambda or comprehension"
        if (keyword == "await") != (method.asynchronous is not None):
            return f"`{keyword}` is not possible in this function"
        if in_replay_guard(self.node, self.facts.parents):
            return (
                "the code runs only when the engine is not replaying: a task scheduled there "
                "would be missing from every replay"
            )
        current = self.facts.parents.get(self.node)
        while current is not None and current is not method:
            if isinstance(current, cst.Finally):
                return f"a `{keyword}` in a `finally:` block would run while the workflow is closed"
            current = self.facts.parents.get(current)
        return None

    def in_query_only(self) -> bool:
        """Is the node in a query handler of a workflow class, or in a method of it that only
        query handlers call (`self.helper()`)? Queries are not replayed and cannot wait."""
        unit = self.unit.node
        if not isinstance(unit, cst.ClassDef) or len(self.ctx.scopes) < 3:
            return False
        method = self.ctx.scopes[2].node
        if not isinstance(method, cst.FunctionDef):
            return False
        return method.name.value in _query_only_methods(self, unit)

    def loop_waits(self) -> bool:
        """Does the loop (or comprehension) that iterates the node schedule durable tasks or
        wait? Then iterating in another order reorders the history."""
        parent = self.facts.parents.get(self.node)
        body: list[cst.CSTNode] = []
        if isinstance(parent, cst.For):
            body = [parent.body]
        elif isinstance(parent, cst.CompFor):
            comprehension = self.facts.parents.get(parent)
            while isinstance(comprehension, cst.CompFor):
                comprehension = self.facts.parents.get(comprehension)
            body = [comprehension] if comprehension is not None else []
        finder = _WaitFinder(self.spec.task_methods)
        for part in body:
            part.visit(finder)
        return finder.found

    def makes_generator(self, fix: Fix) -> bool:
        """Does ``fix`` put the first `yield` into a plain workflow function?"""
        method = self.method
        return (
            self.spec.wait_keyword == "yield"
            and method is not None
            and not self.facts.index.scope_of(method).has_yield
            and any("yield" in edit.content for edit in fix.edits)
        )

    def context_name(self) -> str | None:
        """The workflow's context parameter, if it is visible here unshadowed."""
        name = self.unit.context_param
        if not name:
            return None
        owner = self.scope.owner_of(name)
        return name if owner is not None and owner is self.ctx.scopes[1] else None

    def render(self, template: str, **values: str) -> str | None:
        """Fill a spec template; None when it needs a context parameter that is not here."""
        if "{ctx}" in template:
            ctx_name = self.context_name()
            if ctx_name is None:
                return None
            values["ctx"] = ctx_name
        for symbol in (*SYMBOLS, *self.spec.modules):
            if "{" + symbol + "}" in template and symbol not in values:
                spelling = self.symbol(symbol)
                if spelling is None:
                    return None
                values[symbol] = spelling
        return template.format(**values)

    def symbol(self, symbol: str) -> str | None:
        """How to spell an importable name (`timezone`, `workflow`, ...) at this site."""
        return self.imports.name(symbol, self.scope)

    def code(self, node: cst.CSTNode) -> str:
        return self.facts.module.code_for_node(node)

    def replace(self, node: cst.CSTNode, content: str) -> list[Edit]:
        where = self.facts.positions[node]
        edit = Edit(
            content,
            where.start.line,
            where.start.column + 1,
            where.end.line,
            where.end.column + 1,
        )
        return [edit] + self.imports.edits


class _WaitFinder(cst.CSTVisitor):
    """Finds a `yield`, an `await` or a call of a task method (`ctx.call_activity(...)`)."""

    def __init__(self, task_methods: frozenset[str]) -> None:
        self.task_methods = task_methods
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False

    def visit_Await(self, node: cst.Await) -> bool:
        self.found = True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.task_methods:
            self.found = True


def _query_only_methods(site: FixSite, cls: cst.ClassDef) -> frozenset[str]:
    """The methods of a workflow class that run only for queries: the query handlers, and the
    methods called (as `self.name(...)`) from them and from nowhere else."""
    methods = {
        statement.name.value: statement
        for statement in cls.body.body
        if isinstance(statement, cst.FunctionDef)
    }
    class_scope = site.facts.index.scope_of(cls)
    queries = set()
    for name, method in methods.items():
        for decorator in method.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            resolved = site.facts.resolver.expr(target, class_scope)
            if resolved is not None and resolved.qualified in site.spec.query_decorators:
                queries.add(name)
    if not queries:
        return frozenset()
    callers: dict[str, set[str]] = {name: set() for name in methods}
    for name, method in methods.items():
        for called in _self_calls(method):
            if called in callers and called != name:
                callers[called].add(name)
    only = set(queries)
    changed = True
    while changed:
        changed = False
        for name in methods:
            if name not in only and callers[name] and callers[name] <= only:
                only.add(name)
                changed = True
    return frozenset(only)


class _SelfCalls(cst.CSTVisitor):
    def __init__(self, self_name: str) -> None:
        self.self_name = self_name
        self.names: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value == self.self_name:
            self.names.add(node.attr.value)


def _self_calls(method: cst.FunctionDef) -> set[str]:
    """The attributes of `self` a method uses (calls or references to other methods)."""
    params = method.params.params
    if not params:
        return set()
    finder = _SelfCalls(params[0].name.value)
    method.body.visit(finder)
    return finder.names


def build_fix(ctx: PlanContext, finding: Finding) -> Fix | None:
    node, code, qualified = finding.node, finding.code, finding.qualified
    if finding.form == PASSED:
        return _why_not("passed-function")
    if finding.form == CONTEXT_MANAGER:
        return _why_not("context-manager")
    if code == sandbox_imports.CODE:
        return sandbox_imports.passthrough_fix(ctx)
    fixes = load_fix_catalog()
    if ctx.unit.engine_guessed and code not in fixes.engine_free:
        # The engines' context APIs differ (`new_uuid`, aware or naive time, timers): a
        # rewrite for a guessed engine could call what the real one lacks.
        return _why_not("guessed-engine")
    site = FixSite(ctx, node)
    if code == "WF101" and site.in_query_only():
        return _why_not("query-handler")
    if code in fixes.replaces_value and in_replay_guard(node, site.facts.parents):
        return _why_not("replay-guarded")
    builder = _BUILDERS.get(code)
    fix = builder(site, code, qualified) if builder is not None else None
    if fix is None and code in fixes.extractable:
        from wfcheck.fixes.extract import extract_fix

        # Start the imports afresh: a replacement that gave up may have planned some.
        site.imports = ImportPlanner(site.facts, site.spec.modules)
        fix = extract_fix(site, code, qualified)
    if fix is not None and fix.applicability == SAFE and site.makes_generator(fix):
        fix = replace(
            fix,
            applicability=UNSAFE,
            message=fix.message + " (the workflow becomes a generator: a generator it returns "
            "from another function must then be `yield from` it)",
        )
    if fix is not None and fix.edits and fix.history == CHANGES:
        from wfcheck.fixes.versioned import version

        fix = version(site, finding, fix)
    return fix


def _why_not(key: str) -> Fix:
    return Fix(DISPLAY, f"No automatic fix: {load_fix_catalog().why_not(key)}")


def _from_row(
    site: FixSite, code: str, qualified: str, case: str, target: cst.CSTNode, content: str | None,
    say: str | None = None,
) -> Fix | None:
    """The fix a catalog row describes: replace ``target`` with ``content``, labelled with the
    row's meaning and history and explained by its `why`."""
    if content is None:
        return None
    row = load_fix_catalog().row(code, qualified, case)
    if row is None:
        return None
    what = say if say is not None else f"Replace with `{content}`"
    return Fix(
        row.meaning, f"{what} ({row.why})", tuple(site.replace(target, content)), row.history
    )


# -- WF101 wall clock ----------------------------------------------------------------------


def _clock(site: FixSite, code: str, qualified: str) -> Fix | None:
    call = site.node
    if not isinstance(call, cst.Call) or site.spec.now_template is None:
        return None
    args = call.args
    if not args:
        case = "no-args"
    elif len(args) == 1 and (args[0].keyword is None or args[0].keyword.value == "tz"):
        tz = args[0].value
        if site.ctx.resolve(tz) in _UTC_NAMES:
            case = "tz-utc"
        elif isinstance(tz, cst.Name) and tz.value == "None":
            case = "tz-none"
        else:
            # A variable may hold None, for which `now()` meant naive local time.
            case = "tz-call" if isinstance(tz, cst.Call) else "tz-variable"
    else:
        return None
    row = load_fix_catalog().row(code, qualified, case)
    if row is None:
        return None
    now = site.render(site.spec.now_template)
    if now is None:
        return None
    aware = site.spec.now_is_aware

    def utc_aware(form: str = "{}") -> str | None:
        """``form`` around the current time as an aware UTC datetime."""
        if aware:
            return form.format(now)
        timezone = site.symbol("timezone")
        return form.format(f"{now}.replace(tzinfo={timezone}.utc)") if timezone else None

    rewrites: dict[str, Callable[[], str | None]] = {
        "naive-utc": lambda: f"{now}.replace(tzinfo=None)" if aware else now,
        "aware-utc": utc_aware,
        "in-zone": lambda: utc_aware("{}.astimezone(" + site.code(args[0].value) + ")"),
        "utc-date": lambda: f"{now}.date()",
        "epoch-seconds": lambda: utc_aware("{}.timestamp()"),
        "epoch-nanoseconds": lambda: utc_aware("int({}.timestamp() * 1_000_000_000)"),
        "utc-time-tuple": lambda: f"{now}.utctimetuple()",
    }
    return _from_row(site, code, qualified, case, call, rewrites[row.rewrite]())


# -- WF201 / WF202: randomness -----------------------------------------------------------


def _random(site: FixSite, code: str, qualified: str) -> Fix | None:
    call = site.node
    if qualified == "random.seed":
        # Moving the seeding into an activity would seed another process's generator.
        return _why_not("random-seed")
    template = site.spec.random_template
    method = qualified.rpartition(".")[2]
    if template is None or not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        if qualified == "random.shuffle":
            return _why_not("random-shuffle")
        return None
    if not qualified.startswith("random.") or method not in _RANDOM_METHODS:
        return None
    generator = site.render(template)
    if generator is None:
        return None
    new_func = f"{generator}.{method}"
    # `random.seed(42)` first: the original drew a fixed sequence, the rewrite another.
    case = "seeded" if "seed(" in site.code(site.unit.node) else "unseeded"
    return _from_row(
        site, code, qualified, case, call.func, new_func, say=f"Replace with `{new_func}(...)`"
    )


def _uuid(site: FixSite, code: str, qualified: str) -> Fix | None:
    call = site.node
    template = site.spec.uuid_template
    if template is None or not isinstance(call, cst.Call) or call.args:
        return None
    return _from_row(site, code, qualified, "no-args", call, site.render(template))


# -- WF102 blocking sleep ------------------------------------------------------------------


def _sleep(site: FixSite, code: str, qualified: str) -> Fix | None:
    call = site.node
    template = site.spec.sleep_template
    if template is None or not isinstance(call, cst.Call) or len(call.args) != 1:
        return None
    parent = site.facts.parents.get(call)
    if not isinstance(parent, cst.Expr) or call.args[0].keyword is not None:
        return _display(site, "the sleep is not a statement of its own")
    problem = site.wait_problem()
    if problem is not None:
        return _display(site, f"a durable timer needs `{site.spec.wait_keyword}`: {problem}")
    content = site.render(template, seconds=site.code(call.args[0].value))
    return _from_row(site, code, qualified, "statement", call, content)


# -- WF503 asyncio ordering ----------------------------------------------------------------


def _asyncio(site: FixSite, code: str, qualified: str) -> Fix | None:
    call = site.node
    template = site.spec.asyncio_replacements.get(qualified)
    if template is None or not isinstance(call, cst.Call):
        return None
    return _from_row(site, code, qualified, "call", call.func, site.render(template))


# -- WF601 unyielded task ------------------------------------------------------------------


def _unyielded(site: FixSite, code: str, qualified: str) -> Fix | None:
    keyword = site.spec.wait_keyword
    problem = site.wait_problem()
    if problem is not None:
        return _display(site, problem)
    content = f"{keyword} {site.code(site.node)}"
    return _from_row(
        site, code, "unyielded-task", "statement", site.node, content,
        say=f"`{keyword}` the task",
    )


# -- WF602 unordered iteration -------------------------------------------------------------


def _ordering(site: FixSite, code: str, qualified: str) -> Fix | None:
    node = site.node
    if qualified != "set-iteration":
        return None  # hash()/id(): no mechanical rewrite
    if site.scope.owner_of("sorted") is not None:
        return _display(site, "`sorted` is not the builtin here")
    content = f"sorted({site.code(node)})"
    case = "schedules-tasks" if site.loop_waits() else "no-tasks"
    return _from_row(site, code, qualified, case, node, content, say=f"Iterate `{content}`")


def _display(site: FixSite, why: str) -> Fix:
    return Fix(DISPLAY, f"No automatic fix: {why}")


_BUILDERS = {
    "WF101": _clock,
    "WF102": _sleep,
    "WF201": _random,
    "WF202": _uuid,
    "WF503": _asyncio,
    "WF601": _unyielded,
    "WF602": _ordering,
}
