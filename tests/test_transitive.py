"""WF604/WF605: following workflow code into project helpers, across modules."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import cli_runner, expected, settings

from wfcheck.cli import main
from wfcheck.engine import check_paths

FIXTURES = Path(__file__).parent / "fixtures" / "transitive"
PROJECT = FIXTURES / "project"


def line_of(path: Path, fragment: str) -> int:
    lines = [n for n, text in enumerate(path.read_text().splitlines(), 1) if fragment in text]
    assert len(lines) == 1, fragment
    return lines[0]


def _found_by_file(paths):
    result = check_paths([str(p) for p in paths], settings())
    per_file: dict = {}
    for d in result.diagnostics:
        per_file.setdefault(Path(d.path).resolve(), Counter())[(d.line, d.code)] += 1
    return result, per_file


@pytest.mark.parametrize(
    "name",
    [
        "same_module.py",
        "temporal_stamp.py",
        "field_factories.py",
        "wf604_root_causes.py",
        "instance_attributes.py",
        "in_workflow_engines.py",
        "replay_guarded_helpers.py",
    ],
)
def test_single_module_fixtures(name: str) -> None:
    path = FIXTURES / name
    _, per_file = _found_by_file([path])
    assert per_file.get(path.resolve(), Counter()) == expected(path.read_text())


def test_src_layout_project_with_absolute_and_relative_imports() -> None:
    result, per_file = _found_by_file([PROJECT])
    for path in sorted(PROJECT.rglob("*.py")):
        assert per_file.get(path.resolve(), Counter()) == expected(path.read_text()), path.name
    # Only modules reachable from workflow code were parsed as helpers (not via the walk).
    assert result.helper_modules >= 3


def test_chain_is_explained_in_message_and_json() -> None:
    result = cli_runner().invoke(main, ["check", "--output-format", "json", str(PROJECT)])
    data = json.loads(result.stdout)
    by_line = {d["location"]["row"]: d for d in data}
    workflows = PROJECT / "src" / "shop" / "workflows.py"
    first = by_line[line_of(workflows, "a = shop.labels.make_label")]
    assert first["code"] == "WF604"
    assert first["message"] == (
        "make_label() is not replay-safe: make_label() -> _timestamp() -> "
        "datetime.datetime.now() [WF101]"
    )
    assert [step.split(" (")[0] for step in first["chain"]] == [
        "make_label()",
        "_timestamp()",
        "datetime.datetime.now() [WF101]",
    ]
    assert first["chain"][-1].endswith("labels.py:5:12)")
    across = by_line[line_of(workflows, "e = labelled_id")]
    assert across["message"].startswith(
        "labelled_id() is not replay-safe: labelled_id() -> make_label() -> _timestamp() -> "
    )


def test_shortest_chain_and_other_reasons_are_counted() -> None:
    path = FIXTURES / "same_module.py"
    result = check_paths([str(path)], settings())
    messages = {d.line: d.message for d in result.diagnostics}
    assert messages[line_of(path, "d = depth4()")] == (
        "depth4() is not replay-safe: depth4() -> depth3() -> depth2() -> depth1() -> "
        "time.time() [WF101]"
    )
    assert messages[line_of(path, "i = two_reasons()")].endswith("(and 1 other reason)")
    assert messages[line_of(path, "e = ping(3)")] == (
        "ping() is not replay-safe: ping() -> pong() -> time.monotonic() [WF101]"
    )


def test_disabled_rules_do_not_make_helpers_unsafe() -> None:
    path = FIXTURES / "same_module.py"
    result = check_paths([str(path)], settings(ignore=["WF101"]))
    lines = {d.line for d in result.diagnostics if d.code == "WF604"}
    # Only the helpers with a reason other than WF101 remain.
    assert lines == {line_of(path, "i = two_reasons()"), line_of(path, "price = Pricing")}


def test_call_site_suppression(tmp_path: Path) -> None:
    source = (FIXTURES / "same_module.py").read_text().replace(
        "a = depth1()  # expect: WF604", "a = depth1()  # wfcheck: ignore[WF604]"
    )
    (tmp_path / "wf.py").write_text(source)
    result = check_paths([str(tmp_path / "wf.py")], settings())
    lines = {d.line for d in result.diagnostics}
    assert line_of(tmp_path / "wf.py", "a = depth1()") not in lines
    assert line_of(tmp_path / "wf.py", "b = depth2()") in lines


IMPLICIT = FIXTURES / "implicit"


def test_project_code_run_without_a_named_call_is_followed() -> None:
    """Partials, lambdas bound to names, functions passed by reference, decorator wrappers,
    property getters, `__post_init__`, `__enter__` and star imports, per engine, with the
    same shapes around pure code staying clean."""
    _, per_file = _found_by_file([IMPLICIT])
    files = sorted(IMPLICIT.rglob("*_flows.py"))
    assert len(files) == 4
    for path in sorted(IMPLICIT.rglob("*.py")):
        assert per_file.get(path.resolve(), Counter()) == expected(path.read_text()), path.name


def test_implicit_calls_say_how_the_code_runs() -> None:
    path = IMPLICIT / "src" / "desk" / "dapr_flows.py"
    result = check_paths([str(path)], settings())
    messages = {d.line: d.message for d in result.diagnostics}
    assert messages[line_of(path, "a = stamp_now()")].startswith(
        "stamp_now() is not replay-safe: _stamp() -> datetime.datetime.now() [WF101]"
    )
    assert messages[line_of(path, "e = sorted(items, key=rank)")].startswith(
        "sorted() calling rank is not replay-safe: rank() -> time.monotonic()"
    )
    assert "timed.<locals>.wrapper() -> time.perf_counter()" in messages[line_of(path, "h = totals")]
    assert messages[line_of(path, "with Timer():")].startswith("`with Timer` is not replay-safe")
    fixes = {d.line: d.fix for d in result.diagnostics}
    # Nothing to extract: the function is handed over, or runs around a block.
    assert fixes[line_of(path, "with Timer():")].applicability == "display-only"
    assert fixes[line_of(path, "e = sorted(items, key=rank)")].applicability == "display-only"


def test_one_finding_per_root_cause_names_the_other_call_sites() -> None:
    path = FIXTURES / "wf604_root_causes.py"
    result = check_paths([str(path)], settings())
    per_line = Counter((d.line, d.code) for d in result.diagnostics)
    assert per_line == expected(path.read_text())
    messages = {d.line: d.message for d in result.diagnostics}
    first = messages[line_of(path, "a = stamp()")]
    b, c = line_of(path, "b = stamp()"), line_of(path, "c = [stamp()")
    assert first.endswith(f"(also called at lines {b}, {c})"), first
    # The guarded call is not among them, nor the suppressed one.
    assert str(line_of(path, "e = stamp()")) not in first
    heartbeat = messages[line_of(path, "h = start_heartbeat(5)")]
    assert "threading.Thread() [WF501]" in heartbeat and "time.sleep" not in heartbeat


def test_structural_messages_come_from_the_catalog() -> None:
    path = FIXTURES.parent / "rules" / "WF603" / "dapr_flagged_closures_and_classes.py"
    result = check_paths([str(path)], settings())
    messages = {d.line: d.message for d in result.diagnostics if d.code == "WF603"}
    assert messages[line_of(path, "results.append(order)")] == (
        "`results.append()` mutates a container owned by the enclosing `make_workflow()` "
        "outside the workflow, which outlives a replay"
    )
    assert messages[line_of(path, "Stats.hits += 1")].startswith("writes into the class `Stats`")
    assert messages[line_of(path, 'counter["n"] += 1')].startswith("writes into `counter`, owned by")
