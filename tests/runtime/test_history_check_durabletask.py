"""`replay check` on histories recorded by durabletask itself, judged by durabletask itself.

history_engines.py runs dt_order.order on durabletask's in-memory backend (one instance
completed, one waiting for its approval), saves each history with the history export
extension (JSON, gzipped JSONL) and as protobuf JSON, and replays every changed variant of the
code on durabletask's own executor. wfcheck's engine mode must give the engine's verdict on
every history in every format; strict mode adds inputs and what the code did past history.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from wfcheck.runtime.verify import child_base_env

if importlib.util.find_spec("durabletask") is None:
    pytest.skip("durabletask is not installed", allow_module_level=True)

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps", "histories")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("dt-histories")
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "history_engines.py"), "durabletask", str(out)],
        env=child_base_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rows(recorded, variant, history=None):
    found = [v for v in recorded["verdicts"] if v["variant"] == variant and history in (None, v["history"])]
    assert len(found) == (3 if history else 6)  # three formats per history
    return found


def test_every_format_of_every_recorded_history_reads_the_same(recorded):
    from wfcheck.runtime.importers import load_histories

    for history in ("completed", "inflight"):
        loaded = [
            load_histories(path)[0] for key, path in recorded["files"].items() if key.startswith(history)
        ]
        assert {h.format for h in loaded} == {"durabletask-export", "protobuf-json"}
        first = loaded[0]
        assert first.engine == "durabletask" and first.workflow_name == "order" and first.version == "1.0"
        for other in loaded[1:]:
            assert [e.to_dict() for e in other.events] == [e.to_dict() for e in first.events]
        kinds = [e.kind for e in first.events]
        # durabletask records the retried charge under its first id again; it gets the next number
        scheduled = [(e.seq, e.name) for e in first.events if e.kind == "activity_scheduled"]
        assert [name for _, name in scheduled] == [
            "quote",
            "reserve",
            "notify",
            "notify",
            "flaky_charge",
            "flaky_charge",
        ]
        assert len({seq for seq, _ in scheduled}) == 6
        assert kinds.count("timer_created") == 2  # the 50 ms timer and the retry's
        assert (kinds[-1] == "workflow_completed") == (history == "completed")
        children = [e for e in first.events if e.kind == "child_workflow_scheduled"]
        if history == "completed":
            # durabletask names a child "<parent>:<sequence number, 4 hex digits>", as wfcheck does
            assert [(c.name, c.instance_id) for c in children] == [("summarize", "dt-completed:0008")]
        else:
            assert children == []


def check_json(target, path, mode="engine"):
    """`replay check` in its own process (the durabletask package cannot be imported next to
    Dapr's copy of it, which other tests load here): the JSON results."""
    proc = _cli(os.path.join(APPS, target), "--history", path, "--mode", mode, "--output-format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["results"]


def test_histories_written_by_the_extensions_export_job_replay(recorded):
    # the job exported the completed instance and its child (gzipped JSONL, named by hash)
    from wfcheck.runtime.importers import load_histories

    folder = recorded["files"]["export-job"]
    paths = [os.path.join(folder, name) for name in sorted(os.listdir(folder))]
    exported = {load_histories(path)[0].workflow_name: path for path in paths}
    assert set(exported) == {"order", "summarize"}
    assert all(path.endswith(".jsonl.gz") for path in exported.values())
    for name, path in exported.items():
        (result,) = check_json(f"dt_order.py:{name}", path, "strict")
        assert result["status"] == "ok", result
    (renamed,) = check_json("dt_order_renamed.py:order", exported["order"])
    assert renamed["status"] == "diverged" and renamed["divergence"]["actual"]["name"] == "hold"


def test_the_child_workflows_own_history_replays_against_the_child(recorded):
    path = recorded["files"]["child/protobuf.json"]
    for mode in ("engine", "strict"):
        (result,) = check_json("dt_order.py:summarize", path, mode)
        assert result["status"] == "ok" and result["workflow"] == "summarize", result


@pytest.mark.parametrize(
    "variant",
    [
        "dt_order",
        "dt_order_renamed",
        "dt_order_reordered",
        "dt_order_input",
        "dt_order_appended",
        "dt_order_inserted",
        "dt_order_versioned",
    ],
)
def test_engine_mode_gives_durabletasks_own_verdict(recorded, variant):
    for row in rows(recorded, variant):
        engine = row["engine"]
        result = row["wfcheck"]["engine"]
        assert result["error"] is None
        assert (result["status"] == "diverged") == (engine is not None), row
        if engine is not None:
            # the engine's own words, as durabletask's executor failed the instance with them
            assert result["divergence"]["engine_message"] == engine["message"]


def test_unchanged_code_replays_in_both_modes(recorded):
    for row in rows(recorded, "dt_order"):
        assert row["engine"] is None
        assert row["wfcheck"]["engine"]["status"] == row["wfcheck"]["strict"]["status"] == "ok"


def test_a_renamed_activity_is_reported_where_it_diverged(recorded):
    for row in rows(recorded, "dt_order_renamed"):
        assert row["engine"]["type"].endswith("NonDeterminismError")
        for mode in ("engine", "strict"):
            divergence = row["wfcheck"][mode]["divergence"]
            assert divergence["kind"] == "mismatch" and not divergence["strict_only"]
            assert divergence["event_id"] == 2 and divergence["sequence"] == 2  # durabletask's task id 2
            assert divergence["recorded"]["name"] == "reserve" and divergence["actual"]["name"] == "hold"
            assert divergence["recorded"]["input_digest"] == divergence["actual"]["input_digest"]
            assert divergence["path"].endswith("dt_order_renamed.py")
            assert _line(divergence) == "reservation = yield ctx.call_activity(hold, input=offer)"


def test_reordered_activities_diverge_at_the_first_swapped_call(recorded):
    for row in rows(recorded, "dt_order_reordered"):
        divergence = row["wfcheck"]["engine"]["divergence"]
        assert (divergence["recorded"]["name"], divergence["actual"]["name"]) == ("quote", "reserve")
        assert divergence["event_id"] == 1
        assert divergence["engine_message"] == row["engine"]["message"]


def test_a_changed_input_diverges_only_in_strict_mode(recorded):
    for row in rows(recorded, "dt_order_input"):
        assert row["engine"] is None and row["wfcheck"]["engine"]["status"] == "ok"
        divergence = row["wfcheck"]["strict"]["divergence"]
        assert divergence["strict_only"] and "the engine would accept this" in divergence["message"]
        assert divergence["recorded"]["name"] == divergence["actual"]["name"] == "reserve"
        assert divergence["recorded"]["input_digest"] != divergence["actual"]["input_digest"]
        assert _line(divergence) == "reservation = yield ctx.call_activity(reserve, input=offer)"


def test_an_activity_added_after_the_wait_point(recorded):
    # in flight: the new call is after where the instance waits, so it is simply new work
    for row in rows(recorded, "dt_order_appended", "inflight"):
        assert row["engine"] is None
        assert row["wfcheck"]["engine"]["status"] == row["wfcheck"]["strict"]["status"] == "ok"
    # completed: durabletask never replays a finished instance; strict mode says the code now
    # does more than the recorded run did
    for row in rows(recorded, "dt_order_appended", "completed"):
        assert row["engine"] is None and row["wfcheck"]["engine"]["status"] == "ok"
        divergence = row["wfcheck"]["strict"]["divergence"]
        assert divergence["strict_only"] and divergence["actual"]["name"] == "ship"


def test_an_activity_inserted_before_the_wait_point(recorded):
    # in flight at the wait: durabletask schedules it as new work; strict mode names it
    for row in rows(recorded, "dt_order_inserted", "inflight"):
        assert row["engine"] is None and row["wfcheck"]["engine"]["status"] == "ok"
        divergence = row["wfcheck"]["strict"]["divergence"]
        assert divergence["kind"] == "extra-call" and divergence["strict_only"]
        assert divergence["actual"]["name"] == "notify"
    # completed: history went past the wait, so the inserted call takes the child's number
    for row in rows(recorded, "dt_order_inserted", "completed"):
        assert row["engine"]["type"].endswith("NonDeterminismError")
        divergence = row["wfcheck"]["engine"]["divergence"]
        assert (divergence["recorded"]["kind"], divergence["actual"]["kind"]) == (
            "child_workflow_scheduled",
            "activity_scheduled",
        )
        assert divergence["engine_message"] == row["engine"]["message"]


def test_a_change_behind_the_orchestration_version_replays(recorded):
    for row in rows(recorded, "dt_order_versioned"):
        assert row["engine"] is None
        assert row["wfcheck"]["engine"]["status"] == "ok"


def _line(divergence):
    with open(divergence["path"]) as handle:
        return handle.read().splitlines()[divergence["line"] - 1].strip()


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "wfcheck", "replay", "check", *args],
        env=child_base_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_checks_a_folder_of_recorded_histories(recorded):
    folder = os.path.dirname(recorded["files"]["completed/protobuf.json"])
    ok = _cli(os.path.join(APPS, "dt_order.py") + ":order", "--history", folder)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().splitlines()[-1] == "6 histories checked, 6 replayed, 0 diverged (engine mode)"
    bad = _cli(
        os.path.join(APPS, "dt_order_renamed.py") + ":order", "--history", folder, "--output-format", "json"
    )
    assert bad.returncode == 1, bad.stderr
    document = json.loads(bad.stdout)
    assert document["summary"] == {"checked": 6, "diverged": 6, "errors": 0, "mode": "engine"}
    github = _cli(
        os.path.join(APPS, "dt_order_input.py") + ":order",
        "--history",
        folder,
        "--mode",
        "strict",
        "--output-format",
        "github",
    )
    assert github.returncode == 1
    annotations = [line for line in github.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 6
    assert all("dt_order_input.py,line=" in line for line in annotations)
