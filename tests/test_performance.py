"""What makes wfcheck fast must not change what it finds: the prefilter never skips workflow
code, and results are the same with and without the cache and with one or more processes.
(Speed itself is measured by bench/run.py, not asserted here.)"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from helpers import settings
from wfcheck.analysis.positions import Positions, parent_map
from wfcheck.analysis.diagnose import diagnose_source
from wfcheck.engine import has_workflow_marker, make_project
from wfcheck.source import SourceError, parse_source

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
CORPUS: List[Path] = sorted(FIXTURES.rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))


@pytest.mark.parametrize("path", CORPUS, ids=[str(p.relative_to(ROOT)) for p in CORPUS])
def test_prefilter_passes_every_file_with_workflow_code(path: Path) -> None:
    data = path.read_bytes()
    every_rule = settings(select=["ALL"])
    project = make_project([str(path)], every_rule)
    # Analysed with the prefilter bypassed: what would be lost if the scan said no.
    result = diagnose_source(data, str(path), every_rule, project)
    try:
        text, module = parse_source(data)
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
        ("x = ctx.call_activity_with_retry(a, r)\n", True),
        ("from azure import durable_functions as df\n", True),
        ("import durabletask\n", True),
        ("class LdaprLexer: pass\n", False),
        ("name = 'xdurabletask'\n", False),
        ("import datetime\nprint(datetime.datetime.now())\n", False),
    ],
)
def test_prefilter_markers_start_a_name(source: str, candidate: bool) -> None:
    assert has_workflow_marker(source.encode()) is candidate


@pytest.mark.parametrize("path", CORPUS, ids=[str(p.relative_to(ROOT)) for p in CORPUS])
def test_positions_and_parents_match_libcst_metadata(path: Path) -> None:
    try:
        _text, module = parse_source(path.read_bytes())
    except SourceError:
        return
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    expected_positions = wrapper.resolve(PositionProvider)
    expected_parents = wrapper.resolve(ParentNodeProvider)
    parents = parent_map(module)
    positions = Positions(module, parents)
    assert parents == dict(expected_parents)
    # Looked up in reverse order, so statements are generated out of order too.
    for node in reversed(list(expected_positions)):
        assert positions[node] == expected_positions[node], node
