"""Perturbed replays in fresh processes expose leaked process state; a clean twin holds."""

from __future__ import annotations

import pytest
from runtime_helpers import app

from wfcheck.runtime.perturb import perturbed_environment
from wfcheck.runtime.registry import load_target
from wfcheck.runtime.verify import perturbed_replays, record_run, replay_document

LEAKS = app("leaks.py") + ":leaky"


@pytest.mark.parametrize("mode", ["date", "epoch_day", "env", "set_order", "process_uuid"])
def test_leaked_process_state_diverges_under_perturbation(mode, monkeypatch):
    monkeypatch.setenv("DEMO_REGION", "eu-west")
    recorded = record_run(LEAKS, mode)
    assert recorded.status == "completed"  # consistent within one process
    outcomes = perturbed_replays(LEAKS, recorded.document, runs=3)
    assert not outcomes[-1].ok
    message = outcomes[-1].message
    assert "non-determinism (mismatch) at history event #1" in message
    assert "leaks.py:" in message


def test_clean_twin_is_deterministic_under_perturbation(monkeypatch):
    monkeypatch.setenv("DEMO_REGION", "eu-west")
    recorded = record_run(LEAKS, "clean")
    outcomes = perturbed_replays(LEAKS, recorded.document, runs=3)
    assert [o.ok for o in outcomes] == [True, True, True]
    assert "replayed 6 events" in outcomes[0].message


def test_same_process_replay_of_leaky_history_passes():
    # the bug is invisible without perturbation: that is why verify uses other processes
    recorded = record_run(LEAKS, "date")
    registry, _ = load_target(LEAKS)
    assert replay_document(recorded.document, registry) == 6


def test_perturbed_environment_changes_what_it_promises():
    base = {"PATH": "/bin", "HOME": "/root", "DEMO_REGION": "eu", "PYTHONPATH": "src"}
    one, two = perturbed_environment(base, 1, 0), perturbed_environment(base, 2, 0)
    assert one["PATH"] == "/bin" and one["PYTHONPATH"] == "src"
    assert one["DEMO_REGION"] != "eu" and one["DEMO_REGION"] != two["DEMO_REGION"]
    for key in ("PYTHONHASHSEED", "WFCHECK_PERTURB_CLOCK_OFFSET", "WFCHECK_PERTURB_SEED"):
        assert one[key] != two[key]
    assert float(one["WFCHECK_PERTURB_CLOCK_OFFSET"]) >= 86400


def test_a_variable_unset_at_record_time_is_set_in_the_perturbed_replays(monkeypatch):
    monkeypatch.delenv("ORDERS_NEW_PRICING", raising=False)
    target = app("env_flag.py") + ":checkout"
    recorded = record_run(target, 100)
    assert recorded.output == 100
    assert "ORDERS_NEW_PRICING" in recorded.unset_read
    outcomes = perturbed_replays(target, recorded.document, runs=1, unset_read=recorded.unset_read)
    assert not outcomes[0].ok
    assert "name='new_price'" in outcomes[0].message
    # without the names the run read, nothing sets the flag and the replay holds
    assert perturbed_replays(target, recorded.document, runs=1)[0].ok
