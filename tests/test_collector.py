"""The garbage collector is tuned while files are checked and given back as it was: the
language server and library callers go on with their own thresholds and nothing stays frozen.
(What the tuning saves is measured by bench/dense_bench.py, not asserted here.)"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from helpers import settings

from wfcheck import engine
from wfcheck.collector import CHECK_THRESHOLDS

WORKFLOW = """\
import datetime

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="w")
def w(ctx: wf.DaprWorkflowContext, x: int):
    yield ctx.create_timer(datetime.datetime.now())
"""


def test_the_collector_is_tuned_during_the_check_and_restored_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.py").write_text(WORKFLOW)
    seen: list[tuple[tuple[int, ...], int]] = []
    check_all = engine._check_all

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return check_all(*args, **kwargs)

    monkeypatch.setattr(engine, "_check_all", spy)
    before = gc.get_threshold()
    gc.set_threshold(900, 11, 12)
    try:
        result = engine.check_paths([str(tmp_path)], settings())
        after = gc.get_threshold(), gc.get_freeze_count()
    finally:
        gc.set_threshold(*before)
    assert [d.code for d in result.diagnostics] == ["WF101"]
    assert len(seen) == 1
    thresholds, frozen = seen[0]
    assert thresholds == CHECK_THRESHOLDS
    assert frozen > 0  # the heap of the imports is out of the collector's sight
    assert after == ((900, 11, 12), 0)


def test_nothing_of_a_checked_file_survives_its_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's facts are released and its garbage collected before the next file, and
    what survives is frozen only until the run ends."""
    import weakref

    from wfcheck.analysis.project import ProjectIndex

    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(WORKFLOW)
    made: list[weakref.ref] = []
    facts_for = ProjectIndex.facts_for

    def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        facts = facts_for(self, *args, **kwargs)
        made.append(weakref.ref(facts))
        return facts

    after_each: list[tuple[bool, int]] = []
    check = engine.FileChecker.check

    def spy(self, path):  # type: ignore[no-untyped-def]
        result = check(self, path)
        after_each.append((all(ref() is None for ref in made), gc.get_freeze_count()))
        return result

    monkeypatch.setattr(ProjectIndex, "facts_for", recording)
    monkeypatch.setattr(engine.FileChecker, "check", spy)
    result = engine.check_paths([str(tmp_path)], settings())
    assert [d.code for d in result.diagnostics] == ["WF101", "WF101"]
    assert len(made) == 2
    assert [released for released, _ in after_each] == [True, True]
    assert all(frozen > 0 for _, frozen in after_each)
    assert gc.get_freeze_count() == 0


HELPER = """\
import datetime


def stamp():
    return datetime.datetime.now()
"""

CALLER = """\
import dapr.ext.workflow as wf

from helper import stamp

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="w")
def w(ctx: wf.DaprWorkflowContext, x: int):
    yield ctx.create_timer(stamp())
"""


def _helpers_keep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, attribute: str
) -> tuple[dict[str, list[bool]], engine.RunResult]:
    """Checks ``tmp_path``; after each file's check, whether each helper module's facts
    still hold ``attribute`` (by file name), and the run's result."""
    kept: dict[str, list[bool]] = {}
    check = engine.FileChecker.check

    def spy(self, path):  # type: ignore[no-untyped-def]
        result = check(self, path)
        helpers = [f for f in self.project._by_file.values() if f.helper]
        kept[Path(path).name] = [getattr(f, attribute) is not None for f in helpers]
        return result

    monkeypatch.setattr(engine.FileChecker, "check", spy)
    return kept, engine.check_paths([str(tmp_path)], settings())


def test_a_helper_module_keeps_no_positions_between_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper module's facts are kept for the run, but not its positions (they weigh more
    than its tree): a later file whose chain runs through it locates its
    functions again, on the same lines."""
    (tmp_path / "helper.py").write_text(HELPER)
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(CALLER)
    kept, result = _helpers_keep(tmp_path, monkeypatch, "_positions")
    assert kept["a.py"] == kept["b.py"] == [False]
    helper = str(tmp_path / "helper.py")
    assert [(Path(d.path).name, d.code, d.chain) for d in result.diagnostics] == [
        (name, "WF604", (f"stamp() ({helper}:4)", f"datetime.datetime.now() [WF101] ({helper}:5:12)"))
        for name in ("a.py", "b.py")
    ]


SUMMARISED_HELPER = """\
import datetime
import os


def stamp():
    return _now()


def _now():
    return datetime.datetime.now()


home = lambda: os.environ["HOME"]
"""

SUMMARISED_CALLER = """\
import dapr.ext.workflow as wf

from helper import home, stamp

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="w")
def w(ctx: wf.DaprWorkflowContext, x: int):
    yield ctx.create_timer(stamp())
    yield ctx.call_activity(home())
"""


def test_a_helper_module_drops_its_parent_map_once_every_function_is_summarised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Summarising reads a module's parent map; once every `def` of a helper module has its
    summary, nothing needs it for the rest of the run, and it goes (a third of the weight of
    the tree kept for the run). Later chains through the module still show its lines, and
    the module is parsed once."""
    (tmp_path / "helper.py").write_text(SUMMARISED_HELPER)
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(SUMMARISED_CALLER)
    kept, result = _helpers_keep(tmp_path, monkeypatch, "_parents")
    assert kept["a.py"] == kept["b.py"] == [False]
    assert result.helper_modules == 1
    helper = str(tmp_path / "helper.py")
    assert [(Path(d.path).name, d.code, d.chain) for d in result.diagnostics] == [
        (name, "WF604", chain)
        for name in ("a.py", "b.py")
        for chain in (
            (
                f"stamp() ({helper}:5)",
                f"_now() ({helper}:9)",
                f"datetime.datetime.now() [WF101] ({helper}:10:12)",
            ),
            (f"home() ({helper}:13)", f"os.environ [WF301] ({helper}:13:16)"),
        )
    ]
