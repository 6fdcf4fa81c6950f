"""``wfcheck replay ...`` end to end through click."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from runtime_helpers import app

from wfcheck.runtime.cli import replay

APPROVAL = app("cli_app.py")
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "replay_demo")


def invoke(*args):
    return CliRunner().invoke(replay, list(args), catch_exceptions=False)


def test_run_status_history_and_raise_event(tmp_path):
    db = str(tmp_path / "cli.db")
    result = invoke(
        "run",
        f"{APPROVAL}:approval",
        "--input",
        '{"amount": 5}',
        "--db",
        db,
        "--instance-id",
        "a1",
        "--sticky",
    )
    assert result.exit_code == 0
    assert "instance a1: running" in result.output
    assert "waiting for external event(s): approved" in result.output

    result = invoke("raise-event", "a1", "approved", "--data", '"Ada"', "--db", db)
    assert result.exit_code == 0, result.output
    assert "instance a1: completed" in result.output
    assert 'output: "5 approved by Ada"' in result.output

    status = invoke("status", "--db", db)
    assert "a1  approval  completed" in status.output
    assert "instance a1: completed" in invoke("status", "a1", "--db", db).output

    text = invoke("history", "a1", "--db", db).output
    assert "event_raised name='approved'" in text
    document = json.loads(invoke("history", "a1", "--db", db, "--format", "json").output)
    assert document["format"] == "wfcheck-history/1"
    assert [e["kind"] for e in document["instances"][0]["generations"]["0"]][-1] == "workflow_completed"


def test_run_reports_failure_and_bad_input(tmp_path):
    db = str(tmp_path / "cli.db")
    result = invoke("run", f"{APPROVAL}:broken", "--db", db)
    assert result.exit_code == 1
    assert "error: ZeroDivisionError" in result.output
    bad = CliRunner().invoke(replay, ["run", f"{APPROVAL}:approval", "--input", "{nope", "--db", db])
    assert bad.exit_code == 2
    missing = CliRunner().invoke(replay, ["status", "nope", "--db", db])
    assert missing.exit_code == 2


def test_run_stops_at_max_steps(tmp_path):
    result = invoke(
        "run", f"{APPROVAL}:forever", "--input", "0", "--db", str(tmp_path / "f.db"), "--max-steps", "7"
    )
    assert result.exit_code == 0
    assert "stopped after 7 steps" in result.output


def test_verify_leaky_and_clean(tmp_path):
    leaky = invoke("verify", f"{APPROVAL}:stamped", "--input", '"leak"', "--runs", "2")
    assert leaky.exit_code == 1
    assert "non-determinism (mismatch)" in leaky.output
    assert "cli_app.py:" in leaky.output
    clean = invoke("verify", f"{APPROVAL}:stamped", "--input", '"clean"', "--runs", "2")
    assert clean.exit_code == 0, clean.output
    assert "deterministic under 2 perturbed replays" in clean.output


def test_verify_chaos_on_the_clean_workflow():
    result = invoke("verify", f"{APPROVAL}:stamped", "--input", '"clean"', "--runs", "1", "--chaos")
    assert result.exit_code == 0, result.output
    assert "SIGKILLs after every step" in result.output
    assert "final output equals the uninterrupted run" in result.output


def test_replay_demo_example():
    pytest.importorskip("dapr.ext.workflow")
    order = '{"item": "book", "amount": 12}'
    buggy = invoke(
        "verify", os.path.join(EXAMPLES, "order_workflow_buggy.py") + ":order_workflow", "--input", order
    )
    assert buggy.exit_code == 1
    assert "order_workflow_buggy.py:" in buggy.output
    fixed = invoke(
        "verify", os.path.join(EXAMPLES, "order_workflow_fixed.py") + ":order_workflow", "--input", order
    )
    assert fixed.exit_code == 0, fixed.output
    assert "deterministic under 5 perturbed replays" in fixed.output


def test_main_cli_has_the_replay_group():
    from wfcheck.cli import main

    result = CliRunner().invoke(main, ["replay", "--help"])
    assert result.exit_code == 0 and "verify" in result.output
