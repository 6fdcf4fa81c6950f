"""Move a flagged value into a generated activity called through the engine.

The flagged expression is widened to the chain that yields a serializable value
(`requests.get(u).json()`, not the `Response`), becomes a module-level function with a
readable, unique name, takes the workflow locals it reads as its input, and is registered the
way the file registers its workflow. The call site becomes
`(yield ctx.call_activity(fn, input=...))` or `await workflow.execute_activity(fn, ...)`.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

import libcst as cst

from wfcheck.analysis.walk import walk
from wfcheck.catalog import load_fix_catalog, rules_dir
from wfcheck.checks.elsewhere import NONDETERMINISTIC_HELPER
from wfcheck.diagnostics import Edit, Fix
from wfcheck.fixes.builder import CHANGES, DISPLAY, SAFE, UNSAFE, FixSite
from wfcheck.fixes.text import LineIndex
from wfcheck.frameworks import house_activity_decorators

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_WRAPPERS = frozenset({"builtins.str", "builtins.int", "builtins.float", "builtins.bool",
                       "builtins.len", "builtins.list", "builtins.dict"})


@lru_cache(maxsize=1)
def _serialization() -> tuple[frozenset, frozenset, dict[str, dict[str, str]]]:
    data = tomllib.loads((rules_dir() / "fixes" / "serialization.toml").read_text("utf-8"))
    table = data.get("serializable", {})
    return (
        frozenset(table.get("apis", ())),
        frozenset(table.get("results", ())),
        dict(data.get("roundtrip", {})),
    )


def extract_fix(site: FixSite, code: str, qualified: str) -> Fix | None:
    spec = site.spec
    if spec.activity_call_template is None or spec.activity_registration is None:
        return None
    expression = _widen(site, site.node)
    if not site.direct:
        return _display("the value is inside a nested function, lambda or comprehension")
    problem = site.wait_problem()
    if problem is not None:
        return _display(problem)
    parent = site.facts.parents.get(expression)
    if isinstance(parent, (cst.WithItem, cst.AsName)) or _is_target(site, expression):
        return _display("the value is a context manager or an assignment target")
    not_here = _context_problem(site, expression, parent)
    if not_here is not None:
        return not_here
    free, problem = _free_variables(site, expression)
    if problem:
        return _display(problem)
    registration = _registration(site)
    if registration is None:
        return _display("the file registers its workflow in a way an activity cannot follow")
    if registration.anchor is not None and not _runs_once(site, registration.anchor):
        return _why_not("registration-not-once")
    name = _unique_name(site, code, qualified, expression)
    apis, results, roundtrip = _serialization()
    value_code = site.code(expression)
    dump, load = "{value}", "{value}"
    if isinstance(expression, cst.Call) and isinstance(expression.func, (cst.Name, cst.Attribute)):
        made = site.ctx.resolve(expression.func)
        if made is not None and site.ctx.catalog.is_handle(made):
            # A file, a client, a generator: state in this process, never a recorded value.
            return _display(f"the value is a handle (`{made}()`), which cannot be recorded in history")
    serializable = _known_serializable(site, expression, qualified, apis, results)
    if not serializable and qualified in roundtrip and expression is site.node:
        dump, load = roundtrip[qualified]["dump"], roundtrip[qualified]["load"]
        serializable = True
    returned = dump.format(value=_parenthesize(value_code))
    call = _render_call(site, name, free)
    if call is None:
        return _display("the workflow's context parameter is not visible here")
    call = site.render(load, value=call) if load != "{value}" else call
    if call is None:
        return _display("a name the rewrite needs is shadowed here")
    call = _requote(site, expression, call)
    if call is None:
        return _display("the value sits in f-strings that use both quote characters")
    activity = _activity_source(site, name, free, returned, registration)
    edits = site.replace(expression, call)
    edits += _insert_after_unit(site, activity)
    edits += registration.extra_edits(site, name)
    unsafe_reasons = []
    if not serializable:
        unsafe_reasons.append("its result may not serialize")
    if free:
        unsafe_reasons.append(f"its input ({', '.join(free)}) must serialize")
    if registration.note:
        unsafe_reasons.append(registration.note)
    applicability = UNSAFE if unsafe_reasons else SAFE
    row = load_fix_catalog().row(code, qualified, "extract")
    message = f"Move `{_short(value_code)}` into a generated activity `{name}`"
    reasons = unsafe_reasons + ([row.why] if row is not None else [])
    if reasons:
        message += " (" + "; ".join(reasons) + ")"
    site.ctx.taken.add(name)
    if site.ctx.project.generated_names is not None:
        site.ctx.project.generated_names.add(name)
    return Fix(applicability, message, tuple(edits), row.history if row is not None else CHANGES)


def _context_problem(
    site: FixSite, expression: cst.CSTNode, parent: cst.CSTNode | None
) -> Fix | None:
    """Why the value cannot move into an activity where it sits, as a display-only fix."""
    if isinstance(parent, cst.Await):
        # `await helper()`: the activity would return the coroutine, never awaited.
        return _why_not("async-helper")
    if _handled(site, expression):
        return _why_not("handled-lookup")
    registration = site.spec.activity_registration
    if registration is not None and registration.through_workflow and _local_runtime(site):
        return _why_not("local-runtime")
    return None


def _why_not(key: str) -> Fix:
    return Fix(DISPLAY, f"No automatic fix: {load_fix_catalog().why_not(key)}")


# Exceptions a lookup or an I/O call raises that a workflow may handle itself.
_HANDLER_SUPPRESSORS = frozenset({"contextlib.suppress"})


def _handled(site: FixSite, expression: cst.CSTNode) -> bool:
    """Is ``expression`` in the body of a `try` that catches specific errors, or of
    `with suppress(...)`, inside the workflow? Its error is then handled by the workflow;
    moved into an activity it would fail the activity instead, which that handler misses."""
    parents = site.facts.parents
    child, current = expression, parents.get(expression)
    method = site.method
    while current is not None and current is not method:
        if (
            isinstance(current, (cst.Try, cst.TryStar))
            and child is current.body
            and any(_specific(site, handler.type) for handler in current.handlers)
        ):
            return True
        if isinstance(current, cst.With) and child is current.body:
            for item in current.items:
                call = item.item
                if isinstance(call, cst.Call) and site.ctx.resolve(call.func) in _HANDLER_SUPPRESSORS:
                    return True
        child, current = current, parents.get(current)
    return False


# Handlers that also catch the error a failed activity raises in the workflow.
_BROAD_HANDLERS = frozenset({"builtins.Exception", "builtins.BaseException"})


def _specific(site: FixSite, caught: cst.BaseExpression | None) -> bool:
    """Does an `except` clause catch a specific error (`KeyError`, `(OSError, ValueError)`),
    which a failed activity does not raise? A bare `except:` and `except Exception:` catch
    the activity's failure as well."""
    if caught is None:
        return False
    names = caught.elements if isinstance(caught, cst.Tuple) else None
    parts = [element.value for element in names] if names is not None else [caught]
    return any(site.ctx.resolve(part) not in _BROAD_HANDLERS for part in parts)


def _local_runtime(site: FixSite) -> bool:
    """Is the workflow registered through a runtime (or app) that is a local of a function
    around it (`@wfr.workflow` with `wfr = WorkflowRuntime()` inside `main()`)? A
    module-level activity cannot reach it."""
    receiver = _decorator_receiver(site)
    if receiver is None:
        return False
    root = receiver.split(".", 1)[0]
    owner = site.unit.parent_scope.owner_of(root)
    return owner is not None and owner.kind != "module"


def _runs_once(site: FixSite, call: cst.CSTNode) -> bool:
    """Does the statement holding ``call`` run exactly once per process: at module level,
    also in a module-level `if __name__ == "__main__":`, `with` or `try` body, never in a
    function, loop or other condition?"""
    parents = site.facts.parents
    child, current = call, parents.get(call)
    while current is not None and not isinstance(current, cst.Module):
        if isinstance(current, cst.If):
            if child is not current.body or not _is_main_guard(current.test):
                return False
        elif isinstance(current, cst.Try):
            if child is not current.body and child is not current.finalbody:
                return False
        elif isinstance(current, (cst.BaseCompoundStatement, cst.Lambda, cst.Else)) and not isinstance(
            current, cst.With
        ):
            return False
        child, current = current, parents.get(current)
    return True


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = [s.value for s in sides if isinstance(s, cst.Name)]
    strings = [s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)]
    return names == ["__name__"] and strings == ["__main__"]


def _requote(site: FixSite, expression: cst.CSTNode, call: str) -> str | None:
    """The generated call with quotes that the f-strings around ``expression`` leave free:
    before Python 3.12 an f-string's replacement field cannot reuse its own quote."""
    used = set()
    current = site.facts.parents.get(expression)
    while current is not None:
        if isinstance(current, cst.FormattedString):
            used.add(current.start.lstrip("rRfFbBuU")[0])
        current = site.facts.parents.get(current)
    if '"' not in used:
        return call
    if "'" in used:
        return None
    return call.replace('"', "'")


def _display(why: str) -> Fix:
    return Fix(DISPLAY, f"No automatic fix: {why}")


def _short(code: str) -> str:
    flat = " ".join(code.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."


def _parenthesize(code: str) -> str:
    return f"({code})" if "\n" in code else code


# -- widening -------------------------------------------------------------------------------


def _widen(site: FixSite, node: cst.CSTNode) -> cst.CSTNode:
    """Grow the flagged expression through attribute, method and subscript chains and through
    converting calls (`str(...)`), so the activity returns plain data."""
    parents = site.facts.parents
    current = node
    while True:
        parent = parents.get(current)
        if isinstance(parent, cst.Call) and parent.func is current:
            current = parent  # `os.environ.get` flagged as a use: move the whole call
            continue
        if isinstance(parent, cst.Attribute) and parent.value is current:
            grand = parents.get(parent)
            current = grand if isinstance(grand, cst.Call) and grand.func is parent else parent
            continue
        if isinstance(parent, cst.Subscript) and parent.value is current:
            current = parent
            continue
        if isinstance(parent, cst.Arg) and parent.keyword is None:
            call = parents.get(parent)
            if (
                isinstance(call, cst.Call)
                and len(call.args) == 1
                and site.ctx.resolve(call.func) in _WRAPPERS
            ):
                current = call
                continue
        return current


def _is_target(site: FixSite, node: cst.CSTNode) -> bool:
    parent = site.facts.parents.get(node)
    if isinstance(parent, (cst.AssignTarget, cst.Del)):
        return True
    return isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node


def _known_serializable(site, expression, qualified, apis, results) -> bool:
    if isinstance(expression, cst.Call):
        func = expression.func
        if isinstance(func, cst.Attribute) and func.attr.value in results:
            return True
        resolved = site.ctx.resolve(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if resolved in results or (expression is site.node and qualified in apis):
            return True
    if isinstance(expression, cst.Attribute) and expression.attr.value in results:
        return True
    if isinstance(expression, cst.Subscript) and qualified in ("os.environ", "os.environb"):
        return qualified == "os.environ" and _subscript_of(expression, site.node)
    return False


def _subscript_of(expression: cst.Subscript, node: cst.CSTNode) -> bool:
    return expression.value is node


# -- inputs -----------------------------------------------------------------------------------


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: list[str] = []
        # `:=` targets: the expression assigns a workflow variable itself.
        self.assigned: list[str] = []

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self.assigned.append(node.target.value)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value not in self.names:
            self.names.append(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)
        return False


def _free_variables(site: FixSite, expression: cst.CSTNode) -> tuple[list[str], str]:
    """Workflow locals the expression reads (the activity's input), or why it cannot move."""
    visitor = _Names()
    walk(expression, visitor)
    if visitor.assigned:
        return [], f"the value assigns `{visitor.assigned[0]}` (`:=`), which the workflow reads"
    free: list[str] = []
    for name in visitor.names:
        owner = site.scope.owner_of(name)
        # Module names the generated module-level activity sees itself; a closure's (an
        # enclosing function's) it does not, so those are passed in like the workflow's own.
        if owner is None or owner.kind == "module":
            continue
        if name == site.unit.context_param or name == site.scope.self_name:
            return [], f"the value reads `{name}`, which an activity cannot receive"
        bindings = owner.bindings.get(name, ())
        if any(b.kind == "import" for b in bindings):
            return [], f"the value uses `{name}`, imported inside the workflow"
        if any(
            isinstance(b.node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) for b in bindings
        ):
            return [], f"the value uses `{name}`, a function or class an activity cannot receive"
        free.append(name)
    return free, ""


# -- naming -----------------------------------------------------------------------------------


def _unique_name(site: FixSite, code: str, qualified: str, expression: cst.CSTNode) -> str:
    verb = load_fix_catalog().extractable.get(code, "compute")
    subject = _assigned_name(site, expression)
    if subject is None:
        last = qualified.rpartition(".")[2] if qualified else ""
        func = site.node.func if code == NONDETERMINISTIC_HELPER and isinstance(site.node, cst.Call) else None
        if isinstance(func, cst.Attribute):
            last = func.attr.value
        elif isinstance(func, cst.Name):
            last = func.value
        subject = _snake(last) or "value"
    base = subject if subject.startswith(verb + "_") else f"{verb}_{subject}"
    # Every word of the file: names of any scope (a workflow's local `read_home` would shadow
    # the activity) and registered names in strings (`name="read_home"`); and, in a `--fix`
    # run, what other files were given.
    taken = site.facts.words | site.ctx.taken
    taken |= site.ctx.project.generated_names or set()
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}_{counter}", counter + 1
    return name


def _assigned_name(site: FixSite, expression: cst.CSTNode) -> str | None:
    parent = site.facts.parents.get(expression)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            return _snake(target.value)
    if isinstance(parent, cst.AnnAssign) and isinstance(parent.target, cst.Name):
        return _snake(parent.target.value)
    return None


def _snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return re.sub(r"[^a-z0-9_]", "", name).strip("_")


# -- the call site and the activity ----------------------------------------------------------


def _render_call(site: FixSite, name: str, free: list[str]) -> str | None:
    if len(free) == 1:
        value = free[0]
    elif free:
        value = "{" + ", ".join(f'"{v}": {v}' for v in free) + "}"
    else:
        value = "None"
    input_arg = f", {value}" if free else ""
    template = site.spec.activity_call_template
    if template is None:
        return None
    return site.render(template, fn=name, input=value, input_arg=input_arg)


def _activity_source(site, name: str, free: list[str], returned: str, registration) -> str:
    indent = site.facts.module.default_indent
    if len(free) == 1:
        param, unpack = free[0], []
    elif free:
        param, unpack = "payload", [f'{v} = payload["{v}"]' for v in free]
    else:
        param, unpack = (registration.empty_param, [])
    params = list(site.spec.activity_leading_params) + ([param] if param else [])
    lines = list(registration.decorators(site, name, param))
    lines.append(f"def {name}({', '.join(params)}):")
    lines += [indent + line for line in unpack]
    lines.append(f"{indent}return {returned}")
    # Joined with the file's own line break: the moved expression keeps the breaks it had
    # (a multi-line string's `\r\n` must not become `\r\r\n`).
    return site.facts.module.default_newline.join(lines)


def _top_level_statement(site: FixSite, node: cst.CSTNode) -> cst.CSTNode:
    parents = site.facts.parents
    current = node
    while True:
        parent = parents.get(current)
        if parent is None or isinstance(parent, cst.Module):
            return current
        current = parent


def _insert_after_unit(site: FixSite, source: str) -> list[Edit]:
    newline = site.facts.module.default_newline
    anchor = _top_level_statement(site, site.unit.node)
    line = site.facts.positions.end(anchor).line
    column = len(LineIndex(site.facts.text).line_text(line)) + 1
    content = newline * 3 + source
    return [Edit(content, line, column, line, column)]


# -- registration -----------------------------------------------------------------------------


class _Registration:
    """How the generated activity gets registered."""

    def __init__(
        self,
        decorator: str = "",
        statement: str = "",
        anchor: cst.CSTNode | None = None,
        note: str = "",
        empty_param: str = "_input",
        input_keyword: str = "",
        receiver: str = "",
    ) -> None:
        # Templates: `{fn}` the activity's name, `{param}` its input, `{receiver}` the
        # runtime, app or worker object.
        self.decorator = decorator
        self.statement = statement
        self.receiver = receiver
        self.anchor = anchor
        self.note = note
        self.empty_param = empty_param
        self.input_keyword = input_keyword

    def decorators(self, site: FixSite, name: str, param: str) -> list[str]:
        if not self.decorator:
            return []
        return [
            self.decorator.format(fn=name, param=param or self.empty_param, receiver=self.receiver)
        ]

    def extra_edits(self, site: FixSite, name: str) -> list[Edit]:
        if not self.statement or self.anchor is None:
            return []
        registering = self.statement.format(fn=name, receiver=self.receiver)
        statement = _enclosing(site, self.anchor, cst.SimpleStatementLine) or self.anchor
        small = _enclosing(site, self.anchor, cst.BaseSmallStatement)
        if (
            isinstance(statement, cst.SimpleStatementLine)
            and small is not None
            and small is not statement.body[-1]
        ):
            # `w.add_orchestrator(f); w.start()`: register before what follows on the line.
            end = site.facts.positions[small].end
            content = "; " + registering
            return [Edit(content, end.line, end.column + 1, end.line, end.column + 1)]
        line = site.facts.positions[statement].end.line
        index = LineIndex(site.facts.text)
        column = len(index.line_text(line)) + 1
        indentation = index.indentation(site.facts.positions[statement].start.line)
        content = site.facts.module.default_newline + indentation + registering
        return [Edit(content, line, column, line, column)]


def _enclosing(site: FixSite, node: cst.CSTNode, kind: type) -> cst.CSTNode | None:
    """The nearest node of ``kind`` that holds ``node`` (``node`` itself included)."""
    parents = site.facts.parents
    current: cst.CSTNode | None = node
    while current is not None and not isinstance(current, kind):
        current = parents.get(current)
    return current


def _registration(site: FixSite) -> _Registration | None:
    strategy = site.spec.activity_registration
    if strategy is None:
        return None
    house = house_activity_decorators(site.spec)
    if house:
        # The project's own activity decorator (`activity-decorators` in the configuration)
        # registers activities its way.
        spelling = site.imports.name(house[0])
        if spelling is None:
            return None
        return _Registration(
            decorator=f"@{spelling}", note=strategy.house_note, empty_param="_input=None"
        )
    if strategy.module_decorator is not None:
        # Spelled at module level, where the activity is defined.
        values = {}
        for symbol in site.spec.modules:
            if "{" + symbol + "}" in strategy.module_decorator:
                spelling = site.imports.name(symbol)
                if spelling is None:
                    return None
                values[symbol] = spelling
        decorator = strategy.module_decorator.format(**values)
        return _Registration(decorator=decorator, note=strategy.note, empty_param=strategy.empty_param)
    decorator_receiver = _decorator_receiver(site)
    if strategy.receiver_decorator is not None and decorator_receiver is not None:
        return _Registration(
            decorator=strategy.receiver_decorator,
            receiver=decorator_receiver,
            note=strategy.note,
            empty_param=strategy.empty_param,
        )
    if strategy.statement is not None:
        found = _registration_call(site, strategy.workflow_methods)
        if found is None:
            return None
        call, receiver = found
        return _Registration(
            statement=strategy.statement,
            receiver=site.code(receiver),
            anchor=call,
            note=strategy.note,
            empty_param=strategy.empty_param,
        )
    return None


def _decorator_receiver(site: FixSite) -> str | None:
    """`wfr` in `@wfr.workflow(...)`, `app` in `@app.orchestration_trigger(...)`."""
    node = site.unit.node
    methods = site.spec.lenient_workflow_decorator_methods
    for decorator in node.decorators:
        expr = decorator.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        if isinstance(target, cst.Attribute) and target.attr.value in methods:
            receiver = target.value
            if isinstance(receiver, (cst.Name, cst.Attribute)) and not _is_self(site, receiver):
                return site.code(receiver)
    return None


def _is_self(site: FixSite, node: cst.CSTNode) -> bool:
    root = node
    while isinstance(root, cst.Attribute):
        root = root.value
    return isinstance(root, cst.Name) and root.value in ("self", "cls")


def _registration_call(
    site: FixSite, methods: tuple[str, ...]
) -> tuple[cst.Call, cst.BaseExpression] | None:
    """The call registering this workflow, else the file's first such call; with its receiver
    (the runtime or worker object)."""
    unit_name = site.unit.node.name.value
    first = None
    for call, _container in site.facts.index.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in methods:
            continue
        if _is_self(site, func.value):
            continue
        if first is None:
            first = (call, func.value)
        if any(isinstance(a.value, cst.Name) and a.value.value == unit_name for a in call.args):
            return call, func.value
    return first


__all__ = ["extract_fix"]
