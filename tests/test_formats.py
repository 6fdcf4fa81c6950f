"""Output formats: each reporter as a pure function of diagnostics, and through the CLI
(--output-format, --output-file, --statistics, --exit-zero, --quiet)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import cli_runner

from wfcheck.catalog import load_catalog
from wfcheck.cli import main
from wfcheck.diagnostics import Diagnostic, Edit, Fix
from wfcheck.report import REPORTERS, github, gitlab, json_lines, junit, sarif, statistics

# The official SARIF 2.1.0 schema, shipped with the tests (origin: tests/schemas/README.md).
SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
CATALOG = load_catalog()

CLOCK = Diagnostic(
    code="WF101",
    name="wall-clock-read",
    message="`time.time()` reads the wall clock, which returns a different value on every replay",
    path="pkg/wf.py",
    line=5,
    column=15,
    end_line=5,
    end_column=26,
    workflow="orch",
    framework="durabletask",
    help="use `ctx.current_utc_datetime`",
    noqa_row=5,
    source_line="    started = time.time()",
    fix=Fix(
        "safe",
        "Replace with `ctx.current_utc_datetime`",
        (Edit("ctx.current_utc_datetime.timestamp()", 5, 15, 5, 26),),
    ),
)
# A message with every character GitHub's workflow commands escape; spans two lines.
ODD = Diagnostic(
    code="WF604",
    name="nondeterministic-helper",
    message="50% of 'a,b: c'\nsecond line\r",
    path="dir,with:odd/wf.py",
    line=7,
    column=4,
    end_line=9,
    end_column=2,
    workflow="orch",
    framework="dapr",
    chain=("helper() (dir,with:odd/wf.py:12:5)", "time.time() [WF101] (dir,with:odd/wf.py:13:9)"),
    source_line="    x = helper(",
)

FLAGGED = '''\
import time
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    started = time.time()
    yield ctx.call_activity("hello", input=started)
'''


def invoke(*args: str, input: bytes | None = None):
    return cli_runner().invoke(main, list(args), input=input)


# -- github ---------------------------------------------------------------------------------


def test_github_line_has_file_position_and_title() -> None:
    assert github.render([CLOCK]) == (
        "::error file=pkg/wf.py,line=5,col=15,endLine=5,endColumn=26,title=wfcheck (WF101)"
        "::WF101 `time.time()` reads the wall clock, which returns a different value on every replay\n"
    )


def test_github_escapes_data_and_properties_and_drops_columns_across_lines() -> None:
    line = github.render([ODD])
    assert line == (
        "::error file=dir%2Cwith%3Aodd/wf.py,line=7,endLine=9,title=wfcheck (WF604)"
        "::WF604 50%25 of 'a,b: c'%0Asecond line%0D\n"
    )
    assert "col=" not in line


# -- sarif ----------------------------------------------------------------------------------


def test_the_shipped_sarif_schema_is_the_official_one_unchanged() -> None:
    import hashlib

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert SCHEMA_SHA256 in (SCHEMA.parent / "README.md").read_text(encoding="utf-8")


def test_sarif_validates_against_the_official_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = json.loads(sarif.render([CLOCK, ODD], list(CATALOG)))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    # A document that breaks the schema is caught: the check is not vacuous.
    document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(validator.iter_errors(document))


def test_sarif_names_no_placeholder_address() -> None:
    # wfcheck has no published home page: the optional `informationUri` is left out rather
    # than pointing at a made-up address.
    driver = json.loads(sarif.render([CLOCK], list(CATALOG)))["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "your-org" not in readme


def test_sarif_lists_every_rule_and_points_results_at_them() -> None:
    run = json.loads(sarif.render([CLOCK], list(CATALOG)))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == CATALOG.codes()
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"] and rule["help"]["markdown"].startswith("# ")
    result = run["results"][0]
    assert rules[result["ruleIndex"]]["id"] == "WF101"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "pkg/wf.py"},
        "region": {"startLine": 5, "startColumn": 15, "endLine": 5, "endColumn": 26},
    }
    assert run["columnKind"] == "unicodeCodePoints"
    assert result["fixes"] == [
        {
            "description": {"text": "Replace with `ctx.current_utc_datetime`"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "pkg/wf.py"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": 5, "startColumn": 15, "endLine": 5, "endColumn": 26,
                            },
                            "insertedContent": {"text": "ctx.current_utc_datetime.timestamp()"},
                        }
                    ],
                }
            ],
        }
    ]


# -- junit ----------------------------------------------------------------------------------


def test_junit_has_one_failing_case_per_finding() -> None:
    root = ET.fromstring(junit.render([CLOCK, ODD]))
    assert root.tag == "testsuites" and root.get("failures") == "2"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 2
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "WF101"
    assert cases[0].get("file") == "pkg/wf.py" and cases[0].get("line") == "5"
    assert "help: use `ctx.current_utc_datetime`" in failure.text
    # The newline and quote characters in a message survive XML escaping.
    assert root.findall("./testsuite/testcase")[1].find("failure").get("message") == ODD.message


def test_junit_without_findings_is_one_passing_case() -> None:
    root = ET.fromstring(junit.render([]))
    assert root.get("failures") == "0"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 1 and cases[0].find("failure") is None


# -- gitlab ---------------------------------------------------------------------------------


def test_gitlab_code_quality_shape_and_stable_fingerprints() -> None:
    issues = json.loads(gitlab.render([CLOCK, ODD]))
    assert issues[0]["check_name"] == "WF101"
    assert issues[0]["location"] == {"path": "pkg/wf.py", "lines": {"begin": 5, "end": 5}}
    assert issues[0]["severity"] in {"info", "minor", "major", "critical", "blocker"}
    assert issues[0]["description"].startswith("WF101 ")
    # Moving the code down does not change the fingerprint; a second identical finding differs.
    moved = replace(CLOCK, line=40, end_line=40)
    again = json.loads(gitlab.render([moved, moved]))
    assert again[0]["fingerprint"] == issues[0]["fingerprint"]
    assert again[1]["fingerprint"] != again[0]["fingerprint"]
    assert len({i["fingerprint"] for i in issues}) == 2


# -- json-lines and statistics ---------------------------------------------------------------


def test_json_lines_is_one_json_format_object_per_line() -> None:
    lines = json_lines.render([CLOCK, ODD]).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(REPORTERS["json"]([CLOCK, ODD]))


def test_statistics_count_per_code_with_fixable_marker() -> None:
    text = statistics.render([CLOCK, CLOCK, ODD])
    assert text == "2\tWF101\t[*] wall-clock-read\n1\tWF604\t[ ] nondeterministic-helper\n"
    assert statistics.render([ODD]) == "1\tWF604\tnondeterministic-helper\n"


# -- through the command line ------------------------------------------------------------------


@pytest.fixture
def flagged(tmp_path: Path) -> Path:
    path = tmp_path / "flagged.py"
    path.write_text(FLAGGED)
    return path


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_runs_from_the_cli(fmt: str, flagged: Path) -> None:
    result = invoke("check", "--isolated", "--output-format", fmt, str(flagged))
    assert result.exit_code == 1
    assert "WF101" in result.stdout


def test_cli_sarif_is_valid(flagged: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result = invoke("check", "--isolated", "--output-format", "sarif", str(flagged))
    jsonschema.validate(json.loads(result.stdout), json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_output_file_gets_the_report(flagged: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = invoke("check", "--isolated", "--output-format", "json", "-o", str(out), str(flagged))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(out.read_text())[0]["code"] == "WF101"


def test_statistics_flag(flagged: Path) -> None:
    result = invoke("check", "--isolated", "--statistics", str(flagged))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].split("\t")[:2] == ["1", "WF101"]
    assert "reads the wall clock" not in result.stdout
    as_json = invoke("check", "--isolated", "--statistics", "--output-format", "json", str(flagged))
    assert json.loads(as_json.stdout)[0]["code"] == "WF101"


def test_exit_zero_keeps_the_report(flagged: Path) -> None:
    result = invoke("check", "--isolated", "--exit-zero", "--output-format", "concise", str(flagged))
    assert result.exit_code == 0
    assert ": WF101 " in result.stdout


def test_quiet_prints_diagnostics_only(flagged: Path) -> None:
    loud = invoke("check", "--isolated", str(flagged))
    quiet = invoke("check", "--isolated", "--quiet", str(flagged))
    assert "Found 1 finding" in loud.output
    assert "Found 1 finding" not in quiet.output
    assert "WF101" in quiet.output
    clean = invoke("check", "--isolated", "-q", "--output-format", "concise", str(flagged), "--select", "WF2")
    assert clean.exit_code == 0 and clean.output == ""


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_a_large_report_is_written_in_pieces_that_join_to_the_whole(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line-based formats render a batch of diagnostics at a time (a report of tens of
    thousands is never one string); the pieces join to exactly the one-string report."""
    from helpers import settings

    from wfcheck import report
    from wfcheck.engine import check_paths

    fixtures = Path(__file__).resolve().parent / "fixtures" / "rules"
    diagnostics = check_paths([str(fixtures)], settings()).diagnostics
    assert len(diagnostics) > 10
    whole = report.render(fmt, diagnostics, list(CATALOG.rules.values()), unsafe_fixes=True)
    monkeypatch.setattr(report, "BATCH", 4)
    pieces = list(report.render_pieces(fmt, diagnostics, list(CATALOG.rules.values()), unsafe_fixes=True))
    assert "".join(pieces) == whole
    assert len(pieces) == (-(-len(diagnostics) // 4) if fmt in report._PIECEWISE else 1)
