"""``node.visit(visitor)`` for read-only visitors, without rebuilding the tree.

LibCST's ``visit`` serves transformers too: every node visited is constructed again (and
validated) from its visited children, even for a ``CSTVisitor`` that changes nothing, which
costs more than the checks themselves. :func:`walk` calls the same ``visit_<Node>`` and
``leave_<Node>`` methods in the same order (children in the order LibCST visits them,
recorded once per node type), a ``False`` from ``visit_<Node>`` still skips the children, and
a visitor that overrides ``on_visit``/``on_leave`` gets those called instead. Attribute hooks
(``visit_<Node>_<field>``) are not called: no wfcheck visitor has one. Nor is *trivia*
(whitespace, punctuation, operators: most of a tree's nodes) walked into, for a visitor with
no hook for any of it; which fields can hold more than trivia is read from LibCST's
annotations once per node type.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Callable, Literal, Optional

import libcst as cst

_Hook = Optional[Callable[[cst.CSTVisitor, cst.CSTNode], object]]
# Node type -> the fields LibCST visits in order, those of them that can hold more than
# trivia, the other fields, and those of them that can hold more than trivia.
_Order = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_ORDER: dict[type[cst.CSTNode], _Order] = {}
_HOOKS: dict[type, dict[type, tuple[_Hook, _Hook]]] = {}
# Type -> what it is: not a node, a node, or trivia.
NOT_A_NODE, NODE, TRIVIA = 0, 1, 2
# Nodes that hold nothing but whitespace and comments (the whitespace itself, punctuation,
# operators): most of a tree's nodes (the whitespace alone is ~45% on workflow code), and no
# wfcheck visitor has hooks for them. Checks read them as fields of the nodes around them.
_TRIVIA = (
    cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline,
    cst.Comment, cst.Comma, cst.Dot, cst.Semicolon, cst.Colon, cst.AssignEqual,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
    cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.BaseBinaryOp, cst.BaseBooleanOp,
    cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp, cst.ImportStar, cst.Asynchronous,
)
_SKIPS_TRIVIA: dict[type, bool] = {}


class _FieldRecorder(cst.CSTVisitor):
    """Notes the fields LibCST visits, in its order, without descending into them."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute not in self.fields:
            self.fields.append(attribute)


class _Kinds(dict[type, int]):
    """Type -> :data:`NOT_A_NODE`, :data:`NODE` or :data:`TRIVIA`, worked out on first use:
    CSTNode is an ABC, so ``issubclass`` on it is slow, and this is asked for every field of
    every node (as ``KINDS[kind]``, a plain dictionary lookup once known)."""

    def __missing__(self, kind: type) -> int:
        if not issubclass(kind, cst.CSTNode):
            answer = NOT_A_NODE
        else:
            answer = TRIVIA if issubclass(kind, _TRIVIA) else NODE
        self[kind] = answer
        return answer


KINDS = _Kinds()
kind_of = KINDS.__getitem__


def _skips_trivia(visitor_type: type) -> bool:
    """May a walk with this visitor skip trivia? Only if it has no hook for any trivia type."""
    answer = _SKIPS_TRIVIA.get(visitor_type)
    if answer is None:
        hooked = (
            getattr(cst, name.split("_")[1], None)  # LibCST's node names have no underscore
            for name in dir(visitor_type)
            if name.startswith(("visit_", "leave_"))
            and getattr(visitor_type, name) is not getattr(cst.CSTVisitor, name, None)
        )
        answer = _SKIPS_TRIVIA[visitor_type] = not any(
            isinstance(kind, type) and issubclass(kind, _TRIVIA) for kind in hooked
        )
    return answer


def _holds_nodes(value: object) -> bool:
    if isinstance(value, (tuple, list)):
        return any(KINDS[type(v)] != NOT_A_NODE for v in value)
    return KINDS[type(value)] != NOT_A_NODE


def _may_hold_node(hint: object) -> bool:
    """Can a field annotated ``hint`` hold a node that is not trivia?"""
    if typing.get_origin(hint) is Literal:
        return False
    arguments = typing.get_args(hint)
    if arguments:  # Sequence[...], Union[...], Optional[...]
        return any(_may_hold_node(argument) for argument in arguments)
    if not isinstance(hint, type):
        return True  # not understood: it may
    return issubclass(hint, cst.CSTNode) and not issubclass(hint, _TRIVIA)


class _NodeFields(dict[type, tuple[str, ...]]):
    """Node type -> the fields that can hold a node other than trivia, from the type's
    annotations (whitespace fields, `lpar`, `comma`, `Name.value` cannot), worked out on
    first use."""

    def __missing__(self, kind: type) -> tuple[str, ...]:
        try:
            hints = typing.get_type_hints(kind)
        except Exception:  # an annotation that does not resolve: any field may
            hints = {}
        names = self[kind] = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in hints or _may_hold_node(hints[f.name])
        )
        return names


NODE_FIELDS = _NodeFields()
node_fields = NODE_FIELDS.__getitem__


def _record(node: cst.CSTNode, known: tuple[str, ...]) -> _Order:
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    order = tuple(recorder.fields) + tuple(f for f in known if f not in recorder.fields)
    others = tuple(f.name for f in dataclasses.fields(node) if f.name not in order)
    lean = node_fields(type(node))
    return order, tuple(f for f in order if f in lean), others, tuple(f for f in others if f in lean)


def _field_order(node: cst.CSTNode, deepest: int = TRIVIA) -> tuple[str, ...]:
    """The fields LibCST visits, in its order (with ``deepest`` :data:`NODE`, only those that
    can hold more than trivia). Some are visited only when set
    (`FormattedStringExpression.format_spec`): a node holding children in a field not seen
    visited yet is recorded again."""
    kind = type(node)
    entry = _ORDER.get(kind)
    lean = deepest == NODE
    if entry is None:
        entry = _ORDER[kind] = _record(node, ())
    else:
        for name in entry[3] if lean else entry[2]:
            if _holds_nodes(getattr(node, name)):
                entry = _ORDER[kind] = _record(node, entry[0])
                break
    return entry[1] if lean else entry[0]


def children(node: cst.CSTNode, deepest: int = TRIVIA) -> list[cst.CSTNode]:
    """``node.children``, without visiting (with ``deepest`` :data:`NODE`, less trivia)."""
    found: list[cst.CSTNode] = []
    for name in _field_order(node, deepest):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            found.extend(child for child in value if 0 < KINDS[type(child)] <= deepest)
        elif 0 < KINDS[kind] <= deepest:
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
    """Visit ``node`` and everything below it with ``visitor``, as ``node.visit`` would
    (less the trivia, for a visitor with no hook for it)."""
    kind = type(visitor)
    if kind.on_visit is not cst.CSTVisitor.on_visit or kind.on_leave is not cst.CSTVisitor.on_leave:
        _walk_generic(node, visitor)
    else:
        _walk(node, visitor, _hooks(kind), NODE if _skips_trivia(kind) else TRIVIA)


def _walk(
    node: cst.CSTNode, visitor: cst.CSTVisitor, table: dict[type, tuple[_Hook, _Hook]], deepest: int
) -> None:
    """``deepest``: the kinds walked into (:data:`NODE`, or :data:`TRIVIA` for trivia too)."""
    kind = type(node)
    hooks = table.get(kind)
    if hooks is None:
        hooks = table[kind] = _hooks_for(type(visitor), kind)
    visit, leave = hooks
    if visit is None or visit(visitor, node) is not False:
        # children(node), inlined: this loop runs for every node of every workflow. The
        # field order is read straight from its table unless fields are left to look at.
        entry = _ORDER.get(kind)
        lean = deepest == NODE
        if entry is None or entry[3 if lean else 2]:
            names = _field_order(node, deepest)
        else:
            names = entry[1 if lean else 0]
        for name in names:
            value = getattr(node, name)
            value_kind = type(value)
            if value_kind is tuple or value_kind is list:
                for child in value:
                    if 0 < KINDS[type(child)] <= deepest:
                        _walk(child, visitor, table, deepest)
            elif 0 < KINDS[value_kind] <= deepest:
                _walk(value, visitor, table, deepest)
    if leave is not None:
        leave(visitor, node)


def _walk_generic(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    if visitor.on_visit(node):
        for child in children(node):
            _walk_generic(child, visitor)
    visitor.on_leave(node)
