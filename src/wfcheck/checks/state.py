"""WF603 global-state: writes to module-level state from workflow code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.analysis.scopes import Binding, Scope

if TYPE_CHECKING:
    from wfcheck.analysis.checker import CheckContext

MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "add",
     "discard", "setdefault", "sort", "reverse", "appendleft", "extendleft", "popleft",
     "__setitem__", "__delitem__", "difference_update", "intersection_update",
     "symmetric_difference_update"}
)
_MUTABLE_CONSTRUCTORS = frozenset(
    {"builtins.list", "builtins.dict", "builtins.set", "builtins.bytearray",
     "collections.defaultdict", "collections.OrderedDict", "collections.Counter",
     "collections.deque", "collections.ChainMap"}
)
_SHARED = "which outlives the workflow and is shared by every instance and replay"


def module_mutables(module: Scope, resolve) -> frozenset[str]:
    """Module-level names bound only to mutable containers (`CACHE = {}`)."""
    names = []
    for name, bindings in module.bindings.items():
        # `CACHE: Dict[str, str] = {}`: the annotation says nothing about mutability.
        values = [b for b in bindings if b.kind != "annotation"]
        if values and all(_is_mutable(b, module, resolve) for b in values):
            names.append(name)
    return frozenset(names)


def _is_mutable(binding: Binding, module: Scope, resolve) -> bool:
    if binding.kind != "value" or binding.node is None:
        return False
    value = binding.node
    if isinstance(value, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)):
        resolved = resolve(value.func, module)
        return resolved is not None and resolved.qualified in _MUTABLE_CONSTRUCTORS
    return False


def check_target(ctx: CheckContext, target: cst.BaseExpression) -> None:
    """An assignment, augmented assignment, `del` or loop target."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            check_target(ctx, element.value)
        return
    if isinstance(target, cst.StarredElement):
        check_target(ctx, target.value)
        return
    if isinstance(target, cst.Name):
        _check_name_write(ctx, target)
        return
    if isinstance(target, (cst.Subscript, cst.Attribute)):
        root = _root_name(target)
        if root is not None and _is_module_mutable(ctx, root.value):
            ctx.report(target, "WF603", f"writes into module-level `{root.value}`, {_SHARED}")


def check_call(ctx: CheckContext, call: cst.Call) -> None:
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in MUTATING_METHODS):
        return
    root = _root_name(func.value)
    if root is not None and _is_module_mutable(ctx, root.value):
        ctx.report(call, "WF603", f"`{root.value}.{func.attr.value}()` mutates module-level state, {_SHARED}")


def _check_name_write(ctx: CheckContext, target: cst.Name) -> None:
    name = target.value
    scope = ctx.scope
    if name in scope.globals:
        ctx.report(target, "WF603", f"assigns the global `{name}`, {_SHARED}")
        return
    if name in scope.nonlocals:
        owner = scope.parent.owner_of(name) if scope.parent is not None else None
        if not ctx.in_unit(owner):
            message = f"assigns `{name}` in a scope outside the workflow (nonlocal), which outlives a replay"
            ctx.report(target, "WF603", message)


def _root_name(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _is_module_mutable(ctx: CheckContext, name: str) -> bool:
    if name not in ctx.module_mutables:
        return False
    owner = ctx.scope.owner_of(name)
    return owner is not None and owner.kind == "module"
