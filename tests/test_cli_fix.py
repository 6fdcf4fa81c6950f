"""`wfcheck check --fix / --unsafe-fixes / --diff / --show-fixes` as ruff users expect them:
what is written, what is printed where, and the exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import cli_runner

from wfcheck.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
# time.time() has a safe fix; datetime.now() (local time becomes UTC) only an unsafe one.
MIXED = '''\
import time
from datetime import datetime
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    started = time.time()
    local = datetime.now()
    yield ctx.call_activity("hello", input=[started, local.isoformat()])
'''
SAFE_LINE = "    started = ctx.current_utc_datetime.replace(tzinfo=timezone.utc).timestamp()\n"


def invoke(*args: str, input: bytes | None = None):
    return cli_runner().invoke(main, list(args), input=input)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    path = tmp_path / "wf.py"
    path.write_text(MIXED)
    return path


def test_check_summary_counts_fixable_and_hidden_fixes(mixed: Path) -> None:
    result = invoke("check", "--no-cache", str(mixed))
    assert result.exit_code == 1
    assert "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the " \
        "`--unsafe-fixes` option)." in result.stdout
    unsafe = invoke("check", "--no-cache", "--unsafe-fixes", str(mixed))
    assert "[*] 2 fixable with the `--fix` option.\n" in unsafe.stdout
    assert mixed.read_text() == MIXED  # counting fixes writes nothing


def test_fix_applies_safe_fixes_and_reports_what_is_left(mixed: Path) -> None:
    result = invoke("check", "--no-cache", "--fix", str(mixed))
    text = mixed.read_text()
    assert SAFE_LINE in text
    assert "    local = datetime.now()\n" in text
    assert result.exit_code == 1  # the unsafe one is left
    assert "import time" not in text  # only the fixed line read it
    assert ":6:13: WF101" in result.stdout and ":5:" not in result.stdout
    assert "Found 2 findings (1 fixed, 1 remaining) in 1 file (1 file checked)." in result.stdout
    assert "No fixes available (1 hidden fix can be enabled" in result.stdout


def test_unsafe_fixes_fix_everything_and_exit_zero(mixed: Path) -> None:
    result = invoke("check", "--no-cache", "--fix", "--unsafe-fixes", "--show-fixes", str(mixed))
    assert result.exit_code == 0, result.stdout + result.stderr
    text = mixed.read_text()
    assert SAFE_LINE in text and "datetime.now()" not in text
    assert (
        f"Fixed 2 findings:\n- {mixed}:\n    1 × WF101 (wall-clock-read) [safe, keeps history]\n"
        "    1 × WF101 (wall-clock-read) [unsafe, keeps history]\n"
    ) in result.stdout
    again = invoke("check", "--no-cache", "--fix", "--unsafe-fixes", str(mixed))
    assert again.exit_code == 0 and mixed.read_text() == text
    assert "All checks passed!" in again.stdout


def test_unsafe_fixes_from_the_config_file(tmp_path: Path, mixed: Path) -> None:
    (tmp_path / "wfcheck.toml").write_text("unsafe-fixes = true\n")
    assert invoke("check", "--no-cache", "--fix", str(mixed)).exit_code == 0
    assert "datetime.now()" not in mixed.read_text()


def test_no_unsafe_fixes_overrides_the_config_file(tmp_path: Path, mixed: Path) -> None:
    (tmp_path / "wfcheck.toml").write_text("unsafe-fixes = true\n")
    assert invoke("check", "--no-cache", "--fix", "--no-unsafe-fixes", str(mixed)).exit_code == 1
    assert "datetime.now()" in mixed.read_text()


def test_diff_prints_the_fix_and_writes_nothing(mixed: Path) -> None:
    result = invoke("check", "--no-cache", "--diff", str(mixed))
    assert result.exit_code == 1
    assert mixed.read_text() == MIXED
    assert f"--- {mixed}\n+++ {mixed}\n" in result.stdout
    assert "-    started = time.time()\n+" + SAFE_LINE in result.stdout
    assert "WF101" not in result.stdout  # a diff, not a report
    assert "Would fix 1 finding." in result.stderr


def test_diff_without_fixes_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "wf.py"
    path.write_text(MIXED.replace("    started = time.time()\n", "    started = 0\n"))
    result = invoke("check", "--no-cache", "--diff", str(path))
    assert result.exit_code == 0 and result.stdout == ""
    assert "No fixes available." in result.stderr


def test_stdin_fix_writes_the_fixed_buffer_to_stdout_and_the_report_to_stderr() -> None:
    result = invoke(
        "check", "--no-cache", "--fix", "--stdin-filename", "wf.py", "-", input=MIXED.encode()
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("from datetime import datetime, timezone\n")
    assert SAFE_LINE in result.stdout and "    local = datetime.now()\n" in result.stdout
    assert "wf.py:6:13: WF101" in result.stderr
    assert "Found 2 findings (1 fixed, 1 remaining)" in result.stderr


def test_stdin_fix_of_a_clean_buffer_returns_it_unchanged() -> None:
    source = b"from durabletask import task\r\n\r\ndef orch(ctx: task.OrchestrationContext, _):\r\n" \
        b"    yield ctx.create_timer(ctx.current_utc_datetime)\r\n"
    result = cli_runner().invoke(main, ["check", "--fix", "-"], input=source)
    assert result.exit_code == 0
    assert result.stdout_bytes == source


def test_fix_leaves_excluded_files_alone(tmp_path: Path, mixed: Path) -> None:
    vendored = tmp_path / "vendored"
    vendored.mkdir()
    copy = vendored / "wf.py"
    copy.write_text(MIXED)
    (tmp_path / "wfcheck.toml").write_text('extend-exclude = ["vendored/"]\n')
    invoke("check", "--no-cache", "--fix", "--force-exclude", str(tmp_path), str(copy))
    assert SAFE_LINE in mixed.read_text()
    assert copy.read_text() == MIXED


def test_fix_writes_each_expected_output(tmp_path: Path) -> None:
    inputs = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))
    for path in inputs:
        shutil.copy(path, tmp_path / path.name)
        invoke("check", "--no-cache", "--fix", "--unsafe-fixes", "--isolated", str(tmp_path / path.name))
        expected = path.with_name(path.stem + ".fixed.py").read_text()
        assert (tmp_path / path.name).read_text() == expected, path.name


def test_generated_activities_get_distinct_names_across_the_files_of_a_run(tmp_path: Path) -> None:
    """Two modules registering activities on one shared runtime must not both add
    `read_home`: the runtime refuses the second at import."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "runtime.py").write_text("import dapr.ext.workflow as wf\n\nwfr = wf.WorkflowRuntime()\n")
    flow = (
        "import os\n\nfrom pkg.runtime import wfr\n\n\n@wfr.workflow(name='{name}')\n"
        "def {name}(ctx, inp):\n    home = os.getenv('HOME')\n"
        "    yield ctx.call_activity('x', input=home)\n"
    )
    (package / "a.py").write_text(flow.format(name="a"))
    (package / "b.py").write_text(flow.format(name="b"))
    result = invoke("check", "--no-cache", "--fix", "--unsafe-fixes", "--isolated", str(package))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert 'name="read_home")' in (package / "a.py").read_text()
    assert 'name="read_home_2")' in (package / "b.py").read_text()


def test_a_generated_activity_never_takes_a_name_the_workflow_uses(tmp_path: Path) -> None:
    path = tmp_path / "wf.py"
    path.write_text(
        "import os\nimport dapr.ext.workflow as wf\n\nwfr = wf.WorkflowRuntime()\n\n\n"
        "@wfr.workflow(name='w')\ndef w(ctx, inp):\n    read_home = inp.get('read_home', True)\n"
        "    home = os.getenv('HOME')\n    yield ctx.call_activity('x', input=[home, read_home])\n"
    )
    invoke("check", "--no-cache", "--fix", "--unsafe-fixes", "--isolated", str(path))
    text = path.read_text()
    assert "home = (yield ctx.call_activity(read_home_2, input=None))" in text
    assert 'name="read_home_2")\ndef read_home_2(ctx, _input=None):' in text


def test_json_after_fix_lists_only_what_is_left(mixed: Path) -> None:
    import json

    result = invoke("check", "--no-cache", "--fix", "--output-format", "json", str(mixed))
    left = json.loads(result.stdout)
    assert [(d["code"], d["location"]["row"], d["fix"]["applicability"]) for d in left] == [
        ("WF101", 6, "unsafe")
    ]
