"""The names a fix needs (`timedelta`, `workflow`, `uuid`, ...): reuse the module's own
imports and aliases, else add one import after the module's last top-level import."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from wfcheck.diagnostics import Edit
from wfcheck.fixes.text import LineIndex

# Symbol -> (module, attribute or None for the module itself).
SYMBOLS: Dict[str, Tuple[str, Optional[str]]] = {
    "timedelta": ("datetime", "timedelta"),
    "timezone": ("datetime", "timezone"),
    "datetime": ("datetime", "datetime"),
    "uuid": ("uuid", None),
    "workflow": ("temporalio", "workflow"),
    "activity": ("temporalio", "activity"),
}


class ImportPlanner:
    """Resolves symbols to local spellings for one module, recording imports to add."""

    def __init__(self, facts) -> None:
        self.facts = facts
        self.edits: List[Edit] = []

    def name(self, symbol: str) -> str:
        module, attr = SYMBOLS[symbol]
        target = f"{module}.{attr}" if attr else module
        bindings = self.facts.index.module_scope.bindings
        for local, items in bindings.items():
            if len(items) == 1 and items[0].kind == "import" and items[0].target == target:
                return local
        if attr is not None:
            for local, items in bindings.items():
                if len(items) == 1 and items[0].kind == "import" and items[0].target == module:
                    return f"{local}.{attr}"
        local = attr or module
        if local in bindings:
            # The plain name is taken by something else: import the module under its name.
            self.edits.append(self._insertion(f"import {module}"))
            return f"{module}.{attr}" if attr else module
        if attr is not None:
            joined = self._join_existing(module, attr)
            if joined is not None:
                self.edits.append(joined)
                return attr
        statement = f"from {module} import {attr}" if attr else f"import {module}"
        self.edits.append(self._insertion(statement))
        return local

    def _join_existing(self, module: str, attr: str) -> Optional[Edit]:
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
            return Edit(statement + newline, 1, 1, 1, 1)
        # After the anchor's whole last line, so a trailing comment stays where it was.
        line = positions[anchor].end.line
        column = len(LineIndex(self.facts.text).line_text(line)) + 1
        return Edit(newline + statement, line, column, line, column)
