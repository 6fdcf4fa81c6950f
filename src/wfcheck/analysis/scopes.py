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
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

BUILTIN_NAMES: FrozenSet[str] = frozenset(dir(builtins))

FunctionLike = Union[cst.FunctionDef, cst.Lambda]
Comprehension = Union[cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class Binding:
    """One way a name gets bound in a scope.

    ``kind`` is ``import`` (``target`` is the qualified name), ``value`` (``node`` is the
    assigned expression), ``annotation`` (``node`` is the annotation), ``augment`` (an
    augmented assignment, which keeps the binding's type) or ``other`` (a loop target, an
    ``except`` name, a ``def``: nothing known).
    """

    __slots__ = ("kind", "node", "target")

    def __init__(
        self, kind: str, node: Optional[cst.CSTNode] = None, target: str = ""
    ) -> None:
        self.kind = kind
        self.node = node
        self.target = target


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: List[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: Union[cst.Attribute, cst.Name, None]) -> str:
    return dotted_name(node) or "" if node is not None else ""


def import_bindings(node: Union[cst.Import, cst.ImportFrom]) -> List[Tuple[str, str]]:
    """(local name, qualified target) pairs an import statement binds."""
    pairs: List[Tuple[str, str]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = _module_name(alias.name)  # type: ignore[arg-type]
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
        name = _module_name(alias.name)  # type: ignore[arg-type]
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
        self.bindings: Dict[str, List[Binding]] = {}
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()
        self.has_yield = False
        self.has_await = False

    def _bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def _bind_target(self, target: cst.BaseExpression, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, Binding("other"))
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
            else:
                self._bind_target(target.target, Binding("other"))

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

    _SHALLOW = {
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


class Scope:
    """A module, class, function, lambda or comprehension scope."""

    def __init__(
        self,
        kind: str,
        node: cst.CSTNode,
        parent: Optional["Scope"],
        bindings: Dict[str, List[Binding]],
        globals_: Iterable[str] = (),
        nonlocals: Iterable[str] = (),
        has_yield: bool = False,
    ) -> None:
        self.kind = kind
        self.node = node
        self.parent = parent
        self.bindings = bindings
        self.globals = frozenset(globals_)
        self.nonlocals = frozenset(nonlocals)
        self.has_yield = has_yield
        # For methods: the name of `self` and the instance attribute types of the class.
        self.self_name: Optional[str] = None
        self.class_scope: Optional["Scope"] = None
        self._instance_attrs: Optional[Dict[str, List[cst.BaseExpression]]] = None
        # For the module scope: its dotted name and package, when the project knows them.
        self.module_name = ""
        self.package = ""

    @property
    def instance_attrs(self) -> Dict[str, List[cst.BaseExpression]]:
        """For a class scope: ``self.<attr> = <value>`` assignments in its methods (lazy)."""
        if self._instance_attrs is None:
            if isinstance(self.node, cst.ClassDef):
                self._instance_attrs = _instance_attributes(self.node)
            else:
                self._instance_attrs = {}
        return self._instance_attrs

    @property
    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def owner_of(self, name: str) -> Optional["Scope"]:
        """The scope whose binding of ``name`` a use in this scope sees (None: builtin/unbound)."""
        scope: Optional[Scope] = self
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


def function_scope(node: FunctionLike, parent: Optional[Scope]) -> Scope:
    collector = _BindingCollector(node)
    if isinstance(node, cst.FunctionDef):
        node.params.visit(collector)
        node.body.visit(collector)
    else:
        node.params.visit(collector)
        node.body.visit(collector)
    scope = Scope(
        "function",
        node,
        parent,
        collector.bindings,
        collector.globals,
        collector.nonlocals,
        collector.has_yield,
    )
    if isinstance(node, cst.FunctionDef) and parent is not None and parent.kind == "class":
        if not _is_staticmethod(node):
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
    bindings: Dict[str, List[Binding]] = {}
    comp: Optional[cst.CompFor] = node.for_in
    while comp is not None:
        collector = _BindingCollector(comp)
        collector._bind_target(comp.target, Binding("other"))
        for name, items in collector.bindings.items():
            bindings.setdefault(name, []).extend(items)
        comp = comp.inner_for_in
    return Scope("comprehension", node, parent, bindings)


def class_scope(node: cst.ClassDef, parent: Scope) -> Scope:
    collector = _BindingCollector(node, shallow=True)
    node.body.visit(collector)
    return Scope("class", node, parent, collector.bindings)


def module_scope(module: cst.Module) -> Scope:
    collector = _BindingCollector(module, shallow=True)
    module.visit(collector)
    return Scope("module", module, None, collector.bindings)


class _SelfAssignments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.attrs: Dict[str, List[cst.BaseExpression]] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name):
                if t.value.value == "self":
                    self.attrs.setdefault(t.attr.value, []).append(node.value)


def _instance_attributes(node: cst.ClassDef) -> Dict[str, List[cst.BaseExpression]]:
    """``self.<attr> = <value>`` assignments in the class's methods."""
    visitor = _SelfAssignments()
    for statement in node.body.body:
        if isinstance(statement, cst.FunctionDef):
            statement.body.visit(visitor)
    return visitor.attrs


class Resolved:
    """A resolved expression: ``qualified`` names a module-level API; ``instance`` means the
    expression is a value produced by calling it (``Path(p)`` is an instance of pathlib.Path)."""

    __slots__ = ("qualified", "instance", "bound_in")

    def __init__(
        self, qualified: str, instance: bool = False, bound_in: Optional["Scope"] = None
    ) -> None:
        self.qualified = qualified
        self.instance = instance
        # For a value held in a variable (an instance or an alias): the scope that assigned it.
        self.bound_in = bound_in

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Resolved({self.qualified!r}, instance={self.instance})"


class Resolver:
    """Resolves expressions within a scope chain; results are memoised per (scope, name)."""

    def __init__(self) -> None:
        self._names: Dict[Tuple[int, str], Optional[Resolved]] = {}
        self._active: Set[Tuple[int, str]] = set()

    def name(self, name: str, scope: Scope) -> Optional[Resolved]:
        owner = scope.owner_of(name)
        if owner is None:
            return Resolved(f"builtins.{name}") if name in BUILTIN_NAMES else None
        key = (id(owner), name)
        if key in self._names:
            return self._names[key]
        if key in self._active:  # x = f(x): no answer rather than endless recursion
            return None
        self._active.add(key)
        try:
            result = self._from_bindings(owner.bindings[name], owner)
        finally:
            self._active.discard(key)
        self._names[key] = result
        return result

    def _from_bindings(self, bindings: Sequence[Binding], owner: Scope) -> Optional[Resolved]:
        imports = [b for b in bindings if b.kind == "import"]
        if imports:
            if len(imports) != len(bindings):
                return None
            return Resolved(_absolute(imports[0].target, owner.module.package))
        if (
            owner.kind == "module"
            and owner.module_name
            and len(bindings) == 1
            and isinstance(bindings[0].node, (cst.FunctionDef, cst.ClassDef))
        ):
            # A module-level def is known by its qualified name (so `Helper().m` resolves).
            return Resolved(f"{owner.module_name}.{bindings[0].node.name.value}")
        results: List[Resolved] = []
        for binding in bindings:
            if binding.kind == "augment":
                continue
            if binding.kind == "value" and binding.node is not None:
                value = binding.node
                if isinstance(value, cst.Call):
                    inner = self.expr(value.func, owner)
                    if inner is None:
                        return None
                    results.append(Resolved(inner.qualified, True, owner))
                elif isinstance(value, (cst.Name, cst.Attribute)):
                    inner = self.expr(value, owner)
                    if inner is None:
                        return None
                    results.append(
                        Resolved(inner.qualified, inner.instance, inner.bound_in or owner)
                    )
                else:
                    return None
            elif binding.kind == "annotation" and binding.node is not None:
                inner = self.expr(binding.node, owner.parent or owner)  # type: ignore[arg-type]
                if inner is None or inner.instance:
                    return None
                results.append(Resolved(inner.qualified, True, owner))
            else:
                return None
        if not results:
            return None
        first = results[0]
        if all(r.qualified == first.qualified and r.instance == first.instance for r in results):
            return first
        return None

    def expr(self, node: cst.CSTNode, scope: Scope) -> Optional[Resolved]:
        if isinstance(node, cst.Name):
            return self.name(node.value, scope)
        if isinstance(node, cst.Attribute):
            if (
                isinstance(node.value, cst.Name)
                and scope.self_name is not None
                and node.value.value == scope.self_name
                and scope.owner_of(scope.self_name) is scope
                and scope.class_scope is not None
            ):
                return self._instance_attr(node.attr.value, scope)
            base = self.expr(node.value, scope)
            if base is None:
                return None
            return Resolved(f"{base.qualified}.{node.attr.value}", base.instance, base.bound_in)
        if isinstance(node, cst.Call):
            base = self.expr(node.func, scope)
            if base is None:
                return None
            return Resolved(base.qualified, True)
        return None

    def _instance_attr(self, attr: str, scope: Scope) -> Optional[Resolved]:
        assert scope.class_scope is not None
        values = scope.class_scope.instance_attrs.get(attr)
        if not values:
            return None
        bindings = [Binding("value", v) for v in values]
        # Instance attributes are assigned in methods; their values read module-level names.
        return self._from_bindings(bindings, scope.class_scope.parent or scope)


def _absolute(target: str, package: str) -> str:
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
