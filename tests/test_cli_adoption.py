"""What the command line offers a team adopting wfcheck, as ruff does: `[*]` on what `--fix`
fixes, `-v/--verbose`, progress on long runs, `--show-settings`, `--show-files` and
`--add-noqa` for legacy code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import cli_runner

from wfcheck.cli import main
from wfcheck.diagnostics import Diagnostic, Edit, Fix
from wfcheck.report import render

FLAGGED = '''\
import time
import uuid
from datetime import datetime
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    started = time.time()
    local = datetime.now()
    key = uuid.uuid4()
    yield ctx.call_activity("hello", input=(started, local, key))
'''


def invoke(*args: str):
    return cli_runner().invoke(main, list(args))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.wfcheck]\nexclude = ['vendored/']\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "flow.py").write_text(FLAGGED)
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "copy.py").write_text(FLAGGED)
    return tmp_path


# -- [*] -------------------------------------------------------------------------------------


def _marked(output: str) -> dict[str, bool]:
    """code@line -> whether the line carries `[*]`."""
    found = re.findall(r":(\d+):\d+: (WF\d+) (\[\*\] )?", output)
    return {f"{code}@{line}": bool(star) for line, code, star in found}


def test_fixable_findings_are_marked_as_the_summary_counts_them(project: Path) -> None:
    target = str(project / "app" / "flow.py")
    plain = invoke("check", "--no-cache", "--output-format", "concise", target)
    # time.time() -> the orchestration time and uuid4() -> ctx.new_uuid(): safe;
    # datetime.now() -> UTC: unsafe (local time becomes UTC).
    assert _marked(plain.stdout) == {"WF101@7": True, "WF101@8": False, "WF202@9": True}
    assert "[*] 2 fixable with the `--fix` option (1 hidden fix" in plain.stderr
    unsafe = invoke("check", "--no-cache", "--output-format", "concise", "--unsafe-fixes", target)
    assert _marked(unsafe.stdout) == {"WF101@7": True, "WF101@8": True, "WF202@9": True}
    assert "[*] 3 fixable with the `--fix` option." in unsafe.stderr
    full = invoke("check", "--no-cache", target)
    assert _marked(full.stdout) == _marked(plain.stdout)
    # The machine formats carry the fix itself instead of the marker.
    data = json.loads(invoke("check", "--no-cache", "--output-format", "json", target).stdout)
    assert all("[*]" not in d["message"] for d in data)


def test_the_marker_follows_both_axes_of_the_fix() -> None:
    edit = (Edit("x", 1, 1, 1, 2),)

    def line(fix: Fix | None, unsafe: bool = False) -> str:
        d = Diagnostic("WF101", "wall-clock-read", "msg", "a.py", 1, 1, 1, 2, fix=fix)
        return render("concise", [d], unsafe_fixes=unsafe)

    assert line(Fix("safe", "m", edit)) == "a.py:1:1: WF101 [*] msg\n"
    assert line(Fix("safe", "m", edit, history="changes")) == "a.py:1:1: WF101 msg\n"
    assert line(Fix("safe", "m", edit, history="changes"), unsafe=True) == "a.py:1:1: WF101 [*] msg\n"
    assert line(Fix("unsafe", "m", edit)) == "a.py:1:1: WF101 msg\n"
    assert line(Fix("display-only", "why not")) == line(None) == "a.py:1:1: WF101 msg\n"
    assert line(Fix("display-only", "why not"), unsafe=True) == "a.py:1:1: WF101 msg\n"
