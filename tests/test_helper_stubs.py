"""Helper modules let go: beyond the most recently used ``HELPERS_KEPT``, a helper module's
facts (tree, scopes, index) give way to a stub between checked files, so memory does not
grow with the number of helper modules. Nothing a check finds may change."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from helpers import settings

import wfcheck.analysis.project as project_module
from wfcheck import collector, engine
from wfcheck.source import parse_source

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"


def _run(paths: list[Path], monkeypatch: pytest.MonkeyPatch, kept: int) -> tuple[list, list[int]]:
    """Every diagnostic (fixes included) of a run keeping ``kept`` helper modules, and the
    number of helper modules whose facts were kept after each file."""
    monkeypatch.setattr(project_module, "HELPERS_KEPT", kept)
    held: list[int] = []
    check = engine.FileChecker.check

    def spy(self, path):  # type: ignore[no-untyped-def]
        result = check(self, path)
        held.append(sum(f.helper for f in self.project._by_file.values()))
        return result

    monkeypatch.setattr(engine.FileChecker, "check", spy)
    result = engine.check_paths([str(p) for p in paths], settings())
    return list(result.diagnostics), held


@pytest.mark.parametrize(
    "tree",
    ["transitive/project", "transitive/implicit", "transitive", "rules", "."],
)
def test_letting_helper_modules_go_changes_no_finding(
    tree: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-exports, star imports, classes, properties, lambdas, partials, decorators and
    sandboxed imports through modules let go after every file give what they give kept."""
    kept, held_kept = _run([FIXTURES / tree], monkeypatch, 64)
    let_go, held_let_go = _run([FIXTURES / tree], monkeypatch, 0)
    assert let_go == kept
    assert kept  # the tree has findings to compare
    assert not any(held_let_go)
    assert max(held_kept) > 0  # helper modules were read, and kept when there is room


def test_letting_helper_modules_go_changes_nothing_in_the_examples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _run([EXAMPLES], monkeypatch, 0)[0] == _run([EXAMPLES], monkeypatch, 64)[0]


HELPER = '''\
import datetime
import os


def stamp():
    return datetime.datetime.now().isoformat()


def home():
    return os.environ["HOME"]


def pure(x):
    return x + 1
'''

FLOW = '''\
import dapr.ext.workflow as wf

from helper import {name}

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="w{n}")
def w{n}(ctx: wf.DaprWorkflowContext, x: int):
    yield ctx.create_timer({name}())
'''


def test_a_function_of_a_module_let_go_is_found_without_parsing_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calls into a module let go are answered by its stub: each of its functions was
    summarised and located before it went, so later files parse it no more."""
    (tmp_path / "helper.py").write_text(HELPER)
    for n, name in enumerate(["stamp", "home", "pure", "stamp"]):
        (tmp_path / f"flow{n}.py").write_text(FLOW.format(n=n, name=name))
    parsed: list[str] = []

    def counting(data: bytes):  # type: ignore[no-untyped-def]
        parsed.append(data.decode().splitlines()[0])
        return parse_source(data)

    monkeypatch.setattr(project_module, "parse_source", counting)
    monkeypatch.chdir(tmp_path)
    found, held = _run([Path(".")], monkeypatch, 0)
    # Each flow once, as a file checked; the helper once, as a helper.
    assert parsed.count("import datetime") == 1 and len(parsed) == 5
    assert not any(held)
    lines = {(d.path, d.line, d.code) for d in found}
    assert lines == {
        ("flow0.py", 10, "WF604"),
        ("flow1.py", 10, "WF604"),
        ("flow3.py", 10, "WF604"),
    }
    chains = {d.path: d.chain for d in found}
    # The chains still say where the helper's functions are (lines kept when it went).
    assert chains["flow1.py"][0] == "home() (helper.py:9)"
    assert chains["flow3.py"][0] == "stamp() (helper.py:5)"


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_batch_let_go_is_collected_though_it_was_frozen() -> None:
    """What survives a file's check is frozen out of the collector's sight; once helper
    modules are let go, the collection after the file looks at the frozen objects too
    (their reference cycles would otherwise never be freed)."""
    with collector.tuned_for_parsing():
        frozen_then_dropped = _Cycle()
        kept = weakref.ref(frozen_then_dropped)
        collector.file_checked()
        del frozen_then_dropped
        collector.file_checked()
        assert kept() is not None  # frozen: the per-file collection does not see it
        collector.file_checked(everything=True)
        assert kept() is None
    gc.collect()
