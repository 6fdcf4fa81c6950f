"""WF607 sandbox-import: a third-party module imported at the top of a Temporal workflow file.

Temporal runs workflow code in a sandbox that re-imports the workflow file's modules for
every workflow run, unless they are passed through (`with workflow.unsafe.imports_passed_through():`).
A module whose import touches restricted APIs (clocks, the environment, files, threads)
fails the sandbox at worker start with `RestrictedWorkflowAccessError`. The standard library,
the modules the sandbox passes through itself (rules/types.toml `[sandbox]`) and the
project's own modules that import only those are fine.

The fix moves the flagged import statements into the passthrough block (an existing one, or a
new one after the file's last top-level import).
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.analysis.findings import STATEMENT
from wfcheck.analysis.scopes import absolute_name, imported_modules
from wfcheck.checks.registry import StructuralRule
from wfcheck.diagnostics import Edit, Fix

if TYPE_CHECKING:
    from wfcheck.analysis.checker import CheckContext
    from wfcheck.analysis.project import ModuleFacts
    from wfcheck.analysis.workflows import WorkflowUnit
    from wfcheck.fixes.plan import PlanContext

CODE = "WF607"


def stdlib_names() -> frozenset[str]:
    """The standard library's top-level module names: ``sys.stdlib_module_names`` (3.10+),
    else what the standard library's own directories hold (Python 3.9), read, not imported."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names) | {"__future__"}
    found = set(sys.builtin_module_names) | {"__future__"}
    stdlib = sysconfig.get_paths()["stdlib"]
    for directory in (stdlib, os.path.join(stdlib, "lib-dynload")):
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            name = entry.split(".", 1)[0]
            if entry.endswith((".py", ".so", ".pyd")) or (
                name == entry and os.path.isfile(os.path.join(directory, entry, "__init__.py"))
            ):
                found.add(name)
    found.discard("site-packages")
    return frozenset(found)


_STDLIB = stdlib_names()
_MAX_DEPTH = 4


def check_module(ctx: CheckContext) -> None:
    """Run once per workflow file, for its first unit of an engine with a sandbox."""
    if CODE not in ctx.enabled:
        return
    for _, small, name, why in flagged_imports(ctx):
        ctx.report(small, CODE, name, verb=why, form=STATEMENT)


def flagged_imports(
    ctx: CheckContext | PlanContext,
) -> list[tuple[cst.SimpleStatementLine, cst.BaseSmallStatement, str, str]]:
    """The file's top-level import statements the sandbox would re-import and that are not
    known to be fine: (statement, import, module, why)."""
    spec = ctx.unit.framework
    if spec.passthrough_block_template is None or not _sandboxed(ctx):
        return []
    facts = ctx.facts
    allowed = tuple(ctx.catalog.sandbox_passthrough) + spec.passthrough_modules
    flagged: list[tuple[cst.SimpleStatementLine, cst.BaseSmallStatement, str, str]] = []
    memo: dict[str, str | None] = {}
    for statement in facts.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            for name in imported_modules(small, facts.index.module_scope.package):
                problem = _problem(ctx, facts.directory, name, allowed, memo, 0)
                if problem is not None:
                    flagged.append((statement, small, name, problem))
                    break
    return flagged


def passthrough_fix(ctx: PlanContext) -> Fix | None:
    """The fix of every WF607 finding of a file: all its flagged statements moved into the
    passthrough block (the same edits for each finding; identical edits apply once)."""
    flagged = flagged_imports(ctx)
    if not flagged:
        return None
    return _passthrough_fix(ctx, [statement for statement, _, _, _ in flagged])


def _sandboxed(ctx: CheckContext | PlanContext) -> bool:
    """Whether the file's workflows run in the sandbox: not when every workflow of the engine
    opts out (`@workflow.defn(sandboxed=False)`), nor when the file itself imports a runner
    without one (its worker runs them with `workflow_runner=UnsandboxedWorkflowRunner()`)."""
    spec = ctx.unit.framework
    facts = ctx.facts
    imports = [
        absolute_name(b.target, facts.index.module_scope.package)
        for bindings in facts.index.module_scope.bindings.values()
        for b in bindings
        if b.kind == "import"
    ]
    for runner in spec.unsandboxed_runners:
        short = runner.rpartition(".")[2]
        if short in facts.text and any(
            runner == target or runner.startswith(target + ".") for target in imports
        ):
            return False
    keyword = spec.sandbox_opt_out_keyword
    units = [u for u in facts.units if u.framework.name == spec.name]
    if keyword is None or not units:
        return True
    return not all(_opts_out(facts, unit, keyword) for unit in units)


def _opts_out(facts: ModuleFacts, unit: WorkflowUnit, keyword: str) -> bool:
    """`@workflow.defn(sandboxed=False)` on the unit's class."""
    node = unit.node
    if not isinstance(node, cst.ClassDef):
        return False
    for decorator in node.decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call):
            continue
        resolved = facts.resolver.expr(call.func, unit.parent_scope)
        if resolved is None or resolved.qualified not in unit.framework.workflow_class_decorators:
            continue
        for arg in call.args:
            if (
                arg.keyword is not None
                and arg.keyword.value == keyword
                and isinstance(arg.value, cst.Name)
                and arg.value.value == "False"
            ):
                return True
    return False


def _problem(
    ctx: CheckContext | PlanContext,
    directory: Path,
    name: str,
    allowed: tuple[str, ...],
    memo: dict[str, str | None],
    depth: int,
) -> str | None:
    """None when importing ``name`` (from a module in ``directory``) in the sandbox is fine;
    else a note on why not ("" when it is a third-party module)."""
    if not name or name.split(".", 1)[0] in _STDLIB:
        return None
    if any(name == a or name.startswith(a + ".") for a in allowed):
        return None
    if name in memo:
        return memo[name]
    memo[name] = None  # an import cycle is judged by its other imports
    module = ctx.project.module_imports(name, directory)
    if module is None:
        result: str | None = ""
    elif depth >= _MAX_DEPTH:
        result = None
    else:
        result = None
        where, imports = module
        for inner in imports:
            if _problem(ctx, where, inner, allowed, memo, depth + 1) is not None:
                result = f" (via the project module `{name}`, which imports `{inner}`)"
                break
    memo[name] = result
    return result


def _passthrough_fix(ctx: PlanContext, statements: list[cst.SimpleStatementLine]) -> Fix:
    facts = ctx.facts
    spec = ctx.unit.framework
    unique: list[cst.SimpleStatementLine] = []
    for statement in statements:
        if statement not in unique:
            unique.append(statement)
    if any(not isinstance(s, (cst.Import, cst.ImportFrom)) for st in unique for s in st.body):
        return Fix("display-only", "No automatic fix: the import shares its line with other statements")
    template, opener = spec.passthrough_block_template, spec.passthrough_call
    assert template is not None and opener is not None  # no findings without them
    # The engine module the block's header names (`{workflow}`), spelled as the file imports it.
    symbol = next(s for s in spec.modules if "{" + s + "}" in template)
    module = spec.modules[symbol]
    spelling = _module_spelling(ctx, module)
    if spelling is None:
        return Fix("display-only", f"No automatic fix: the file does not import `{module}`")
    lines = facts.text.splitlines(keepends=True)
    positions = facts.positions
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    edits: list[Edit] = []
    moved: list[str] = []
    removed: set[int] = set()
    for statement in unique:
        where = positions[statement]
        text = "".join(lines[where.start.line - 1 : where.end.line])
        moved.append(text if text.endswith(("\n", "\r")) else text + newline)
        removed.update(range(where.start.line, where.end.line + 1))
    edits += _deletions(sorted(removed), lines)
    block = _existing_block(ctx)
    if block is not None:
        end = positions.end(block).line
        indent = _block_indent(block, facts.module.default_indent)
        content = "".join(indent + text for text in moved)
        edits.append(Edit(content, end + 1, 1, end + 1, 1))
    else:
        last = max(
            positions[s].end.line
            for s in facts.module.body
            if isinstance(s, cst.SimpleStatementLine)
            and any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in s.body)
        )
        header = template.format(**{symbol: spelling})
        indent = facts.module.default_indent
        content = newline + header + newline + "".join(indent + text for text in moved)
        edits.append(Edit(content, last + 1, 1, last + 1, 1))
    return Fix(
        "safe",
        f"Move the import into `{opener.rpartition('.')[2]}()` (imported once, outside the sandbox)",
        tuple(edits),
    )


def _deletions(removed: list[int], lines: list[str]) -> list[Edit]:
    """Whole-line deletions of the moved statements; a group of imports that disappears
    takes one of the blank lines around it along (no double blank line is left behind)."""
    edits: list[Edit] = []
    runs: list[list[int]] = []
    for number in removed:
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])

    def blank(number: int) -> bool:
        return 1 <= number <= len(lines) and not lines[number - 1].strip()

    for run in runs:
        first, last = run[0], run[-1]
        if blank(first - 1) and blank(last + 1):
            last += 1
        edits.append(Edit("", first, 1, last + 1, 1))
    return edits


def _module_spelling(ctx: PlanContext, module: str) -> str | None:
    """How the file's own imports spell ``module`` (`workflow`, `temporalio.workflow`)."""
    scope = ctx.facts.index.module_scope
    for name, bindings in scope.bindings.items():
        if any(b.kind == "import" and b.target == module for b in bindings):
            return name
    package = module.partition(".")[0]
    if any(b.kind == "import" and b.target == package for b in scope.bindings.get(package, ())):
        return module
    return None


def _existing_block(ctx: PlanContext) -> cst.With | None:
    call = ctx.unit.framework.passthrough_call
    for statement in ctx.facts.module.body:
        if isinstance(statement, cst.With) and len(statement.items) == 1:
            item = statement.items[0].item
            if (
                isinstance(item, cst.Call)
                and isinstance(item.func, (cst.Name, cst.Attribute))
                and ctx.resolve(item.func) == call
            ):
                return statement
    return None


def _block_indent(block: cst.With, default: str) -> str:
    body = block.body
    if isinstance(body, cst.IndentedBlock):
        return body.indent if body.indent is not None else default
    return default


RULE = StructuralRule(CODE, per_file=lambda ctx, _module: check_module(ctx))
