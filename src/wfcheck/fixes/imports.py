"""The names a fix needs (`timedelta`, `workflow`, `uuid`, ...): reuse the module's own
imports and aliases, else add one import after the module's last top-level import."""

from __future__ import annotations

import re

import libcst as cst

from wfcheck.analysis.scopes import import_bindings
from wfcheck.diagnostics import Edit
from wfcheck.fixes.text import LineIndex

# Symbol -> (module, attribute or None for the module itself).
SYMBOLS: dict[str, tuple[str, str | None]] = {
    "timedelta": ("datetime", "timedelta"),
    "timezone": ("datetime", "timezone"),
    "datetime": ("datetime", "datetime"),
    "uuid": ("uuid", None),
    "workflow": ("temporalio", "workflow"),
    "activity": ("temporalio", "activity"),
}


# Symbols that are submodules: imported as `import temporalio.workflow`, which guarantees the
# attribute exists (a bare `import temporalio` does not load it).
_SUBMODULES = frozenset({"workflow", "activity"})


class ImportPlanner:
    """Resolves symbols to local spellings for one module, recording imports to add."""

    def __init__(self, facts) -> None:
        self.facts = facts
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
        (a local `timezone = "UTC"`, a parameter named `uuid`)."""
        module, attr = SYMBOLS[symbol]
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
        if module not in bindings or symbol in _SUBMODULES:
            self.edits.append(self._insertion(f"import {target if symbol in _SUBMODULES else module}"))
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
        line = positions[anchor].end.line
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
