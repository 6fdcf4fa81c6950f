"""What the command line offers a team adopting wfcheck, as ruff does: `[*]` on what `--fix`
fixes, `-v/--verbose`, progress on long runs, `--show-settings`, `--show-files` and
`--add-noqa` for legacy code."""

from __future__ import annotations

import json
import os
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


# -- files and settings ----------------------------------------------------------------------


def test_show_files_lists_what_a_check_would_check(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = invoke("check", "--show-files")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [str(Path("app/flow.py"))]  # vendored/ is excluded
    named = invoke("check", "--show-files", "vendored")
    assert named.stdout.splitlines() == [str(Path("vendored/copy.py"))]


def test_show_settings_prints_the_effective_settings(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = invoke("check", "--show-settings", "--extend-select", "WF701", "--ignore", "WF202")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert f"configuration = {project / 'pyproject.toml'}" in lines
    enabled = next(line for line in lines if line.startswith("enabled = "))
    assert '"WF701"' in enabled and '"WF202"' not in enabled and '"WF101"' in enabled
    assert f'exclude = ["{project}{os.sep}vendored/"]' in lines
    isolated = invoke("check", "--show-settings", "--isolated")
    assert "configuration = none (defaults)" in isolated.stdout.splitlines()


def test_modes_that_do_not_check_exclude_each_other(project: Path) -> None:
    result = invoke("check", "--show-files", "--add-noqa", str(project))
    assert result.exit_code == 2
    assert result.stderr == "wfcheck: error: option --show-files cannot be used with --add-noqa\n"
    assert invoke("check", "--add-noqa", "--fix", str(project)).exit_code == 2
    assert invoke("check", "--add-noqa", "-").exit_code == 2


def test_no_python_files_is_a_warning_not_a_silent_pass(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing to check\n")
    result = invoke("check", "--no-cache", str(tmp_path))
    assert result.exit_code == 0
    assert "wfcheck: warning: No Python files found under the given path(s)" in result.stderr
    (tmp_path / "wf.py").write_text("x = 1\n")
    assert "No Python files" not in invoke("check", "--no-cache", str(tmp_path)).stderr


def test_output_file_in_a_folder_that_does_not_exist_yet(project: Path) -> None:
    report = project / "reports" / "ci" / "wfcheck.json"
    args = ("--no-cache", "--output-format", "json", "-o", str(report), str(project / "app"))
    result = invoke("check", *args)
    assert result.exit_code == 1, result.stderr
    assert [d["code"] for d in json.loads(report.read_text())] == ["WF101", "WF101", "WF202"]


# -- verbose and progress ------------------------------------------------------------------------


def test_verbose_says_which_configuration_and_what_the_run_cost(project: Path) -> None:
    cache = project / "cache"
    # An old mtime, as files not just written have (the cache trusts their stat).
    os.utime(project / "app" / "flow.py", ns=(1_600_000_000_000_000_000,) * 2)
    args = ("check", "-v", "--cache-dir", str(cache), "--output-format", "concise", str(project / "app"))
    cold = invoke(*args)
    assert f"wfcheck: {project / 'app'}: {project / 'pyproject.toml'}\n" in cold.stderr
    assert re.search(r"checked 1 file in [0-9.]+ s: 0 unchanged \(cache\), 1 read again", cold.stderr)
    warm = invoke(*args)
    assert re.search(r"checked 1 file in [0-9.]+ s: 1 unchanged \(cache\), 0 read again", warm.stderr)
    # Without -v none of it.
    assert "unchanged (cache)" not in invoke(*[a for a in args if a != "-v"]).stderr


class _Sink:
    def __init__(self) -> None:
        self.stdout, self.stderr = [], []

    def out(self, text: str) -> None:
        self.stdout.append(text)

    def err(self, text: str) -> None:
        self.stderr.append(text)

    def out_bytes(self, data: bytes) -> None:
        self.stdout.append(data.decode())


def test_progress_counts_the_files_and_clears_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wfcheck import app
    from wfcheck.config import Options

    for i in range(5):
        (tmp_path / f"m{i}.py").write_text("x = 1\n")
    (tmp_path / "wf.py").write_text(FLAGGED)
    monkeypatch.setattr(app, "PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(app, "PROGRESS_EVERY_SECONDS", 0.0)
    sink = _Sink()
    code = app.run_check(
        [str(tmp_path)], Options(), app.Output(format="concise", progress=True), sink
    )
    assert code == 1
    updates = [t for t in sink.stderr if t.startswith("\rwfcheck: checked ")]
    assert updates and updates[-1] != updates[0]
    assert all(re.fullmatch(r"\rwfcheck: checked \d/6 files", t) for t in updates)
    # The line is cleared before the summary, and the report itself is untouched.
    assert sink.stderr[len(updates)] == "\r\x1b[K"
    assert "".join(sink.stdout).count("WF") == 3
    # Off (the default when stderr is not a terminal): nothing.
    quiet = _Sink()
    app.run_check([str(tmp_path)], Options(), app.Output(format="concise"), quiet)
    assert not any(t.startswith("\r") for t in quiet.stderr)


# -- --add-noqa ------------------------------------------------------------------------------------


LEGACY = (
    "import time\r\n"
    "from durabletask import task\r\n"
    "\r\n"
    "def orch(ctx: task.OrchestrationContext, _):\r\n"
    "    started = time.time()  # noqa: E501\r\n"
    "    note = time.time(), '''first\r\n"
    "second'''\r\n"
    "    later = time.time() + \\\r\n"
    "        1\r\n"
    "    yield ctx.call_activity('hello', input=(started, note, later))\r\n"
)


def test_add_noqa_makes_legacy_code_pass_and_new_code_is_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "legacy.py"
    path.write_bytes(LEGACY.encode())
    before = invoke("check", "--no-cache", "--isolated", "--output-format", "json", str(path))
    assert sorted(d["location"]["row"] for d in json.loads(before.stdout)) == [5, 6, 8]
    result = invoke("check", "--no-cache", "--isolated", "--add-noqa", str(path))
    assert result.exit_code == 0
    # A line that ends inside a string or with a backslash cannot take a comment.
    assert result.stderr == "Added 1 noqa directive.\n"
    text = path.read_bytes().decode()
    assert "    started = time.time()  # noqa: E501, WF101\r\n" in text  # merged, CRLF kept
    assert text.replace("  # noqa: E501, WF101", "  # noqa: E501") == LEGACY
    split = LEGACY.replace("time.time(), '''first", "time.time(), 1  # x\r\n    y = '''first")
    path.write_bytes(split.encode())
    invoke("check", "--no-cache", "--isolated", "--add-noqa", str(path))
    after = invoke("check", "--no-cache", "--isolated", "--output-format", "json", str(path))
    assert sorted(d["location"]["row"] for d in json.loads(after.stdout)) == [9]  # the backslash line
    assert "note = time.time(), 1  # x  # noqa: WF101\r\n" in path.read_bytes().decode()
    # New code after adoption is still reported.
    path.write_bytes(path.read_bytes() + b"    extra = time.time()\r\n")
    assert invoke("check", "--no-cache", "--isolated", str(path)).exit_code == 1
    # Nothing to add: nothing written, exit 0.
    clean = tmp_path / "clean.py"
    clean.write_text("x = 1\n")
    nothing = invoke("check", "--no-cache", "--isolated", "--add-noqa", str(clean))
    assert nothing.stderr == "Added 0 noqa directives.\n"
