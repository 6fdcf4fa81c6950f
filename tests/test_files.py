"""Bad input never stops a run; discovery walks the right files; nothing is imported."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from helpers import run, settings
from wfcheck.cli import main
from wfcheck.discovery import discover
from wfcheck.engine import check_paths

WORKFLOW = '''\
import uuid
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    yield ctx.call_activity("hello", input=str(uuid.uuid4()))
'''


def runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into output unless told not to
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def _json(*args: str):
    result = runner().invoke(main, ["check", "--output-format", "json", *args])
    return result.exit_code, json.loads(result.stdout)


def _python_syntax_error_line(source: str) -> int:
    try:
        compile(source, "x.py", "exec")
    except SyntaxError as exc:
        return exc.lineno
    raise AssertionError("source unexpectedly compiles")


def test_bad_files_do_not_stop_the_run(tmp_path: Path) -> None:
    broken_source = "from durabletask import task\ndef orch(ctx:\n    pass\n"
    (tmp_path / "a_broken.py").write_text(broken_source)
    (tmp_path / "b_latin1.py").write_bytes(b"# durabletask\nname = '\xe9t\xe9'\n")
    (tmp_path / "c_empty.py").write_text("")
    (tmp_path / "d_workflow.py").write_text(WORKFLOW)
    code, data = _json(str(tmp_path))
    assert code == 1
    by_file = {(Path(d["filename"]).name, d["code"]) for d in data}
    assert by_file == {("a_broken.py", "WF900"), ("b_latin1.py", "WF900"), ("d_workflow.py", "WF202")}
    broken = next(d for d in data if d["filename"].endswith("a_broken.py"))
    # The running interpreter's parser decides the line (3.9 and 3.11 differ here).
    assert broken["location"]["row"] == _python_syntax_error_line(broken_source)
    assert broken["message"].startswith("syntax error: ")
    latin = next(d for d in data if d["filename"].endswith("b_latin1.py"))
    assert "not valid utf-8" in latin["message"]
    assert latin["location"] == {"row": 2, "column": 9}


def test_pep263_cookie_and_bom_are_honoured() -> None:
    latin = ("# -*- coding: latin-1 -*-\n" + WORKFLOW.replace('"hello"', '"h\xe9llo"')).encode("latin-1")
    result = run_bytes(latin)
    assert [(d.line, d.code) for d in result] == [(6, "WF202")]
    bom = b"\xef\xbb\xbf" + WORKFLOW.encode()
    assert [(d.line, d.column, d.code) for d in run_bytes(bom)] == [(5, 48, "WF202")]


def run_bytes(data: bytes):
    from wfcheck.engine import check_source

    return check_source(data, "x.py", settings()).diagnostics


def test_crlf_and_lone_cr_line_endings_keep_line_numbers() -> None:
    for newline in ("\r\n", "\r"):
        source = WORKFLOW.replace("\n", newline)
        assert [(d.line, d.code) for d in run_bytes(source.encode())] == [(5, "WF202")]


def test_a_file_without_workflow_markers_is_not_parsed(tmp_path: Path) -> None:
    # Not a workflow file, so not even its syntax is checked (documented prefilter behaviour).
    (tmp_path / "plain.py").write_text("def broken(:\n")
    result = check_paths([str(tmp_path)], settings())
    assert result.diagnostics == []
    assert [f.parsed for f in result.files] == [False]


def test_check_never_imports_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "imported.txt"
    (tmp_path / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n" + WORKFLOW
    )
    code, data = _json(str(tmp_path))
    assert code == 1 and [d["code"] for d in data] == ["WF202"]
    assert not marker.exists()


def test_discovery_skips_vendor_directories_and_gitignored_files(tmp_path: Path) -> None:
    for rel in (
        "pkg/keep.py", ".git/hooks/x.py", ".venv/lib/x.py", "env2/lib/y.py", "__pycache__/z.py",
        "build/b.py", "dist/d.py", "node_modules/n.py", "pkg/generated/gen.py", "pkg/notes.txt",
        "pkg/skip_me.py",
    ):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "pkg" / ".gitignore").write_text("skip_*.py\n")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in discover([str(tmp_path)]))
    assert found == ["pkg/keep.py"]


def test_explicit_files_are_checked_even_when_ignored(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / "wf.py").write_text(WORKFLOW)
    assert list(discover([str(tmp_path)])) == []
    assert [p.name for p in discover([str(tmp_path / "wf.py")])] == ["wf.py"]


def test_symlinked_directories_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "wf.py").write_text(WORKFLOW)
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg", target_is_directory=True)
    assert [p.name for p in discover([str(tmp_path)])] == ["wf.py"]


def test_unreadable_path_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "wf.py").write_text(WORKFLOW)
    result = runner().invoke(
        main, ["check", "--output-format", "concise", str(tmp_path / "missing.py"), str(tmp_path / "wf.py")]
    )
    assert result.exit_code == 1
    assert "missing.py: cannot read file" in result.stderr
    assert "WF202" in result.stdout


def test_empty_and_comment_only_files_are_clean() -> None:
    assert run("") == []
    assert run("# durabletask notes only\n") == []
