"""Workflow programs written the way the official examples are written, run with
``wfcheck replay run`` (+ ``raise-event``), must produce what the real engine produces.

The judges run the same unchanged programs on the engines' own code, each in its own process
(durabletask and Dapr's vendored copy cannot share one):

* Dapr programs: ``dapr_judge.py`` drives Dapr's ``_OrchestrationExecutor`` and
  ``_ActivityExecutor`` over the registry the program's real ``WorkflowRuntime`` built.
* durabletask programs: ``dt_judge.py`` runs each program as ``__main__`` against
  ``durabletask.testing``'s in-memory backend (a real gRPC backend, real worker and client);
  each program prints its result line, which must equal both the line it prints when wfcheck
  imports it (its worker and client then served by wfcheck's stand-ins) and the output of
  ``wfcheck replay run`` on the same orchestrator.

wfcheck's side (``wfcheck_driver.py``) runs the CLI commands in one process per family.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")
AUTO = "__durabletask_autoobject__"

DAPR_SCENARIOS = [
    {"program": "dapr_chaining.py", "workflow": "chaining", "input": 42},
    {"program": "dapr_fan_out.py", "workflow": "batch_processing", "input": 10},
    {"program": "dapr_child.py", "workflow": "main_workflow", "input": ["ann", "bob"]},
    {
        "program": "dapr_monitor.py",
        "workflow": "status_monitor",
        "input": {"job_id": "job1", "checks": 0, AUTO: True},
    },
    {
        "program": "dapr_human_approval.py",
        "workflow": "purchase_order_wf",
        "input": {"cost": 2000, "product": "MyProduct", "quantity": 1, AUTO: True},
        "events": [["approval_received", {"approver": "Me"}]],
    },
    {
        "program": "dapr_pydantic.py",
        "workflow": "order_workflow",
        "input": {"order_id": "o-1", "customer": "ann", "amount": 20},
    },
    {"program": "dapr_dataclass_result.py", "workflow": "pricing", "input": ["apple", "kiwi"]},
    {"program": "dapr_retry.py", "workflow": "retrying", "input": "k"},
    {"program": "dapr_versioned.py", "workflow": "order", "input": "o-1", "events": [["go", None]]},
    {"program": "dapr_patched.py", "workflow": "patched", "events": [["finish", None]]},
    {"program": "dapr_start_at_import.py", "workflow": "hello_world_wf"},
    {"program": "dapr_shared_workflow.py", "workflow": "fulfil", "input": "box"},
    {"program": "dapr_errors.py", "workflow": "errors"},
    {"program": "dapr_events.py", "workflow": "collect", "events": [["alice", 1], ["bob", 2]]},
    {"program": "dapr_async_activity.py", "workflow": "async_user"},
]


DT_SCENARIOS = [
    {"program": "dt_sequence.py", "workflow": "sequence"},
    {"program": "dt_fanout.py", "workflow": "orchestrator", "input": 12},
    {
        "program": "dt_human_approval.py",
        "workflow": "purchase_order_workflow",
        "input": {"cost": 2000, "product": "MyProduct", "quantity": 2},
        "events": [["approval_received", {"approver": "Me"}]],
    },
    {
        "program": "dt_approval_timeout.py",
        "workflow": "approval_with_timeout",
        "input": "manager",
        "fire_timers": True,
    },
    {"program": "dt_monitor.py", "workflow": "monitor", "input": {"name": "db", "polls": 0}},
    {"program": "dt_sub_orchestrations.py", "workflow": "fleet", "input": ["a", "b", "c"]},
    {"program": "dt_retry.py", "workflow": "with_retries", "input": "job"},
    {"program": "dt_dataclass_result.py", "workflow": "shopping", "input": ["tea", "bread"]},
    {"program": "dt_return_type.py", "workflow": "portfolio", "input": ["AB", "XYZ"]},
    {"program": "dt_custom_converter.py", "workflow": "checkout", "input": "1000c"},
    {"program": "dt_by_name.py", "workflow": "pipeline", "input": "HeLLo"},
    {"program": "dt_when_any.py", "workflow": "race", "input": 7},
    # the version comes from the client (schedule_new_orchestration(version=)): only the run the
    # module makes at import carries it
    {"program": "dt_version.py", "workflow": "versioned", "module_only": True},
    {"program": "dt_replay_safe_logger.py", "workflow": "logged", "input": 1},
    {"program": "dt_errors.py", "workflow": "guarded"},
    {
        "program": "dt_external_events.py",
        "workflow": "voting",
        "events": [["VOTE_B", "bob"], ["vote_a", "ann"]],
    },
    {"program": "dt_exit_at_import.py", "workflow": "doubler", "input": 5},
]


def run_json_lines(command: list[str], cwd: str) -> dict[str, dict]:
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")
    env["PYTHONPATH"] = os.pathsep.join([src, HERE, env.get("PYTHONPATH", "")])
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            item = json.loads(line)
            results[item["program"]] = item
    return results


def outcomes(family: str, scenarios: list[dict], judge: list[str], tmp_path_factory) -> tuple[dict, dict]:
    work = tmp_path_factory.mktemp(family)
    path = work / "scenarios.json"
    path.write_text(json.dumps(scenarios))
    cwd = os.path.join(PROGRAMS, family)
    judge_args = [str(path)] if family == "dapr" else [s["program"] for s in scenarios]
    expected = run_json_lines([sys.executable, *judge, *judge_args], cwd)
    actual = run_json_lines(
        [sys.executable, os.path.join(HERE, "wfcheck_driver.py"), str(path), str(work)], cwd
    )
    return expected, actual


@pytest.fixture(scope="module")
def dapr_outcomes(tmp_path_factory):
    pytest.importorskip("dapr.ext.workflow")
    return outcomes("dapr", DAPR_SCENARIOS, [os.path.join(HERE, "dapr_judge.py")], tmp_path_factory)


def same_outcome(expected: dict, actual: dict) -> bool:
    keys = ("status", "output", "error_type")
    return {k: expected.get(k) for k in keys} == {k: actual.get(k) for k in keys}


@pytest.mark.parametrize("scenario", DAPR_SCENARIOS, ids=lambda s: s["program"])
def test_dapr_program_matches_daprs_engine(scenario, dapr_outcomes):
    expected, actual = dapr_outcomes
    program = scenario["program"]
    assert expected[program]["status"] == "completed"  # every scenario runs to its end
    assert same_outcome(expected[program], actual[program]), actual[program]["text"]


@pytest.fixture(scope="module")
def durabletask_outcomes(tmp_path_factory):
    if importlib.util.find_spec("durabletask") is None:
        pytest.skip("durabletask is not installed")
    return outcomes("durabletask", DT_SCENARIOS, [os.path.join(HERE, "dt_judge.py")], tmp_path_factory)


def printed_result(text: str):
    lines = [line for line in text.splitlines() if line.startswith("result: ")]
    return json.loads(lines[0][len("result: ") :]) if lines else None


@pytest.mark.parametrize("scenario", DT_SCENARIOS, ids=lambda s: s["program"])
def test_durabletask_program_matches_the_in_memory_backend(scenario, durabletask_outcomes):
    expected, actual = durabletask_outcomes
    program = scenario["program"]
    engine_result = expected[program]["result"]
    assert engine_result is not None, expected[program]["printed"]
    # the module's own run at import, its worker and client served by wfcheck's stand-ins
    assert printed_result(actual[program]["text"]) == engine_result, actual[program]["text"]
    if not scenario.get("module_only"):
        assert (actual[program]["status"], actual[program].get("output")) == ("completed", engine_result)
