"""Where nodes are and what contains them, without LibCST's metadata wrapper.

LibCST's ``ParentNodeProvider`` runs a Python visitor over the whole module and its
``PositionProvider`` generates the code of the whole module with a hook on every node: for a
small workflow file the two cost several times the parse itself. Here parents come from a
plain walk over the fields that can hold more than trivia (see :mod:`wfcheck.analysis.walk`),
kept by node id, and positions are generated one statement at a time, only for the
statements a finding, a workflow or a helper actually sits in (the innermost one the stdlib
parser gives a line for; a compound statement's end is its last statement's). The ranges
are the ones ``PositionProvider`` gives (the test suite compares them on every fixture).

The line a top-level statement starts on comes from the stdlib parser (its statements' first
lines, less the blank and comment lines LibCST counts into each statement), not from
generating the code of every statement before it; each statement generated is compared with
the text at that line, and a module where they differ (or that the running interpreter cannot
parse) counts lines by generating code as before.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange
from libcst.metadata.position_provider import PositionProvidingCodegenState

from wfcheck.analysis.walk import KINDS, NODE, NODE_FIELDS, children

_NEWLINE = re.compile(r"\r\n?|\n")


class Parents(Mapping[cst.CSTNode, cst.CSTNode]):
    """Each node's parent, kept by the node's ``id``: a node's own ``__hash__`` is a Python
    call, and the map gets an entry for every node of every module checked."""

    __slots__ = ("_by_id", "_module")

    def __init__(self, module: cst.Module, by_id: dict[int, cst.CSTNode]) -> None:
        self._module = module  # keeps the nodes, so their ids stay theirs
        self._by_id = by_id

    def __getitem__(self, node: cst.CSTNode) -> cst.CSTNode:
        return self._by_id[id(node)]

    def get(self, node: cst.CSTNode, default: Any = None) -> Any:
        return self._by_id.get(id(node), default)

    def __contains__(self, node: object) -> bool:
        return id(node) in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[cst.CSTNode]:
        """The nodes that have a parent, outermost first."""
        stack: list[cst.CSTNode] = [self._module]
        while stack:
            node = stack.pop()
            for child in children(node, NODE):
                yield child
                stack.append(child)


def parent_map(module: cst.Module) -> Parents:
    """Each node's parent (the module has none), as ``ParentNodeProvider`` gives, for every
    node but trivia (whitespace, punctuation, operators: nothing asks where they are)."""
    parents: dict[int, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        for name in NODE_FIELDS[type(node)]:
            value = getattr(node, name)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    if KINDS[type(child)] == NODE:
                        parents[id(child)] = node
                        stack.append(child)
            elif KINDS[kind] == NODE:
                parents[id(value)] = node
                stack.append(value)
    return Parents(module, parents)


def last_statement(node: cst.CSTNode) -> cst.CSTNode:
    """The innermost statement a compound statement's code ends with (``node`` itself for
    anything else): the last part's (`finally`, `else`, the last handler or case, the
    body) last statement, and so on down."""
    while True:
        tail = getattr(node, "finalbody", None) or getattr(node, "orelse", None)
        if tail is None:
            parts = getattr(node, "handlers", None) or getattr(node, "cases", None)
            if parts:
                tail = parts[-1]
            else:
                body = getattr(node, "body", None)
                if not isinstance(body, cst.IndentedBlock):
                    return node
                tail = body.body[-1]
        node = tail


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """node -> its range (1-based lines, 0-based columns), computed per top-level statement
    on first use. With the module's ``text`` (what it was parsed from), statements' first
    lines come from the stdlib parser (``lines``, where the parse made them already)."""

    def __init__(
        self,
        module: cst.Module,
        parents: Mapping[cst.CSTNode, cst.CSTNode] | Callable[[], Mapping[cst.CSTNode, cst.CSTNode]],
        text: str | None = None,
        lines: dict[cst.CSTNode, int] | None = None,
    ) -> None:
        self.module = module
        # Or what makes it, asked on first need (a definition's name line needs none).
        self._parents = parents
        # Written by LibCST's position-recording codegen state (its provider protocol).
        self._computed: dict[cst.CSTNode, CodeRange] = {}
        self._tops = (*module.header, *module.body, *module.footer)
        self._starts: dict[cst.CSTNode, int] = {}
        self._plain = CodegenState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self._line = 1
        self._text = text
        # From the stdlib parser (``lines``, made from its tree at the parse, or parsed on first
        # need): statement -> its first line (None: not tried yet; empty: not usable, lines
        # are counted by generating code).
        self._hinted: dict[cst.CSTNode, int] | None = (
            {} if text is None else None if lines is None else lines
        )
        self._line_starts: list[int] | None = None

    @property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        if callable(self._parents):
            self._parents = self._parents()
        return self._parents

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        if node not in self._computed and not self._generate_inner(node):
            self._generate(self._top_level(node))
        return self._computed[node]

    def _generate_inner(self, node: cst.CSTNode) -> bool:
        """Generate only the innermost statement around ``node`` whose first line the stdlib
        parser gave, inside the indentation of the blocks around it; False when there is
        none (or its code is not the text at that line: then hints are off)."""
        if node is self.module or self._text is None:
            return False
        hints = self._hints()
        parents = self.parents
        statement: cst.CSTNode | None = None
        indents: list[str] = []
        current = node
        while current is not self.module:
            if statement is None and current in hints:
                statement = current
            elif statement is not None and type(current) is cst.IndentedBlock:
                indent = current.indent
                indents.append(self.module.default_indent if indent is None else indent)
            parent = parents.get(current)
            if parent is None:
                raise KeyError(node)
            current = parent
        if statement is None or not indents:
            return False  # a top-level statement: generated whole
        line = hints[statement]
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=self,  # type: ignore[arg-type]  # it only writes `_computed`
            line=line,
        )
        state.indent_tokens = indents[::-1]
        statement._codegen(state)
        if self._matches("".join(state.tokens), line):
            return True
        self._hinted = {}
        return False

    def name_line(self, node: cst.FunctionDef | cst.ClassDef) -> int:
        """The line of a `def`'s or `class`'s name: the line its statement starts on (the
        stdlib parser's), plus the lines of the code before the name (leading lines,
        decorators, `async def `), so the body is not generated; where the statement has no
        such line, or the name is not on the line counted, its code is generated."""
        start = self._hints().get(node) if self._text is not None else None
        if start is not None:
            state = CodegenState(
                default_indent=self.module.default_indent,
                default_newline=self.module.default_newline,
            )
            for part in (*node.leading_lines, *node.decorators, *node.lines_after_decorators):
                part._codegen(state)
            if isinstance(node, cst.FunctionDef):
                if node.asynchronous is not None:
                    node.asynchronous._codegen(state)
                node.whitespace_after_def._codegen(state)
            else:
                node.whitespace_after_class._codegen(state)
            line = start + len(_NEWLINE.findall("".join(state.tokens)))
            if node.name.value in self._line_text(line):
                return line
        return self[node.name].start.line

    def _line_text(self, line: int) -> str:
        assert self._text is not None
        starts = self._line_offsets()
        if not 0 < line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self._text)
        return self._text[starts[line - 1] : end]

    def _line_offsets(self) -> list[int]:
        """Where each line of the text starts."""
        assert self._text is not None
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self._text)]
        return self._line_starts

    def end(self, node: cst.CSTNode) -> CodePosition:
        """Where ``node`` ends; for a compound statement, where its last statement ends (the
        same place), so only that statement is generated, not the whole block."""
        return self[last_statement(node)].end

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self.parents)

    def __len__(self) -> int:
        return len(self.parents)

    def _top_level(self, node: cst.CSTNode) -> cst.CSTNode:
        if node is self.module:
            return node
        parent = self.parents.get(node)
        if parent is None:
            raise KeyError(node)
        while parent is not self.module:
            node, parent = parent, self.parents[parent]
        return node

    def _generate(self, top: cst.CSTNode) -> None:
        if top is self.module:
            self._record(top, 1)
            return
        hinted = self._hints().get(top)
        if hinted is not None:
            code = self._record(top, hinted)
            if self._matches(code, hinted):
                return
            # The hint was wrong (it never is on the test corpus): count lines by code
            # generation from here on.
            self._hinted = {}
        self._record(top, self._start_line(top))

    def _record(self, top: cst.CSTNode, line: int) -> str:
        """Generate ``top``'s code from ``line`` on, recording every node's range; the code."""
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=self,  # type: ignore[arg-type]  # it only writes `_computed`
            line=line,
        )
        top._codegen(state)
        return "".join(state.tokens)

    def _matches(self, code: str, line: int) -> bool:
        """Is ``code`` the text from the start of ``line`` on?"""
        assert self._text is not None
        starts = self._line_offsets()
        if not 0 < line <= len(starts):
            return False
        start = starts[line - 1]
        if self._text.startswith(code, start):
            return True
        # The last statement of a file without a final newline: its code has one.
        rest = self._text[start:]
        return code.startswith(rest) and code[len(rest):] in ("\n", "\r\n", "\r")

    def _hints(self) -> dict[cst.CSTNode, int]:
        if self._hinted is None:
            assert self._text is not None
            self._hinted = _statement_lines(self.module, self._text)
        return self._hinted

    def _start_line(self, top: cst.CSTNode) -> int:
        """The line a top-level node starts on, from plain code generation (no hooks) of
        the nodes before it, continued only as far as asked."""
        while top not in self._starts:
            node = self._tops[len(self._starts)]
            self._starts[node] = self._line
            before = len(self._plain.tokens)
            node._codegen(self._plain)
            self._line += len(_NEWLINE.findall("".join(self._plain.tokens[before:])))
        return self._starts[top]


def _statement_lines(module: cst.Module, text: str) -> dict[cst.CSTNode, int]:
    """The line each statement starts on (:func:`statement_lines`), parsing ``text``."""
    try:
        tree = ast.parse(text)
    except Exception:  # noqa: BLE001 - syntax newer than this interpreter, too deep, ...
        return {}
    return statement_lines(module, tree)


@overload
def statement_lines(module: cst.Module, tree: ast.Module) -> dict[cst.CSTNode, int]: ...
@overload
def statement_lines(module: cst.Module, tree: None) -> None: ...
def statement_lines(module: cst.Module, tree: ast.Module | None) -> dict[cst.CSTNode, int] | None:
    """The line each statement starts on (its leading blank and comment lines included, as
    LibCST counts them), from the stdlib parser's tree of the same text (None without one):
    every top-level statement, and the statements of indented blocks where the two trees
    pair up; empty when the top-level statements do not."""
    if tree is None:
        return None
    lines: dict[cst.CSTNode, int] = {}
    if not _pair_body(module.body, tree.body, lines):
        return {}
    return lines


def _pair_body(
    body: Sequence[cst.BaseStatement], statements: list[ast.stmt], lines: dict[cst.CSTNode, int]
) -> bool:
    """Pair a LibCST statement list with the stdlib parser's; False when they differ."""
    at = 0
    for node in body:
        if at >= len(statements):
            return False
        first = statements[at]
        if isinstance(node, cst.SimpleStatementLine):
            at += len(node.body)
            line = first.lineno
        else:
            at += 1
            decorators = getattr(node, "decorators", ())
            if decorators:
                expression = decorators[0].decorator
                if getattr(expression, "lpar", ()) or not isinstance(
                    first, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                ):
                    # `@(expr)`: the stdlib parser's line is the inner expression's.
                    return False
                line = first.decorator_list[0].lineno - len(decorators[0].leading_lines)
            else:
                line = first.lineno
            _pair_inner(node, first, lines)
        lines[node] = line - len(node.leading_lines)  # type: ignore[attr-defined]
    return at == len(statements)


def _pair_inner(node: cst.CSTNode, statement: ast.stmt, lines: dict[cst.CSTNode, int]) -> None:
    """The statements of a compound statement's indented blocks (left out where the two
    trees differ: those are generated with an enclosing statement)."""
    for block, statements in _blocks(node, statement):
        if isinstance(block, cst.IndentedBlock):
            inner: dict[cst.CSTNode, int] = {}
            if _pair_body(block.body, statements, inner):
                lines.update(inner)


# `try` and (Python 3.11+) `try`/`except*` in the stdlib parser's tree.
_TRY_STAR: Any = getattr(ast, "TryStar", ast.Try)


def _blocks(node: Any, statement: Any) -> list[tuple[cst.CSTNode, list[ast.stmt]]]:
    """The indented blocks of a compound statement, each with the stdlib parser's list."""
    blocks: list[tuple[cst.CSTNode, list[ast.stmt]]] = []
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.With)) and isinstance(
        statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.With, ast.AsyncWith)
    ):
        blocks.append((node.body, statement.body))
    elif isinstance(node, cst.If) and isinstance(statement, ast.If):
        blocks.append((node.body, statement.body))
        if isinstance(node.orelse, cst.If) and len(statement.orelse) == 1:
            blocks += _blocks(node.orelse, statement.orelse[0])
        elif isinstance(node.orelse, cst.Else):
            blocks.append((node.orelse.body, statement.orelse))
    elif isinstance(node, (cst.For, cst.While)) and isinstance(
        statement, (ast.For, ast.AsyncFor, ast.While)
    ):
        blocks.append((node.body, statement.body))
        if node.orelse is not None:
            blocks.append((node.orelse.body, statement.orelse))
    elif isinstance(node, (cst.Try, cst.TryStar)) and isinstance(statement, (ast.Try, _TRY_STAR)):
        blocks.append((node.body, statement.body))
        handlers: Sequence[Any] = node.handlers
        if len(handlers) == len(statement.handlers):
            blocks += [(h.body, a.body) for h, a in zip(handlers, statement.handlers)]
        if node.orelse is not None:
            blocks.append((node.orelse.body, statement.orelse))
        if node.finalbody is not None:
            blocks.append((node.finalbody.body, statement.finalbody))
    elif (
        isinstance(node, cst.Match)
        and isinstance(statement, ast.Match)
        and len(node.cases) == len(statement.cases)
    ):
        blocks += [(c.body, a.body) for c, a in zip(node.cases, statement.cases)]
    return blocks
