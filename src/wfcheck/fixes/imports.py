"""The names a fix needs (`timedelta`, `workflow`, `uuid`, ...): reuse the module's own
imports and aliases, else add one import after the module's last top-level import."""

from __future__ import annotations

import re
from collections.abc import Mapping

import libcst as cst

from wfcheck.analysis.scopes import import_bindings
from wfcheck.diagnostics import Edit
from wfcheck.fixes.text import LineIndex

# Symbol -> (module, attribute or None for the module itself). The engine's own modules
# (`workflow`) come from its spec.
SYMBOLS: dict[str, tuple[str, str | None]] = {
    "timedelta": ("datetime", "timedelta"),
    "timezone": ("datetime", "timezone"),
    "datetime": ("datetime", "datetime"),
    "uuid": ("uuid", None),
}


class ImportPlanner:
    """Resolves symbols to local spellings for one module, recording imports to add.
    ``modules``: the engine modules a fix may name, by symbol (`FrameworkSpec.modules`)."""

    def __init__(self, facts, modules: Mapping[str, str] = {}) -> None:
        self.facts = facts
        self.modules = modules
        self.edits: list[Edit] = []
        self._typing_only: set[str] | None = None

    @property
    def typing_only(self) -> set[str]:
        """Names imported under `if TYPE_CHECKING:` (or `if False:`): absent at run time."""
        if self._typing_only is None:
            self._typing_only = set()
            for statement in self.facts.module.body:
                if isinstance(statement, cst.If) and _never_runs(statement.test):
                    self._typing_only |= _imported_names(statement.body)
        return self._typing_only

    def name(self, symbol: str, scope=None) -> str | None:
        """A spelling of ``symbol`` that means it where ``scope`` (default: module level) uses
        it, adding an import when one is needed; None when every spelling is shadowed there
        (a local `timezone = "UTC"`, a parameter named `uuid`). ``symbol`` is a key of
        SYMBOLS or of ``modules``, or a qualified name (`acme.wf.step`)."""
        # An engine module is imported as a submodule (`import temporalio.workflow`), which
        # guarantees the attribute exists (a bare `import temporalio` does not load it).
        submodule = symbol in self.modules
        if symbol in SYMBOLS:
            module, attr = SYMBOLS[symbol]
        elif submodule:
            module, _, attr = self.modules[symbol].rpartition(".")
        else:
            module, _, attr = symbol.rpartition(".")
        target = f"{module}.{attr}" if attr else module
        module_scope = self.facts.index.module_scope
        bindings = module_scope.bindings

        def imports(local: str, what: str) -> bool:
            items = bindings.get(local, ())
            return (
                len(items) == 1
                and items[0].kind == "import"
                and items[0].target == what
                and local not in self.typing_only
            )

        def visible(spelling: str) -> bool:
            if scope is None:
                return True
            owner = scope.owner_of(spelling.split(".", 1)[0])
            return owner is None or owner is module_scope

        for local in bindings:
            if imports(local, target) and visible(local):
                return local
        if attr is not None:
            for local in bindings:
                if imports(local, module) and visible(local):
                    return f"{local}.{attr}"
        local = attr or module
        if local not in bindings and visible(local):
            if attr is not None:
                joined = self._join_existing(module, attr)
                if joined is not None:
                    self.edits.append(joined)
                    return attr
            statement = f"from {module} import {attr}" if attr else f"import {module}"
            self.edits.append(self._insertion(statement))
            return local
        # The plain name is taken or shadowed: the module under its own name, unless that is
        # taken too (`from datetime import datetime` binds `datetime` to the class).
        spelling = target if attr else module
        if not visible(module):
            return None
        if module in bindings and not imports(module, module):
            return None
        if module not in bindings or submodule:
            self.edits.append(self._insertion(f"import {target if submodule else module}"))
        return spelling

    def _join_existing(self, module: str, attr: str) -> Edit | None:
        """`from datetime import timedelta` becomes `from datetime import timedelta, timezone`."""
        for node in self.facts.module.body:
            if not isinstance(node, cst.SimpleStatementLine):
                continue
            for small in node.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and not small.relative
                    and small.module is not None
                    and self.facts.module.code_for_node(small.module) == module
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    end = self.facts.positions[small.names[-1]].end
                    return Edit(f", {attr}", end.line, end.column + 1, end.line, end.column + 1)
        return None

    def _insertion(self, statement: str) -> Edit:
        module: cst.Module = self.facts.module
        newline = module.default_newline
        positions = self.facts.positions
        last_import = None
        docstring = None
        for index, node in enumerate(module.body):
            if isinstance(node, cst.SimpleStatementLine) and any(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in node.body
            ):
                last_import = node
            elif index == 0 and isinstance(node, cst.SimpleStatementLine) and node.body and (
                isinstance(node.body[0], cst.Expr)
                and isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
            ):
                docstring = node
        anchor = last_import or docstring
        if anchor is None:
            line = _first_line_after_header(LineIndex(self.facts.text))
            return Edit(statement + newline, line, 1, line, 1)
        # After the anchor's whole last line, so a trailing comment stays where it was.
        line = positions.end(anchor).line
        column = len(LineIndex(self.facts.text).line_text(line)) + 1
        return Edit(newline + statement, line, column, line, column)


# A PEP 263 coding cookie (the same pattern Python's tokenizer uses).
_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _first_line_after_header(index: LineIndex) -> int:
    """The first line below a shebang and a coding cookie: both only count on the first two
    lines, so nothing may be inserted above them."""
    line = 1
    while line <= 2 and line < len(index.starts):
        text = index.line_text(line)
        if not ((line == 1 and text.startswith("#!")) or _COOKIE.match(text)):
            break
        line += 1
    return line


def _never_runs(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value in ("TYPE_CHECKING", "False")
    return isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING"


def _imported_names(block: cst.BaseSuite) -> set[str]:
    names: set[str] = set()
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    for statement in statements:
        smalls = getattr(statement, "body", ())
        for small in smalls if isinstance(smalls, (list, tuple)) else ():
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                names |= {local for local, _ in import_bindings(small)}
    return names


# -- imports the fixes left unused ----------------------------------------------------------


class _NameUses(cst.CSTVisitor):
    """How often each name is read, outside import statements (attribute names, keywords and
    definitions' own names are not reads; strings in `__all__` count)."""

    def __init__(self) -> None:
        self.uses: dict[str, int] = {}

    def _use(self, name: str) -> None:
        self.uses[name] = self.uses.get(name, 0) + 1

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self._use(node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # `__all__ = ["name"]`, string annotations: a name in a string may be a use.
        value = node.evaluated_value
        if isinstance(value, str) and value.isidentifier():
            self._use(value)


def _uses(module: cst.Module) -> dict[str, int]:
    visitor = _NameUses()
    module.visit(visitor)
    return visitor.uses


def drop_unused_imports(original: str, fixed: str) -> str:
    """``fixed`` without the module-level imports that the fixes left unused: names the
    original read and the fixed text no longer reads. Other unused imports stay (they are
    not the fixes' business), and so do imports inside functions, `try` or `if` blocks."""
    newline = _newline(fixed)
    if newline is None:
        return fixed  # mixed line endings: leave the text as the fixes wrote it
    if newline != "\n":
        cleaned = _drop_unused(original.replace(newline, "\n"), fixed.replace(newline, "\n"))
        return cleaned.replace("\n", newline)
    return _drop_unused(original, fixed)


def _newline(text: str) -> str | None:
    """The text's one line ending, or None when it mixes them."""
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    styles = [style for style, count in (("\r\n", crlf), ("\r", cr), ("\n", lf)) if count]
    if len(styles) > 1:
        return None
    return styles[0] if styles else "\n"


def _drop_unused(original: str, fixed: str) -> str:
    try:
        before = _uses(cst.parse_module(original))
        module = cst.parse_module(fixed)
    except cst.ParserSyntaxError:
        return fixed
    if module.code != fixed:
        return fixed  # LibCST would not write the rest of the file back as it is
    after = _uses(module)
    gone = {name for name, count in before.items() if count and not after.get(name)}
    if not gone:
        return fixed
    body: list[cst.BaseStatement] = []
    removed_first: cst.SimpleStatementLine | None = None
    changed = False
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            small = statement.body[0]
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(
                small.names, cst.ImportStar
            ):
                if (
                    isinstance(small, cst.ImportFrom)
                    and isinstance(small.module, cst.Name)
                    and small.module.value == "__future__"
                ):
                    body.append(statement)
                    continue
                kept = [
                    alias for alias in small.names
                    if _bound_name(alias) not in gone
                ]
                if len(kept) != len(small.names):
                    changed = True
                    if not kept:
                        if not body:
                            # The file's first statement goes: the next one starts the file.
                            removed_first = removed_first or statement
                        continue
                    kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    small = small.with_changes(names=kept)
                    if isinstance(small, cst.ImportFrom) and len(kept) == 1:
                        small = small.with_changes(lpar=None, rpar=None)
                    statement = statement.with_changes(body=[small])
        if removed_first is not None and not body:
            statement = statement.with_changes(leading_lines=removed_first.leading_lines)
        body.append(statement)
    if not changed:
        return fixed
    return module.with_changes(body=body).code


def _bound_name(alias: cst.ImportAlias) -> str:
    """The name an import binds: `import a.b` binds `a`, `import a as b` binds `b`."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = alias.name
    while isinstance(name, cst.Attribute):
        name = name.value  # type: ignore[assignment]
    return name.value if isinstance(name, cst.Name) else ""
