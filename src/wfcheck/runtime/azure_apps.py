"""Azure Functions v2 apps (``df.DFApp``): their decorators return ``FunctionBuilder`` objects,
not functions. This finds the user's function, its kind and the names it answers to, by shape,
without importing the Azure SDK."""

from __future__ import annotations

from typing import Any, Callable

_AZURE_KINDS = {"orchestrationTrigger": "workflow", "activityTrigger": "activity"}


def azure_function(obj: Any) -> tuple[str, list[str], Callable[..., Any]] | None:
    """For an Azure Functions v2 ``FunctionBuilder`` of an orchestrator or activity: its kind
    (``"workflow"``/``"activity"``), the names it answers to (the function name, then a
    different name given as ``orchestration=``/``activity=`` on the trigger) and a function the
    runtime can call. ``None`` for anything else (HTTP starters included)."""
    function = getattr(obj, "_function", None)
    get_trigger = getattr(function, "get_trigger", None)
    get_name = getattr(function, "get_function_name", None)
    user = getattr(function, "_func", None)
    if not callable(get_trigger) or not callable(get_name) or not callable(user):
        return None
    try:
        trigger = get_trigger()
        name = get_name()
    except Exception:  # not the FunctionBuilder this was written against
        return None
    kind = _AZURE_KINDS.get(str(getattr(trigger, "type", "")))
    if kind is None or not isinstance(name, str) or not name:
        return None
    names = [name]
    alias = getattr(trigger, "orchestration" if kind == "workflow" else "activity", None)
    if isinstance(alias, str) and alias and alias != name:
        names.append(alias)
    if kind == "workflow":
        original = getattr(user, "orchestrator_function", user)
        return kind, names, original if callable(original) else user
    return kind, names, _azure_activity(user)


def _azure_activity(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An Azure activity takes only its input (the ``input_name`` parameter); the runtime calls
    activities as ``fn(context, input)``."""

    def activity(context: Any, value: Any) -> Any:
        return fn(value)

    activity.__name__ = getattr(fn, "__name__", "activity")
    activity.__qualname__ = getattr(fn, "__qualname__", activity.__name__)
    activity.__module__ = getattr(fn, "__module__", activity.__module__)
    activity.__dict__["_wfcheck_azure_activity"] = fn
    return activity
