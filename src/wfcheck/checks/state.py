"""WF603 global-state: writes to module-level state from workflow code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.analysis.scopes import Binding, Scope
from wfcheck.checks.registry import StructuralRule

if TYPE_CHECKING:
    from wfcheck.analysis.checker import CheckContext

CODE = "WF603"

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
        if root is None:
            return
        if _is_module_mutable(ctx, root.value):
            ctx.report(target, CODE, root.value, qualified="module-write")
        elif _is_module_class(ctx, root.value):
            ctx.report(target, CODE, root.value, qualified="class-write")
        else:
            enclosing = _enclosing_mutable(ctx, root.value)
            if enclosing is not None:
                ctx.report(target, CODE, root.value, enclosing, qualified="enclosing-write")


def check_call(ctx: CheckContext, call: cst.Call) -> None:
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in MUTATING_METHODS):
        return
    root = _root_name(func.value)
    if root is None:
        return
    if _is_module_mutable(ctx, root.value):
        ctx.report(call, CODE, f"{root.value}.{func.attr.value}", qualified="module-mutation")
    elif isinstance(func.value, cst.Attribute) and _is_class_container(ctx, func.value, root):
        attr = func.value.attr.value
        ctx.report(call, CODE, f"{root.value}.{attr}.{func.attr.value}", qualified="class-mutation")
    else:
        enclosing = _enclosing_mutable(ctx, root.value)
        if enclosing is not None:
            name = f"{root.value}.{func.attr.value}"
            ctx.report(call, CODE, name, enclosing, qualified="enclosing-mutation")


_CONTAINER_LITERALS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)


def _is_class_container(ctx: CheckContext, node: cst.BaseExpression, root: cst.Name) -> bool:
    """`Registry.items` where the module-level class `Registry` binds `items = []`."""
    if not (isinstance(node, cst.Attribute) and node.value is root and _is_module_class(ctx, root.value)):
        return False
    owner = ctx.scope.owner_of(root.value)
    cls = owner.bindings[root.value][0].node if owner is not None else None
    if not isinstance(cls, cst.ClassDef):
        return False
    for statement in cls.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
            targets = (
                [t.target for t in small.targets] if isinstance(small, cst.Assign)
                else [small.target] if isinstance(small, cst.AnnAssign) else []
            )
            if value is not None and any(
                isinstance(t, cst.Name) and t.value == node.attr.value for t in targets
            ):
                return isinstance(value, _CONTAINER_LITERALS)
    return False


def _is_module_class(ctx: CheckContext, name: str) -> bool:
    """A class defined at module level: `Counter.hits += 1` writes state every instance shares."""
    owner = ctx.scope.owner_of(name)
    if owner is None or owner.kind != "module":
        return False
    bindings = owner.bindings.get(name, ())
    return len(bindings) == 1 and isinstance(bindings[0].node, cst.ClassDef)


def _enclosing_mutable(ctx: CheckContext, name: str) -> str | None:
    """The enclosing (non-workflow) function owning a mutable container ``name`` refers to:
    a workflow defined inside a factory function closes over the factory's `results = []`."""
    owner = ctx.scope.owner_of(name)
    if owner is None or owner.kind != "function" or ctx.in_unit(owner):
        return None
    values = [b for b in owner.bindings.get(name, ()) if b.kind != "annotation"]
    if not values or not all(_is_mutable(b, owner, ctx.resolver.expr) for b in values):
        return None
    node = owner.node
    return f"{node.name.value}()" if isinstance(node, cst.FunctionDef) else "function"


def _check_name_write(ctx: CheckContext, target: cst.Name) -> None:
    name = target.value
    scope = ctx.scope
    if name in scope.globals:
        ctx.report(target, CODE, name, qualified="global")
        return
    if name in scope.nonlocals:
        owner = scope.parent.owner_of(name) if scope.parent is not None else None
        if not ctx.in_unit(owner):
            ctx.report(target, CODE, name, qualified="nonlocal")


def _root_name(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _is_module_mutable(ctx: CheckContext, name: str) -> bool:
    if name not in ctx.module_mutables:
        return False
    owner = ctx.scope.owner_of(name)
    return owner is not None and owner.kind == "module"


def _check_assign(ctx: CheckContext, node: cst.Assign) -> None:
    for target in node.targets:
        check_target(ctx, target.target)


def _check_annotated(ctx: CheckContext, node: cst.AnnAssign) -> None:
    if node.value is not None:  # `x: int` alone writes nothing
        check_target(ctx, node.target)


def _check_single_target(ctx: CheckContext, node: cst.AugAssign | cst.Del | cst.For) -> None:
    check_target(ctx, node.target)


RULE = StructuralRule(
    CODE,
    visit={
        cst.Assign: _check_assign,
        cst.AnnAssign: _check_annotated,
        cst.AugAssign: _check_single_target,
        cst.Del: _check_single_target,
        cst.For: _check_single_target,
    },
    leave={cst.Call: check_call},
)
