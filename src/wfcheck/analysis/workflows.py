"""Find workflow code and activities in a module.

Reads the engine specs in :mod:`wfcheck.frameworks` and applies them to a module: decorators,
registration calls, context-type annotations, Temporal workflow classes, and the signature
fallback (an unmarked generator whose ``ctx``/``context`` parameter yields durable tasks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

import libcst as cst

from wfcheck.analysis.scopes import (
    COMPREHENSIONS,
    Resolver,
    Scope,
    class_scope,
    comprehension_scope,
    function_scope,
    module_scope,
)
from wfcheck.frameworks import (
    BY_NAME,
    FALLBACK_CONTEXT_NAMES,
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
    context_param: Optional[str]
    # The scope the definition sits in; the unit's own scopes are built from it.
    parent_scope: Scope
    how: str


@dataclass
class _Def:
    node: Definition
    qualname: str
    parent_scope: Scope


class ModuleIndex(cst.CSTVisitor):
    """One pass over a module: every definition with its scope, and registration calls."""

    def __init__(self, module: cst.Module) -> None:
        self.module_scope = module_scope(module)
        self._stack: List[Scope] = [self.module_scope]
        self._names: List[str] = []
        self.functions: List[_Def] = []
        self.classes: List[_Def] = []
        self.calls: List[Tuple[cst.Call, Scope]] = []
        self.imports: Set[str] = set()
        self.scopes: Dict[int, Scope] = {}

    def _qualname(self, name: str) -> str:
        return ".".join(self._names + [name])

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self._stack[-1]
        self.functions.append(_Def(node, self._qualname(node.name.value), parent))
        scope = function_scope(node, parent)
        self.scopes[id(node)] = scope
        self._stack.append(scope)
        self._names += [node.name.value, "<locals>"]

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._stack.pop()
        del self._names[-2:]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        parent = self._stack[-1]
        self.classes.append(_Def(node, self._qualname(node.name.value), parent))
        scope = class_scope(node, parent)
        self.scopes[id(node)] = scope
        self._stack.append(scope)
        self._names.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._stack.pop()
        self._names.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._stack.append(function_scope(node, self._stack[-1]))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._stack.pop()

    def _enter_comprehension(self, node: cst.CSTNode) -> None:
        self._stack.append(comprehension_scope(node, self._stack[-1]))  # type: ignore[arg-type]

    def _leave_comprehension(self, node: cst.CSTNode) -> None:
        self._stack.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_comprehension
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = _dotted(alias.name)
            if name:
                self.imports.add(name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
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

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _REGISTRATION_METHODS:
            self.calls.append((node, self._stack[-1]))


def _dotted(node: cst.BaseExpression) -> str:
    parts: List[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
    return ".".join(reversed(parts))


def _positional_params(node: cst.FunctionDef) -> List[cst.Param]:
    return list(node.params.posonly_params) + list(node.params.params)


def first_param(node: cst.FunctionDef, scope_parent: Scope) -> Optional[cst.Param]:
    """The first parameter after ``self``/``cls`` for methods."""
    params = _positional_params(node)
    if scope_parent.kind == "class" and not any(
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
        self.methods: Set[str] = set()

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

    def __init__(self, index: ModuleIndex, resolver: Resolver) -> None:
        self.index = index
        self.resolver = resolver
        self.engines = [
            spec for spec in SPECS if any(spec.marks_module(i) for i in index.imports)
        ]
        self._workflows: Dict[int, WorkflowUnit] = {}
        self._activities: Set[int] = set()
        self._defs: Dict[int, _Def] = {id(d.node): d for d in index.functions + index.classes}

    def find(self) -> Tuple[List[WorkflowUnit], Set[int]]:
        """Workflow units (outermost only) and the ids of activity function nodes."""
        for definition in self.index.functions:
            self._classify_function(definition)
        for definition in self.index.classes:
            self._classify_class(definition)
        for call, scope in self.index.calls:
            self._classify_registration(call, scope)
        for definition in self.index.functions:
            if id(definition.node) not in self._workflows:
                self._signature_fallback(definition)
        units = [u for key, u in self._workflows.items() if key not in self._activities]
        return _outermost(units), set(self._activities)

    # -- marking -------------------------------------------------------------------------

    def _mark_workflow(
        self, definition: _Def, spec: FrameworkSpec, context: Optional[str], how: str
    ) -> None:
        key = id(definition.node)
        if key in self._workflows:
            return
        if context is None and isinstance(definition.node, cst.FunctionDef):
            param = first_param(definition.node, definition.parent_scope)
            context = param.name.value if param is not None else None
        self._workflows[key] = WorkflowUnit(
            definition.node, definition.qualname, spec, context, definition.parent_scope, how
        )

    # -- decorators and annotations --------------------------------------------------------

    def _classify_function(self, definition: _Def) -> None:
        node = definition.node
        assert isinstance(node, cst.FunctionDef)
        scope = definition.parent_scope
        for decorator in node.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            resolved = self.resolver.expr(target, scope)
            qualified = resolved.qualified if resolved is not None else None
            attr = target.attr.value if isinstance(target, cst.Attribute) else None
            for spec in SPECS:
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
        param = first_param(node, scope)
        if param is None or param.annotation is None:
            return
        resolved = self.resolver.expr(param.annotation.annotation, scope)
        if resolved is None:
            return
        for spec in SPECS:
            if resolved.qualified in spec.activity_context_types:
                self._activities.add(id(node))
                return
            if resolved.qualified in spec.workflow_context_types:
                self._mark_workflow(definition, spec, param.name.value, "annotation")
                return

    def _lenient(self, spec: FrameworkSpec, target: cst.BaseExpression, scope: Scope) -> bool:
        """A decorator/registration method on a receiver that cannot be typed (a parameter, a
        runtime imported from another project module) counts when the module uses the engine."""
        if spec not in self.engines or not isinstance(target, cst.Attribute):
            return False
        receiver = self.resolver.expr(target.value, scope)
        if receiver is None:
            return True
        if receiver.qualified.split(".", 1)[0] in _NEVER_RUNTIMES:
            return False
        return not any(s.marks_module(receiver.qualified) for s in SPECS if s is not spec)

    def _classify_class(self, definition: _Def) -> None:
        node = definition.node
        assert isinstance(node, cst.ClassDef)
        for decorator in node.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            resolved = self.resolver.expr(target, definition.parent_scope)
            if resolved is None:
                continue
            for spec in SPECS:
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
        for spec in SPECS:
            for tables, is_workflow in (
                ((spec.activity_registrations, spec.lenient_activity_registrations), False),
                ((spec.workflow_registrations, spec.lenient_workflow_registrations), True),
            ):
                exact, lenient = tables
                registration: Optional[Registration] = exact.get(qualified or "")
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

    def _definition_of(self, expr: cst.BaseExpression, scope: Scope) -> Optional[_Def]:
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
            owner_class: Optional[cst.ClassDef] = None
            if scope.self_name == expr.value.value and scope.class_scope is not None:
                owner_class = scope.class_scope.node  # type: ignore[assignment]
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
        param = first_param(node, definition.parent_scope)
        if param is None or param.name.value not in FALLBACK_CONTEXT_NAMES:
            return
        scope = self.index.scopes.get(id(node))
        if scope is None or not scope.has_yield:
            return
        finder = _TaskYieldFinder(param.name.value)
        node.body.visit(finder)
        if not finder.methods:
            return
        spec = self._fallback_engine(finder.methods)
        self._mark_workflow(definition, spec, param.name.value, "signature")

    def _fallback_engine(self, methods: Iterable[str]) -> FrameworkSpec:
        generator_engines = [s for s in self.engines if s.generator_based]
        if generator_engines:
            return generator_engines[0]
        for method in sorted(methods):
            if FALLBACK_TASK_METHODS[method]:
                return BY_NAME[FALLBACK_TASK_METHODS[method]]
        return BY_NAME[FALLBACK_FRAMEWORK]


# Receivers resolved into these modules are never workflow runtimes or workers.
_NEVER_RUNTIMES = frozenset({"builtins", "functools", "typing", "os", "sys", "abc", "atexit"})


def _argument(call: cst.Call, registration: Registration) -> Optional[cst.BaseExpression]:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in registration.keywords:
            return arg.value
    if len(positional) > registration.position:
        return positional[registration.position].value
    return None


def _string_keyword(call: cst.Call, keyword: str) -> Optional[str]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            if isinstance(arg.value, cst.SimpleString):
                value = arg.value.evaluated_value
                return value if isinstance(value, str) else None
    return None


def _outermost(units: List[WorkflowUnit]) -> List[WorkflowUnit]:
    """Drop units nested inside other units: the outer traversal covers them."""
    ranges = {id(u.node) for u in units}
    result = []
    for unit in units:
        scope: Optional[Scope] = unit.parent_scope
        nested = False
        while scope is not None:
            if id(scope.node) in ranges:
                nested = True
                break
            scope = scope.parent
        if not nested:
            result.append(unit)
    return result


__all__ = ["ModuleIndex", "WorkflowFinder", "WorkflowUnit", "first_param", "COMPREHENSIONS"]
