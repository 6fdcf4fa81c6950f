"""Effects: each project function is summarised once per run for every engine; chains are
built per engine from those summaries; a module's effect digest changes with what its
dependents can read from it, not with its comments."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import libcst as cst
import pytest
from helpers import settings

from wfcheck.analysis.checker import summarize
from wfcheck.analysis.project import Edge, FunctionRef, Reason, Summary, Target
from wfcheck.catalog import FRAMEWORKS, ApiPattern, Catalog
from wfcheck.engine import check_source, make_project

HELPERS = '''\
import asyncio


async def pause(tasks):
    await asyncio.sleep(1)
    await asyncio.wait(tasks)


async def settle(tasks):
    await pause(tasks)
'''

DAPR_FLOW = '''\
import dapr.ext.workflow as wf

from helpers import settle

wfr = wf.WorkflowRuntime()


@wfr.workflow
def flow(ctx: wf.DaprWorkflowContext, tasks):
    settle(tasks)
    yield ctx.call_activity("ship", input=tasks)
'''

TEMPORAL_FLOW = '''\
from temporalio import workflow

from helpers import settle


@workflow.defn
class Flow:
    @workflow.run
    async def run(self, tasks) -> None:
        await settle(tasks)
'''


def _project(tmp_path: Path) -> Path:
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "dapr_flow.py").write_text(DAPR_FLOW)
    (tmp_path / "temporal_flow.py").write_text(TEMPORAL_FLOW)
    return tmp_path


def test_a_helper_is_summarised_once_and_each_engine_gets_its_own_chain(tmp_path: Path) -> None:
    root = _project(tmp_path)
    options = settings()
    project = make_project([str(root)], options)
    chains = {}
    for name in ("dapr_flow.py", "temporal_flow.py"):
        path = root / name
        result = check_source(path.read_bytes(), str(path), options, project)
        (chains[name],) = [d.chain for d in result.diagnostics if d.code == "WF604"]
    # `asyncio.sleep` is a durable timer in Temporal, `asyncio.wait` is banned only there.
    assert chains["dapr_flow.py"][-1].startswith("asyncio.sleep() [WF102]")
    assert chains["temporal_flow.py"][-1].startswith("asyncio.wait() [WF503]")
    assert [step.split(" (")[0] for step in chains["dapr_flow.py"][:2]] == ["settle()", "pause()"]
    # Two helpers, two summaries, whatever the engines calling them.
    assert project.summaries_computed == 2


def test_reasons_and_calls_carry_the_engines_they_apply_to(tmp_path: Path) -> None:
    root = _project(tmp_path)
    project = make_project([str(root)], settings())
    target = project.definition("helpers.pause")
    assert target is not None
    summary = project.summary(target)
    by_api = {reason.api: reason for reason in summary.reasons}
    assert by_api["asyncio.sleep()"].engines == {"dapr", "durabletask", "azure"}
    assert by_api["asyncio.wait()"].engines == {"temporal"}
    assert (by_api["asyncio.wait()"].line, by_api["asyncio.wait()"].column) == (6, 11)
    caller = project.definition("helpers.settle")
    assert caller is not None
    (edge,) = project.summary(caller).calls
    assert edge.callee == target.ref
    assert edge.engines == {"dapr", "durabletask", "azure", "temporal"}


def _holds_no_tree(value: object) -> bool:
    if isinstance(value, cst.CSTNode):
        return False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(_holds_no_tree(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(_holds_no_tree(item) for item in value)
    return isinstance(value, (str, int, bool))


def test_summaries_hold_no_syntax_trees(tmp_path: Path) -> None:
    root = _project(tmp_path)
    project = make_project([str(root)], settings())
    target = project.definition("helpers.settle")
    assert target is not None
    summary = project.summary(target)
    assert summary.calls and _holds_no_tree(summary)
    assert {type(e) for e in summary.calls} == {Edge}
    assert isinstance(summary, Summary) and isinstance(target.ref, FunctionRef)
    assert all(isinstance(r, Reason) for r in project.summary(project.definition("helpers.pause")).reasons)  # type: ignore[arg-type]


# -- the effect digest -------------------------------------------------------------------------

LABELS = '''\
"""Labels for orders."""
import datetime

from shop import ids

PREFIX = "order"


def make_label(order):  # labels are short
    # the id is stable
    return f"{PREFIX}-{order['id']}-{stamp()}"


def stamp():
    return ids.short(1)


class Label:
    def render(self, text):
        return text.upper()
'''

IDS = '''\
def short(n):
    return str(n)
'''


def _digest(tmp_path: Path, labels: str, ids: str = IDS) -> str | None:
    package = tmp_path / "shop"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "labels.py").write_text(labels)
    (package / "ids.py").write_text(ids)
    project = make_project([str(tmp_path)], settings())
    return project.effect_digest(package / "labels.py")


def test_a_comment_only_edit_keeps_the_digest(tmp_path: Path) -> None:
    before = _digest(tmp_path, LABELS)
    assert before is not None
    edited = LABELS.replace("# labels are short", "# labels are kept short").replace(
        "# the id is stable", "# the order id never changes"
    )
    assert _digest(tmp_path, edited) == before


def test_a_body_edit_that_keeps_effects_and_lines_keeps_the_digest(tmp_path: Path) -> None:
    before = _digest(tmp_path, LABELS)
    assert _digest(tmp_path, LABELS.replace("text.upper()", "text.lower()")) == before


def test_a_new_clock_read_in_a_helper_changes_the_digest(tmp_path: Path) -> None:
    before = _digest(tmp_path, LABELS)
    edited = LABELS.replace("return ids.short(1)", "return ids.short(datetime.datetime.now())")
    assert _digest(tmp_path, edited) != before


def test_renaming_a_function_changes_the_digest(tmp_path: Path) -> None:
    before = _digest(tmp_path, LABELS)
    assert _digest(tmp_path, LABELS.replace("def stamp", "def stamp_it")) != before
    assert _digest(tmp_path, LABELS.replace("def render", "def draw")) != before


def test_lines_moving_trust_and_suppressions_change_the_digest(tmp_path: Path) -> None:
    before = _digest(tmp_path, LABELS)
    # Every position below moves: chains show them.
    assert _digest(tmp_path, LABELS.replace("import datetime\n", "import datetime\n\n")) != before
    # A comment that changes an analysis is not an ordinary comment.
    trusted = LABELS.replace("def stamp():", "def stamp():  # wfcheck: trusted")
    assert _digest(tmp_path, trusted) != before


def test_a_callee_moving_in_another_module_changes_that_modules_digest(tmp_path: Path) -> None:
    before = _digest(tmp_path, LABELS)
    ids_before = make_project([str(tmp_path)], settings()).effect_digest(tmp_path / "shop" / "ids.py")
    # `stamp()` calls `ids.short`: the caller names it by module and name, and where it is
    # defined is what the digest of `ids` covers (a dependent reading both depends on both).
    assert _digest(tmp_path, LABELS, "\n" + IDS) == before
    ids_after = make_project([str(tmp_path)], settings()).effect_digest(tmp_path / "shop" / "ids.py")
    assert ids_after is not None and ids_after != ids_before


def test_what_each_function_summary_read_is_asked_by_module(tmp_path: Path) -> None:
    _digest(tmp_path, LABELS)
    project = make_project([str(tmp_path)], settings())
    labels = tmp_path / "shop" / "labels.py"
    assert project.effect_digest(labels) is not None
    reads = {ref.qualname: files for ref, files in project.summary_reads(labels).items()}
    assert set(reads) == {"make_label", "stamp", "Label.render"}
    # `stamp()` calls `ids.short`: summarising it found `shop/ids.py`.
    ids = str((tmp_path / "shop" / "ids.py").resolve())
    assert ids in reads["stamp"] and ids not in reads["Label.render"]
    # `ids.short` is named by its caller's summary, not summarised: nothing of `ids` read.
    assert project.summary_reads(tmp_path / "shop" / "ids.py") == {}


def test_no_digest_for_what_is_not_a_project_module(tmp_path: Path) -> None:
    project = make_project([str(tmp_path)], settings())
    assert project.effect_digest(tmp_path / "missing.py") is None
    (tmp_path / "broken.py").write_text("def broken(:\n")
    assert project.effect_digest(tmp_path / "broken.py") is None


# -- one walk for every engine is each engine's own walk -----------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _scrambled(catalog: Catalog, salt: str) -> Catalog:
    """Every API of the catalog restricted to a pseudo-random, non-empty set of engines."""

    def engines(api: ApiPattern) -> frozenset[str]:
        bits = hashlib.sha256((salt + api.name + api.method).encode()).digest()
        chosen = frozenset(f for n, f in enumerate(FRAMEWORKS) if bits[n] & 1)
        return chosen or frozenset({FRAMEWORKS[bits[5] % len(FRAMEWORKS)]})

    rules = [
        dataclasses.replace(
            rule, apis=tuple(dataclasses.replace(a, frameworks=engines(a)) for a in rule.apis)
        )
        for rule in catalog.rules.values()
    ]
    return Catalog(rules, catalog.returns, catalog.handles, catalog.allowed, catalog.sandbox_passthrough)


def _for_engine(summary: Summary, engine: str) -> tuple[list[object], list[FunctionRef]]:
    """What a chain built for ``engine`` reads of a summary: its reasons in order, and the
    callees in the order first met."""
    reasons = [
        (r.code, r.api, r.path, r.line, r.column, r.guard) for r in summary.reasons if engine in r.engines
    ]
    callees: list[FunctionRef] = []
    for edge in summary.calls:
        if engine in edge.engines and edge.callee not in callees:
            callees.append(edge.callee)
    return reasons, callees


@pytest.mark.parametrize("salt", ["", "a", "b"])
def test_summarising_for_every_engine_at_once_is_summarising_for_each(salt: str) -> None:
    """Over every function of the fixture and example projects, with the shipped catalog and
    with catalogs whose APIs apply to scrambled sets of engines (so that calls and names are
    judged as APIs for some engines and followed into the project for others)."""
    options = settings()
    catalog = _scrambled(options.catalog, salt) if salt else options.catalog
    paths = [ROOT / "tests" / "fixtures", ROOT / "examples"]
    project = make_project([str(p) for p in paths], options)
    compared = 0
    for path in sorted(p for root in paths for p in root.rglob("*.py")):
        name, is_package = project.module_name_for(path)
        facts = project._load(path, name, is_package) if name else None
        if facts is None:
            continue
        for definition in facts.index.functions:
            target = Target(facts, definition.node, definition.qualname, definition.parent_scope)  # type: ignore[arg-type]
            every, _ = summarize(target, catalog, options.enabled, project)
            for engine in FRAMEWORKS:
                alone, _ = summarize(target, catalog, options.enabled, project, frozenset({engine}))
                assert _for_engine(every, engine) == _for_engine(alone, engine), (
                    path,
                    definition.qualname,
                    engine,
                )
            compared += 1
    assert compared > 500


JUDGED = {
    "shop/__init__.py": "",
    "shop/db.py": '''\
import datetime
import os


def fetch(key):
    return datetime.datetime.now()


class Config:
    @property
    def region(self):
        return os.environ["REGION"]

    def reload(self):
        return os.getenv("REGION")


CONFIG = Config()
''',
    "shop/helpers.py": '''\
from shop import db
from shop.db import CONFIG


def load(key):
    row = db.fetch(key)
    stamp = db.fetch(key).isoformat()
    region = db.Config().region
    CONFIG.reload()
    return row, stamp, region
''',
}


def test_calls_judged_as_apis_for_some_engines_are_followed_for_the_others(tmp_path: Path) -> None:
    """`banned-api` entries that name project code for some engines only: for those engines
    the call (or the name) is the API, for the others it is project code to follow."""
    for name, text in JUDGED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    options = settings()
    catalog = options.catalog.extended(
        {
            "WF401": [ApiPattern(name="shop.db.fetch", frameworks=frozenset({"temporal"}))],
            "WF301": [
                ApiPattern(name="shop.db.CONFIG", use="any", frameworks=frozenset({"dapr"})),
                ApiPattern(method="reload", frameworks=frozenset({"azure"})),
            ],
        }
    )
    project = make_project([str(tmp_path)], options)
    facts = project.module("shop.helpers")
    assert facts is not None
    (definition,) = facts.index.functions
    target = Target(facts, definition.node, definition.qualname, definition.parent_scope)  # type: ignore[arg-type]
    every, _ = summarize(target, catalog, options.enabled, project)
    for engine in FRAMEWORKS:
        alone, _ = summarize(target, catalog, options.enabled, project, frozenset({engine}))
        assert _for_engine(every, engine) == _for_engine(alone, engine), engine
    calls = [(edge.callee.qualname, edge.engines) for edge in every.calls]
    assert calls == [
        # For Temporal `db.fetch(...)` is the API: reported, not followed.
        ("fetch", frozenset({"dapr", "durabletask", "azure"})),
        ("Config.region", frozenset(FRAMEWORKS)),
        # For Dapr `CONFIG...` is the API on any use: the call is not followed; Azure's
        # `.reload()` method entry reports the call and it is followed too.
        ("Config.reload", frozenset({"durabletask", "azure", "temporal"})),
    ]
    reasons = [(r.code, r.api, r.line, r.engines) for r in every.reasons]
    assert reasons == [
        ("WF401", "shop.db.fetch()", 6, frozenset({"temporal"})),
        ("WF401", "shop.db.fetch()", 7, frozenset({"temporal"})),
        ("WF301", "shop.db.CONFIG", 9, frozenset({"dapr"})),
        ("WF301", "CONFIG.reload()", 9, frozenset({"azure"})),
    ]


def test_a_checked_files_new_text_is_summarised_again(tmp_path: Path) -> None:
    """An editor buffer or the fix loop checks a file again in the same project: what its
    old text's functions did is forgotten (their names and places may be the same)."""
    path = tmp_path / "flow.py"
    clock = DAPR_FLOW.replace("from helpers import settle\n", "import time\n") + (
        "\n\ndef settle(tasks):\n    return time.time()\n"
    )
    options = settings()
    project = make_project([str(tmp_path)], options)
    first = check_source(clock.encode(), str(path), options, project)
    assert [d.code for d in first.diagnostics] == ["WF604"]
    pure = clock.replace("return time.time()", "return len(tasks)")
    assert check_source(pure.encode(), str(path), options, project).diagnostics == []
    again = check_source(clock.encode(), str(path), options, project)
    assert [d.chain for d in again.diagnostics] == [d.chain for d in first.diagnostics]


def test_a_workflow_body_is_not_part_of_its_modules_digest(tmp_path: Path) -> None:
    path = tmp_path / "flow.py"

    def digest(text: str) -> str | None:
        path.write_text(text)
        return make_project([str(tmp_path)], settings()).effect_digest(path)

    before = digest(DAPR_FLOW)
    # Workflow code is checked where it is written; its module's dependents never follow
    # a call into it, so an edit of its body that keeps every line keeps the digest.
    assert digest(DAPR_FLOW.replace('"ship"', '"send"')) == before
    assert digest(DAPR_FLOW.replace("@wfr.workflow", "@wfr.activity")) != before


def test_references_edges_and_chains_survive_pickling() -> None:
    """They are kept for the run without a per-instance dict, and still cross a process
    boundary (a worker's answer) and compare and hash as before."""
    import pickle
    import sys

    from wfcheck.analysis.project import Chain, Edge, FunctionRef, Reason, StubTarget, Summary

    ref = FunctionRef("/p/h.py", "h", "h.py", "stamp", "#0")
    reason = Reason("WF101", "datetime.datetime.now", "h.py", 5, 12, frozenset({"dapr"}))
    edge = Edge(ref, frozenset({"dapr", "temporal"}))
    chain = Chain((ref,), reason, 1)
    summary = Summary((reason,), (edge,))
    stub = StubTarget(ref, "stamp", False, False, True)
    for value in (ref, reason, edge, chain, summary, stub):
        copy = pickle.loads(pickle.dumps(value))
        assert copy == value and hash(copy) == hash(value)
        assert hasattr(value, "__dict__") == (sys.version_info < (3, 10))
    assert {ref: 1}[FunctionRef("/p/h.py", "h", "h.py", "stamp", "#0")] == 1
