"""Where nodes are and what contains them, without LibCST's metadata wrapper.

LibCST's ``ParentNodeProvider`` runs a Python visitor over the whole module and its
``PositionProvider`` generates the code of the whole module with a hook on every node: for a
small workflow file the two cost several times the parse itself. Here parents come from a
plain walk over the nodes' fields, and positions are generated one top-level statement at a
time, only for the statements a finding, a workflow or a helper actually sits in. The ranges
are the ones ``PositionProvider`` gives (the test suite compares them on every fixture).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodeRange
from libcst.metadata.position_provider import PositionProvidingCodegenState

from wfcheck.analysis.walk import is_node_type

_NEWLINE = re.compile(r"\r\n?|\n")
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def parent_map(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    """Each node's parent (the module has none), as ``ParentNodeProvider`` gives."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        for name in _fields(type(node)):
            value = getattr(node, name)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    if is_node_type(type(child)):
                        parents[child] = node
                        stack.append(child)
            elif is_node_type(kind):
                parents[value] = node
                stack.append(value)
    return parents


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """node -> its range (1-based lines, 0-based columns), computed per top-level statement
    on first use."""

    def __init__(self, module: cst.Module, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> None:
        self.module = module
        self.parents = parents
        # Written by LibCST's position-recording codegen state (its provider protocol).
        self._computed: dict[cst.CSTNode, CodeRange] = {}
        self._tops = (*module.header, *module.body, *module.footer)
        self._starts: dict[cst.CSTNode, int] = {}
        self._plain = CodegenState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self._line = 1

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        if node not in self._computed:
            self._generate(self._top_level(node))
        return self._computed[node]

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
        line = 1 if top is self.module else self._start_line(top)
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=self,  # type: ignore[arg-type]  # it only writes `_computed`
            line=line,
        )
        top._codegen(state)

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
