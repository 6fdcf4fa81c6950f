"""Which function runs for which workflow/activity name, and how to load user code.

A :class:`Registry` is the tiny durabletask-like registration API. :func:`registry_for_module`
also collects functions registered with the real Dapr SDK: ``@wfr.workflow``/``@wfr.activity``
replace the function with a no-argument wrapper (``innerfn``) that *returns* the original and
carries ``_dapr_alternate_name``; the original gets ``_workflow_registered`` or
``_activity_registered`` in its ``__dict__``. This module unwraps them without importing Dapr.

It also collects Azure Functions v2 (``df.DFApp``) functions: ``@app.orchestration_trigger``
and ``@app.activity_trigger`` leave an ``azure.functions`` ``FunctionBuilder`` in the module;
:func:`azure_function` finds the user's function in it (orchestrators are wrapped once more by
``Orchestrator.create``, which keeps the original as ``orchestrator_function``) and the name
Azure registers it under (``get_function_name()``: the ``@app.function_name`` setting, else the
Python name), also when they are registered on a ``DFApp`` from a ``df.Blueprint`` in
another module. HTTP starters and other triggers are ignored.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import sysconfig
import traceback
import types
from typing import Any, Callable

from wfcheck.runtime.azure_apps import azure_function
from wfcheck.runtime.codecs import PLAIN, PlainCodec
from wfcheck.runtime.context import function_name
from wfcheck.runtime.errors import TargetError, WorkflowNotFoundError


def unwrap_dapr(obj: Any) -> Any:
    """The user's function behind a Dapr decorator (or ``obj`` itself)."""
    wrapped = getattr(obj, "__wrapped__", None)
    code = getattr(obj, "__code__", None)
    if (
        wrapped is not None
        and hasattr(obj, "_dapr_alternate_name")
        and code is not None
        and code.co_argcount == 0
        and callable(wrapped)
    ):
        return wrapped
    return obj


def dapr_kind(obj: Any) -> str | None:
    """``"workflow"``/``"activity"`` for a function registered with a Dapr ``WorkflowRuntime``."""
    target = unwrap_dapr(obj)
    attrs = getattr(target, "__dict__", {})
    if attrs.get("_workflow_registered"):
        return "workflow"
    if attrs.get("_activity_registered"):
        return "activity"
    return None


class Registry:
    """Workflows and activities by name. Decorators work bare or with ``name=``."""

    def __init__(self) -> None:
        self.workflows: dict[str, Callable[..., Any]] = {}
        self.activities: dict[str, Callable[..., Any]] = {}
        # Dapr named versions: name -> version name -> function, and the latest version name
        self.versions: dict[str, dict[str, Callable[..., Any]]] = {}
        self.latest_version: dict[str, str] = {}
        self.codec: PlainCodec = PLAIN  # the loaded SDK's payload codec (see codecs.py)
        self.converter: Any = None  # a durabletask worker's data_converter=, if one was given

    def add_versioned_workflow(
        self, fn: Callable[..., Any], name: str, version_name: str | None = None, is_latest: bool = False
    ) -> str:
        """Dapr ``versioned_workflow(name=, version_name=, is_latest=)``."""
        target = unwrap_dapr(fn)
        version = version_name or getattr(target, "__name__", None) or name
        self.versions.setdefault(name, {})[version] = target
        if is_latest:
            self.latest_version[name] = version
        return name

    def resolve_workflow(
        self, name: str, version: str | None = None
    ) -> tuple[Callable[..., Any], str | None]:
        """The function to run for ``name`` and the version it is (Dapr's ``get_orchestrator``:
        a plain registration wins; a recorded version must be registered; else the latest)."""
        if name in self.workflows:
            return self.workflows[name], None
        versions = self.versions.get(name)
        if versions:
            chosen = version or self.latest_version.get(name)
            if chosen is None:
                raise WorkflowNotFoundError(f"workflow {name!r} has versions but none is marked is_latest")
            if chosen not in versions:
                raise WorkflowNotFoundError(
                    f"version {chosen!r} of workflow {name!r} is not registered"
                    " (Dapr stalls such an instance: VersionNotRegistered)"
                )
            return versions[chosen], chosen
        raise WorkflowNotFoundError(f"no workflow registered as {name!r}")

    def add_workflow(self, fn: Callable[..., Any], name: str | None = None) -> str:
        key = name or function_name(fn)
        self.workflows[key] = unwrap_dapr(fn)
        return key

    def add_activity(self, fn: Callable[..., Any], name: str | None = None) -> str:
        key = name or function_name(fn)
        self.activities[key] = unwrap_dapr(fn)
        return key

    # durabletask names
    add_orchestrator = add_workflow

    def workflow(self, fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        def register(f: Callable[..., Any]) -> Callable[..., Any]:
            self.add_workflow(f, name)
            return f

        return register(fn) if fn is not None else register

    def activity(self, fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        def register(f: Callable[..., Any]) -> Callable[..., Any]:
            self.add_activity(f, name)
            return f

        return register(fn) if fn is not None else register

    orchestrator = workflow

    def get_workflow(self, name: str) -> Callable[..., Any]:
        return self.resolve_workflow(name)[0]

    def has_workflow(self, name: str) -> bool:
        return name in self.workflows or name in self.versions

    def get_activity(self, name: str) -> Callable[..., Any]:
        try:
            return self.activities[name]
        except KeyError:
            raise WorkflowNotFoundError(f"no activity registered as {name!r}") from None

    def merge(self, other: Registry) -> None:
        self.workflows.update(other.workflows)
        self.activities.update(other.activities)
        for name, versions in other.versions.items():
            self.versions.setdefault(name, {}).update(versions)
        self.latest_version.update(other.latest_version)
        if other.converter is not None:
            self.converter = other.converter

    def learn(self, kind: str, name: str, target: Any) -> None:
        """Remember a function the workflow passed by object (e.g. ``call_activity(fn)``)."""
        table = self.workflows if kind == "workflow" else self.activities
        table.setdefault(name, unwrap_dapr(target))


def registry_for_module(module: types.ModuleType) -> Registry:
    """Everything registered in ``module``: Dapr-decorated functions, :class:`Registry`
    objects, and what was registered on SDK runtime/worker objects the module holds (directly
    or in a module it imported; see :mod:`standins`)."""
    registry = Registry()
    values = list(vars(module).values())
    for value in values:
        if isinstance(value, types.ModuleType):
            values.extend(
                v for v in vars(value).values() if isinstance(getattr(v, "__dict__", None), dict)
                and isinstance(v.__dict__.get("_wfcheck_registry"), Registry)
            )
    for value in list(values):
        # an Azure DFApp/Blueprint: its functions, including a blueprint's from another module
        # (app.register_functions(bp) copies them)
        builders = getattr(value, "_function_builders", None) if not callable(value) else None
        if isinstance(builders, list):
            values.extend(builders)
    for value in values:
        if isinstance(value, Registry):
            registry.merge(value)
            continue
        captured = getattr(value, "__dict__", {}).get("_wfcheck_registry") if not callable(value) else None
        if isinstance(captured, Registry):
            registry.merge(captured)
            continue
        azure = azure_function(value) if callable(value) else None
        if azure is not None:
            azure_kind, names, fn = azure
            for name in names:
                if azure_kind == "workflow":
                    registry.add_workflow(fn, name)
                else:
                    registry.add_activity(fn, name)
            continue
        kind = dapr_kind(value) if callable(value) else None
        version = getattr(unwrap_dapr(value), "__dict__", {}).get("_wfcheck_version") if kind else None
        if version is not None:
            registry.add_versioned_workflow(value, version[0], version[1], version[2])
        elif kind == "workflow":
            registry.add_workflow(value)
        elif kind == "activity":
            registry.add_activity(value)
    return registry


def import_module_from(spec: str) -> types.ModuleType:
    """Import ``path/to/file.py`` or a dotted module name."""
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        path = os.path.abspath(spec)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no such file: {spec}")
        directory = os.path.dirname(path)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        stem = os.path.splitext(os.path.basename(path))[0]
        existing = sys.modules.get(stem)
        if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") == path:
            return existing
        name = stem if existing is None else f"_wfcheck_user_{abs(hash(path))}_{stem}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot import {spec}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        try:
            module_spec.loader.exec_module(module)
        except SystemExit as exc:
            # a script that runs its own scenario at import and then calls exit() / exit(0):
            # everything it defined and registered is there
            if exc.code not in (None, 0):
                sys.modules.pop(name, None)
                raise
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return importlib.import_module(spec)


def split_target(target: str) -> tuple[str, str]:
    """``FILE_OR_MODULE:WORKFLOW`` -> (``FILE_OR_MODULE``, ``WORKFLOW``); a :class:`TargetError`
    when either part is missing (a bare Windows drive letter is not a module)."""
    module_spec, sep, attr = target.rpartition(":")
    if not sep or not module_spec or not attr or (len(module_spec) == 1 and module_spec.isalpha()):
        raise TargetError(f"expected FILE_OR_MODULE:WORKFLOW, got {target!r}")
    return module_spec, attr


def absolute_target(target: str) -> str:
    """The target with a file path made absolute (a module name stays as it is), so it names
    the same code from any working directory."""
    module_spec, sep, attr = target.rpartition(":")
    if sep and (module_spec.endswith(".py") or "/" in module_spec or os.sep in module_spec):
        return f"{os.path.abspath(module_spec)}:{attr}"
    return target


def load_target(target: str) -> tuple[Registry, str]:
    """``FILE_OR_MODULE:WORKFLOW`` -> the module's registry and the workflow's registered name.

    ``WORKFLOW`` is a module attribute (a Dapr-decorated or plain function) or a registered name.
    """
    try:
        module_spec, attr = split_target(target)
    except TargetError as exc:
        raise ValueError(str(exc)) from None
    from wfcheck.runtime import standins
    from wfcheck.runtime.codecs import codec_for_loaded_sdk

    captured = Registry()
    with standins.capture(captured):
        module = import_module_from(module_spec)
    registry = registry_for_module(module)
    registry.merge(captured)
    registry.codec = codec_for_loaded_sdk(registry.converter)
    value = getattr(module, attr, None)
    azure = azure_function(value) if value is not None else None
    if azure is not None and azure[0] == "workflow":
        return registry, azure[1][0]
    if azure is not None or callable(getattr(getattr(value, "_function", None), "get_trigger", None)):
        # an Azure activity, HTTP starter or other non-orchestrator function
        registry.get_workflow(attr)
        return registry, attr
    if value is not None and callable(value) and not isinstance(value, Registry):
        name = function_name(value)
        if not registry.has_workflow(name):
            registry.workflows[name] = unwrap_dapr(value)
        return registry, name
    registry.get_workflow(attr)
    return registry, attr


# Top-level packages of the workflow SDKs, and what to install for each.
_SDK_PACKAGES = {
    "dapr": '"dapr[workflow]"',
    "durabletask": "durabletask",
    "temporalio": "temporalio",
    "azure": "azure-functions-durable",
}


_LIBRARY_DIRS = tuple(
    {os.path.dirname(os.path.abspath(__file__))}
    | {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _is_library(filename: str) -> bool:
    """Python's own modules, installed packages and this runtime: not where the user looks."""
    return filename.startswith(_LIBRARY_DIRS) or filename.startswith("<frozen")


def load_target_checked(target: str) -> tuple[Registry, str]:
    """:func:`load_target`, with every way ``target`` can be wrong (no ``:WORKFLOW``, a
    missing file or module, a missing SDK, a syntax error, an exception while importing, an
    unknown workflow) raised as a one-line :class:`TargetError`."""
    module_spec, attr = split_target(target)
    try:
        return load_target(target)
    except TargetError:
        raise
    except WorkflowNotFoundError:
        raise TargetError(
            f"{module_spec} has no workflow {attr!r} (neither a function of that name nor a registered name)"
        ) from None
    except FileNotFoundError as exc:
        raise TargetError(str(exc)) from None
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        hint = ""
        if missing in _SDK_PACKAGES:
            hint = f" (the workflow SDK is not installed here: pip install {_SDK_PACKAGES[missing]})"
        raise TargetError(f"cannot import {module_spec}: {exc}{hint}") from None
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}" if exc.filename else module_spec
        raise TargetError(f"{where}: syntax error: {exc.msg}") from None
    except (Exception, SystemExit) as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_library(f.filename)]
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        text = " ".join(str(exc).split())
        raise TargetError(f"importing {module_spec} raised {type(exc).__name__}: {text}{where}") from None
