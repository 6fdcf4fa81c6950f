"""The command line as users and tools meet it: exit codes, formats, rule docs, stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli_runner

from wfcheck import __version__
from wfcheck.cli import main

FLAGGED = '''\
import time
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    started = time.time()
    yield ctx.call_activity("hello", input=started)
'''
CLEAN = '''\
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    yield ctx.call_activity("hello", input=ctx.current_utc_datetime.isoformat())
'''


def invoke(*args: str, input: bytes | None = None):
    return cli_runner().invoke(main, list(args), input=input)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "flagged.py").write_text(FLAGGED)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_python_dash_m_runs_the_cli(project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wfcheck", "check", "--output-format", "concise", str(project)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stdout == (
        f"{project / 'flagged.py'}:5:15: WF101 [*] `time.time()` reads the wall clock, "
        "which returns a different value on every replay\n"
    )
    assert "Found 1 finding in 1 file (2 files checked)." in proc.stderr


def test_exit_zero_when_clean(project: Path) -> None:
    result = invoke("check", str(project / "clean.py"))
    assert result.exit_code == 0
    assert "All checks passed! (1 file checked)" in result.output


def test_full_format_shows_source_caret_workflow_and_help(project: Path) -> None:
    result = invoke("check", str(project / "flagged.py"))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith(
        "flagged.py:5:15: WF101 [*] `time.time()` reads the wall clock, "
        "which returns a different value on every replay"
    )
    assert "5 |     started = time.time()" in lines
    caret = next(line for line in lines if "^" in line)
    assert caret.index("^") == lines[lines.index("5 |     started = time.time()")].index("time.time()")
    assert caret.count("^") == len("time.time()")
    assert "  = in workflow `orch` (durabletask)" in lines
    assert any(line.startswith("  = help: use `ctx.current_utc_datetime`") for line in lines)
    assert lines[-2:] == [
        "Found 1 finding in 1 file (1 file checked).",
        "[*] 1 fixable with the `--fix` option.",
    ]


def test_json_format_is_shaped_like_ruff(project: Path) -> None:
    result = invoke("check", "--output-format", "json", str(project))
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert len(data) == 1
    item = data[0]
    assert set(item) >= {
        "code", "name", "message", "filename", "location", "end_location", "fix",
        "noqa_row", "url", "workflow", "framework", "chain",
    }
    assert item["code"] == "WF101"
    assert item["name"] == "wall-clock-read"
    assert item["location"] == {"row": 5, "column": 15}
    assert item["end_location"] == {"row": 5, "column": 26}
    assert item["fix"]["applicability"] == "safe"
    assert item["fix"]["edits"][0] == {
        "content": "ctx.current_utc_datetime.replace(tzinfo=timezone.utc).timestamp()",
        "location": {"row": 5, "column": 15},
        "end_location": {"row": 5, "column": 26},
    }
    assert item["noqa_row"] == 5
    assert item["workflow"] == "orch"
    assert item["framework"] == "durabletask"
    assert item["chain"] == []


def test_json_columns_count_code_points() -> None:
    source = FLAGGED.replace("started = time.time()", "é = ('ü', time.time())")
    result = invoke(
        "check", "--output-format", "json", "--stdin-filename", "x.py", "-", input=source.encode()
    )
    data = json.loads(result.output)
    # 14 code points precede `time.time()` (16 UTF-8 bytes).
    assert data[0]["location"] == {"row": 5, "column": 15}


def test_stdin_uses_the_given_filename() -> None:
    result = invoke(
        "check", "--output-format", "concise", "--stdin-filename", "pkg/wf.py", "-", input=FLAGGED.encode()
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("pkg/wf.py:5:15: WF101 ")


def test_select_and_ignore(project: Path) -> None:
    assert invoke("check", "--select", "WF2", str(project)).exit_code == 0
    assert invoke("check", "--select", "WF1", str(project)).exit_code == 1
    assert invoke("check", "--ignore", "WF101", str(project)).exit_code == 0
    assert invoke("check", "--ignore", "WF1", "--select", "WF101", str(project)).exit_code == 1


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
def test_unknown_rule_selector_is_a_usage_error(project: Path, flag: str) -> None:
    result = invoke("check", flag, "WF777", str(project))
    assert result.exit_code == 2
    assert "unknown rule selector(s): WF777" in result.output


def test_unknown_output_format_is_a_usage_error(project: Path) -> None:
    assert invoke("check", "--output-format", "xml", str(project)).exit_code == 2


def test_no_cache_is_accepted(project: Path) -> None:
    assert invoke("check", "--no-cache", str(project / "clean.py")).exit_code == 0


def test_rule_documentation_has_every_section() -> None:
    result = invoke("rule", "WF101")
    assert result.exit_code == 0
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in result.output
    assert result.output.startswith("# wall-clock-read (WF101)")


def test_rule_by_name_and_lowercase_code() -> None:
    assert invoke("rule", "random-uuid").output == invoke("rule", "wf202").output


def test_rule_all_lists_every_code() -> None:
    from wfcheck.catalog import load_catalog

    result = invoke("rule", "--all")
    assert result.exit_code == 0
    for code in load_catalog().codes():
        assert code in result.output


def test_unknown_rule_exits_2() -> None:
    result = invoke("rule", "WF000")
    assert result.exit_code == 2
    assert "unknown rule" in result.output


def test_a_missing_file_is_not_reported_as_passing(project: Path) -> None:
    result = invoke("check", str(project / "clean.py"), str(project / "missing.py"))
    assert result.exit_code == 1
    assert f"wfcheck: {project / 'missing.py'}: cannot read file: No such file or directory" in result.output
    assert "All checks passed" not in result.output
    assert "1 file could not be checked (2 files checked)." in result.output
    flagged = invoke("check", str(project / "flagged.py"), str(project / "missing.py"))
    assert "Found 1 finding in 1 file (2 files checked).\n1 file could not be checked." in flagged.output
