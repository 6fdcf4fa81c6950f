"""Find workflow code and activities in a module.

Reads the engine specs in :mod:`wfcheck.frameworks` and applies them to a module: decorators,
registration calls, context-type annotations, Temporal workflow classes, and the signature
fallback (an unmarked generator whose ``ctx``/``context`` parameter yields durable tasks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Callable, Union

import libcst as cst

from wfcheck.analysis.scopes import (
    Resolver,
    Scope,
    annotation_expression,
    class_scope,
    function_scope,
    module_scope,
)
from wfcheck.analysis.walk import walk
from wfcheck.frameworks import (
    FALLBACK_FRAMEWORK,
    FALLBACK_TASK_METHODS,
    SPECS,
    FrameworkSpec,
    Registration,
)

Definition = Union[cst.FunctionDef, cst.ClassDef]

_REGISTRATION_METHODS = frozenset(
    name.rsplit(".", 1)[-1]
    for spec in SPECS
    for table in (
        spec.workflow_registrations,
        spec.activity_registrations,
        spec.lenient_workflow_registrations,
        spec.lenient_activity_registrations,
    )
    for name in table
)


@dataclass
class WorkflowUnit:
    """A piece of workflow code: a function, or (Temporal) a whole class."""

    node: Definition
    qualname: str
    framework: FrameworkSpec
    context_param: str | None
    # The scope the definition sits in; the unit's own scopes are built from it.
    parent_scope: Scope
    how: str
    # The engine is a guess: found by signature in a module that imports no engine.
    engine_guessed: bool = False


Container = Union[cst.Module, cst.FunctionDef, cst.ClassDef]


class _Def:
    """A function or class definition and the definition (or module) it sits in."""

    __slots__ = ("node", "qualname", "parent", "_index")

    def __init__(self, node: Definition, qualname: str, parent: Container, index: ModuleIndex):
        self.node = node
        self.qualname = qualname
        self.parent = parent
        self._index = index

    @property
    def parent_scope(self) -> Scope:
        return self._index.scope_of(self.parent)

    @property
    def in_class(self) -> bool:
        return isinstance(self.parent, cst.ClassDef)


_COMPOUND_BODIES = ("body", "orelse", "finalbody")


class ModuleIndex:
    """Every definition in a module, its imports and its registration calls.

    Walks statements only (never into expressions): definitions, imports and registration
    calls are statements. Scopes are built lazily, for the definitions the analysis asks about.
    """

    def __init__(self, module: cst.Module, text: str = "") -> None:
        self.module = module
        self.module_scope = module_scope(module)
        self.functions: list[_Def] = []
        self.classes: list[_Def] = []
        self.calls: list[tuple[cst.Call, Container]] = []
        self.imports: set[str] = set()
        self._scopes: dict[int, Scope] = {id(module): self.module_scope}
        self._parents: dict[int, Container] = {}
        self._walk(module.body, module, [])
        if any(method in text for method in _REGISTRATION_METHODS):
            # Registration calls can hide inside expressions (`return w.add_orchestrator(f)`):
            # only modules that name a registration method pay for the full walk.
            finder = _RegistrationCalls(self.calls)
            walk(module, finder)

    def scope_of(self, node: Container) -> Scope:
        scope = self._scopes.get(id(node))
        if scope is None:
            parent = self.scope_of(self._parents[id(node)])
            if isinstance(node, cst.ClassDef):
                scope = class_scope(node, parent)
            elif isinstance(node, cst.FunctionDef):
                scope = function_scope(node, parent)
            else:  # the module's scope is made first, in __init__
                raise AssertionError("a module has no enclosing scope")
            self._scopes[id(node)] = scope
        return scope

    def _walk(self, body: Sequence[cst.CSTNode], parent: Container, names: list[str]) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                self._small_statements(statement.body, parent)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                name = statement.name.value
                qualname = ".".join(names + [name])
                definition = _Def(statement, qualname, parent, self)
                self._parents[id(statement)] = parent
                inner = names + [name]
                if isinstance(statement, cst.FunctionDef):
                    self.functions.append(definition)
                    inner = inner + ["<locals>"]
                else:
                    self.classes.append(definition)
                self._block(statement.body, statement, inner)
            else:
                self._compound(statement, parent, names)

    def _block(self, block: cst.BaseSuite, parent: Container, names: list[str]) -> None:
        if isinstance(block, cst.IndentedBlock):
            self._walk(block.body, parent, names)
        elif isinstance(block, cst.SimpleStatementSuite):
            self._small_statements(block.body, parent)

    def _compound(self, statement: cst.CSTNode, parent: Container, names: list[str]) -> None:
        for attr in _COMPOUND_BODIES:
            child = getattr(statement, attr, None)
            if isinstance(child, cst.BaseSuite):
                self._block(child, parent, names)
            elif child is not None and hasattr(child, "body"):  # else/finally/elif clauses
                self._compound(child, parent, names)
        for handler in getattr(statement, "handlers", ()):
            self._block(handler.body, parent, names)
        for case in getattr(statement, "cases", ()):
            self._block(case.body, parent, names)

    def _small_statements(self, statements: Sequence[cst.BaseSmallStatement], parent: Container) -> None:
        for small in statements:
            # `type(...) is`: LibCST's classes are ABCs, a failed `isinstance` a Python call.
            if type(small) is cst.Import:
                for alias in small.names:
                    name = _dotted(alias.name)
                    if name:
                        self.imports.add(name)
            elif type(small) is cst.ImportFrom:
                self._import_from(small)
            elif type(small) is cst.Expr or type(small) is cst.Assign or type(small) is cst.AnnAssign:
                value = small.value
                if type(value) is cst.Await:
                    value = value.expression
                if (
                    type(value) is cst.Call
                    and type(value.func) is cst.Attribute
                    and value.func.attr.value in _REGISTRATION_METHODS
                ):
                    self.calls.append((value, parent))

    def _import_from(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        base = _dotted(node.module)
        if not base:
            return
        self.imports.add(base)
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = _dotted(alias.name)
                if name:
                    self.imports.add(f"{base}.{name}")


class _RegistrationCalls(cst.CSTVisitor):
    """Registration calls anywhere in a module, with the definition they sit in."""

    def __init__(self, calls: list[tuple[cst.Call, Container]]) -> None:
        self.calls = calls
        self.known = {id(call) for call, _ in calls}
        self.containers: list[Container] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.containers.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.containers.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.containers.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.containers.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.containers.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _REGISTRATION_METHODS
            and id(node) not in self.known
        ):
            self.calls.append((node, self.containers[-1]))


def _dotted(node: cst.BaseExpression) -> str:
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
    return ".".join(reversed(parts))


def _positional_params(node: cst.FunctionDef) -> list[cst.Param]:
    return list(node.params.posonly_params) + list(node.params.params)


def first_param(node: cst.FunctionDef, in_class: bool) -> cst.Param | None:
    """The first parameter after ``self``/``cls`` for methods."""
    params = _positional_params(node)
    if in_class and not any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
        for d in node.decorators
    ):
        params = params[1:]
    return params[0] if params else None


class _TaskYieldFinder(cst.CSTVisitor):
    """Does the function yield ``<param>.<task method>(...)``? Which methods?"""

    def __init__(self, param: str) -> None:
        self.param = param
        self.in_yield = 0
        self.methods: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.in_yield += 1

    def leave_Yield(self, original_node: cst.Yield) -> None:
        self.in_yield -= 1

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            self.in_yield
            and isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self.param
            and func.attr.value in FALLBACK_TASK_METHODS
        ):
            self.methods.add(func.attr.value)


class WorkflowFinder:
    """Applies every engine spec to one module's index."""

    def __init__(
        self,
        index: ModuleIndex,
        resolver: Resolver,
        origin_of: Callable[[str], str | None] | None = None,
        *,
        specs: Sequence[FrameworkSpec],
    ) -> None:
        self.index = index
        self.resolver = resolver
        # What made a value imported from another project module (a shared runtime).
        self.origin_of = origin_of
        # The run's engines: all of them, or those the configuration allows and extends.
        self.specs = tuple(specs)
        self.engines = [
            spec for spec in self.specs if any(spec.marks_module(i) for i in index.imports)
        ]
        self._workflows: dict[int, WorkflowUnit] = {}
        self._activities: set[int] = set()
        self._defs: dict[int, _Def] = {id(d.node): d for d in index.functions + index.classes}

    def find(self) -> tuple[list[WorkflowUnit], set[int]]:
        """Workflow units (outermost only) and the ids of activity function nodes."""
        for definition in self.index.functions:
            self._classify_function(definition)
        for definition in self.index.classes:
            self._classify_class(definition)
        for call, container in self.index.calls:
            self._classify_registration(call, self.index.scope_of(container))
        for definition in self.index.functions:
            if id(definition.node) not in self._workflows:
                self._signature_fallback(definition)
        units = [u for key, u in self._workflows.items() if key not in self._activities]
        return _outermost(units), set(self._activities)

    # -- marking -------------------------------------------------------------------------

    def _mark_workflow(
        self, definition: _Def, spec: FrameworkSpec, context: str | None, how: str
    ) -> None:
        key = id(definition.node)
        if key in self._workflows:
            return
        if context is None and isinstance(definition.node, cst.FunctionDef):
            param = first_param(definition.node, definition.in_class)
            context = param.name.value if param is not None else None
        self._workflows[key] = WorkflowUnit(
            definition.node, definition.qualname, spec, context, definition.parent_scope, how
        )

    # -- decorators and annotations --------------------------------------------------------

    def _classify_function(self, definition: _Def) -> None:
        node = definition.node
        assert isinstance(node, cst.FunctionDef)
        param = first_param(node, definition.in_class)
        if not node.decorators and (param is None or param.annotation is None):
            return
        scope = definition.parent_scope
        for decorator in node.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            resolved = self.resolver.expr(target, scope)
            qualified = resolved.qualified if resolved is not None else None
            attr = target.attr.value if isinstance(target, cst.Attribute) else None
            for spec in self.specs:
                if qualified in spec.activity_decorators or (
                    attr in spec.lenient_activity_decorator_methods
                    and self._lenient(spec, target, scope)
                ):
                    self._activities.add(id(node))
                    return
                if qualified in spec.workflow_decorators or (
                    attr in spec.lenient_workflow_decorator_methods
                    and self._lenient(spec, target, scope)
                ):
                    context = None
                    if spec.context_name_keyword and isinstance(expr, cst.Call):
                        context = _string_keyword(expr, spec.context_name_keyword)
                    self._mark_workflow(definition, spec, context, "decorator")
                    return
        if param is None or param.annotation is None:
            return
        annotation = annotation_expression(param.annotation.annotation)
        resolved = self.resolver.expr(annotation, scope) if annotation is not None else None
        if resolved is None:
            return
        for spec in self.specs:
            if resolved.qualified in spec.activity_context_types:
                self._activities.add(id(node))
                return
            if resolved.qualified in spec.workflow_context_types:
                self._mark_workflow(definition, spec, param.name.value, "annotation")
                return

    def _lenient(self, spec: FrameworkSpec, target: cst.BaseExpression, scope: Scope) -> bool:
        """A decorator/registration method on a receiver that cannot be typed (a parameter, a
        runtime imported from another project module) counts when the module uses the engine,
        or when the receiver is a project module's value made by the engine."""
        if not isinstance(target, cst.Attribute):
            return False
        receiver = self.resolver.expr(target.value, scope)
        if spec not in self.engines:
            origin = self.origin_of(receiver.qualified) if receiver and self.origin_of else None
            return origin is not None and spec.marks_module(origin)
        if receiver is None:
            return True
        if receiver.qualified.split(".", 1)[0] in _NEVER_RUNTIMES:
            return False
        return not any(
            s.marks_module(receiver.qualified) for s in SPECS if s.name != spec.name
        )

    def _classify_class(self, definition: _Def) -> None:
        node = definition.node
        assert isinstance(node, cst.ClassDef)
        for decorator in node.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            resolved = self.resolver.expr(target, definition.parent_scope)
            if resolved is None:
                continue
            for spec in self.specs:
                if resolved.qualified in spec.workflow_class_decorators:
                    self._mark_workflow(definition, spec, None, "decorator")
                    return

    # -- registration calls ----------------------------------------------------------------

    def _classify_registration(self, call: cst.Call, scope: Scope) -> None:
        func = call.func
        assert isinstance(func, cst.Attribute)
        resolved = self.resolver.expr(func, scope)
        qualified = resolved.qualified if resolved is not None else None
        method = func.attr.value
        for spec in self.specs:
            for tables, is_workflow in (
                ((spec.activity_registrations, spec.lenient_activity_registrations), False),
                ((spec.workflow_registrations, spec.lenient_workflow_registrations), True),
            ):
                exact, lenient = tables
                registration: Registration | None = exact.get(qualified or "")
                if registration is None and method in lenient and self._lenient(spec, func, scope):
                    registration = lenient[method]
                if registration is None:
                    continue
                argument = _argument(call, registration)
                definition = self._definition_of(argument, scope) if argument else None
                if definition is None:
                    return
                if is_workflow:
                    self._mark_workflow(definition, spec, None, "registration")
                else:
                    self._activities.add(id(definition.node))
                return

    def _definition_of(self, expr: cst.BaseExpression, scope: Scope) -> _Def | None:
        """The function a registration argument names: ``fn``, ``self.fn``, ``Cls.fn``."""
        if isinstance(expr, cst.Name):
            owner = scope.owner_of(expr.value)
            if owner is None:
                return None
            for binding in owner.bindings.get(expr.value, ()):
                if isinstance(binding.node, cst.FunctionDef):
                    return self._defs.get(id(binding.node))
            return None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            owner_class: cst.ClassDef | None = None
            if scope.self_name == expr.value.value and scope.class_scope is not None:
                class_node = scope.class_scope.node
                owner_class = class_node if isinstance(class_node, cst.ClassDef) else None
            else:
                owner = scope.owner_of(expr.value.value)
                if owner is not None:
                    for binding in owner.bindings.get(expr.value.value, ()):
                        if isinstance(binding.node, cst.ClassDef):
                            owner_class = binding.node
            if owner_class is not None:
                for statement in owner_class.body.body:
                    if (
                        isinstance(statement, cst.FunctionDef)
                        and statement.name.value == expr.attr.value
                    ):
                        return self._defs.get(id(statement))
        return None

    # -- signature fallback ----------------------------------------------------------------

    def _signature_fallback(self, definition: _Def) -> None:
        node = definition.node
        assert isinstance(node, cst.FunctionDef)
        if id(node) in self._activities:
            return
        # Any name: yielding `<first parameter>.call_activity(...)` is the signal, whether the
        # parameter is called `ctx`, `context` or `c` (registered in another module, say).
        param = first_param(node, definition.in_class)
        if param is None:
            return
        if not self.index.scope_of(node).has_yield:
            return
        finder = _TaskYieldFinder(param.name.value)
        walk(node.body, finder)
        if not finder.methods:
            return
        spec, guessed = self._fallback_engine(finder.methods)
        if spec is not None:
            self._mark_workflow(definition, spec, param.name.value, "signature")
            self._workflows[id(node)].engine_guessed = guessed

    def _fallback_engine(self, methods: Iterable[str]) -> tuple[FrameworkSpec | None, bool]:
        """The engine an unmarked generator workflow belongs to (None when the configuration
        checks no generator-based engine), and whether that is a guess. It is not when the
        file imports the engine, or when the configuration checks only one generator-based
        engine (`frameworks = ["dapr"]`): then its fixes and messages apply."""
        generator_engines = [s for s in self.engines if s.generator_based]
        if generator_engines:
            return generator_engines[0], False
        configured = [s for s in self.specs if s.generator_based]
        if len(configured) <= 1:
            return (configured[0] if configured else None), False
        name = next(
            (FALLBACK_TASK_METHODS[m] for m in sorted(methods) if FALLBACK_TASK_METHODS[m]),
            FALLBACK_FRAMEWORK,
        )
        return next((s for s in configured if s.name == name), configured[0]), True


# Receivers resolved into these modules are never workflow runtimes or workers.
_NEVER_RUNTIMES = frozenset({"builtins", "functools", "typing", "os", "sys", "abc", "atexit"})


def _argument(call: cst.Call, registration: Registration) -> cst.BaseExpression | None:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in registration.keywords:
            return arg.value
    if len(positional) > registration.position:
        return positional[registration.position].value
    return None


def _string_keyword(call: cst.Call, keyword: str) -> str | None:
    for arg in call.args:
        keyed = arg.keyword is not None and arg.keyword.value == keyword
        if keyed and isinstance(arg.value, cst.SimpleString):
            value = arg.value.evaluated_value
            return value if isinstance(value, str) else None
    return None


def _outermost(units: list[WorkflowUnit]) -> list[WorkflowUnit]:
    """Drop units nested inside other units: the outer traversal covers them."""
    ranges = {id(u.node) for u in units}
    result = []
    for unit in units:
        scope: Scope | None = unit.parent_scope
        nested = False
        while scope is not None:
            if id(scope.node) in ranges:
                nested = True
                break
            scope = scope.parent
        if not nested:
            result.append(unit)
    return result


__all__ = ["ModuleIndex", "WorkflowFinder", "WorkflowUnit", "first_param"]
