"""From a finding to a `Fix`: the engine's replay-safe API where one exists, else a generated
activity (see :mod:`wfcheck.fixes.extract`).

Every fix states its applicability. *safe*: after the fix the workflow computes the same thing
on its first run and replays deterministically. *unsafe*: the meaning shifts (local time
becomes UTC, an order changes, the workflow now waits) or the fix cannot verify its value is
serializable. *display-only*: no correct rewrite exists here; the message says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.checks.logging import in_replay_guard
from wfcheck.diagnostics import Edit, Fix
from wfcheck.fixes.imports import ImportPlanner

if TYPE_CHECKING:
    from wfcheck.analysis.checker import CheckContext

SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display-only"

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

    def __init__(self, ctx: CheckContext, node: cst.CSTNode) -> None:
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
        self.imports = ImportPlanner(self.facts)

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
        for symbol in ("timedelta", "timezone", "workflow", "uuid", "datetime"):
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


# Fixes that read and write nothing engine-specific.
_ENGINE_FREE = frozenset({"WF601", "WF602"})


def build_fix(ctx: CheckContext, node: cst.CSTNode, code: str, qualified: str) -> Fix | None:
    if ctx.unit.engine_guessed and code not in _ENGINE_FREE:
        # The engines' context APIs differ (`new_uuid`, aware or naive time, timers): a
        # rewrite for a guessed engine could call what the real one lacks.
        return Fix(DISPLAY, "No automatic fix: this file imports no engine, so which API to use is not known")
    site = FixSite(ctx, node)
    builder = _BUILDERS.get(code)
    fix = builder(site, qualified) if builder is not None else None
    if fix is None and code in _EXTRACTABLE:
        from wfcheck.fixes.extract import extract_fix

        # Start the imports afresh: a replacement that gave up may have planned some.
        site.imports = ImportPlanner(site.facts)
        fix = extract_fix(site, code, qualified)
    if fix is not None and fix.applicability == SAFE and site.makes_generator(fix):
        fix = Fix(
            UNSAFE,
            fix.message + " (the workflow becomes a generator: a generator it returns from "
            "another function must then be `yield from` it)",
            fix.edits,
        )
    return fix


def _fix(applicability: str, message: str, edits: list[Edit]) -> Fix:
    return Fix(applicability, message, tuple(edits))


# -- WF101 wall clock ----------------------------------------------------------------------


def _clock(site: FixSite, qualified: str) -> Fix | None:
    call = site.node
    if not isinstance(call, cst.Call) or site.spec.now_template is None:
        return None
    now = site.render(site.spec.now_template)
    if now is None:
        return None
    aware = site.spec.now_is_aware
    args = call.args

    def utc_aware(form: str = "{}") -> str | None:
        """``form`` around the current time as an aware UTC datetime."""
        if aware:
            return form.format(now)
        timezone = site.symbol("timezone")
        return form.format(f"{now}.replace(tzinfo={timezone}.utc)") if timezone else None

    def naive_utc() -> str | None:
        return f"{now}.replace(tzinfo=None)" if aware else now

    if qualified == "datetime.datetime.utcnow" and not args:
        return _replace(site, naive_utc(), SAFE, "naive UTC, as `utcnow()` returns")
    if (
        qualified == "datetime.datetime.now"
        and len(args) == 1
        and (args[0].keyword is None or args[0].keyword.value == "tz")
    ):
        tz = args[0].value
        if site.ctx.resolve(tz) in _UTC_NAMES:
            return _replace(site, utc_aware(), SAFE, "an aware UTC datetime, as `now(utc)` returns")
        if isinstance(tz, cst.Name) and tz.value == "None":
            return _replace(
                site, naive_utc(), UNSAFE, "naive UTC: the original was the worker's local time"
            )
        converted = utc_aware("{}.astimezone(" + site.code(tz) + ")")
        if isinstance(tz, cst.Call):
            return _replace(site, converted, SAFE, "the same instant in that zone")
        # A variable may hold None, for which `now()` meant naive local time.
        return _replace(
            site,
            converted,
            UNSAFE,
            "the same instant in that zone; if the zone is None, the original was naive local time",
        )
    if qualified in ("datetime.datetime.now", "datetime.datetime.today") and not args:
        return _replace(
            site, naive_utc(), UNSAFE, "naive UTC: the original was the worker's local time"
        )
    if qualified == "datetime.date.today" and not args:
        return _replace(
            site, f"{now}.date()", UNSAFE, "the UTC date: the original was the worker's local date"
        )
    if qualified == "time.time" and not args:
        return _replace(site, utc_aware("{}.timestamp()"), SAFE, "seconds since the epoch")
    if qualified == "time.time_ns" and not args:
        return _replace(
            site, utc_aware("int({}.timestamp() * 1_000_000_000)"), SAFE, "nanoseconds since the epoch"
        )
    if qualified in ("time.monotonic", "time.perf_counter") and not args:
        return _replace(
            site,
            utc_aware("{}.timestamp()"),
            UNSAFE,
            "orchestration time: differences hold, absolute values are epoch seconds",
        )
    if qualified == "time.gmtime" and not args:
        return _replace(site, f"{now}.utctimetuple()", SAFE, "the UTC time tuple")
    return None


def _replace(site: FixSite, content: str | None, applicability: str, why: str) -> Fix | None:
    if content is None:
        return None
    return _fix(applicability, f"Replace with `{content}` ({why})", site.replace(site.node, content))


# -- WF201 / WF202: randomness -----------------------------------------------------------


def _random(site: FixSite, qualified: str) -> Fix | None:
    call = site.node
    if qualified == "random.seed":
        # Moving the seeding into an activity would seed another process's generator.
        return _display(site, "seed a generator of the workflow's own, `random.Random(seed)`")
    template = site.spec.random_template
    if template is None or not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    method = qualified.rpartition(".")[2]
    if not qualified.startswith("random.") or method not in _RANDOM_METHODS:
        return None
    generator = site.render(template)
    if generator is None:
        return None
    new_func = f"{generator}.{method}"
    if "seed(" in site.code(site.unit.node):
        # `random.seed(42)` first: the original drew a fixed sequence, the rewrite another.
        return _fix(
            UNSAFE,
            f"Replace with `{new_func}(...)` (the workflow seeds a generator itself: the values change)",
            site.replace(call.func, new_func),
        )
    return _fix(
        SAFE,
        f"Replace with `{new_func}(...)`, a generator seeded from history",
        site.replace(call.func, new_func),
    )


def _uuid(site: FixSite, qualified: str) -> Fix | None:
    call = site.node
    template = site.spec.uuid_template
    if template is None or not isinstance(call, cst.Call) or call.args:
        return None
    if qualified not in ("uuid.uuid1", "uuid.uuid4", "uuid.uuid6", "uuid.uuid7"):
        return None
    content = site.render(template)
    return _replace(site, content, SAFE, "a deterministic UUID the engine derives for this instance")


# -- WF102 blocking sleep ------------------------------------------------------------------


def _sleep(site: FixSite, qualified: str) -> Fix | None:
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
    if qualified.startswith("asyncio."):
        # A bare `asyncio.sleep(x)` in a generator workflow is a coroutine never awaited: it
        # never waited, and the timer makes the workflow wait.
        return _replace(
            site, content, UNSAFE, "a durable timer; the unawaited coroutine never waited at all"
        )
    return _replace(site, content, SAFE, "a durable timer recorded in history")


# -- WF503 asyncio ordering ----------------------------------------------------------------


def _asyncio(site: FixSite, qualified: str) -> Fix | None:
    call = site.node
    template = site.spec.asyncio_replacements.get(qualified)
    if template is None or not isinstance(call, cst.Call):
        return None
    content = site.render(template)
    if content is None:
        return None
    return _fix(SAFE, f"Replace with `{content}`", site.replace(call.func, content))


# -- WF601 unyielded task ------------------------------------------------------------------


def _unyielded(site: FixSite, qualified: str) -> Fix | None:
    keyword = site.spec.wait_keyword
    problem = site.wait_problem()
    if problem is not None:
        return _display(site, problem)
    content = f"{keyword} {site.code(site.node)}"
    return _fix(
        UNSAFE,
        f"`{keyword}` the task (the workflow now waits for it)",
        site.replace(site.node, content),
    )


# -- WF602 unordered iteration -------------------------------------------------------------


def _ordering(site: FixSite, qualified: str) -> Fix | None:
    node = site.node
    if qualified != "set-iteration":
        return None  # hash()/id(): no mechanical rewrite
    if site.scope.owner_of("sorted") is not None:
        return _display(site, "`sorted` is not the builtin here")
    content = f"sorted({site.code(node)})"
    return _fix(
        UNSAFE,
        f"Iterate `{content}` (a fixed order; elements must be comparable)",
        site.replace(node, content),
    )


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
# Findings whose value can move into a generated activity when no API replacement exists.
_EXTRACTABLE = frozenset(
    {"WF101", "WF201", "WF202", "WF301", "WF401", "WF402", "WF403", "WF404", "WF604"}
)
