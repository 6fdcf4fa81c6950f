"""`replay check` on Temporal histories recorded by Temporal's Go and Java SDKs.

The histories are the ones Temporal's features repository keeps (read from
../shared/histories/temporal; never copied into this repository). Python workflows making the
same commands replay them; changed variants get the verdict temporalio's own Replayer gives
(the judge), and strict mode also compares the activities' names and inputs.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest

temporalio = pytest.importorskip("temporalio")

from temporalio.client import WorkflowHistory  # noqa: E402
from temporalio.worker import Replayer  # noqa: E402

from wfcheck.runtime.importers import load_histories  # noqa: E402
from wfcheck.runtime.replay_check import check_path, exit_code  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "histories", "temporal_features.py")
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "histories", "temporal"))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/histories/temporal"
if not os.path.isdir(SHARED):
    pytest.skip("the shared Temporal histories are not available", allow_module_level=True)

GO_RETRY = os.path.join(SHARED, "activity_retry_on_error__history.go.v1.5.0.json")
JAVA_RETRY = os.path.join(SHARED, "activity_retry_on_error__history.java.1.0.6.json")
METRICS = os.path.join(SHARED, "telemetry_metrics__history.go.v1.11.0.json")


def temporal_verdict(workflow_class, path):
    """Temporal's own Replayer on the same history: the failure, or None."""
    with open(path) as handle:
        document = json.load(handle)[0]
    history = WorkflowHistory.from_json("judge", document)
    result = asyncio.run(
        Replayer(workflows=[workflow_class]).replay_workflow(history, raise_on_replay_failure=False)
    )
    return result.replay_failure


def workflow_class(name):
    from wfcheck.runtime.registry import import_module_from

    return getattr(import_module_from(APP), name)


def check(name, path, mode):
    (result,) = check_path(f"{APP}:{name}", path, mode)
    assert result.error is None, result.error
    return result


def test_the_shared_files_are_read_as_temporal_histories():
    for path, workflow in ((GO_RETRY, "Workflow"), (JAVA_RETRY, "SimpleWorkflow"), (METRICS, "Workflow")):
        (history,) = load_histories(path)
        assert (history.format, history.engine, history.workflow_name) == ("temporal", "temporal", workflow)


@pytest.mark.parametrize(
    "name, path",
    [("RetryOnError", GO_RETRY), ("RetryOnErrorJava", JAVA_RETRY), ("Metrics", METRICS)],
)
def test_python_workflows_with_the_same_commands_replay_the_go_and_java_histories(name, path):
    assert temporal_verdict(workflow_class(name), path) is None
    for mode in ("engine", "strict"):
        assert check(name, path, mode).ok


@pytest.mark.parametrize(
    "name, strict_only",
    [
        ("MetricsTimerFirst", False),
        ("MetricsDropped", False),
        ("MetricsRenamed", True),
        ("MetricsInput", True),
        ("MetricsPatched", None),
    ],
)
def test_changed_workflows_get_temporals_own_verdict(name, strict_only):
    failure = temporal_verdict(workflow_class(name), METRICS)
    engine = check(name, METRICS, "engine")
    strict = check(name, METRICS, "strict")
    assert (engine.divergence is not None) == (failure is not None)
    if failure is not None:
        # the replayer's own sentence, and the history event it names
        assert engine.divergence.engine_message in str(failure)
        assert f"HistoryEvent(id: {engine.divergence.event_id}" in engine.divergence.engine_message
        assert strict.divergence is not None and not strict.divergence.strict_only
    elif strict_only:
        assert strict.divergence is not None and strict.divergence.strict_only
        assert "the engine would accept this" in strict.divergence.message
    else:
        assert strict.ok


def test_a_renamed_activity_is_accepted_by_temporal_but_not_by_strict_mode():
    # measured: Temporal's replayer (temporalio 1.35) accepts a renamed activity in this history
    assert temporal_verdict(workflow_class("MetricsRenamed"), METRICS) is None
    divergence = check("MetricsRenamed", METRICS, "strict").divergence
    assert (divergence.recorded.name, divergence.actual.name) == ("CommaJoin", "Concatenate")
    assert divergence.event_id == 11 and divergence.sequence == 2
    path, _, line = divergence.location.rpartition(":")
    with open(path) as handle:
        statement = handle.read().splitlines()[int(line) - 1 : int(line) + 1]  # the call's first lines
    assert "execute_activity(" in statement[0] and '"Concatenate"' in statement[1]


def test_a_folder_with_a_history_of_another_workflow_type_is_an_input_error(tmp_path):
    results = check_path(f"{APP}:RetryOnError", SHARED, "engine")
    by_file = {os.path.basename(r.source): r for r in results}
    assert by_file[os.path.basename(GO_RETRY)].ok
    java = by_file[os.path.basename(JAVA_RETRY)]
    assert java.error == "history is of workflow type 'SimpleWorkflow'; RetryOnError defines 'Workflow'"
    assert exit_code(results) == 1  # the metrics history diverges: RetryOnError makes other calls


def test_an_unknown_temporal_event_type_is_named(tmp_path):
    with open(METRICS) as handle:
        document = json.load(handle)
    document[0]["events"][6]["eventType"] = "ActivityTaskTeleported"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    (result,) = check_path(f"{APP}:Metrics", str(path), "engine")
    assert result.error == f"{path}: event #6 has an unknown Temporal event type 'ActivityTaskTeleported'"
