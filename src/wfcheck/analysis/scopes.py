"""Scopes, bindings and name resolution from a module's own imports.

Resolution maps an expression such as ``r.choice`` or ``Path(p).read_text`` to a qualified
name (``random.choice``, ``pathlib.Path.read_text``) using only what the module itself says:
its imports, its assignments and parameter annotations. A name bound locally (a parameter, an
assignment, a loop variable) shadows a module of the same name and resolves to nothing unless
its value is known. This is deliberately cheaper than LibCST's qualified-name provider: it
runs only for the names workflow code uses.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, Union

import libcst as cst

from wfcheck.analysis.walk import walk
from wfcheck.source import parse_annotation

BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins))

FunctionLike = Union[cst.FunctionDef, cst.Lambda]
Comprehension = Union[cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]


class Binding:
    """One way a name gets bound in a scope.

    ``kind`` is ``import`` (``target`` is the qualified name), ``value`` (``node`` is the
    assigned expression), ``annotation`` (``node`` is the annotation), ``augment`` (an
    augmented assignment, which keeps the binding's type) or ``other`` (a loop target, an
    ``except`` name, a ``def``: nothing known).
    """

    __slots__ = ("kind", "node", "target")

    def __init__(
        self, kind: str, node: cst.CSTNode | None = None, target: str = ""
    ) -> None:
        self.kind = kind
        self.node = node
        self.target = target


def imported_modules(small: cst.BaseSmallStatement, package: str) -> list[str]:
    """The modules an import statement may import, absolute (``package``: the importing
    module's, for relative imports; none when it is unknown). `from . import helpers`
    names each imported name as a module of the package (most likely it is one)."""
    if isinstance(small, cst.Import):
        return [dotted_name(alias.name) or "" for alias in small.names]
    if not isinstance(small, cst.ImportFrom):
        return []
    base = "." * len(small.relative) + (dotted_name(small.module) or "" if small.module else "")
    if not small.relative:
        return [base]
    if not package:
        return []  # a relative import whose package is unknown cannot be judged
    if small.module is None and not isinstance(small.names, cst.ImportStar):
        return [
            absolute_name(f"{base}{alias.name.value}", package)
            for alias in small.names
            if isinstance(alias.name, cst.Name)
        ]
    return [absolute_name(base, package)]


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: cst.Attribute | cst.Name | None) -> str:
    return dotted_name(node) or "" if node is not None else ""


def import_bindings(node: cst.Import | cst.ImportFrom) -> list[tuple[str, str]]:
    """(local name, qualified target) pairs an import statement binds."""
    pairs: list[tuple[str, str]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                pairs.append((alias.asname.name.value, full))
            else:
                head = full.split(".", 1)[0]
                pairs.append((head, head))
        return pairs
    if isinstance(node.names, cst.ImportStar):
        return pairs
    base = "." * len(node.relative) + _module_name(node.module)
    for alias in node.names:
        name = _module_name(alias.name)
        target = f"{base}.{name}" if base and not base.endswith(".") else f"{base}{name}"
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            pairs.append((alias.asname.name.value, target))
        else:
            pairs.append((name, target))
    return pairs


class _BindingCollector(cst.CSTVisitor):
    """Collects the names a scope binds, without entering nested scopes."""

    def __init__(self, root: cst.CSTNode, shallow: bool = False) -> None:
        self.root = root
        # Shallow: bind from statements only, never walking into expressions (module scope,
        # where generated code holds huge literals and walrus bindings are vanishingly rare).
        self.shallow = shallow
        self.bindings: dict[str, list[Binding]] = {}
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.has_yield = False
        self.has_await = False
        # `from time import *`: the modules whose names this scope may hold unseen.
        self.star_modules: list[str] = []

    def _bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def _bind_target(self, target: cst.BaseExpression, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            part = binding if binding.kind == "unpacked" else Binding("other")
            for element in target.elements:
                self._bind_target(element.value, part)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, Binding("other"))

    def _shallow_statements(self, statements: Sequence[cst.BaseSmallStatement]) -> bool:
        if not self.shallow:
            return True
        for small in statements:
            handler = self._SHALLOW.get(type(small))
            if handler is not None:
                handler(self, small)
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return self._shallow_statements(node.body)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> bool:
        return self._shallow_statements(node.body)

    # Nested scopes: only their name binds here.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node is self.root:
            return True
        self._bind(node.name.value, Binding("other", node))
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if node is self.root:
            return True
        self._bind(node.name.value, Binding("other", node))
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return node is self.root

    def visit_Param(self, node: cst.Param) -> bool:
        annotation = node.annotation.annotation if node.annotation is not None else None
        if annotation is not None:
            self._bind(node.name.value, Binding("annotation", annotation))
        else:
            self._bind(node.name.value, Binding("other"))
        return False

    def visit_Parameters(self, node: cst.Parameters) -> bool:
        # Only the root's own parameters bind here (defaults belong to the enclosing scope).
        return True

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._bind(target.target.value, Binding("value", node.value))
            elif not self._bind_pairwise(target.target, node.value):
                # `done, pending = await asyncio.wait(...)`: each name is a part of the value.
                self._bind_target(target.target, Binding("unpacked", node.value))

    def _bind_pairwise(self, target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
        """`A, B = [], {}` binds each name to its own value."""
        if not (isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List))):
            return False
        targets, values = target.elements, value.elements
        if len(targets) != len(values) or any(
            isinstance(e, cst.StarredElement) for e in list(targets) + list(values)
        ):
            return False
        for element, item in zip(targets, values):
            if isinstance(element.value, cst.Name):
                self._bind(element.value.value, Binding("value", item.value))
            elif not self._bind_pairwise(element.value, item.value):
                self._bind_target(element.value, Binding("other"))
        return True

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            if node.value is not None:
                self._bind(node.target.value, Binding("value", node.value))
            self._bind(node.target.value, Binding("annotation", node.annotation.annotation))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self._bind(node.target.value, Binding("augment", node))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, Binding("value", node.value))

    def visit_For(self, node: cst.For) -> None:
        self._bind_target(node.target, Binding("other"))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        # Comprehension targets belong to the comprehension's own scope.
        return None

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, Binding("value", node.item))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, Binding("other"))

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, Binding("other"))

    def visit_Del(self, node: cst.Del) -> None:
        self._bind_target(node.target, Binding("other"))

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name.value, Binding("other"))

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._bind(node.name.value, Binding("other"))

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._bind(node.rest.value, Binding("other"))

    def visit_Import(self, node: cst.Import) -> bool:
        for name, target in import_bindings(node):
            self._bind(name, Binding("import", target=target))
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar) and (node.relative or node.module is not None):
            # `from .base import *` stays relative until the module's package is known.
            self.star_modules.append("." * len(node.relative) + _module_name(node.module))
        for name, target in import_bindings(node):
            self._bind(name, Binding("import", target=target))
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        self.globals.update(item.name.value for item in node.names)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        self.nonlocals.update(item.name.value for item in node.names)
        return False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.has_yield = True

    _SHALLOW: ClassVar[dict[type[cst.CSTNode], Callable[..., object]]] = {
        cst.Assign: visit_Assign,
        cst.AnnAssign: visit_AnnAssign,
        cst.AugAssign: visit_AugAssign,
        cst.Import: visit_Import,
        cst.ImportFrom: visit_ImportFrom,
        cst.Del: visit_Del,
        cst.Global: visit_Global,
        cst.Nonlocal: visit_Nonlocal,
    }

    def visit_Await(self, node: cst.Await) -> None:
        self.has_await = True


_NO_NAMES: frozenset[str] = frozenset()


class Scope:
    """A module, class, function, lambda or comprehension scope."""

    # A helper module's scopes are kept for the run: no per-instance dict, and one shared
    # empty set for the (usual) scope without `global` or `nonlocal`.
    __slots__ = (
        "kind", "node", "parent", "bindings", "globals", "nonlocals", "has_yield", "self_name",
        "class_scope", "_instance_attrs", "_instance_annotations", "_method_scopes",
        "_base_scopes", "module_name", "package", "star_modules",
    )

    def __init__(
        self,
        kind: str,
        node: cst.CSTNode,
        parent: Scope | None,
        bindings: dict[str, list[Binding]],
        globals_: Iterable[str] = (),
        nonlocals: Iterable[str] = (),
        has_yield: bool = False,
    ) -> None:
        self.kind = kind
        self.node = node
        self.parent = parent
        self.bindings = bindings
        self.globals = frozenset(globals_) or _NO_NAMES
        self.nonlocals = frozenset(nonlocals) or _NO_NAMES
        self.has_yield = has_yield
        # For methods: the name of `self` and the instance attribute types of the class.
        self.self_name: str | None = None
        self.class_scope: Scope | None = None
        self._instance_attrs: dict[str, list[tuple[cst.BaseExpression, cst.FunctionDef]]] | None = None
        self._instance_annotations: dict[str, cst.BaseExpression] = {}
        self._method_scopes: dict[int, Scope] = {}
        self._base_scopes: dict[int, Scope] = {}
        # For the module scope: its dotted name and package, when the project knows them, and
        # the modules it star-imports.
        self.module_name = ""
        self.package = ""
        self.star_modules: Sequence[str] = ()

    def method_scope(self, method: cst.FunctionDef) -> Scope:
        """For a class scope: the scope of one of its methods (built once)."""
        scope = self._method_scopes.get(id(method))
        if scope is None:
            scope = self._method_scopes[id(method)] = function_scope(method, self)
        return scope

    def base_scope(self, base: cst.ClassDef) -> Scope:
        """For a class scope: the scope of a base class defined in the same module (built
        once)."""
        scope = self._base_scopes.get(id(base))
        if scope is None:
            scope = self._base_scopes[id(base)] = class_scope(base, self.module)
        return scope

    @property
    def instance_annotations(self) -> dict[str, cst.BaseExpression]:
        """For a class scope: ``self.<attr>: T`` annotations in its methods."""
        self.instance_attrs  # noqa: B018 - computed together
        return self._instance_annotations

    @property
    def instance_attrs(self) -> dict[str, list[tuple[cst.BaseExpression, cst.FunctionDef]]]:
        """For a class scope: ``self.<attr> = <value>`` assignments in its methods (lazy)."""
        if self._instance_attrs is None:
            self._instance_annotations = {}
            if isinstance(self.node, cst.ClassDef):
                self._instance_attrs = _instance_attributes(self.node, self._instance_annotations)
            else:
                self._instance_attrs = {}
        return self._instance_attrs

    @property
    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def owner_of(self, name: str) -> Scope | None:
        """The scope whose binding of ``name`` a use in this scope sees (None: builtin/unbound)."""
        scope: Scope | None = self
        first = True
        while scope is not None:
            if scope.kind == "class" and not first:
                scope = scope.parent
                continue
            if name in scope.globals:
                module = scope.module
                return module if name in module.bindings else None
            if name in scope.bindings and name not in scope.nonlocals:
                return scope
            first = False
            scope = scope.parent
        return None


def function_scope(node: FunctionLike, parent: Scope | None) -> Scope:
    collector = _BindingCollector(node)
    walk(node.params, collector)
    walk(node.body, collector)
    scope = Scope(
        "function",
        node,
        parent,
        collector.bindings,
        collector.globals,
        collector.nonlocals,
        collector.has_yield,
    )
    if (
        isinstance(node, cst.FunctionDef)
        and parent is not None
        and parent.kind == "class"
        and not _is_staticmethod(node)
    ):
        params = list(node.params.posonly_params) + list(node.params.params)
        if params:
            scope.self_name = params[0].name.value
            scope.class_scope = parent
    return scope


def _is_staticmethod(node: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
        for d in node.decorators
    )


def comprehension_scope(node: Comprehension, parent: Scope) -> Scope:
    bindings: dict[str, list[Binding]] = {}
    comp: cst.CompFor | None = node.for_in
    while comp is not None:
        collector = _BindingCollector(comp)
        collector._bind_target(comp.target, Binding("other"))
        for name, items in collector.bindings.items():
            bindings.setdefault(name, []).extend(items)
        comp = comp.inner_for_in
    return Scope("comprehension", node, parent, bindings)


def class_scope(node: cst.ClassDef, parent: Scope) -> Scope:
    collector = _BindingCollector(node, shallow=True)
    walk(node.body, collector)
    return Scope("class", node, parent, collector.bindings)


def module_scope(module: cst.Module) -> Scope:
    collector = _BindingCollector(module, shallow=True)
    walk(module, collector)
    scope = Scope("module", module, None, collector.bindings)
    scope.star_modules = tuple(collector.star_modules)
    return scope


class _SelfAssignments(cst.CSTVisitor):
    def __init__(self, method: cst.FunctionDef, attrs: dict, annotations: dict) -> None:
        self.method = method
        self.attrs = attrs
        self.annotations = annotations

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        t = node.target
        if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
            self.annotations.setdefault(t.attr.value, node.annotation.annotation)
            if node.value is not None:
                self.attrs.setdefault(t.attr.value, []).append((node.value, self.method))

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
                self.attrs.setdefault(t.attr.value, []).append((node.value, self.method))


def _instance_attributes(
    node: cst.ClassDef, annotations: dict[str, cst.BaseExpression]
) -> dict[str, list[tuple[cst.BaseExpression, cst.FunctionDef]]]:
    """``self.<attr> = <value>`` assignments in the class's methods, with the method (and
    the ``self.<attr>: T`` annotations into ``annotations``)."""
    attrs: dict[str, list[tuple[cst.BaseExpression, cst.FunctionDef]]] = {}
    for statement in node.body.body:
        if isinstance(statement, cst.FunctionDef):
            walk(statement.body, _SelfAssignments(statement, attrs, annotations))
    return attrs


class Resolved:
    """A resolved expression.

    ``qualified`` names a module-level API (``random.choice``) or, for ``instance`` values, the
    type's member (``pathlib.Path.read_text`` for ``Path(p).read_text``). ``origin`` is the
    call that created an instance (``sqlite3.connect``) or the type it was annotated with;
    ``constructed`` says a call in the code created it (not a parameter); ``bound_in`` is the
    scope that stored the value in a variable (None when it is created inline).
    """

    __slots__ = ("qualified", "instance", "bound_in", "origin", "constructed")

    def __init__(
        self,
        qualified: str,
        instance: bool = False,
        bound_in: Scope | None = None,
        origin: str = "",
        constructed: bool = False,
    ) -> None:
        self.qualified = qualified
        self.instance = instance
        self.bound_in = bound_in
        self.origin = origin
        self.constructed = constructed

    def derived(self, qualified: str) -> Resolved:
        """A member or product of this value, created wherever this value was."""
        return Resolved(qualified, self.instance, self.bound_in, self.origin, self.constructed)

    def stored_in(self, scope: Scope) -> Resolved:
        return Resolved(
            self.qualified, self.instance, self.bound_in or scope, self.origin, self.constructed
        )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Resolved({self.qualified!r}, instance={self.instance}, origin={self.origin!r})"


def annotation_expression(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The expression an annotation names; a quoted annotation is parsed. An optional type
    (``T | None``, ``Optional[T]``, ``Union[T, None]``) names ``T``: code that uses the value
    as a ``T`` has it."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if not isinstance(value, str):
            return None
        parsed = parse_annotation(value.strip())
        return _without_none(parsed) if parsed is not None else None
    return _without_none(node)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _without_none(node: cst.BaseExpression) -> cst.BaseExpression:
    """``T`` for ``T | None``, ``None | T``, ``Optional[T]`` and ``Union[T, None]``."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        if _is_none(node.right):
            return _without_none(node.left)
        if _is_none(node.left):
            return _without_none(node.right)
        return node
    if isinstance(node, cst.Subscript):
        base = node.value
        name = base.attr.value if isinstance(base, cst.Attribute) else getattr(base, "value", "")
        elements = [
            e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)
        ]
        if name == "Optional" and len(elements) == 1:
            return _without_none(elements[0])
        if name == "Union":
            kept = [e for e in elements if not _is_none(e)]
            if len(kept) == 1 and len(elements) == 2:
                return _without_none(kept[0])
    return node


class Resolver:
    """Resolves expressions within a scope chain; results are memoised per (scope, name).

    ``returns`` maps an API to the type it returns (``pathlib.Path.joinpath()`` ->
    ``pathlib.Path``; a key without parentheses is a property), so values derived from a known
    type keep it.
    """

    def __init__(self, returns: dict[str, str] | None = None) -> None:
        self.returns = returns or {}
        self._names: dict[tuple[int, str], Resolved | None] = {}
        self._active: set[tuple[int, str]] = set()

    def name(self, name: str, scope: Scope) -> Resolved | None:
        owner = scope.owner_of(name)
        if owner is None:
            if name in BUILTIN_NAMES:
                return Resolved(f"builtins.{name}")
            # Unbound here but star-imported: the last `from M import *` is where it came from.
            module = scope.module
            stars = module.star_modules
            if not stars:
                return None
            origin = absolute_name(stars[-1], module.package)
            return Resolved(f"{origin}.{name}") if not origin.startswith(".") else None
        return self._bound(owner.bindings[name], owner, name)

    def _bound(self, bindings: Sequence[Binding], owner: Scope, name: str) -> Resolved | None:
        key = (id(owner), name)
        if key in self._names:
            return self._names[key]
        if key in self._active:  # x = f(x): no answer rather than endless recursion
            return None
        self._active.add(key)
        try:
            result = self._from_bindings(bindings, owner)
        finally:
            self._active.discard(key)
        self._names[key] = result
        return result

    def _from_bindings(self, bindings: Sequence[Binding], owner: Scope) -> Resolved | None:
        imports = [b for b in bindings if b.kind == "import"]
        if imports:
            # `except ImportError: uuid4 = None` is a placeholder for when the import fails;
            # where it succeeds, the name is the import.
            if any(not _is_none_placeholder(b) for b in bindings if b.kind != "import"):
                return None
            # Imported twice (`import datetime` then `from datetime import datetime`): the
            # later import is what code running after the imports sees.
            return Resolved(absolute_name(imports[-1].target, owner.module.package))
        if (
            owner.kind == "module"
            and owner.module_name
            and len(bindings) == 1
            and isinstance(bindings[0].node, (cst.FunctionDef, cst.ClassDef))
        ):
            # A module-level def is known by its qualified name (so `Helper().m` resolves).
            return Resolved(f"{owner.module_name}.{bindings[0].node.name.value}")
        results: list[Resolved] = []
        for binding in bindings:
            if binding.kind == "augment":
                continue
            if binding.kind == "value" and binding.node is not None:
                inner = self.expr(binding.node, owner)
                if inner is None:
                    return None
                results.append(inner.stored_in(owner))
            elif binding.kind == "annotation" and isinstance(binding.node, cst.BaseExpression):
                annotation = annotation_expression(binding.node)
                inner = (
                    self.expr(annotation, owner.parent or owner) if annotation is not None else None
                )
                if inner is None or inner.instance:
                    return None
                results.append(Resolved(inner.qualified, True, owner, inner.qualified, False))
            else:
                return None
        if not results:
            return None
        first = results[0]
        if all(r.qualified == first.qualified and r.instance == first.instance for r in results):
            return first
        return None

    def expr(self, node: cst.CSTNode, scope: Scope) -> Resolved | None:
        # `type(...) is`, not `isinstance`: LibCST's node classes are ABCs, so a failed
        # `isinstance` is a Python call, and this runs for every name and attribute checked.
        if type(node) is cst.Name:
            return self.name(node.value, scope)
        if type(node) is cst.Attribute:
            if (
                type(node.value) is cst.Name
                and scope.self_name is not None
                and node.value.value == scope.self_name
                and scope.owner_of(scope.self_name) is scope
                and scope.class_scope is not None
            ):
                return self._instance_attr(node.attr.value, scope.class_scope)
            base = self.expr(node.value, scope)
            if base is None:
                return None
            qualified = f"{base.qualified}.{node.attr.value}"
            if base.instance and qualified in self.returns:  # a property of a known type
                return base.derived(self.returns[qualified])
            return base.derived(qualified)
        if type(node) is cst.Call:
            base = self.expr(node.func, scope)
            if base is None:
                return None
            # A call's result is a new value whose origin is the call (`open(p).read()` is
            # text from `builtins.open.read`, no longer the file handle).
            returned = self.returns.get(base.qualified + "()")
            return Resolved(returned or base.qualified, True, None, base.qualified, True)
        if type(node) is cst.BinaryOperation and type(node.operator) is cst.Divide:
            left = self.expr(node.left, scope)
            if left is not None and left.instance:
                returned = self.returns.get(left.qualified + ".__truediv__()")
                if returned is not None:
                    return left.derived(returned)
        return None

    def _instance_attr(self, attr: str, class_scope: Scope, depth: int = 0) -> Resolved | None:
        """``self.<attr>``: resolved from the ``self.<attr> = value`` assignments in the
        class's methods, each value in the scope of the method that assigns it."""
        assignments = class_scope.instance_attrs.get(attr)
        results = []
        for value, method in assignments or ():
            if _is_none(value):
                # `self.x = None` (or `self.x: T | None = None`) in `__init__` is a placeholder
                # for the value a later method stores; code that calls on it has that value.
                continue
            method_scope = class_scope.method_scope(method)
            resolved = self._bound([Binding("value", value)], method_scope, f"self.{attr}@{id(value)}")
            if resolved is None:
                return None
            results.append(resolved)
        if not results:
            found = self._class_level_attr(attr, class_scope, bool(assignments))
            if found is None and not assignments:
                found = self._inherited_attr(attr, class_scope, depth)
            return found
        first = results[0]
        if all(r.qualified == first.qualified and r.instance == first.instance for r in results):
            return first
        return None

    def _class_level_attr(
        self, attr: str, class_scope: Scope, placeholder: bool
    ) -> Resolved | None:
        """``self.<attr>`` that no method assigns a value: its ``self.<attr>: T`` annotation,
        else the class attribute (``tracker = Tracker()`` in the class body, shared by the
        instances)."""
        annotated = class_scope.instance_annotations.get(attr)
        if annotated is not None:
            binding = Binding("annotation", annotated)
            # Resolved where the class is (a method's annotations name module-level types).
            return self._bound([binding], class_scope, f"self.{attr}:")
        bindings = class_scope.bindings.get(attr)
        if not bindings or placeholder:
            return None
        return self._bound(bindings, class_scope, attr)


    def _inherited_attr(self, attr: str, class_scope: Scope, depth: int) -> Resolved | None:
        """``self.<attr>`` that a base class defined in the same module sets (its
        ``__init__`` stores a client the subclass's methods call)."""
        node = class_scope.node
        if depth >= 8 or not isinstance(node, cst.ClassDef):
            return None
        module = class_scope.module
        for base in node.bases:
            if not isinstance(base.value, cst.Name):
                continue
            bindings = module.bindings.get(base.value.value, ())
            if len(bindings) != 1 or not isinstance(bindings[0].node, cst.ClassDef):
                continue
            found = self._instance_attr(attr, class_scope.base_scope(bindings[0].node), depth + 1)
            if found is not None:
                return found
        return None


def _is_none_placeholder(binding: Binding) -> bool:
    node = binding.node
    return binding.kind == "value" and isinstance(node, cst.Name) and node.value == "None"


def absolute_name(target: str, package: str) -> str:
    """``.mod.f`` imported in package ``pkg.sub`` is ``pkg.sub.mod.f``; unknown stays relative."""
    if not target.startswith("."):
        return target
    if not package:
        return target
    stripped = target.lstrip(".")
    levels = len(target) - len(stripped)
    parts = package.split(".")
    if levels - 1 >= len(parts):
        return target
    base = parts[: len(parts) - (levels - 1)]
    return ".".join(base + ([stripped] if stripped else []))
