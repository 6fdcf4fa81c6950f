"""Bad input never stops a run; discovery walks the right files; nothing is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli_runner, run, settings

from wfcheck.cli import main
from wfcheck.discovery import discover
from wfcheck.engine import check_paths

WORKFLOW = '''\
import uuid
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    yield ctx.call_activity("hello", input=str(uuid.uuid4()))
'''



def _json(*args: str):
    result = cli_runner().invoke(main, ["check", "--output-format", "json", *args])
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


def test_a_gitignore_line_git_cannot_read_is_skipped_like_git_does(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("!\n[z-a]\nskip_*.py\n")
    (tmp_path / "skip_me.py").write_text(WORKFLOW)
    (tmp_path / "keep.py").write_text(WORKFLOW)
    assert [p.name for p in discover([str(tmp_path)])] == ["keep.py"]


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
    result = cli_runner().invoke(
        main, ["check", "--output-format", "concise", str(tmp_path / "missing.py"), str(tmp_path / "wf.py")]
    )
    assert result.exit_code == 1
    assert "missing.py: cannot read file" in result.stderr
    assert "WF202" in result.stdout


def test_empty_and_comment_only_files_are_clean() -> None:
    assert run("") == []
    assert run("# durabletask notes only\n") == []


def _codes(data: bytes):
    return [(d.line, d.code) for d in run_bytes(data)]


def test_a_python2_file_is_a_syntax_error_with_the_parsers_line() -> None:
    source = "from durabletask import task\n\nprint 'hello'\n"
    [diagnostic] = run_bytes(source.encode())
    assert (diagnostic.code, diagnostic.line) == ("WF900", 3)
    assert diagnostic.message.startswith("syntax error: ")


def test_syntax_newer_than_the_interpreter_is_still_checked() -> None:
    # Python 3.12's f-strings may reuse their quotes; LibCST parses them on any interpreter.
    source = WORKFLOW.replace('str(uuid.uuid4())', 'f"{ {"k": uuid.uuid4()}["k"]}"')
    assert _codes(source.encode()) == [(5, "WF202")]


def test_very_long_lines_are_checked() -> None:
    long_string = "x = '" + "a" * 1_000_000 + "'\n"
    long_list = "y = [" + "1, " * 10_000 + "]\n"
    source = WORKFLOW.replace("def orch", long_string + long_list + "def orch")
    assert _codes(source.encode()) == [(7, "WF202")]


def test_null_bytes_are_a_syntax_error() -> None:
    [diagnostic] = run_bytes(WORKFLOW.encode() + b"x = 1\0\n")
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (6, 6, "WF900")
    assert diagnostic.message == "syntax error: source code cannot contain null bytes"


def test_tabs_and_form_feeds_keep_line_and_column() -> None:
    source = WORKFLOW.replace("\n    yield", "\n\x0c\n\tyield")
    [diagnostic] = run_bytes(source.encode())
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (6, 45, "WF202")


def test_a_cp1252_cookie_is_honoured() -> None:
    source = "# -*- coding: cp1252 -*-\n# \u201cquoted\u201d \u20ac\n" + WORKFLOW
    assert _codes(source.encode("cp1252")) == [(7, "WF202")]


def test_a_file_above_the_size_limit_is_skipped_with_a_message(tmp_path: Path) -> None:
    from wfcheck.source import MAX_FILE_BYTES

    padding = "#" * (MAX_FILE_BYTES + 1) + "\n"
    (tmp_path / "a_huge.py").write_text(WORKFLOW + padding)
    (tmp_path / "b_huge_not_workflow.py").write_text(padding)
    (tmp_path / "c_wf.py").write_text(WORKFLOW)
    result = cli_runner().invoke(main, ["check", "-q", "--output-format", "concise", str(tmp_path)])
    assert result.exit_code == 1
    [message] = result.stderr.splitlines()
    assert message.startswith(f"wfcheck: {tmp_path / 'a_huge.py'}: skipped: 10.0 MB is above the 10 MB limit")
    assert "c_wf.py:5:" in result.stdout and "a_huge" not in result.stdout


def test_deep_nesting_is_reported_not_crashed_on(tmp_path: Path) -> None:
    """LibCST overflows the C stack (SIGSEGV) on a few thousand levels of nesting, and its
    visitors need five Python frames a level: run in a child process, so a crash fails this
    test instead of killing the test run."""
    deep = {
        "parentheses": "(" * 100_000 + "1" + ")" * 100_000,
        "lists": "[" * 100_000 + "]" * 100_000,
        "calls": "f(" * 5_000 + ")" * 5_000,
        "sums": " + ".join(["a"] * 100_000),
        "unary": "-" * 100_000 + "a",
        "attributes": "a" + ".b" * 5_000,
        "booleans": " or ".join(["a"] * 10_000),
        "sums_python_accepts": " + ".join(["a"] * 1_000),
    }
    for name, expression in deep.items():
        (tmp_path / f"{name}.py").write_text(WORKFLOW + f"x = {expression}\n")
    (tmp_path / "wf.py").write_text(WORKFLOW)
    # Deep for LibCST's visitors, ordinary in real code (pydoc_data/topics.py): still checked.
    long_text = "\n".join(f"    'part {i}'" for i in range(1_000))
    (tmp_path / "strings.py").write_text(WORKFLOW + f"TEXT = (\n{long_text}\n)\n")
    completed = subprocess.run(
        [sys.executable, "-m", "wfcheck", "check", "--output-format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1, completed.stderr
    found = {(Path(d["filename"]).stem, d["code"]) for d in json.loads(completed.stdout)}
    # Long flat chains that Python itself parses are walked without recursion, and long
    # implicit concatenations on the deep stack: checked in full.
    checked = {"booleans", "sums_python_accepts", "strings", "wf"}
    assert found == {(name, "WF900") for name in set(deep) - checked} | {
        (name, "WF202") for name in checked
    }
    messages = {d["message"] for d in json.loads(completed.stdout) if d["code"] == "WF900"}
    assert all("too deeply nested" in m for m in messages), messages


def test_an_unreadable_file_is_reported_and_the_run_goes_on(tmp_path: Path, monkeypatch) -> None:
    # Root reads a file whatever its mode, so the denial comes from the OS call itself.
    locked = tmp_path / "a_locked.py"
    locked.write_text(WORKFLOW)
    (tmp_path / "b_wf.py").write_text(WORKFLOW)
    import wfcheck.engine as engine

    def denied(path, *args, **kwargs):
        if Path(path).name == locked.name:
            raise PermissionError(13, "Permission denied")
        return open(path, *args, **kwargs)

    # The engine's own `open` (a module global comes before the builtin).
    monkeypatch.setattr(engine, "open", denied, raising=False)
    result = cli_runner().invoke(main, ["check", "-q", "--output-format", "concise", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"wfcheck: {locked}: cannot read file: Permission denied\n"
    assert "b_wf.py:5:" in result.stdout


def test_directories_named_like_python_files_are_walked(tmp_path: Path) -> None:
    (tmp_path / "pkg.py").mkdir()
    (tmp_path / "pkg.py" / "wf.py").write_text(WORKFLOW)
    for target in (tmp_path, tmp_path / "pkg.py"):
        result = cli_runner().invoke(main, ["check", "-q", "--output-format", "concise", str(target)])
        assert result.exit_code == 1 and result.stderr == ""
        assert result.stdout.startswith(f"{tmp_path / 'pkg.py' / 'wf.py'}:5:")


def test_broken_symlinks_loops_and_fifos_get_one_line_each(tmp_path: Path) -> None:
    # Excludes and per-file ignores resolve every path: a loop must not crash them.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.wfcheck]\nexclude = ["gen/"]\nper-file-ignores = {"x_*.py" = ["WF1"]}\n'
    )
    (tmp_path / "a_broken.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "b_loop.py").symlink_to(tmp_path / "c_loop.py")
    (tmp_path / "c_loop.py").symlink_to(tmp_path / "b_loop.py")
    os.mkfifo(tmp_path / "d_fifo.py")
    (tmp_path / "e_wf.py").write_text(WORKFLOW)
    result = cli_runner().invoke(main, ["check", "-q", "--output-format", "concise", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"wfcheck: {tmp_path / 'a_broken.py'}: cannot read file: broken symbolic link",
        f"wfcheck: {tmp_path / 'b_loop.py'}: cannot read file: Too many levels of symbolic links",
        f"wfcheck: {tmp_path / 'c_loop.py'}: cannot read file: Too many levels of symbolic links",
        f"wfcheck: {tmp_path / 'd_fifo.py'}: cannot read file: not a regular file",
    ]
    assert "e_wf.py:5:" in result.stdout
    named = cli_runner().invoke(main, ["check", "-q", str(tmp_path / "b_loop.py")])
    assert (named.exit_code, named.stderr) == (
        1, f"wfcheck: {tmp_path / 'b_loop.py'}: cannot read file: Too many levels of symbolic links\n"
    )


def test_a_check_that_raises_becomes_wf999_and_the_run_goes_on(tmp_path: Path, monkeypatch) -> None:
    import libcst as cst

    from wfcheck.analysis import checker

    def broken(ctx, call):
        if call.func.value == "print":
            raise KeyError("boom")

    # The checker dispatches a call to the checks registered for it (wfcheck.checks.RULES).
    registered = [(code, broken if code == "WF602" else check) for code, check in checker._LEAVE[cst.Call]]
    monkeypatch.setitem(checker._LEAVE, cst.Call, registered)
    (tmp_path / "a_bad.py").write_text(WORKFLOW + '    print("x")\n')
    (tmp_path / "b_wf.py").write_text(WORKFLOW)
    result = cli_runner().invoke(main, ["check", "--output-format", "json", str(tmp_path)])
    assert result.exit_code == 2
    found = {(Path(d["filename"]).name, d["code"]) for d in json.loads(result.stdout)}
    assert found == {("a_bad.py", "WF999"), ("b_wf.py", "WF202")}
    [internal] = [d for d in json.loads(result.stdout) if d["code"] == "WF999"]
    assert internal["message"].startswith(
        "internal error in rule WF602 (unordered-iteration): KeyError: 'boom' at test_files.py:"
    )


def test_a_failing_fix_builder_and_a_failing_analysis_are_blamed_apart(monkeypatch) -> None:
    import wfcheck.fixes.builder as builder
    from wfcheck.analysis.project import ProjectIndex

    def no_fix(ctx, finding):
        raise ValueError("no fix today")

    monkeypatch.setattr(builder, "build_fix", no_fix)
    [diagnostic] = run_bytes(WORKFLOW.encode())
    assert diagnostic.code == "WF999"
    assert diagnostic.message.startswith(
        "internal error in rule WF202 (random-uuid): ValueError: no fix today"
    )

    def no_facts(*args, **kwargs):
        raise AttributeError("no facts")

    monkeypatch.setattr(ProjectIndex, "facts_for", no_facts)
    [diagnostic] = run_bytes(WORKFLOW.encode())
    assert diagnostic.message.startswith("internal error in the analysis: AttributeError: no facts")


def test_a_codec_that_raises_a_plain_unicode_error_is_reported() -> None:
    # punycode raises UnicodeError, not UnicodeDecodeError, on the `#` of a comment.
    [diagnostic] = run_bytes(b"# coding: punycode\n" + WORKFLOW.encode())
    assert diagnostic.code == "WF900"
    assert diagnostic.message.startswith("file is not valid punycode: ")



def test_an_unknown_coding_cookie_is_reported_in_the_decoders_words() -> None:
    [diagnostic] = run_bytes(b"# -*- coding: nosuch -*-\n" + WORKFLOW.encode())
    assert (diagnostic.code, diagnostic.line) == ("WF900", 1)
    assert diagnostic.message == "invalid encoding declaration: unknown encoding: nosuch"

def test_check_never_imports_the_helpers_it_follows(tmp_path: Path) -> None:
    """The transitive pass reads helper modules; importing one would run this."""
    marker = tmp_path / "imported.txt"
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "stamps.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n\n"
        "import time\n\ndef stamp():\n    return time.time()\n"
    )
    (tmp_path / "wf.py").write_text(
        "from durabletask import task\nfrom stamps import stamp\n\n"
        "def orch(ctx: task.OrchestrationContext, _):\n    yield ctx.call_activity('a', input=stamp())\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "wfcheck", "check", "--output-format", "json", str(tmp_path / "wf.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert completed.returncode == 1, completed.stderr
    assert [d["code"] for d in json.loads(completed.stdout)] == ["WF604"]
    assert not marker.exists()


def test_an_internal_error_is_one_short_line_whatever_the_exception_carries(monkeypatch) -> None:
    import wfcheck.fixes.builder as builder

    def huge(ctx, finding):
        raise KeyError("If(\n" + "    body=..., " * 10_000 + ")")

    monkeypatch.setattr(builder, "build_fix", huge)
    [diagnostic] = run_bytes(WORKFLOW.encode())
    assert diagnostic.code == "WF999" and "\n" not in diagnostic.message
    assert len(diagnostic.message) < 400


def test_the_deep_stack_thread_is_kept_for_the_next_call_and_nests() -> None:
    """One thread serves every call (a thread per call made parsing 25% slower); a call
    made on it (a helper parsed during an analysis) runs on a second one, not deadlocked."""
    import contextvars
    import threading

    from wfcheck.source import on_deep_stack

    first = on_deep_stack(threading.get_ident)
    assert first != threading.get_ident()
    assert on_deep_stack(threading.get_ident) == first

    def nested() -> tuple[int, int]:
        return threading.get_ident(), on_deep_stack(threading.get_ident)

    outer, inner = on_deep_stack(nested)
    assert outer == first and inner not in (first, threading.get_ident())

    def fails() -> None:
        raise KeyError("raised on the deep thread")

    with pytest.raises(KeyError) as raised:
        on_deep_stack(fails)
    assert raised.value.args == ("raised on the deep thread",)
    assert on_deep_stack(threading.get_ident) in (first, inner)

    engine = contextvars.ContextVar("engine", default="none")
    engine.set("dapr")
    assert on_deep_stack(engine.get) == "dapr"

    limit = sys.getrecursionlimit()
    assert on_deep_stack(sys.getrecursionlimit, recursion_limit=limit + 5000) == limit + 5000
    assert sys.getrecursionlimit() == limit


def test_a_forked_child_gets_deep_threads_of_its_own(tmp_path: Path) -> None:
    """A forked worker has none of its parent's threads: it must not wait on one."""
    script = (
        "import os, signal, sys, threading\n"
        "from wfcheck.source import on_deep_stack\n"
        "parent = on_deep_stack(threading.get_ident)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    signal.alarm(20)  # a child that waits for good ends anyway\n"
        "    os._exit(0 if on_deep_stack(lambda: 7) == 7 else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], timeout=30, capture_output=True)
    assert completed.returncode == 0, completed.stderr


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="resident memory from /proc")
def test_a_deep_stack_thread_that_a_call_left_holding_memory_is_retired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deep recursion leaves its stack pages resident while the thread lives: the thread
    ends, so a long-lived process does not keep them."""
    import threading

    from wfcheck import source

    monkeypatch.setattr(source, "_IDLE", [])  # a fresh thread: none of its stack touched yet
    kept = source.on_deep_stack(threading.get_ident)
    assert source.on_deep_stack(threading.get_ident) == kept
    strings = "\n".join(f"    'part {i}'" for i in range(3_000))
    source.parse_text(f"TEXT = (\n{strings}\n)\n")
    assert source._IDLE == []
    assert source.on_deep_stack(threading.get_ident) != kept
