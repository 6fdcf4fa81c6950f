"""`replay check` on Dapr histories recorded by Dapr's own bundled executor, judged by it.

history_engines.py drives ``dapr.ext.workflow._durabletask``'s ``_OrchestrationExecutor``
the way a sidecar does (history so far + new events in, actions out, recorded as Dapr's
``HistoryEvent``s, version name and patches on ``workflowStarted``, the optional timer of an
indefinite wait included), saves each history as protobuf JSON, then replays every variant on
the same executor. wfcheck's engine mode must agree with it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from wfcheck.runtime.verify import child_base_env

if importlib.util.find_spec("dapr.ext.workflow") is None:
    pytest.skip("dapr-ext-workflow is not installed", allow_module_level=True)

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("dapr-histories")
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "history_engines.py"), "dapr", str(out)],
        env=child_base_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def row(recorded, history, variant):
    (found,) = [v for v in recorded["verdicts"] if (v["history"], v["variant"]) == (history, variant)]
    return found


def test_dapr_histories_are_read_with_their_versions_patches_and_optional_timers(recorded):
    from wfcheck.runtime.importers import load_histories

    (order,) = load_histories(recorded["files"]["order-inflight"])
    assert (order.engine, order.format, order.workflow_name) == ("dapr", "protobuf-json", "order")
    # the indefinite wait's optional timer is dropped, the 5-minute timer kept and renumbered
    assert [(e.kind, e.seq) for e in order.events if e.seq] == [
        ("activity_scheduled", 1),
        ("activity_completed", 1),
        ("activity_scheduled", 2),
        ("activity_completed", 2),
        ("timer_created", 3),
        ("timer_fired", 3),
    ]
    (patched,) = load_histories(recorded["files"]["patched-inflight"])
    assert patched.patches == ["stock-check"]
    (shipping,) = load_histories(recorded["files"]["shipping-v1-inflight"])
    assert shipping.version == "v1"


def test_a_child_workflow_named_by_dapr_replays_and_its_own_history_too(recorded):
    from wfcheck.runtime.importers import load_histories
    from wfcheck.runtime.replay_check import check_path

    (order,) = load_histories(recorded["files"]["order-completed"])
    children = [e for e in order.events if e.kind == "child_workflow_scheduled"]
    # Dapr's id counts the optional timer of the indefinite wait; this runtime's numbers do not
    assert [(c.name, c.instance_id, c.seq) for c in children] == [("receipt", "dapr-order-completed:0005", 4)]
    for mode in ("engine", "strict"):
        found = row(recorded, "order-completed", "dapr_order")
        assert found["wfcheck"][mode]["status"] == "ok"
        (child,) = check_path(
            os.path.join(HERE, "apps", "histories", "dapr_order.py") + ":receipt_workflow",
            recorded["files"]["order-completed/child"],
            mode,
        )
        assert child.ok and child.engine == "dapr", child.to_dict()


CASES = [
    ("order-completed", "dapr_order"),
    ("order-completed", "dapr_order_renamed"),
    ("order-completed", "dapr_order_reordered"),
    ("order-completed", "dapr_order_input"),
    ("order-completed", "dapr_order_unpatched"),
    ("order-inflight", "dapr_order"),
    ("order-inflight", "dapr_order_renamed"),
    ("order-inflight", "dapr_order_reordered"),
    ("order-inflight", "dapr_order_input"),
    ("order-inflight", "dapr_order_unpatched"),
    ("patched-inflight", "dapr_order"),
    ("shipping-v1-inflight", "dapr_shipping_v1"),
    ("shipping-v1-inflight", "dapr_shipping_v2_only"),
]
VERSIONING_CASES = [
    ("order-completed", "dapr_order_patched"),
    ("order-inflight", "dapr_order_patched"),
    ("patched-inflight", "dapr_order_patched"),
    ("shipping-v1-inflight", "dapr_shipping_v2"),
    ("shipping-v1-inflight", "dapr_shipping_v2_without_v1"),
]


@pytest.mark.parametrize("history, variant", CASES + VERSIONING_CASES)
def test_engine_mode_gives_daprs_own_verdict(recorded, history, variant):
    found = row(recorded, history, variant)
    result = found["wfcheck"]["engine"]
    assert result["error"] is None
    assert (result["status"] == "diverged") == (found["engine"] is not None), found
    if found["engine"] is None:
        return
    if found["engine"]["type"] == "VersionNotRegistered":  # Dapr stalls rather than fails it
        assert result["divergence"]["kind"] == "version-not-registered"
        assert result["divergence"]["engine_message"] == "VersionNotRegistered"
    else:
        assert result["divergence"]["engine_message"] == found["engine"]["message"]


def test_strict_mode_adds_the_changed_input_and_says_dapr_accepts_it(recorded):
    for history in ("order-completed", "order-inflight"):
        found = row(recorded, history, "dapr_order_input")
        assert found["engine"] is None and found["wfcheck"]["engine"]["status"] == "ok"
        divergence = found["wfcheck"]["strict"]["divergence"]
        assert divergence["strict_only"] and divergence["recorded"]["name"] == "quote"
        assert divergence["event_id"] == 1 and divergence["sequence"] == 1


def test_unchanged_code_replays_in_both_modes(recorded):
    for history, variant in (
        ("order-completed", "dapr_order"),
        ("order-inflight", "dapr_order"),
        ("shipping-v1-inflight", "dapr_shipping_v1"),
    ):
        found = row(recorded, history, variant)
        assert found["wfcheck"]["engine"]["status"] == found["wfcheck"]["strict"]["status"] == "ok"


def test_a_timer_moved_first_is_dapr_s_wrong_action_type(recorded):
    found = row(recorded, "order-inflight", "dapr_order_reordered")
    divergence = found["wfcheck"]["engine"]["divergence"]
    assert (divergence["recorded"]["kind"], divergence["actual"]["kind"]) == (
        "activity_scheduled",
        "timer_created",
    )
    assert "create_timer" in divergence["engine_message"]
    assert divergence["engine_message"] == found["engine"]["message"]
    assert divergence["path"].endswith("dapr_order_reordered.py")
