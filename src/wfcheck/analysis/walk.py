"""``node.visit(visitor)`` for read-only visitors, without rebuilding the tree.

LibCST's ``visit`` serves transformers too: every node visited is constructed again (and
validated) from its visited children, even for a ``CSTVisitor`` that changes nothing, which
costs more than the checks themselves. :func:`walk` calls the same ``visit_<Node>`` and
``leave_<Node>`` methods in the same order (children in the order LibCST visits them,
recorded once per node type), a ``False`` from ``visit_<Node>`` still skips the children, and
a visitor that overrides ``on_visit``/``on_leave`` gets those called instead. Attribute hooks
(``visit_<Node>_<field>``) are not called: no wfcheck visitor has one.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import libcst as cst

_Hook = Optional[Callable[[cst.CSTVisitor, cst.CSTNode], object]]
# Node type -> (the fields LibCST visits in order, the other fields).
_ORDER: dict[type[cst.CSTNode], tuple[tuple[str, ...], tuple[str, ...]]] = {}
_NODE_TYPES: dict[type, bool] = {}
_HOOKS: dict[type, dict[type, tuple[_Hook, _Hook]]] = {}


class _FieldRecorder(cst.CSTVisitor):
    """Notes the fields LibCST visits, in its order, without descending into them."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute not in self.fields:
            self.fields.append(attribute)


def is_node_type(kind: type) -> bool:
    """``issubclass(kind, CSTNode)``, remembered: CSTNode is an ABC, so ``isinstance`` on it
    is slow, and it is asked for every field of every node."""
    answer = _NODE_TYPES.get(kind)
    if answer is None:
        answer = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return answer


def _holds_nodes(value: object) -> bool:
    if isinstance(value, (tuple, list)):
        return any(is_node_type(type(v)) for v in value)
    return is_node_type(type(value))


def _record(node: cst.CSTNode, known: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    order = tuple(recorder.fields) + tuple(f for f in known if f not in recorder.fields)
    others = tuple(f.name for f in dataclasses.fields(node) if f.name not in order)
    return order, others


def _field_order(node: cst.CSTNode) -> tuple[str, ...]:
    """The fields LibCST visits, in its order. Some are visited only when set
    (`FormattedStringExpression.format_spec`): a node holding children in a field not seen
    visited yet is recorded again."""
    kind = type(node)
    entry = _ORDER.get(kind)
    if entry is None:
        entry = _ORDER[kind] = _record(node, ())
    else:
        for name in entry[1]:
            if _holds_nodes(getattr(node, name)):
                entry = _ORDER[kind] = _record(node, entry[0])
                break
    return entry[0]


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node.children``, without visiting."""
    found: list[cst.CSTNode] = []
    for name in _field_order(node):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            found.extend(child for child in value if is_node_type(type(child)))
        elif is_node_type(kind):
            found.append(value)
    return found


def _hooks(visitor_type: type) -> dict[type, tuple[_Hook, _Hook]]:
    """Node type -> the visitor's (visit, leave) methods for it, filled in as met."""
    table = _HOOKS.get(visitor_type)
    if table is None:
        table = _HOOKS[visitor_type] = {}
    return table


def _hooks_for(visitor_type: type, kind: type) -> tuple[_Hook, _Hook]:
    found = []
    for prefix in ("visit_", "leave_"):
        name = prefix + kind.__name__
        method = getattr(visitor_type, name, None)
        # The no-op stubs every CSTVisitor inherits are not worth a call per node.
        found.append(None if method is getattr(cst.CSTVisitor, name, None) else method)
    return found[0], found[1]


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Visit ``node`` and everything below it with ``visitor``, as ``node.visit`` would."""
    kind = type(visitor)
    if kind.on_visit is not cst.CSTVisitor.on_visit or kind.on_leave is not cst.CSTVisitor.on_leave:
        _walk_generic(node, visitor)
    else:
        _walk(node, visitor, _hooks(kind))


def _walk(node: cst.CSTNode, visitor: cst.CSTVisitor, table: dict[type, tuple[_Hook, _Hook]]) -> None:
    kind = type(node)
    hooks = table.get(kind)
    if hooks is None:
        hooks = table[kind] = _hooks_for(type(visitor), kind)
    visit, leave = hooks
    if visit is None or visit(visitor, node) is not False:
        # children(node), inlined: this loop runs for every node of every workflow.
        for name in _field_order(node):
            value = getattr(node, name)
            value_kind = type(value)
            if value_kind is tuple or value_kind is list:
                for child in value:
                    if is_node_type(type(child)):
                        _walk(child, visitor, table)
            elif is_node_type(value_kind):
                _walk(value, visitor, table)
    if leave is not None:
        leave(visitor, node)


def _walk_generic(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    if visitor.on_visit(node):
        for child in children(node):
            _walk_generic(child, visitor)
    visitor.on_leave(node)
