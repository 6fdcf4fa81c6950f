"""Loading user code: file paths, dotted modules, registries, name resolution."""

from __future__ import annotations

import sys

import pytest
from runtime_helpers import APPS, app

from wfcheck.runtime import Registry, WorkflowNotFoundError
from wfcheck.runtime.context import function_name
from wfcheck.runtime.registry import load_target, registry_for_module, unwrap_dapr


def test_load_target_by_file_and_by_dotted_module(monkeypatch):
    registry, name = load_target(app("cli_app.py") + ":approval")
    assert name == "approval" and "describe" in registry.activities
    monkeypatch.syspath_prepend(APPS)
    registry, name = load_target("leaks:leaky")
    assert name == "leaky"
    assert registry.get_activity("echo")(None, 5) == 5
    assert "leaks" in sys.modules


def test_load_target_by_registered_name_and_errors():
    registry, name = load_target(app("chaos_app.py") + ":child")
    assert name == "child"
    with pytest.raises(WorkflowNotFoundError):
        load_target(app("chaos_app.py") + ":nope")
    with pytest.raises(ValueError):
        load_target("no-colon-here")
    with pytest.raises(FileNotFoundError):
        load_target("missing/file.py:wf")


def test_registry_decorators_and_names():
    reg = Registry()

    @reg.workflow(name="renamed")
    def original(ctx):
        return 1

    @reg.activity
    def act(ctx):
        return 2

    assert reg.get_workflow("renamed") is original
    assert reg.get_activity("act") is act
    with pytest.raises(WorkflowNotFoundError):
        reg.get_activity("renamed")
    assert function_name("by-name") == "by-name"
    with pytest.raises(ValueError):
        function_name(lambda ctx: None)
    assert unwrap_dapr(original) is original


def test_registry_for_module_merges_registries():
    import types

    module = types.ModuleType("m")
    first, second = Registry(), Registry()
    first.add_workflow(lambda ctx: 1, name="a")
    second.add_activity(lambda ctx: 2, name="b")
    module.first, module.second = first, second
    merged = registry_for_module(module)
    assert set(merged.workflows) == {"a"} and set(merged.activities) == {"b"}
