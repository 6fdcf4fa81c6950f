"""The cache's early cutoff (issue 15): a file is checked again when it changed, or when a
module its result was read from changed what that result can see; a comment or docstring
edit of a helper rechecks only the helper, an edit of what it does rechecks its dependents.
Every cached run's results equal a run without the cache."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from wfcheck import cache, engine
from wfcheck.cache import interface_digest
from wfcheck.config import Options, resolve
from wfcheck.engine import FileChecker, RunResult, check_paths

HELPER = '''\
"""Helpers the workflows share."""

import os


def make_id(value):
    """An id for ``value``."""
    # Deterministic: the same value gives the same id.
    return f"id-{value}"


def region():
    return os.environ.get("REGION", "eu")
'''

WORKFLOW = '''\
from durabletask import task

from app.helpers import make_id


def orch_{n}(ctx: task.OrchestrationContext, payload):
    yield ctx.call_activity("hello", input=make_id(payload))
'''

OLD = 1_600_000_000_000_000_000
WORKFLOWS = 4


def _age(*paths: Path) -> None:
    """An old mtime (a file not just written: its stat is trusted)."""
    for path in paths:
        os.utime(path, ns=(OLD, OLD))


def _touch(path: Path, step: int = 1) -> None:
    """Another old mtime: the edit is seen by its stat, not only by its content."""
    os.utime(path, ns=(OLD + step * 1_000_000_000,) * 2)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(HELPER)
    for n in range(WORKFLOWS):
        (package / f"flow{n}.py").write_text(WORKFLOW.format(n=n))
    _age(*package.glob("*.py"))
    return tmp_path


def _run(
    project: Path, monkeypatch: pytest.MonkeyPatch, cache: bool = True, jobs: int = 1
) -> tuple[list[RunResult], list[str]]:
    """The run's results, and the names of the files checked again (not from the cache)."""
    checked: list[str] = []
    original = FileChecker.check

    def check(self, path):
        checked.append(Path(path).name)
        return original(self, path)

    monkeypatch.setattr(FileChecker, "check", check)
    options = Options(
        cache=cache, cache_dir=str(project / ".cache") if cache else None, jobs=jobs
    )
    runs = [check_paths(members, s) for s, members in resolve([str(project)], options)]
    monkeypatch.undo()
    return runs, sorted(checked)


def _files(runs: list[RunResult]):
    return [f for run in runs for f in run.files]


def _same_as_without_cache(project: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Runs with the cache; asserts its results are a no-cache run's; the files checked."""
    cached, checked = _run(project, monkeypatch)
    plain, _ = _run(project, monkeypatch, cache=False)
    assert _files(cached) == _files(plain)
    assert sum(r.from_cache for r in cached) == len(_files(cached)) - len(checked)
    return checked


def _codes(runs: list[RunResult]) -> list[tuple[str, str]]:
    return sorted((Path(f.path).name, d.code) for f in _files(runs) for d in f.diagnostics)


def _edit(path: Path, old: str, new: str, step: int = 1) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    _touch(path, step)


ALL_FLOWS = [f"flow{n}.py" for n in range(WORKFLOWS)]


def test_a_warm_run_checks_nothing_and_says_so(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(project, monkeypatch)
    runs, checked = _run(project, monkeypatch)
    assert checked == []
    assert sum(r.from_cache for r in runs) == len(_files(runs)) == WORKFLOWS + 2


@pytest.mark.parametrize(
    "old, new",
    [
        ("# Deterministic: the same", "# Pure: the same"),  # a comment's text
        ('return f"id-{value}"\n', 'return f"id-{value}"  # never random\n'),  # a new comment
        ('"""An id for ``value``."""', '"""The id of ``value``, always the same."""'),
        ('"""Helpers the workflows share."""', '"""Helpers."""'),  # the module's docstring
        ('"eu")\n', '"eu")\n\n# End of the helpers.\n'),  # a comment line at the end
    ],
    ids=["comment-text", "trailing-comment", "docstring", "module-docstring", "comment-line-last"],
)
def test_a_comment_or_docstring_edit_of_a_helper_rechecks_only_the_helper(
    project: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    _run(project, monkeypatch)
    _edit(project / "app" / "helpers.py", old, new)
    assert _same_as_without_cache(project, monkeypatch) == ["helpers.py"]
    # And the run after that takes everything from the cache again.
    assert _run(project, monkeypatch)[1] == []


def test_a_comment_line_that_moves_a_helpers_code_rechecks_its_dependents(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every position below the new line moves, and chains show helper positions: the digest
    holds them all (a finer one would hold only those a dependent shows)."""
    _run(project, monkeypatch)
    _edit(project / "app" / "helpers.py", "\n\ndef region", "\n\n# The region.\ndef region")
    assert _same_as_without_cache(project, monkeypatch) == sorted(["helpers.py", *ALL_FLOWS])


@pytest.mark.parametrize(
    "old, new",
    [
        ('return f"id-{value}"', 'return f"key-{value}"'),  # a value
        ('return f"id-{value}"', 'return "id-%s" % (value,)'),  # an expression
        ('os.environ.get("REGION", "eu")', 'os.environ.get("REGION", "us")'),
    ],
    ids=["constant", "expression", "argument"],
)
def test_an_edit_inside_a_helper_that_keeps_its_effects_rechecks_only_the_helper(
    project: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    _run(project, monkeypatch)
    _edit(project / "app" / "helpers.py", old, new)
    assert _same_as_without_cache(project, monkeypatch) == ["helpers.py"]
    # The entries kept now hold the helper as it is: the next run compares nothing.
    made: list[object] = []
    monkeypatch.setattr(engine, "make_project", lambda *args: made.append(args))
    assert _run(project, monkeypatch)[1] == [] and made == []


def test_past_its_budget_of_effect_comparisons_a_run_rechecks_the_dependents(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(project, monkeypatch)
    _edit(project / "app" / "helpers.py", 'return f"id-{value}"', 'return f"key-{value}"')
    monkeypatch.setattr(cache, "MAX_EFFECT_COMPARISONS", -1)
    checked = _same_as_without_cache(project, monkeypatch)
    assert checked == sorted(["helpers.py", *ALL_FLOWS])


def test_a_helper_edit_that_looks_up_another_name_rechecks_its_dependents(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`str(value)` keeps the effects, but the analysis now looks `str` up (and a project
    module could answer): the dependents' results depend on that look-up too."""
    _run(project, monkeypatch)
    _edit(project / "app" / "helpers.py", 'return f"id-{value}"', 'return "id-" + str(value)')
    assert _same_as_without_cache(project, monkeypatch) == sorted(["helpers.py", *ALL_FLOWS])


def test_a_helper_edit_that_moves_a_reason_rechecks_its_dependents(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chains show where the helper's reason is: its column is part of what they read."""
    helper = project / "app" / "helpers.py"
    _edit(helper, '    return f"id-{value}"\n', '    return f"id-{value}-{os.getpid()}"\n')
    _age(helper)
    before = _files(_run(project, monkeypatch)[0])
    assert any("helpers.py:9:26" in step for f in before for d in f.diagnostics for step in d.chain)
    _edit(helper, 'f"id-{value}-{os.getpid()}"', 'f"key-{value}-{os.getpid()}"', step=2)
    assert _same_as_without_cache(project, monkeypatch) == sorted(["helpers.py", *ALL_FLOWS])
    after = _files(_run(project, monkeypatch)[0])
    assert any("helpers.py:9:27" in step for f in after for d in f.diagnostics for step in d.chain)


def test_an_edit_that_makes_a_helper_impure_rechecks_its_dependents(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _codes(_run(project, monkeypatch)[0]) == []
    _edit(
        project / "app" / "helpers.py",
        "import os\n",
        "import datetime\nimport os\n",
    )
    _edit(
        project / "app" / "helpers.py",
        '    return f"id-{value}"\n',
        '    return f"id-{value}-{datetime.datetime.now()}"\n',
        step=2,
    )
    checked = _same_as_without_cache(project, monkeypatch)
    assert checked == sorted(["helpers.py", *ALL_FLOWS])
    runs, _ = _run(project, monkeypatch)
    assert _codes(runs) == sorted((name, "WF604") for name in ALL_FLOWS)
    # The chain names the helper's line: a comment line above it moves it, and the flows
    # are checked again to say so.
    _edit(project / "app" / "helpers.py", "\n\ndef make_id", "\n\n# Ids.\ndef make_id", step=3)
    checked = _same_as_without_cache(project, monkeypatch)
    assert checked == sorted(["helpers.py", *ALL_FLOWS])
    chain = _files(_run(project, monkeypatch)[0])[1].diagnostics[0].chain
    assert any("helpers.py:8" in step for step in chain), chain


def test_a_directive_comment_in_a_helper_is_seen_by_its_dependents(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper = project / "app" / "helpers.py"
    _edit(helper, '    return f"id-{value}"\n', '    return f"id-{value}-{os.getpid()}"\n')
    _age(helper)
    assert _codes(_run(project, monkeypatch)[0]) == sorted((n, "WF604") for n in ALL_FLOWS)
    _edit(helper, "def make_id(value):", "def make_id(value):  # wfcheck: trusted", step=2)
    checked = _same_as_without_cache(project, monkeypatch)
    assert checked == sorted(["helpers.py", *ALL_FLOWS])
    assert _codes(_run(project, monkeypatch)[0]) == []


def test_deleting_a_helper_rechecks_its_dependents(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper = project / "app" / "helpers.py"
    _edit(helper, '    return f"id-{value}"\n', '    return f"id-{value}-{os.getpid()}"\n')
    _age(helper)
    assert _codes(_run(project, monkeypatch)[0]) == sorted((n, "WF604") for n in ALL_FLOWS)
    helper.unlink()
    checked = _same_as_without_cache(project, monkeypatch)
    assert checked == ALL_FLOWS
    assert _codes(_run(project, monkeypatch)[0]) == []


def test_creating_a_module_an_import_did_not_find_rechecks_its_importers(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(WORKFLOWS):
        flow = project / "app" / f"flow{n}.py"
        flow.write_text(WORKFLOW.format(n=n).replace("app.helpers", "app.ids"))
        _age(flow)
    (project / "app" / "other.py").write_text("x = 1\n")
    _age(project / "app" / "other.py")
    assert _codes(_run(project, monkeypatch)[0]) == []  # `app.ids` does not exist
    ids = project / "app" / "ids.py"
    ids.write_text("import uuid\n\n\ndef make_id(value):\n    return str(uuid.uuid4())\n")
    _age(ids)
    checked = _same_as_without_cache(project, monkeypatch)
    assert checked == sorted(["ids.py", *ALL_FLOWS])  # not helpers.py nor other.py
    assert _codes(_run(project, monkeypatch)[0]) == sorted((n, "WF604") for n in ALL_FLOWS)


def test_a_helper_file_that_is_not_checked_still_counts(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A helper outside the checked paths (pre-commit passes only the changed files)."""
    flows = [str(project / "app" / name) for name in ALL_FLOWS]
    options = Options(cache=True, cache_dir=str(project / ".cache"))

    def run() -> list[RunResult]:
        return [check_paths(members, s) for s, members in resolve(flows, options)]

    assert _codes(run()) == []
    _edit(project / "app" / "helpers.py", "# Deterministic", "# Pure")
    assert sum(r.from_cache for r in run()) == WORKFLOWS
    _edit(project / "app" / "helpers.py", 'f"id-{value}"', 'f"id-{os.getpid()}"', step=2)
    again = run()
    assert sum(r.from_cache for r in again) == 0
    assert _codes(again) == sorted((n, "WF604") for n in ALL_FLOWS)


@pytest.mark.parametrize(
    "before, after, same",
    [
        ("x = 1\n", "x = 1  # one\n", True),
        ("x = 1\n", "x = 1\n# end\n", True),
        ('"""Doc."""\nx = 1\n', '"""Other doc."""\nx = 1\n', True),
        ('def f():\n    "doc"\n    return 1\n', 'def f():\n    "other"\n    return 1\n', True),
        ("x = 1\n", "x = 2\n", False),
        ("x = 1\n", "\nx = 1\n", False),  # every position moves
        ('"""Doc."""\nx = 1\n', '"""Doc\n."""\nx = 1\n', False),  # so do the ones below
        ("x = 1\n", "x = 1  # noqa: WF101\n", False),
        ("def f():\n    pass\n", "def f():  # wfcheck: trusted\n    pass\n", False),
        ('x = "a"\n', 'x = "b"\n', False),  # a string that is a value, not a statement
        ('f"{a}"\n', 'f"{b}"\n', False),  # an f-string statement runs code
        ("x = 1\n", "x = (\n", None),  # does not tokenize
    ],
)
def test_the_interface_digest_ignores_only_what_no_dependent_reads(
    before: str, after: str, same: bool | None
) -> None:
    first, second = interface_digest("m.py", before.encode()), interface_digest("m.py", after.encode())
    if same is None:
        assert second is None
    else:
        assert first is not None and (first == second) == same


def test_two_runs_at_once_share_the_cache(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(WORKFLOWS, 40):
        (project / "app" / f"flow{n}.py").write_text(WORKFLOW.format(n=n))
    _age(*(project / "app").glob("*.py"))
    command = [
        sys.executable, "-m", "wfcheck", "check", "--cache-dir", str(project / ".cache"),
        str(project),
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, out + err
        assert "Traceback" not in err and "warning" not in err
    runs_after, checked = _run(project, monkeypatch)
    assert checked == [] and sum(r.from_cache for r in runs_after) == 42


def _database(project: Path):
    import sqlite3

    (path,) = (project / ".cache").rglob("*.sqlite3")
    return sqlite3.connect(path)


def _stored(project: Path) -> tuple[set[str], set[str]]:
    """The file names with an entry, and the hashes of the module sources kept."""
    with contextlib.closing(_database(project)) as db:
        entries = {Path(p).name for (p,) in db.execute("SELECT path FROM entries")}
        sources = {h for (h,) in db.execute("SELECT hash FROM sources")}
    return entries, sources


def test_the_cache_forgets_files_that_are_gone_and_sources_no_result_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper = project / "app" / "helpers.py"
    _run(project, monkeypatch)
    first = _stored(project)[1]
    assert len(first) == 1  # the helper the flows read
    # Pre-commit on one flow after an edit that keeps the helper's effects: the other flows'
    # results still read the first version, so its source stays (their cutoff needs it).
    _edit(helper, 'return f"id-{value}"', 'return f"key-{value}"')
    options = Options(cache=True, cache_dir=str(project / ".cache"))
    for settings, members in resolve([str(project / "app" / "flow0.py")], options):
        check_paths(members, settings)
    kept = _stored(project)[1]
    assert first < kept and len(kept) == 2
    # The whole tree: every result is cut off against the new version, the old one goes.
    assert _same_as_without_cache(project, monkeypatch) == ["helpers.py"]
    assert _stored(project)[1] == kept - first
    # A deleted file's entry goes at the next run that writes.
    (project / "app" / "flow3.py").unlink()
    _edit(project / "app" / "flow0.py", "payload):", "payload):  # edited")
    _run(project, monkeypatch)
    assert "flow3.py" not in _stored(project)[0]
    assert "flow2.py" in _stored(project)[0]


def _checking(project: Path, seen: Callable[[], None]) -> list[RunResult]:
    """A cached run that calls ``seen()`` before each file it checks."""
    original = FileChecker.check

    def check(self, path):
        seen()
        return original(self, path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FileChecker, "check", check)
        options = Options(cache=True, cache_dir=str(project / ".cache"))
        return [check_paths(members, s) for s, members in resolve([str(project)], options)]


def test_fresh_entries_are_written_a_batch_at_a_time(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large run holds neither its fresh entries nor the bytes of the helpers it read to
    its end: each batch is written when it fills, with the modules read so far, and a warm
    run reads them all."""
    files = WORKFLOWS + 2
    written: list[tuple[int, int]] = []

    def seen() -> None:
        if list((project / ".cache").rglob("*.sqlite3")):
            entries, sources = _stored(project)
            written.append((len(entries), len(sources)))
        else:
            written.append((0, 0))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "BATCH_ENTRIES", 2)
        _checking(project, seen)
    # In discovery order: __init__.py, flow0.py (which reads helpers.py), flow1.py, ...
    assert written == [(0, 0), (0, 0), (2, 1), (2, 1), (4, 1), (4, 1)][:files]
    assert _stored(project)[0] == {"__init__.py", "helpers.py", *ALL_FLOWS}
    assert _same_as_without_cache(project, monkeypatch) == []


def test_a_batch_another_run_holds_up_waits_for_the_save(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(project, monkeypatch)
    for step, flow in enumerate(ALL_FLOWS, 1):
        _edit(project / "app" / flow, "payload):", "payload):  # edited", step)
    other = _database(project)
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")  # another run writing: this one cannot, for a while
    checks = 0

    def seen() -> None:
        nonlocal checks
        checks += 1
        if checks == 4:  # after the first batch gave up waiting
            other.execute("COMMIT")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "BATCH_ENTRIES", 2)
        patch.setattr(cache, "_BUSY_SECONDS", 0.05)
        runs = _checking(project, seen)
    other.close()
    assert checks == WORKFLOWS
    # Nothing lost: every fresh entry was written at the end, in one transaction.
    assert _same_as_without_cache(project, monkeypatch) == []
    assert _files(runs) == _files(_run(project, monkeypatch, cache=False)[0])
