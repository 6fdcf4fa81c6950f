"""`replay check` input handling: wfcheck's own export, bad files, unknown event kinds, usage
errors (one line, exit 2), and the wfcheck.testing helper."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest
from runtime_helpers import app

from wfcheck.runtime import Worker
from wfcheck.runtime.importers import HistoryFormatError, load_histories
from wfcheck.runtime.registry import load_target
from wfcheck.runtime.replay_check import check_path, exit_code
from wfcheck.runtime.verify import child_base_env
from wfcheck.testing import HistoryReplayError, assert_histories_replay, history_files

CLI_APP = app("cli_app.py")


def export(tmp_path, attr="stamped", workflow_input="safe"):
    registry, name = load_target(f"{CLI_APP}:{attr}")
    worker = Worker(registry)
    record = worker.run(name, workflow_input, instance_id="w-1")
    path = tmp_path / "wfcheck.json"
    path.write_text(json.dumps(worker.store.export_json(record.instance_id)))
    return path


def test_wfcheck_export_replays_against_its_own_code(tmp_path):
    path = export(tmp_path)
    (history,) = load_histories(str(path))
    assert (history.format, history.engine, history.instance_id) == ("wfcheck", "wfcheck", "w-1")
    for mode in ("engine", "strict"):
        (result,) = check_path(f"{CLI_APP}:stamped", str(path), mode)
        assert result.ok, result.to_dict()


def _protobuf_history(tmp_path, kind_body):
    events = [
        {"eventId": -1, "timestamp": "2026-01-01T00:00:00Z", "orchestratorStarted": {}},
        {"eventId": -1, "executionStarted": {"name": "stamped", "input": '"safe"'}},
        {"eventId": 1, **kind_body},
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(events))
    return path


def test_an_unknown_event_kind_is_named(tmp_path):
    path = _protobuf_history(tmp_path, {"taskTeleported": {"name": "x"}})
    with pytest.raises(HistoryFormatError) as caught:
        load_histories(str(path))
    assert str(caught.value) == f"{path}: event #2 has an unknown history event kind 'taskTeleported'"


def test_a_kind_the_runtime_cannot_replay_says_so(tmp_path):
    path = _protobuf_history(tmp_path, {"entityOperationCalled": {"operation": "add"}})
    with pytest.raises(HistoryFormatError, match=r"event #2 \(entityOperationCalled\) records call_entity"):
        load_histories(str(path))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not json at all", "not JSON"),
        (b'{"format": "other/1"}', "unknown history format 'other/1'"),
        (b"[]", "empty history"),
        (gzip.compress(b"\x00\x01"), "not JSON"),
        (b"\x1f\x8b broken gzip", "not a readable gzip file"),
        (b"[" * 100000 + b"]" * 100000, "JSON nested too deeply"),
    ],
)
def test_unreadable_files_are_one_line_input_errors(tmp_path, content, message):
    path = tmp_path / "h.json"
    path.write_bytes(content)
    (result,) = check_path(f"{CLI_APP}:stamped", str(path), "engine")
    assert message in result.error and "\n" not in result.error
    assert exit_code([result]) == 2


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "wfcheck", "replay", "check", *args],
        env=child_base_env(),
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["nocolon.py", "--history", "."], "expected FILE_OR_MODULE:WORKFLOW"),
        ([f"{CLI_APP}:stamped", "--history", "/no/such/dir"], "no such file or directory"),
        ([f"{CLI_APP}:nope", "--history", "HISTORY"], "cannot load"),
        (["/no/such/file.py:wf", "--history", "HISTORY"], "cannot load"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message):
    path = export(tmp_path)
    args = [str(path) if a == "HISTORY" else a for a in args]
    proc = _cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_an_empty_folder_is_a_usage_error(tmp_path):
    proc = _cli(f"{CLI_APP}:stamped", "--history", str(tmp_path))
    assert proc.returncode == 2 and "no history files" in proc.stderr


def test_the_pytest_helper_passes_and_fails_with_the_report(tmp_path):
    path = export(tmp_path)
    results = assert_histories_replay(f"{CLI_APP}:stamped", tmp_path)
    assert [r.ok for r in results] == [True]
    assert history_files(tmp_path) == [str(path)]
    document = json.loads(path.read_text())
    for item in document["instances"]:
        for events in item["generations"].values():
            for event in events:
                if event["kind"] == "activity_scheduled":
                    event["name"] = "renamed_" + event["name"]
    path.write_text(json.dumps(document))
    with pytest.raises(HistoryReplayError) as caught:
        assert_histories_replay(f"{CLI_APP}:stamped", tmp_path)
    report = str(caught.value)
    assert "DIVERGED" in report and "renamed_" in report and os.path.basename(CLI_APP) in report
    assert caught.value.results[0].divergence.kind == "mismatch"
