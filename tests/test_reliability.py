"""Reliability (issue 18): fixes never damage a file, a bad cache is a miss, nothing is
written outside the project, names and source text are printed escaped, and odd inputs
(unreadable directories, a closed stdin) are reported, not crashed on.

Where permissions matter the wfcheck subprocess runs as an unprivileged user id (through
``setpriv``) when the suite runs as root, and as the current user otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import cli_runner, settings

from wfcheck import engine
from wfcheck.cli import main
from wfcheck.engine import check_paths, check_source
from wfcheck.fixes import imports, write
from wfcheck.fixes.apply import fix_paths, fix_source
from wfcheck.source import decode_source

SRC = str(Path(__file__).resolve().parent.parent / "src")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DAPR_HEAD = "import dapr.ext.workflow as wf\n\nwfr = wf.WorkflowRuntime()\n\n\n"


def _codes(paths: list[Path]) -> list[tuple[str, int, str]]:
    result = check_paths([str(p) for p in paths], settings())
    return [(Path(d.path).name, d.line, d.code) for d in result.diagnostics]


# -- 11: re-export chains ------------------------------------------------------------------


def test_a_re_export_chain_of_any_length_is_followed_to_its_end(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m0.py").write_text("import time\n\n\ndef stamp():\n    return time.time()\n")
    for n in range(1, 9):
        (tmp_path / f"m{n}.py").write_text(f"from m{n - 1} import stamp\n")
    app = tmp_path / "app.py"
    app.write_text(
        DAPR_HEAD + "from m8 import stamp\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
        "    return stamp()\n"
    )
    assert ("app.py", 11, "WF604") in _codes([app])


def test_a_re_export_cycle_ends_without_a_finding(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.py").write_text("from b import stamp\n")
    (tmp_path / "b.py").write_text("from a import stamp\n")
    app = tmp_path / "app.py"
    app.write_text(
        DAPR_HEAD + "from a import stamp\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
        "    return stamp()\n"
    )
    assert _codes([app]) == []


# -- 1-3: a fix never damages a file -------------------------------------------------------

LATIN1_TRY_IMPORTS = (
    "#!/usr/bin/env python\n# -*- coding: latin-1 -*-\ntry:\n    import time\n"
    "    import dapr.ext.workflow as wf\nexcept ImportError:\n    raise\n\n"
    "wfr = wf.WorkflowRuntime()\nLABEL = 'caf\xe9'\n\n\n@wfr.workflow\n"
    "def flow(ctx, payload):\n    time.sleep(5)\n    return LABEL\n"
).encode("latin-1")


def test_an_import_is_inserted_below_the_shebang_and_the_coding_cookie() -> None:
    outcome, fixed = fix_source(LATIN1_TRY_IMPORTS, "/nonexistent/flow.py", settings(), unsafe=True)
    assert [code for code, *_ in outcome.applied] == ["WF102"]
    lines = fixed.split(b"\n")
    assert lines[:3] == [
        b"#!/usr/bin/env python", b"# -*- coding: latin-1 -*-", b"from datetime import timedelta"
    ]
    compile(fixed, "flow.py", "exec")
    assert decode_source(fixed).encoding == "iso-8859-1"


def test_a_fix_whose_bytes_would_not_decode_with_the_files_encoding_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the import still placed above the cookie, the file would be read as utf-8.
    monkeypatch.setattr(imports, "_first_line_after_header", lambda index: 1)
    outcome, fixed = fix_source(LATIN1_TRY_IMPORTS, "/nonexistent/flow.py", settings(), unsafe=True)
    assert fixed == LATIN1_TRY_IMPORTS
    assert [code for code, *_ in outcome.dropped] == ["WF102"]


def test_a_file_the_parser_does_not_reproduce_exactly_is_reported_not_fixed() -> None:
    # LibCST drops ` \f    ` (a form feed in the indentation): every position on that line
    # is off by six, and the safe uuid fix used to land inside `payload`.
    text = (
        b"import uuid\nfrom durabletask import task\n\n\n"
        b"def generated(ctx: task.OrchestrationContext, payload):\n    x = 1\n"
        b" \x0c    y = (payload, payload, uuid.uuid4())\n"
        b"    yield ctx.call_activity('act', input=y)\n"
    )
    outcome, fixed = fix_source(text, "/nonexistent/flow.py", settings())
    assert fixed == text and not outcome.applied
    assert outcome.error == "not fixed: the parser does not reproduce this file exactly"
    assert [d.code for d in outcome.remaining] == ["WF202"]


def test_a_moved_multi_line_string_keeps_its_crlf_line_breaks() -> None:
    text = (
        b"import os\r\nimport dapr.ext.workflow as wf\r\n\r\nwfr = wf.WorkflowRuntime()\r\n\r\n\r\n"
        b'@wfr.workflow\r\ndef flow(ctx, payload):\r\n    home = os.environ.get("""A\r\nB""")\r\n'
        b"    return home\r\n"
    )
    outcome, fixed = fix_source(text, "/nonexistent/flow.py", settings(), unsafe=True)
    assert outcome.applied
    assert b"\r\r" not in fixed
    assert b'return (os.environ.get("""A\r\nB"""))\r\n' in fixed
    # Every line still ends with CRLF (the value of the moved string is unchanged).
    assert fixed.count(b"\n") == fixed.count(b"\r\n")


# -- 4-5: the cache ------------------------------------------------------------------------


def _cached_settings(tmp_path: Path):
    return replace(settings(), cache_dir=str(tmp_path / "cache"))


def _helper_project(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    helper = project / "helper.py"
    helper.write_text("def stamp():\n    return 1\n")
    app = project / "app.py"
    app.write_text(
        DAPR_HEAD + "from helper import stamp\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
        "    return stamp()\n"
    )
    return helper, app


def test_a_helper_edited_before_the_cache_is_saved_is_analysed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper, app = _helper_project(tmp_path)
    checked = engine.FileChecker.check

    def edit_after_analysis(*args, **kwargs):
        result = checked(*args, **kwargs)
        helper.write_text("import time\n\n\ndef stamp():\n    return time.time()\n")
        return result

    monkeypatch.setattr(engine.FileChecker, "check", edit_after_analysis)
    first = check_paths([str(app)], _cached_settings(tmp_path))
    assert first.diagnostics == []  # the analysis read the clean helper
    monkeypatch.undo()
    second = check_paths([str(app)], _cached_settings(tmp_path))
    assert [d.code for d in second.diagnostics] == ["WF604"]


def _cache_file(tmp_path: Path) -> tuple[Path, list]:
    """A project whose result is cached; the cache file and the fresh diagnostics."""
    helper, app = _helper_project(tmp_path)
    helper.write_text("import time\n\n\ndef stamp():\n    return time.time()\n")
    old = 1_000_000_000
    for path in (helper, app):
        os.utime(path, (old, old))  # not racy: the cache keeps their stat
    fresh = check_paths([str(app)], _cached_settings(tmp_path)).diagnostics
    [stored] = (tmp_path / "cache").rglob("*.sqlite3")
    return stored, fresh


def _tamper_entries(stored: Path, tamper) -> None:
    """Rewrite each stored entry's dependencies and result (JSON text) with ``tamper``."""
    with sqlite3.connect(stored) as db:
        for path, deps, result in db.execute("SELECT path, deps, result FROM entries").fetchall():
            entry = {"deps": json.loads(deps), "result": json.loads(zlib.decompress(result))}
            tamper(entry)
            db.execute(
                "UPDATE entries SET deps = ?, result = ? WHERE path = ?",
                (json.dumps(entry["deps"]), zlib.compress(json.dumps(entry["result"]).encode()), path),
            )
    db.close()


def _run_cli_with_cache(tmp_path: Path, **limits: int) -> subprocess.CompletedProcess:
    def limit() -> None:
        import resource

        for name, value in limits.items():
            resource.setrlimit(getattr(resource, name), (value, value))

    return subprocess.run(
        [sys.executable, "-m", "wfcheck", "check", "--output-format", "concise",
         "--cache-dir", str(tmp_path / "cache"), str(tmp_path / "project" / "app.py")],
        capture_output=True, text=True, timeout=120, preexec_fn=limit if limits else None,
        env={**os.environ, "PYTHONPATH": SRC},
    )


def test_deeply_nested_json_in_the_cache_is_a_miss(tmp_path: Path) -> None:
    stored, fresh = _cache_file(tmp_path)
    with sqlite3.connect(stored) as db:
        nested = '{"parsed": ' + "[" * 100_000 + "]" * 100_000 + "}"
        db.execute("UPDATE entries SET result = ?", (zlib.compress(nested.encode()),))
    db.close()
    again = check_paths([str(tmp_path / "project" / "app.py")], _cached_settings(tmp_path))
    assert again.diagnostics == fresh


@pytest.mark.parametrize(
    "tamper",
    [
        # A dependency too short (an unpacking error when it was compared).
        lambda entry: entry["deps"].__setitem__(slice(None), [[d[0], d[1]] for d in entry["deps"]]),
        # A dependency's path id of the wrong type, or naming no path.
        lambda entry: entry["deps"].__setitem__(slice(None), [["1", *d[1:]] for d in entry["deps"]]),
        lambda entry: entry["deps"].__setitem__(slice(None), [[10**6, *d[1:]] for d in entry["deps"]]),
        # Values of the wrong type, served as they were.
        lambda entry: entry["result"]["diagnostics"][0].update(line="7", column=None),
        lambda entry: entry["result"]["diagnostics"][0].update(chain="abc"),
        lambda entry: entry["result"]["diagnostics"][0].update(message=5),
    ],
    ids=[
        "short-dependency", "dependency-id-string", "dependency-id-unknown",
        "wrong-position-types", "chain-string", "message-number",
    ],
)
def test_a_cache_entry_of_any_unexpected_shape_is_a_miss(tmp_path: Path, tamper) -> None:
    stored, fresh = _cache_file(tmp_path)
    _tamper_entries(stored, tamper)
    again = check_paths([str(tmp_path / "project" / "app.py")], _cached_settings(tmp_path))
    assert again.diagnostics == fresh


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_a_fifo_in_place_of_the_cache_file_does_not_hang(tmp_path: Path, suffix: str) -> None:
    stored, fresh = _cache_file(tmp_path)
    fifo = Path(f"{stored}{suffix}")
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    result = _run_cli_with_cache(tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "WF604" in result.stdout


def test_a_link_to_dev_zero_in_place_of_the_cache_file_is_not_read(tmp_path: Path) -> None:
    stored, fresh = _cache_file(tmp_path)
    stored.unlink()
    stored.symlink_to("/dev/zero")
    # Bounded, so the unfixed behaviour (reading until memory runs out) fails fast.
    result = _run_cli_with_cache(tmp_path, RLIMIT_AS=3 * 1024**3)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-500:]
    assert "WF604" in result.stdout


# -- 6: the cache stays inside the project ----------------------------------------------------


def _workflow_project(tmp_path: Path, config: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(config)
    (project / "flow.py").write_text(
        DAPR_HEAD + "import uuid\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
        "    return str(uuid.uuid4())\n"
    )
    return project


def _check_without_cache_env(*args: str):
    # The suite points WFCHECK_CACHE_DIR elsewhere: these runs take the configured one.
    return cli_runner().invoke(main, ["check", *args], env={"WFCHECK_CACHE_DIR": None})


def test_cache_dir_dot_writes_no_gitignore_into_the_project(tmp_path: Path, monkeypatch) -> None:
    project = _workflow_project(tmp_path, '[tool.wfcheck]\ncache-dir = "."\n')
    monkeypatch.chdir(project)
    result = _check_without_cache_env(".")
    assert result.exit_code == 1, result.output
    assert not (project / ".gitignore").exists()
    assert list(project.glob("*/*.sqlite3"))  # the cache itself is still kept


@pytest.mark.parametrize("where", ["../../../somewhere", "ABSOLUTE"])
def test_a_configured_cache_dir_outside_the_project_is_refused(tmp_path: Path, where: str) -> None:
    outside = tmp_path / "somewhere"
    project = _workflow_project(tmp_path, "")
    vendored = project / "vendor" / "lib"
    vendored.mkdir(parents=True)
    value = str(outside) if where == "ABSOLUTE" else where
    (vendored / "pyproject.toml").write_text(f'[tool.wfcheck]\ncache-dir = "{value}"\n')
    (vendored / "flow.py").write_text((project / "flow.py").read_text())
    result = _check_without_cache_env(str(project))
    assert result.exit_code == 2
    assert "key `cache-dir`" in result.stderr and "leaves the project" in result.stderr
    assert not outside.exists()


def test_the_command_line_may_put_the_cache_anywhere(tmp_path: Path) -> None:
    project = _workflow_project(tmp_path, "")
    outside = tmp_path / "elsewhere" / "cache"
    result = _check_without_cache_env("--cache-dir", str(outside), str(project))
    assert result.exit_code == 1
    assert (outside / ".gitignore").read_text() == "*\n"


# -- 7-8: where and how --fix writes ---------------------------------------------------------

SAFE_FIX = (FIXTURES / "fix" / "uuid_durabletask.py").read_bytes()
SAFE_FIXED = (FIXTURES / "fix" / "uuid_durabletask.fixed.py").read_bytes()
ROOT = os.geteuid() == 0
# Throwaway ids for the unprivileged runs (no account needed: setpriv takes numbers).
USER, OTHER_USER, GROUP = 60_001, 60_002, 60_003


@pytest.fixture
def shared_dir():
    """A directory every user may enter and write (pytest's tmp_path is root-only)."""
    directory = Path(tempfile.mkdtemp(prefix="wfcheck-reliability-"))
    directory.chmod(0o777)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _wfcheck(*args: str, uid: int | None = None, gid: int | None = None) -> subprocess.CompletedProcess:
    """`wfcheck` in a subprocess, as ``uid``/``gid`` when given (the suite must be root)."""
    command = [sys.executable, "-m", "wfcheck", *args]
    if uid is not None:
        command = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *command]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if k != "WFCHECK_CACHE_DIR"},
            "PYTHONPATH": SRC,
            "HOME": "/tmp",
        },
    )


def _unprivileged() -> tuple[int | None, int | None]:
    """As root: a throwaway user id to run as; otherwise the current user."""
    if ROOT:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and setpriv is missing: cannot drop privileges")
        return USER, USER
    return None, None


def test_fix_does_not_write_through_a_symlink_leaving_the_checked_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "real.py"
    outside.parent.mkdir()
    outside.write_bytes(SAFE_FIX)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside)
    result = _wfcheck("check", "--no-cache", "--fix", str(tree))
    assert outside.read_bytes() == SAFE_FIX
    assert result.returncode == 1
    assert "not fixed: a symbolic link to a file outside the checked tree" in result.stderr


def test_fix_refuses_a_read_only_file(shared_dir: Path) -> None:
    uid, gid = _unprivileged()
    target = shared_dir / "wf.py"
    target.write_bytes(SAFE_FIX)
    if uid is not None:
        os.chown(target, uid, gid)
    target.chmod(0o444)
    result = _wfcheck("check", "--no-cache", "--fix", str(shared_dir), uid=uid, gid=gid)
    assert target.read_bytes() == SAFE_FIX
    assert result.returncode == 1
    assert "not fixed: the file is read-only" in result.stderr


def test_fix_keeps_the_owner_of_another_users_group_writable_file(shared_dir: Path) -> None:
    if not ROOT or shutil.which("setpriv") is None:
        pytest.skip("needs root (with setpriv) to make a file owned by another user")
    target = shared_dir / "wf.py"
    target.write_bytes(SAFE_FIX)
    os.chown(target, OTHER_USER, GROUP)
    target.chmod(0o664)
    result = _wfcheck("check", "--no-cache", "--fix", str(shared_dir), uid=USER, gid=GROUP)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == SAFE_FIXED
    st = target.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (OTHER_USER, GROUP, 0o664)


def test_fix_as_root_keeps_the_owner(tmp_path: Path) -> None:
    if not ROOT:
        pytest.skip("needs root to make a file owned by another user")
    target = tmp_path / "wf.py"
    target.write_bytes(SAFE_FIX)
    os.chown(target, OTHER_USER, GROUP)
    [outcome] = fix_paths([str(tmp_path)], settings()).outcomes
    assert outcome.applied and outcome.error is None
    assert target.read_bytes() == SAFE_FIXED
    assert (target.stat().st_uid, target.stat().st_gid) == (OTHER_USER, GROUP)


def test_fix_updates_a_hard_linked_file_in_place(tmp_path: Path) -> None:
    target = tmp_path / "wf.py"
    target.write_bytes(SAFE_FIX)
    other = tmp_path / "elsewhere"
    other.mkdir()
    os.link(target, other / "same.txt")
    inode = target.stat().st_ino
    [outcome] = fix_paths([str(target)], settings()).outcomes
    assert outcome.applied and outcome.error is None
    assert target.stat().st_ino == inode
    assert (other / "same.txt").read_bytes() == target.read_bytes() == SAFE_FIXED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "wf.py"]


def test_a_killed_in_place_write_is_put_back_and_fixed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "wf.py"
    target.write_bytes(SAFE_FIX)
    os.link(target, tmp_path / "other-link.txt")
    os_write = os.write
    calls = []

    def killed(handle: int, data) -> int:
        # The journal is written whole; the file itself only half before the "kill".
        calls.append(handle)
        if len(calls) == 1:
            return os_write(handle, data)
        os_write(handle, bytes(data[: len(data) // 2]))
        raise KeyboardInterrupt  # stands in for the SIGKILL: nothing after it runs

    monkeypatch.setattr(write.os, "write", killed)
    monkeypatch.setattr(write.os, "unlink", lambda name: None)  # a killed run removes nothing
    with pytest.raises(KeyboardInterrupt):
        fix_paths([str(tmp_path)], settings())
    monkeypatch.undo()
    torn = target.read_bytes()
    assert torn not in (SAFE_FIX, SAFE_FIXED)
    [journal] = tmp_path.glob(".wf.py.*.wfcheck-tmp")
    [outcome] = fix_paths([str(tmp_path)], settings()).outcomes
    assert outcome.applied and outcome.error is None
    assert target.read_bytes() == (tmp_path / "other-link.txt").read_bytes() == SAFE_FIXED
    assert not journal.exists()


def test_stale_temporary_files_are_removed_and_ones_in_use_kept(tmp_path: Path) -> None:
    import fcntl

    target = tmp_path / "wf.py"
    target.write_bytes(SAFE_FIX)
    stale = tmp_path / ".wf.py.k1ll3d_0.wfcheck-tmp"
    stale.write_bytes(SAFE_FIXED[:100])
    busy = tmp_path / ".wf.py.running.wfcheck-tmp"
    busy.write_bytes(b"")
    with open(busy, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        [outcome] = fix_paths([str(tmp_path)], settings()).outcomes
        assert busy.exists()
    assert outcome.applied and target.read_bytes() == SAFE_FIXED
    assert not stale.exists()


# -- 9: names and source text are printed escaped --------------------------------------------

WORKFLOW_WITH_ESCAPES = (
    DAPR_HEAD + "import uuid\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
    '    return str(uuid.uuid4()) + "\x1b]0;pwned\x07\x1b[2J"\n'
)


def test_a_file_name_cannot_inject_a_github_workflow_command(tmp_path: Path) -> None:
    (tmp_path / "x\n::warning file=evil.py::pwned\n.py").symlink_to(tmp_path / "missing")
    result = _wfcheck("check", "--no-cache", "--output-format", "github", str(tmp_path))
    assert result.returncode == 1
    assert "cannot read file" in result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    assert not [line for line in lines if line.startswith("::")]


def test_a_file_name_cannot_split_a_concise_line(tmp_path: Path) -> None:
    (tmp_path / "a\nb.py").write_text(WORKFLOW_WITH_ESCAPES)
    result = _wfcheck("check", "--no-cache", "--output-format", "concise", str(tmp_path))
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{tmp_path}/a\\x0ab.py:11:16: WF202 ")


def test_escape_sequences_in_names_and_source_lines_never_reach_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "\x1b[31mred.py").write_text(WORKFLOW_WITH_ESCAPES)
    result = _wfcheck("check", "--no-cache", str(tmp_path))
    assert result.returncode == 1
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
    assert "\\x1b[31mred.py:11:16: WF202" in result.stdout
    # The caret still sits under the call, measured on the escaped line.
    source, caret = [line for line in result.stdout.splitlines() if line.startswith(("11 |", "   |"))][1:3]
    assert caret.index("^") == source.index("uuid.uuid4()")


def test_junit_stays_valid_xml_whatever_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "\x1b\x01odd.py").write_text(WORKFLOW_WITH_ESCAPES)
    result = _wfcheck("check", "--no-cache", "--output-format", "junit", str(tmp_path))
    root = ET.fromstring(result.stdout)
    assert [case.get("file") for case in root.iter("testcase")] == [f"{tmp_path}/\\x1b\\x01odd.py"]


# -- 10: unreadable directories, a closed stdin, a BOM with a foreign cookie -----------------


def test_a_directory_without_read_permission_is_reported_and_fails_the_run(shared_dir: Path) -> None:
    uid, gid = _unprivileged()
    locked = shared_dir / "locked"
    locked.mkdir()
    (locked / "flow.py").write_bytes(SAFE_FIX)
    locked.chmod(0)
    try:
        result = _wfcheck("check", "--no-cache", str(shared_dir), uid=uid, gid=gid)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 1
    assert f"wfcheck: {locked}: cannot read directory: Permission denied" in result.stderr
    assert "All checks passed" not in result.stdout + result.stderr


def test_a_closed_stdin_is_a_one_line_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wfcheck", "check", "-"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": SRC},
        # `<&-`: the child starts with file descriptor 0 closed.
        preexec_fn=lambda: os.close(0),
    )
    assert result.returncode == 2
    assert result.stderr == "wfcheck: error: cannot read from stdin: it is closed\n"


def test_a_bom_with_a_latin1_cookie_is_reported_as_that_conflict() -> None:
    data = b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nimport dapr.ext.workflow\nx = 'caf\xe9'\n"
    [diagnostic] = check_source(data, "bom.py", settings()).diagnostics
    assert diagnostic.code == "WF900"
    assert diagnostic.message == (
        "invalid encoding declaration: the file starts with a UTF-8 byte order mark but its "
        "coding cookie says latin-1 (remove one of them)"
    )
    assert diagnostic.line == 1


def test_a_runtime_object_re_exported_through_a_long_chain_is_still_known(tmp_path: Path) -> None:
    # `wfr` is made in r0 and imported through eight modules: what made it is still known, so
    # the workflow is Dapr's (the origin of a value was cut off after five modules too, and the
    # workflow was only found by its signature, engine unknown).
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "r0.py").write_text("import dapr.ext.workflow as wf\n\nwfr = wf.WorkflowRuntime()\n")
    for n in range(1, 9):
        (tmp_path / f"r{n}.py").write_text(f"from r{n - 1} import wfr\n")
    app = tmp_path / "app.py"
    app.write_text(
        "import uuid\nfrom r8 import wfr\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
        "    yield ctx.call_activity(act)\n    return str(uuid.uuid4())\n"
    )
    [diagnostic] = check_paths([str(app)], settings()).diagnostics
    assert (diagnostic.code, diagnostic.framework) == ("WF202", "dapr")


KILLED_MIDWAY = """
import os, signal, sys
import wfcheck.fixes.write as write
from wfcheck.cli import main

calls = []
nth = int(sys.argv[1])
write_all = write._write_all

def write_then_die(handle, data):
    calls.append(handle)
    if len(calls) == nth:
        write_all(handle, data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    write_all(handle, data)

write._write_all = write_then_die
sys.argv = ["wfcheck", "check", "--no-cache", "--fix", sys.argv[2]]
main()
"""


@pytest.mark.parametrize("linked", [False, True], ids=["replaced", "in-place"])
def test_a_sigkill_midway_through_a_write_is_recovered_by_the_next_run(tmp_path: Path, linked: bool) -> None:
    target = tmp_path / "wf.py"
    target.write_bytes(SAFE_FIX)
    if linked:
        os.link(target, tmp_path / "other-link.txt")
    # Replaced: the first write is the temporary file's. In place: the first is the journal,
    # the second the file itself.
    nth = "2" if linked else "1"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MIDWAY, nth, str(tmp_path)],
        capture_output=True, timeout=120, env={**os.environ, "PYTHONPATH": SRC},
    )
    assert killed.returncode == -9
    assert list(tmp_path.glob(".wf.py.*.wfcheck-tmp"))  # what the killed run left
    assert (target.read_bytes() == SAFE_FIX) != linked  # in place: torn
    result = _wfcheck("check", "--no-cache", "--fix", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == SAFE_FIXED
    assert not list(tmp_path.glob(".*.wfcheck-tmp"))


@pytest.mark.parametrize(
    "blob",
    [
        zlib.compress(b" " * (64 * 1024 * 1024)),  # inflates beyond the cap on an entry
        zlib.compress(b'{"parsed": true, "diagnostics": []}')[:-6],  # cut short
        b"not compressed",
        "text, not bytes",
    ],
    ids=["bomb", "cut-short", "not-compressed", "text"],
)
def test_a_stored_result_that_does_not_inflate_to_json_is_a_miss(tmp_path: Path, blob) -> None:
    stored, fresh = _cache_file(tmp_path)
    with sqlite3.connect(stored) as db:
        db.execute("UPDATE entries SET result = ?", (blob,))
    db.close()
    again = check_paths([str(tmp_path / "project" / "app.py")], _cached_settings(tmp_path))
    assert again.diagnostics == fresh
