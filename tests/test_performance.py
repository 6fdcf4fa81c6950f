"""What makes wfcheck fast must not change what it finds: the prefilter never skips workflow
code, and results are the same with and without the cache and with one or more processes.
(Speed itself is measured by bench/run.py, not asserted here.)"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import zlib
from pathlib import Path

import libcst as cst
import pytest
from helpers import cli_runner, settings
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    WhitespaceInclusivePositionProvider,
)

from wfcheck.analysis.diagnose import diagnose_source
from wfcheck.analysis.positions import Positions, _statement_lines, parent_map, statement_lines
from wfcheck.analysis.walk import NODE, TRIVIA, children, kind_of, walk
from wfcheck.cli import main
from wfcheck.config import Options, resolve
from wfcheck.engine import (
    PARALLEL_MIN_FILES,
    FileChecker,
    FileResult,
    check_paths,
    has_workflow_marker,
    make_project,
)
from wfcheck.source import SourceError, parse_source

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
CORPUS: list[Path] = sorted(FIXTURES.rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))
in_corpus = pytest.mark.parametrize("path", CORPUS, ids=[str(p.relative_to(ROOT)) for p in CORPUS])


def _module(path: Path) -> cst.Module | None:
    """The parsed fixture, or None for those that are not valid Python (WF900 cases)."""
    try:
        return parse_source(path.read_bytes())[1]
    except SourceError:
        return None


@in_corpus
def test_prefilter_passes_every_file_with_workflow_code(path: Path) -> None:
    data = path.read_bytes()
    every_rule = settings(select=["ALL"])
    project = make_project([str(path)], every_rule)
    # Analysed with the prefilter bypassed: what would be lost if the scan said no.
    result = diagnose_source(data, str(path), every_rule, project)
    try:
        text, module, _ = parse_source(data)
    except SourceError:
        units = []
    else:
        units = project.facts_for(path.resolve(), str(path), text, module).units
    has_workflow_code = bool(result.diagnostics) or bool(units)
    if has_workflow_code:
        assert has_workflow_marker(data), f"the prefilter would skip {path.relative_to(ROOT)}"


def test_the_corpus_has_files_on_both_sides_of_the_prefilter() -> None:
    verdicts = {has_workflow_marker(p.read_bytes()) for p in CORPUS}
    assert verdicts == {True, False}


@pytest.mark.parametrize(
    "source, candidate",
    [
        ("from dapr.ext import workflow as wf\n", True),
        ("import temporalio.workflow\n", True),
        ("def run(ctx):\n    yield ctx.call_activity(act)\n", True),
        ("def run(ctx):\n    x = yield ctx.call_activity_with_retry(a, r)\n", True),
        # The signature fallback needs a `yield`; without one a context method is no sign.
        ("x = ctx.call_activity(a)\n", False),
        ("from azure import durable_functions as df\n", True),
        ("import durabletask\n", True),
        ("class LdaprLexer: pass\n", False),
        ("name = 'xdurabletask'\n", False),
        ("import datetime\nprint(datetime.datetime.now())\n", False),
    ],
)
def test_prefilter_markers_start_a_name(source: str, candidate: bool) -> None:
    assert has_workflow_marker(source.encode()) is candidate


@in_corpus
def test_positions_and_parents_match_libcst_metadata(path: Path) -> None:
    module = _module(path)
    if module is None:
        return
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    expected_positions = wrapper.resolve(PositionProvider)
    expected_parents = wrapper.resolve(ParentNodeProvider)
    parents = parent_map(module)
    # Every node but trivia (whitespace, punctuation, operators), which nothing asks about.
    assert parents == {
        node: parent for node, parent in expected_parents.items() if kind_of(type(node)) == NODE
    }
    assert all(kind_of(type(node)) == TRIVIA for node in set(expected_parents) - set(parents))
    text = parse_source(path.read_bytes())[0]
    # Looked up in file order (statements generated as far as needed) and in reverse; lines
    # counted by code generation, and from the stdlib parser's line numbers.
    for order in (list, lambda nodes: list(reversed(list(nodes)))):
        for source in (None, text):
            positions = Positions(module, parents, source)
            for node in order(parents):
                assert positions[node] == expected_positions[node], node
                if isinstance(node, cst.BaseCompoundStatement):
                    assert positions.end(node) == expected_positions[node].end, node
            # Trivia has no parent to be looked up by, but every range recorded on the way
            # (trivia included) is LibCST's.
            for node, where in positions._computed.items():
                assert where == expected_positions[node], node
            if source is not None and _statement_lines(module, source):
                # The stdlib parser's lines were used, not replaced by counted ones.
                assert positions._hinted != {}
        # A definition's name line, counted over the code before the name only.
        fresh = Positions(module, parents, text)
        for node in parents:
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                assert fresh.name_line(node) == expected_positions[node.name].start.line, node


TRICKY_LAYOUTS = [
    "# header\n\nimport os; import sys\n\n\n# lead\n@deco  # c\n# between\n@other(1)\n"
    "\ndef f():\n\treturn 1\n\n# footer\n",
    "x = 1\r\n\x0c\r\nclass A:\r\n    y = 'é'  # é\r\n\r\n    def m(self): pass\r\n",
    "a = 1\rb = (\r 2)\r",
    "if x:\n    pass\nelif y:\n    pass\nelse:\n    z = \\\n        3\nz = 4",
    "\x0cdef g():\n\x0c    return '''a\nb'''\n\n\n@(lambda f: f)\ndef h(): ...\n",
    "try:\n    pass\nexcept* E:\n    pass\nasync def k():\n    async with a: pass\n",
    "",
    "# only a comment",
    "@a(\n    1,\n)\n\n@b\nasync def \\\n        f(): pass\nclass \\\n  C(object):\n  def \\\n g(): ...\n",
]


@pytest.mark.parametrize("source", TRICKY_LAYOUTS)
def test_statement_lines_from_the_stdlib_parser_match_libcst(source: str) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(module, parent_map(module), source)
    for node in reversed(list(expected)):
        assert positions[node] == expected[node], node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            fresh = Positions(module, parent_map(module), source)
            assert fresh.name_line(node) == expected[node.name].start.line, node
    # Where each statement's code starts: its leading blank and comment lines included.
    starts = MetadataWrapper(module, unsafe_skip_copy=True).resolve(
        WhitespaceInclusivePositionProvider
    )
    hinted = _statement_lines(module, source)
    if "@(" not in source:
        assert set(module.body) <= set(hinted)
    for top, line in hinted.items():
        assert line == starts[top].start.line
    # The same lines from the tree the nesting check made (3.11+), without a second parse.
    text, parsed, tree = parse_source(source.encode())
    assert (tree is not None) == (sys.version_info >= (3, 11))
    if tree is not None:
        assert statement_lines(parsed, tree) == _statement_lines(parsed, text)


# -- cache and parallelism ------------------------------------------------------------------

WORKFLOW_CALLING_HELPER = '''\
from durabletask import task

from helpers import make_id


def orch(ctx: task.OrchestrationContext, _):
    yield ctx.call_activity("hello", input=make_id())
'''
SAFE_HELPER = "def make_id():\n    return 'fixed'\n"
UNSAFE_HELPER = "import uuid\n\n\ndef make_id():\n    return str(uuid.uuid4())\n"
DIRECT = '''\
import uuid
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    yield ctx.call_activity("hello", input=str(uuid.uuid4()))
'''


def _run(paths: list[str], cache_dir: Path | None = None, jobs: int = 1, **options) -> list[FileResult]:
    """Check as the command line does: one run per configuration group."""
    opts = Options(
        cache=cache_dir is not None, cache_dir=str(cache_dir) if cache_dir else None, jobs=jobs, **options
    )
    return [f for s, members in resolve(paths, opts) for f in check_paths(members, s).files]


def _codes(results: list[FileResult]) -> list[tuple[str, str]]:
    return [(Path(f.path).name, d.code) for f in results for d in f.diagnostics]


def _stored_dependencies(cache_dir: Path) -> dict[str, list[str]]:
    """The cache's entries: each file's path, and the paths of the modules its result read."""
    (file,) = cache_dir.rglob("*.sqlite3")
    with contextlib.closing(sqlite3.connect(file)) as db:
        paths = dict(db.execute("SELECT id, path FROM paths"))
        return {
            path: [paths[number] for number, _, _ in json.loads(deps)]
            for path, deps in db.execute("SELECT path, deps FROM entries")
        }


def _age(*paths: Path) -> None:
    """Give files an old mtime, as files not just written have (their stat is trusted)."""
    for path in paths:
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))


def test_results_are_identical_with_and_without_cache_and_with_one_or_two_jobs(tmp_path: Path) -> None:
    paths = [str(FIXTURES), str(ROOT / "examples")]
    plain = _run(paths)
    assert len(plain) >= PARALLEL_MIN_FILES  # enough files for the process pool
    assert any(f.diagnostics for f in plain)
    assert _run(paths, jobs=2) == plain
    assert _run(paths, tmp_path / "cache", jobs=2) == plain  # cold: written
    # Results read from other files are among them (their dependencies are the cache's).
    assert any(_stored_dependencies(tmp_path / "cache").values())
    assert _run(paths, tmp_path / "cache") == plain  # warm: read
    assert _run(paths, tmp_path / "cache", jobs=2) == plain


def test_a_warm_run_checks_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wf.py").write_text(DIRECT)
    (tmp_path / "other.py").write_text("x = 1\n")
    _age(tmp_path / "wf.py", tmp_path / "other.py")
    cold = _run([str(tmp_path)], tmp_path / "cache")

    def fail(self, path):
        raise AssertionError(f"{path} was checked again")

    monkeypatch.setattr(FileChecker, "check", fail)
    assert _run([str(tmp_path)], tmp_path / "cache") == cold
    assert _codes(cold) == [("wf.py", "WF202")]


def test_a_changed_file_is_checked_again(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.py"
    workflow.write_text(DIRECT)
    _age(workflow)
    assert _codes(_run([str(tmp_path)], tmp_path / "cache")) == [("wf.py", "WF202")]
    workflow.write_text(DIRECT.replace("str(uuid.uuid4())", "'fixed'"))
    _age(workflow)
    os.utime(workflow, ns=(1_700_000_000_000_000_000,) * 2)
    assert _codes(_run([str(tmp_path)], tmp_path / "cache")) == []


def test_a_file_just_written_is_not_trusted_by_its_stat(tmp_path: Path) -> None:
    # Same size, same mtime (within the file system's timestamp granularity): only the
    # content tells the two versions apart.
    workflow = tmp_path / "wf.py"
    workflow.write_text(DIRECT)
    stamp = workflow.stat().st_mtime_ns
    assert _codes(_run([str(tmp_path)], tmp_path / "cache")) == [("wf.py", "WF202")]
    workflow.write_text(DIRECT.replace("uuid.uuid4()", "uuid.uuid5()"))
    os.utime(workflow, ns=(stamp, stamp))
    assert _codes(_run([str(tmp_path)], tmp_path / "cache")) == []


def test_a_configuration_change_is_a_different_cache(tmp_path: Path) -> None:
    (tmp_path / "wf.py").write_text(DIRECT)
    _age(tmp_path / "wf.py")
    cache = tmp_path / "cache"
    assert _codes(_run([str(tmp_path)], cache)) == [("wf.py", "WF202")]
    assert _codes(_run([str(tmp_path)], cache, ignore=["WF202"])) == []
    (tmp_path / "wfcheck.toml").write_text('ignore = ["WF2"]\n')
    assert _codes(_run([str(tmp_path)], cache)) == []
    (tmp_path / "wfcheck.toml").unlink()
    assert _codes(_run([str(tmp_path)], cache)) == [("wf.py", "WF202")]


def test_no_worker_is_started_for_files_the_prefilter_drops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wfcheck import engine

    (tmp_path / "wf.py").write_text(DIRECT)
    for index in range(PARALLEL_MIN_FILES):
        (tmp_path / f"plain_{index}.py").write_text("x = 1\n")
    expected = _run([str(tmp_path)])
    started: list[list[str]] = []
    in_workers = engine._check_in_workers

    def spy(todo, files, checker, finished):  # type: ignore[no-untyped-def]
        started.append([files[index] for index in todo])
        return in_workers(todo, files, checker, finished)

    monkeypatch.setattr(engine, "_check_in_workers", spy)
    # One file to parse: checked here, whatever -j says.
    assert _run([str(tmp_path)], jobs=2) == expected and started == []
    assert _codes(expected) == [("wf.py", "WF202")]
    # Enough files to parse: only those go to the workers, and the results are the same.
    for index in range(PARALLEL_MIN_FILES):
        (tmp_path / f"plain_{index}.py").write_text("from durabletask import task\n\nX = task\n")
    (tmp_path / "other.py").write_text("y = 2\n")
    expected = _run([str(tmp_path)])
    assert _run([str(tmp_path)], jobs=2) == expected
    assert len(started) == 1 and len(started[0]) == PARALLEL_MIN_FILES + 1
    assert not any(path.endswith("other.py") for path in started[0])


@pytest.mark.skipif(sys.platform != "linux", reason="the workers must be forked to inherit the patch")
def test_a_pool_that_breaks_mid_run_leaves_the_rest_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(2 * PARALLEL_MIN_FILES):
        text = DIRECT if index % 7 == 0 else "from durabletask import task\n\nX = task\n"
        (tmp_path / f"flow_{index:03}.py").write_text(text)
    expected = _run([str(tmp_path)])
    last = f"flow_{2 * PARALLEL_MIN_FILES - 1:03}.py"
    parent = os.getpid()
    checked_here: list[str] = []
    check = FileChecker.check

    def check_or_die(self, path):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            if path.endswith(last):
                os._exit(1)  # a worker killed (out of memory, a signal): the pool breaks
        else:
            checked_here.append(path)
        return check(self, path)

    monkeypatch.setattr(FileChecker, "check", check_or_die)
    assert _run([str(tmp_path)], jobs=2) == expected
    # What the workers delivered before the break is kept, the rest is checked here, once.
    assert 0 < len(checked_here) < 2 * PARALLEL_MIN_FILES
    assert checked_here == sorted(set(checked_here))
    assert checked_here[-1].endswith(last)


def test_chunks_keep_a_package_to_one_worker_and_every_file_in_order() -> None:
    from wfcheck.engine import _chunks

    files = [f"pkg{p}/m{i}.py" for p in range(40) for i in range(10)]
    # 400 files for 16 workers: runs of about 7, cut where the package changes.
    chunks = _chunks(files, 16)
    assert [f for chunk in chunks for f in chunk] == files
    assert [len({os.path.dirname(f) for f in chunk}) for chunk in chunks] == [1] * 40
    # Two workers: several whole packages a chunk.
    chunks = _chunks(files, 2)
    assert [f for chunk in chunks for f in chunk] == files
    assert all(len(chunk) % 10 == 0 for chunk in chunks) and len(chunks) == 8
    # A directory larger than a chunk is split (at twice the size at most).
    flat = [f"flat/m{i}.py" for i in range(300)]
    chunks = _chunks(flat, 2)
    assert [f for chunk in chunks for f in chunk] == flat and max(map(len, chunks)) == 2 * 38


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        # cgroup v2, as a container sees its own group (at the mount point).
        ({"cpu.max": "200000 100000\n"}, 2),
        ({"cpu.max": "150000 100000\n"}, 2),
        ({"cpu.max": "max 100000\n"}, None),
        # cgroup v2 on a host: the group named in /proc/self/cgroup.
        ({"ci.slice/job/cpu.max": "400000 100000\n"}, 4),
        # cgroup v1.
        ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
        ({"cpu.max": "garbage"}, None),
    ],
)
def test_the_default_jobs_respect_a_cgroup_cpu_quota(
    tmp_path: Path, files: dict[str, str], quota: int | None
) -> None:
    from wfcheck.app import cgroup_cpu_quota

    mounts = tmp_path / "cgroup"
    for name, text in files.items():
        (mounts / name).parent.mkdir(parents=True, exist_ok=True)
        (mounts / name).write_text(text)
    membership = tmp_path / "self-cgroup"
    membership.write_text("0::/ci.slice/job\n" if "ci.slice/job/cpu.max" in files else "1:cpu:/\n0::/\n")
    assert cgroup_cpu_quota(str(mounts), str(membership)) == quota


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_changed_helper_module_rechecks_the_workflow_that_calls_it(tmp_path: Path, jobs: int) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    workflow, helper = tmp_path / "app.py", tmp_path / "helpers.py"
    workflow.write_text(WORKFLOW_CALLING_HELPER)
    # Enough files to parse for the process pool (files without markers do not count).
    for index in range(PARALLEL_MIN_FILES if jobs > 1 else 0):
        (tmp_path / f"filler_{index}.py").write_text("from durabletask import task\n\nX = task\n")
    cache = tmp_path / ".cache"
    # The helper does not exist yet: the workflow's result depends on its absence.
    assert _codes(_run([str(tmp_path)], cache, jobs)) == []
    helper.write_text(SAFE_HELPER)
    _age(*tmp_path.glob("*.py"))
    assert _codes(_run([str(tmp_path)], cache, jobs)) == []
    helper.write_text(UNSAFE_HELPER)
    _age(helper)
    os.utime(helper, ns=(1_700_000_000_000_000_000,) * 2)
    results = _run([str(tmp_path)], cache, jobs)
    assert _codes(results) == [("app.py", "WF604")]
    assert all(not f.depends_on for f in results)  # a run keeps what its report needs
    assert str(helper.resolve()) in _stored_dependencies(cache)[str(workflow)]
    helper.write_text(SAFE_HELPER)
    _age(helper)
    assert _codes(_run([str(tmp_path)], cache, jobs)) == []


def _cached_workflow(tmp_path: Path) -> tuple[list[FileResult], Path]:
    """A checked workflow file: its results and the cache file written for it."""
    (tmp_path / "wf.py").write_text(DIRECT)
    _age(tmp_path / "wf.py")
    results = _run([str(tmp_path)], tmp_path / "cache")
    [stored] = (tmp_path / "cache").rglob("*.sqlite3")
    return results, stored


def _is_wfcheck_cache(stored: Path) -> bool:
    with sqlite3.connect(stored) as db:
        found = db.execute("SELECT count(*) FROM entries").fetchone()[0] > 0
    db.close()
    return found


def _foreign_database(path: Path, original: bytes) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE entries (path TEXT, result TEXT)")
        db.execute("INSERT INTO entries VALUES ('x', 'y')")
    db.close()


@pytest.mark.parametrize(
    "damage",
    [
        lambda path, original: path.write_text("{not json"),
        lambda path, original: path.write_bytes(b"\xff\xfe\x00" * 4096),
        lambda path, original: path.write_bytes(original[:2048]),  # cut short
        lambda path, original: path.write_bytes(original[:100] + b"\xff" * 4000 + original[4100:]),
        lambda path, original: path.write_bytes(b""),
        _foreign_database,
    ],
    ids=["text", "bytes", "truncated", "overwritten", "empty", "foreign-database"],
)
def test_a_damaged_or_foreign_cache_is_ignored_and_replaced(tmp_path: Path, damage) -> None:
    expected, stored = _cached_workflow(tmp_path)
    cache = tmp_path / "cache"
    original = stored.read_bytes()
    stored.unlink()
    damage(stored, original)
    result = cli_runner().invoke(
        main, ["check", "--output-format", "concise", "--cache-dir", str(cache), str(tmp_path)]
    )
    assert result.exit_code == 1 and "WF202" in result.stdout, result.output
    assert result.stderr.count("warning") <= 1 and "Traceback" not in result.stderr
    assert _is_wfcheck_cache(stored)  # replaced, and written again
    assert _run([str(tmp_path)], cache) == expected


def test_a_locked_cache_is_a_miss_and_loses_only_this_runs_entries(tmp_path: Path) -> None:
    expected, stored = _cached_workflow(tmp_path)
    (tmp_path / "wf.py").write_text(DIRECT.replace("uuid.uuid4()", "'fixed'"))
    _age(tmp_path / "wf.py")
    with sqlite3.connect(stored, isolation_level=None) as other:
        other.execute("BEGIN EXCLUSIVE")  # another run holding the database
        assert _codes(_run([str(tmp_path)], tmp_path / "cache")) == []
        other.execute("ROLLBACK")
    other.close()
    assert _codes(_run([str(tmp_path)], tmp_path / "cache")) == []


def test_a_cache_entry_with_wrong_shapes_is_a_miss(tmp_path: Path) -> None:
    expected, stored = _cached_workflow(tmp_path)
    cache = tmp_path / "cache"
    with sqlite3.connect(stored) as db:
        wrong = {"diagnostics": [{"code": 1}], "parsed": True}
        db.execute("UPDATE entries SET result = ?", (zlib.compress(json.dumps(wrong).encode()),))
    db.close()
    assert _run([str(tmp_path)], cache) == expected


def test_the_cache_directory_is_tagged_and_ignored_by_git(tmp_path: Path) -> None:
    (tmp_path / "wf.py").write_text(DIRECT)
    result = cli_runner().invoke(main, ["check", "--cache-dir", str(tmp_path / "c"), str(tmp_path)])
    assert result.exit_code == 1
    tag = (tmp_path / "c" / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (tmp_path / "c" / ".gitignore").read_text() == "*\n"
    assert list((tmp_path / "c").glob("*/*.sqlite3"))


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "wf.py").write_text(DIRECT)
    result = cli_runner().invoke(
        main, ["check", "--no-cache", "--cache-dir", str(tmp_path / "c"), str(tmp_path)]
    )
    assert result.exit_code == 1 and "WF202" in result.stdout
    assert not (tmp_path / "c").exists()


def test_the_default_cache_is_at_the_project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "wf.py").write_text(DIRECT)
    monkeypatch.delenv("WFCHECK_CACHE_DIR")
    monkeypatch.chdir(tmp_path / "pkg")
    assert cli_runner().invoke(main, ["check", "wf.py"]).exit_code == 1
    assert (tmp_path / ".wfcheck_cache" / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / "pkg" / ".wfcheck_cache").exists()


def test_cache_dir_key_is_relative_to_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wfcheck.toml").write_text('cache-dir = "build/lint-cache"\n')
    (tmp_path / "wf.py").write_text(DIRECT)
    monkeypatch.delenv("WFCHECK_CACHE_DIR")
    assert cli_runner().invoke(main, ["check", str(tmp_path / "wf.py")]).exit_code == 1
    assert (tmp_path / "build" / "lint-cache" / "CACHEDIR.TAG").is_file()


@pytest.mark.parametrize("value", ["3", '""', "[]"])
def test_cache_dir_key_must_be_a_path(tmp_path: Path, value: str) -> None:
    (tmp_path / "wfcheck.toml").write_text(f"cache-dir = {value}\n")
    (tmp_path / "wf.py").write_text(DIRECT)
    result = cli_runner().invoke(main, ["check", str(tmp_path / "wf.py")])
    assert result.exit_code == 2
    assert "cache-dir" in result.stderr and "expected a directory path" in result.stderr


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    (tmp_path / "wf.py").write_text(DIRECT)
    assert cli_runner().invoke(main, ["check", "--jobs", "0", str(tmp_path)]).exit_code == 2
    result = cli_runner().invoke(main, ["check", "-j", "2", "--output-format", "concise", str(tmp_path)])
    assert result.exit_code == 1 and "WF202" in result.stdout


def test_diagnostics_survive_the_cache_exactly(tmp_path: Path) -> None:
    # Fixes (edits included), chains and help texts come back equal.
    paths = [str(FIXTURES / "fix"), str(FIXTURES / "transitive")]
    fresh = _run(paths, tmp_path / "cache")
    assert any(d.fix is not None and d.fix.edits for f in fresh for d in f.diagnostics)
    assert any(d.chain for f in fresh for d in f.diagnostics)
    assert _run(paths, tmp_path / "cache") == fresh


class _Recorder(cst.CSTVisitor):
    """Notes every visit and leave; skips the children of lambdas (a `False` from a hook)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node)))
        return not isinstance(node, cst.Lambda)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node)))


class _Typed(cst.CSTVisitor):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def visit_Call(self, node: cst.Call) -> bool:
        self.events.append(("call", id(node)))
        return not isinstance(node.func, cst.Attribute)

    def leave_Name(self, original_node: cst.Name) -> None:
        self.events.append(("name", id(original_node)))


class _Trivial(_Typed):
    """Hooks on trivia: a walk with this visitor goes into whitespace and punctuation."""

    def visit_Comma(self, node: cst.Comma) -> None:
        self.events.append(("comma", id(node)))

    def leave_SimpleWhitespace(self, original_node: cst.SimpleWhitespace) -> None:
        self.events.append(("space", id(original_node)))


@in_corpus
def test_walk_visits_as_libcst_does(path: Path) -> None:
    module = _module(path)
    if module is None:
        return
    for node in parent_map(module):
        assert children(node) == list(node.children), type(node).__name__
    for visitor_type in (_Recorder, _Typed, _Trivial):
        expected, actual = visitor_type(), visitor_type()
        module.visit(expected)
        walk(module, actual)
        assert actual.events == expected.events


def test_a_helper_rewritten_within_its_timestamp_granularity_is_noticed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    workflow, helper = tmp_path / "app.py", tmp_path / "helpers.py"
    workflow.write_text(WORKFLOW_CALLING_HELPER)
    _age(workflow)
    helper.write_text(UNSAFE_HELPER)
    stamp = helper.stat().st_mtime_ns
    cache = tmp_path / ".cache"
    assert _codes(_run([str(tmp_path)], cache)) == [("app.py", "WF604")]
    helper.write_text(UNSAFE_HELPER.replace("uuid4()", "uuid5()"))  # same size, replay-safe
    os.utime(helper, ns=(stamp, stamp))
    assert _codes(_run([str(tmp_path)], cache)) == []


def test_a_changed_runtime_module_rechecks_the_workflows_registered_on_it(tmp_path: Path) -> None:
    """`@wfr.workflow` with `wfr` imported: what it is comes from the module that makes it."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    runtime = package / "runtime.py"
    runtime.write_text("import dapr.ext.workflow as wf\n\nwfr = wf.WorkflowRuntime()\n")
    (package / "flows.py").write_text(
        "import random\n\nfrom .runtime import wfr\n\n\n@wfr.workflow\n"
        "def pick(c, options):\n    return random.choice(options)\n\n\n"
        "def ship(c, order):\n    yield c.call_activity('ship', input=order)\n"
    )
    _age(*package.glob("*.py"))
    cache = tmp_path / ".cache"
    assert _codes(_run([str(tmp_path)], cache)) == [("flows.py", "WF201")]
    runtime.write_text(
        "class Registry:\n    def workflow(self, fn):\n        return fn\n\n\nwfr = Registry()\n"
    )
    _age(runtime)
    os.utime(runtime, ns=(1_700_000_000_000_000_000,) * 2)
    assert _codes(_run([str(tmp_path)], cache)) == []


def test_the_cache_belongs_to_the_code_that_wrote_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout or an install from git changes wfcheck's code, not its version."""
    import wfcheck.cache as cache

    (tmp_path / "wf.py").write_text(DIRECT)
    _age(tmp_path / "wf.py")
    _run([str(tmp_path)], tmp_path / "cache")
    [first] = (tmp_path / "cache").glob("*/*.sqlite3")
    assert first.parent.name.endswith("-" + cache.code_stamp())
    monkeypatch.setattr(cache, "code_stamp", lambda: "another-build")
    _run([str(tmp_path)], tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*/*.sqlite3"))) == 2


# -- one parse per module, nothing kept after a file's check ---------------------------------

ACTIVITIES = '''\
import time
from durabletask import task


def stamp():
    return time.time()


def ship(ctx: task.ActivityContext, order):
    return order
'''
FLOWS = '''\
from durabletask import task

from acts import stamp


def orch(ctx: task.OrchestrationContext, order):
    yield ctx.call_activity("ship", input=(order, stamp()))
'''


def _check_in_order(names: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[dict, list[str], FileChecker]:
    """Each file's diagnostics when checked in this order, and the files parsed."""
    import wfcheck.analysis.project as project_module

    parsed: list[str] = []

    def counting(data: bytes):
        parsed_source = parse_source(data)
        parsed.append(parsed_source[0].splitlines()[-1])
        return parsed_source

    # Files checked and helpers read are parsed through the same function.
    monkeypatch.setattr(project_module, "parse_source", counting)
    checker = FileChecker(settings(), ["."])
    results = {name: checker.check(name)[0] for name in names}
    found = {n: [(d.code, d.line, d.message) for d in r.diagnostics] for n, r in results.items()}
    return found, parsed, checker


def test_a_module_checked_and_read_as_a_helper_gives_the_same_results_in_any_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "acts.py").write_text(ACTIVITIES)
    (tmp_path / "flows.py").write_text(FLOWS)
    monkeypatch.chdir(tmp_path)
    helper_first, parsed_helper_first, checker = _check_in_order(["flows.py", "acts.py"], monkeypatch)
    # acts.py was read as a helper of flows.py first: checking it parses nothing again.
    assert len(parsed_helper_first) == 2
    assert [code for code, _, _ in helper_first["flows.py"]] == ["WF604"]
    # Facts used as a helper stay for the run; a checked file's own are released.
    assert checker.project.loaded(tmp_path / "acts.py", "acts.py") is not None
    assert checker.project.loaded(tmp_path / "flows.py", "flows.py") is None
    checked_first, parsed_checked_first, checker = _check_in_order(["acts.py", "flows.py"], monkeypatch)
    assert checked_first == helper_first
    # Released after its check, acts.py is parsed again when flows.py needs it.
    assert len(parsed_checked_first) == 3


@pytest.mark.skipif(sys.version_info < (3, 11), reason="before 3.11 the nesting check compiles")
def test_the_stdlib_parser_reads_each_module_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tree the nesting check makes gives the statements' lines: a finding in a checked
    file and a location in a helper parse nothing again."""
    import wfcheck.analysis.positions as positions_module

    (tmp_path / "acts.py").write_text(ACTIVITIES)
    (tmp_path / "flows.py").write_text(FLOWS)
    monkeypatch.chdir(tmp_path)
    parsed: list[str] = []
    parse_again = positions_module._statement_lines

    def counting(module: cst.Module, text: str) -> dict[cst.CSTNode, int]:
        parsed.append(text)
        return parse_again(module, text)

    monkeypatch.setattr(positions_module, "_statement_lines", counting)
    result = FileChecker(settings(), ["."]).check("flows.py")[0]
    # The finding's line, and the helper's `def stamp` named in its explanation.
    assert [(d.code, d.line) for d in result.diagnostics] == [("WF604", 7)]
    assert result.diagnostics[0].chain == ("stamp() (acts.py:5)", "time.time() [WF101] (acts.py:6:12)")
    assert parsed == []
