"""Orchestrations written against the real durabletask package run unchanged.

The package cannot be imported next to Dapr's vendored copy of it (both register the same
protobuf symbols), so the scenario runs in its own process.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from runtime_helpers import app

from wfcheck.runtime.verify import child_base_env

if importlib.util.find_spec("durabletask") is None:
    pytest.skip("durabletask is not installed", allow_module_level=True)

SCRIPT = """
import json, sys
from wfcheck.runtime import Worker, replay
from wfcheck.runtime.registry import load_target

registry, name = load_target(sys.argv[1] + ":fan_out")
worker = Worker(registry)
record = worker.run(name, ["A", "B"], instance_id="dt", fire_timers_while_waiting=True)
for member in worker.store.family("dt"):
    history = worker.store.history(member.instance_id)
    replay(worker.registry.get_workflow(member.name), member.instance_id, history)
failures = [e.seq for e in worker.store.history("dt") if e.kind == "activity_failed"]
result = {"status": record.status, "output": record.output, "error": record.error, "failures": failures}
print(json.dumps(result))
"""


def test_durabletask_orchestration_with_its_own_combinators_and_retry_policy():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, app("durabletask_patterns.py")],
        env=child_base_env(),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed", result["error"]
    assert result["output"] == {
        "results": ["Hello A!", "Hello B!"],
        "timer_won": True,
        "child": ["Hello Tokyo!", "Hello Seattle!"],
        "failure": "always",
    }
    assert len(result["failures"]) == 2  # max_number_of_attempts=2
