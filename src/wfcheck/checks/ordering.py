"""WF602 unordered-iteration: set order, string hashes and object ids in workflow code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.checks.registry import StructuralRule

if TYPE_CHECKING:
    from wfcheck.analysis.checker import CheckContext

CODE = "WF602"

# Builtins whose result depends on the order they iterate their argument in.
_ORDER_CONSUMERS = frozenset(
    {"builtins.list", "builtins.tuple", "builtins.enumerate", "builtins.iter", "builtins.zip",
     "builtins.map", "builtins.filter"}
)
_SET_CONSTRUCTORS = frozenset({"builtins.set", "builtins.frozenset"})
_SET_METHODS = frozenset({"union", "intersection", "difference", "symmetric_difference", "copy"})
_SET_OPERATORS = (cst.BitOr, cst.BitAnd, cst.Subtract, cst.BitXor)
# hash() of these is stable across processes (only str/bytes hashes are randomised).
_STABLE_HASH_CALLS = frozenset({"builtins.int", "builtins.float", "builtins.len", "builtins.bool"})
_STABLE_HASH_TYPES = frozenset({"builtins.int", "builtins.float", "builtins.bool", "builtins.complex"})

# The `qualified` a set-iteration finding carries (hash()/id() findings carry the builtin);
# each names its message in rules/WF6-structure.toml.
SET_ITERATION = "set-iteration"


# Consumers of a comprehension whose result does not depend on the order they see its
# elements in (without `key=`: equal keys keep the order they came in).
_ORDER_FREE_CONSUMERS = frozenset(
    {"builtins.sorted", "builtins.set", "builtins.frozenset", "builtins.any", "builtins.all",
     "builtins.min", "builtins.max"}
)


def check_iteration(ctx: CheckContext, iterable: cst.BaseExpression) -> None:
    if is_set_expression(ctx, iterable):
        ctx.report(iterable, CODE, "", qualified=SET_ITERATION)


def check_comprehension(ctx: CheckContext, comp_for: cst.CompFor) -> None:
    if not _order_free_comprehension(ctx, comp_for):
        check_iteration(ctx, comp_for.iter)


def _order_free_comprehension(ctx: CheckContext, comp_for: cst.CompFor) -> bool:
    """A set comprehension, or a comprehension that an order-free consumer takes whole:
    `{u.upper() for u in users}`, `sorted(u.lower() for u in users)`, `any(...)`,
    `sum(1 for ...)`."""
    parents = ctx.facts.parents
    node: cst.CSTNode = comp_for
    while isinstance(parents.get(node), cst.CompFor):
        node = parents[node]
    comprehension = parents.get(node)
    if isinstance(comprehension, cst.SetComp):
        return True
    if not isinstance(comprehension, (cst.GeneratorExp, cst.ListComp)):
        return False
    arg = parents.get(comprehension)
    call = parents.get(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg:
        return False
    if arg.keyword is not None or arg.star or any(a.keyword and a.keyword.value == "key" for a in call.args):
        return False
    qualified = ctx.resolve(call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
    if qualified in _ORDER_FREE_CONSUMERS:
        return True
    # Counting is order-free; summing floats is not (rounding depends on the order).
    return qualified == "builtins.sum" and isinstance(comprehension.elt, cst.Integer)


def check_call(ctx: CheckContext, call: cst.Call) -> None:
    func = call.func
    qualified = ctx.resolve(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
    if qualified in _ORDER_CONSUMERS:
        if _taken_whole_by_order_free(ctx, call):
            return  # `sorted(list(s))`, `len(tuple(s))`: the order is not kept
        for arg in call.args:
            if arg.star != "**" and is_set_expression(ctx, arg.value):
                ctx.report(arg.value, CODE, "", qualified=SET_ITERATION)
        return
    if qualified == "builtins.hash" and call.args and not _stable_hash_argument(ctx, call.args[0].value):
        ctx.report(call, CODE, "hash", qualified="builtins.hash")
        return
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "pop"
        and not call.args
        and is_set_expression(ctx, func.value)
    ):
        ctx.report(call, CODE, "set.pop", qualified="set.pop")
        return
    if qualified == "builtins.id":
        ctx.report(call, CODE, "id", qualified="builtins.id")
        return
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "join"
        and qualified is None
        and call.args
        and is_set_expression(ctx, call.args[0].value)
    ):
        ctx.report(call.args[0].value, CODE, "", qualified=SET_ITERATION)


def _taken_whole_by_order_free(ctx: CheckContext, node: cst.CSTNode) -> bool:
    """Is ``node`` the first argument of `sorted()`, `set()`, `len()`, `min()`, ... (no `key=`)?"""
    arg = ctx.facts.parents.get(node)
    call = ctx.facts.parents.get(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg:
        return False
    if arg.keyword is not None or arg.star or any(a.keyword and a.keyword.value == "key" for a in call.args):
        return False
    func = call.func
    qualified = ctx.resolve(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
    return qualified in _ORDER_FREE_CONSUMERS or qualified == "builtins.len"


def is_set_expression(ctx: CheckContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if isinstance(node, cst.Set):
        return not all(isinstance(e.value, cst.Integer) for e in node.elements)
    if isinstance(node, cst.SetComp):
        return True
    if isinstance(node, cst.Await):
        return is_set_expression(ctx, node.expression, depth + 1)
    if isinstance(node, cst.Call):
        func = node.func
        qualified = ctx.resolve(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if qualified in _SET_CONSTRUCTORS:
            return True
        if qualified == "builtins.dict.fromkeys" and node.args:
            # `dict.fromkeys(<set>)` keeps the set's order in its keys.
            return is_set_expression(ctx, node.args[0].value, depth + 1)
        if isinstance(func, cst.Attribute) and func.attr.value in _SET_METHODS:
            return is_set_expression(ctx, func.value, depth + 1)
        return False
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _SET_OPERATORS):
        # `a.keys() - b.keys()`: set operations on dict views return sets.
        return any(
            _is_dict_view(operand) or is_set_expression(ctx, operand, depth + 1)
            for operand in (node.left, node.right)
        )
    if isinstance(node, cst.Name):
        return _is_set_variable(ctx, node.value, depth)
    if isinstance(node, cst.Attribute):
        return _is_set_attribute(ctx, node, depth)
    return False


def _is_dict_view(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and not node.args
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("keys", "items")
    )


def is_set_annotation(node: cst.BaseExpression) -> bool:
    """`set[str]`, `Set[int]`, `typing.FrozenSet[...]`, `frozenset`, `AbstractSet[...]`."""
    if isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return isinstance(value, str) and value.split("[", 1)[0].rsplit(".", 1)[-1] in _SET_TYPES
    name = node.attr.value if isinstance(node, cst.Attribute) else (
        node.value if isinstance(node, cst.Name) else ""
    )
    return name in _SET_TYPES


_SET_TYPES = frozenset(
    {"set", "frozenset", "Set", "FrozenSet", "AbstractSet", "MutableSet"}
)
# Calls whose tuple result holds sets: `done, pending = await asyncio.wait(tasks)`
# (`temporalio.workflow.wait`, its deterministic twin, returns lists).
_SET_PAIR_CALLS = frozenset({"asyncio.wait"})


def _is_set_variable(ctx: CheckContext, name: str, depth: int) -> bool:
    """A local whose every assignment is a set expression, or that is annotated as a set."""
    owner = ctx.scope.owner_of(name)
    if owner is None or owner.kind == "module" or not ctx.in_unit(owner):
        return False
    values: list[cst.BaseExpression] = []
    unpacked_sets = False
    for binding in owner.bindings[name]:
        if binding.kind == "augment":
            continue
        if binding.kind == "annotation" and isinstance(binding.node, cst.BaseExpression):
            if is_set_annotation(binding.node):
                return True
            continue
        if binding.kind == "unpacked" and isinstance(binding.node, cst.BaseExpression):
            call = binding.node.expression if isinstance(binding.node, cst.Await) else binding.node
            if not (isinstance(call, cst.Call) and ctx.resolve(call.func) in _SET_PAIR_CALLS):
                return False
            unpacked_sets = True
            continue
        if binding.kind != "value" or not isinstance(binding.node, cst.BaseExpression):
            return False
        values.append(binding.node)
    return (bool(values) or unpacked_sets) and all(
        is_set_expression(ctx, v, depth + 1) for v in values
    )


def _is_set_attribute(ctx: CheckContext, node: cst.Attribute, depth: int) -> bool:
    """`self.<attr>` whose class assigns it only sets, or annotates it as a set."""
    scope = ctx.scope
    while scope is not None and scope.self_name is None and scope.kind != "class":
        scope = scope.parent  # type: ignore[assignment]
    if (
        scope is None
        or scope.class_scope is None
        or not isinstance(node.value, cst.Name)
        or node.value.value != scope.self_name
    ):
        return False
    attr = node.attr.value
    class_scope = scope.class_scope
    for binding in class_scope.bindings.get(attr, ()):
        if binding.kind == "annotation" and binding.node is not None:
            return is_set_annotation(binding.node)  # type: ignore[arg-type]
    annotated = class_scope.instance_annotations.get(attr)
    if annotated is not None:
        return is_set_annotation(annotated)
    values = class_scope.instance_attrs.get(attr, ())
    return bool(values) and all(
        isinstance(value, (cst.Set, cst.SetComp))
        or (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value in ("set", "frozenset")
        )
        for value, _ in values
    )


def _stable_hash_argument(ctx: CheckContext, node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return _stable_hash_argument(ctx, node.expression)
    if isinstance(node, cst.Tuple):
        # A tuple hashes its elements: stable when every element is.
        return all(
            isinstance(e, cst.Element) and _stable_hash_argument(ctx, e.value) for e in node.elements
        )
    if isinstance(node, cst.Name):
        if node.value in ("True", "False", "None"):
            return True
        resolved = ctx.resolve_full(node)  # a parameter or local annotated `int`/`float`
        return resolved is not None and resolved.instance and resolved.qualified in _STABLE_HASH_TYPES
    if isinstance(node, cst.Call) and isinstance(node.func, (cst.Name, cst.Attribute)):
        qualified: str | None = ctx.resolve(node.func)
        return qualified in _STABLE_HASH_CALLS
    return False


def check_for(ctx: CheckContext, node: cst.For) -> None:
    check_iteration(ctx, node.iter)


RULE = StructuralRule(
    CODE,
    visit={cst.For: check_for, cst.CompFor: check_comprehension},
    leave={cst.Call: check_call},
)
