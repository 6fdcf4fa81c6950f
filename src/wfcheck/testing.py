"""Test helpers: "old histories still replay" as an ordinary test in a project's suite.

Commit the histories your engine recorded (durabletask's history export, Dapr's or
durabletask's ``HistoryEvent`` list as JSON, Temporal's JSON history, or wfcheck's own
export) under a folder, then::

    from wfcheck.testing import assert_histories_replay, history_files
    import pytest

    def test_old_histories_replay():
        assert_histories_replay("app/workflows.py:order_workflow", "tests/histories")

    # or one test per file:
    @pytest.mark.parametrize("path", history_files("tests/histories"))
    def test_history_replays(path):
        assert_histories_replay("app/workflows.py:order_workflow", path)

A failure raises :class:`HistoryReplayError` (an ``AssertionError``, so pytest shows it as a
test failure) whose message is the same report ``wfcheck replay check`` prints. This imports
and runs the workflow code, as ``wfcheck replay`` does.
"""

from __future__ import annotations

import os

from wfcheck.runtime.history_check import CheckResult
from wfcheck.runtime.importers import HistoryFormatError
from wfcheck.runtime.importers import history_files as _history_files
from wfcheck.runtime.registry import absolute_target
from wfcheck.runtime.replay_check import check_path, format_text

__all__ = ["HistoryReplayError", "assert_histories_replay", "history_files"]


class HistoryReplayError(AssertionError):
    """A recorded history does not replay against the workflow code (or cannot be read)."""

    def __init__(self, report: str, results: list[CheckResult]) -> None:
        super().__init__(report)
        self.results = results


def history_files(path: str | os.PathLike[str]) -> list[str]:
    """The history files under ``path`` (sorted), e.g. for ``pytest.mark.parametrize``."""
    try:
        return _history_files(os.fspath(path))
    except HistoryFormatError:
        return []


def assert_histories_replay(
    target: str, path: str | os.PathLike[str], *, mode: str = "engine"
) -> list[CheckResult]:
    """Replay every history under ``path`` against ``target`` (``FILE_OR_MODULE:WORKFLOW``).

    Returns the results when all replay; raises :class:`HistoryReplayError` with the report
    when one diverges or cannot be read, and when ``path`` holds no history at all (an empty
    folder would otherwise pass silently)."""
    results = check_path(absolute_target(target), os.fspath(path), mode)
    if any(not result.ok for result in results):
        raise HistoryReplayError(format_text(results), results)
    return results
