"""The fixture corpus: every file under tests/fixtures/{rules,negatives,suppression} is checked
with the default rule selection and must produce exactly its `# expect:` markers.

Layout:
- rules/<CODE>/<framework>_flagged.py: workflow code for that engine using several of the
  rule's APIs; every finding is marked on the line where the flagged expression starts.
- rules/<CODE>/<framework>_clean.py: the replay-safe alternatives, and the same banned calls
  inside activities; no markers, no findings.
- rules/<CODE>/<framework>_<flagged|clean>_<topic>.py: one focused case each (a marking style
  or a resolution corner) kept apart from the main files.
- negatives/: tricky files that must produce no findings at all.
- suppression/: `# noqa` and `# wfcheck: ignore` forms; lines that are not suppressed keep a marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import expected, found

from wfcheck.catalog import load_catalog
from wfcheck.checks import REGISTRY

FIXTURES = Path(__file__).parent / "fixtures"
CORPORA = ("rules", "negatives", "suppression")

CATALOG = load_catalog()


def _reported_by_checks(code: str) -> bool:
    """An API rule, or a structural rule the checks of one workflow report (not the project
    analysis or the engine: their fixtures are transitive/ and tests/test_files.py)."""
    return code not in REGISTRY or not REGISTRY[code].reported_by


# rule code -> the engines it applies to (its catalog entry), for each rule that keeps flagged
# and clean fixtures under rules/<CODE>/: every rule of the default selection the checks report
# (an opt-in rule cannot show in a corpus checked with the default selection), and any other
# rule with a directory there (WF502).
RULE_FRAMEWORKS: dict[str, tuple[str, ...]] = {
    rule.code: rule.frameworks
    for rule in CATALOG
    if (rule.default and _reported_by_checks(rule.code))
    or (FIXTURES / "rules" / rule.code).is_dir()
}


def _fixture_files() -> list[Path]:
    files: list[Path] = []
    for corpus in CORPORA:
        files.extend(sorted((FIXTURES / corpus).rglob("*.py")))
    return files


FILES = _fixture_files()


def _describe(source: str, counter) -> list[str]:
    lines = source.splitlines()
    described = []
    for (line, code), count in sorted(counter.items()):
        text = lines[line - 1].strip()[:100] if 0 < line <= len(lines) else ""
        described.append(f"{line}:{code} x{count}  | {text}")
    return described


@pytest.mark.parametrize(
    "path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES]
)
def test_fixture_reports_exactly_its_markers(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    got = found(source, path=str(path))
    want = expected(source)
    missing = want - got
    unexpected = got - want
    assert got == want, (
        "\nmissing (expected, not reported):\n  "
        + "\n  ".join(_describe(source, missing) or ["-"])
        + "\nunexpected (reported, not expected):\n  "
        + "\n  ".join(_describe(source, unexpected) or ["-"])
    )


def test_corpus_is_not_empty() -> None:
    for corpus in CORPORA:
        assert list((FIXTURES / corpus).rglob("*.py")), f"no fixtures under {corpus}/"


@pytest.mark.parametrize("code", sorted(RULE_FRAMEWORKS))
def test_every_rule_has_flagged_and_clean_fixtures_per_framework(code: str) -> None:
    directory = FIXTURES / "rules" / code
    for framework in RULE_FRAMEWORKS[code]:
        flagged = directory / f"{framework}_flagged.py"
        clean = directory / f"{framework}_clean.py"
        assert flagged.is_file(), f"missing {flagged.relative_to(FIXTURES)}"
        assert clean.is_file(), f"missing {clean.relative_to(FIXTURES)}"
        flagged_codes = {c for (_, c) in expected(flagged.read_text(encoding="utf-8"))}
        assert code in flagged_codes, f"{flagged.relative_to(FIXTURES)} expects no {code}"
        assert not expected(clean.read_text(encoding="utf-8")), (
            f"{clean.relative_to(FIXTURES)} is a clean fixture but carries expect markers"
        )


def test_rule_directories_only_hold_known_frameworks() -> None:
    for directory in sorted((FIXTURES / "rules").iterdir()):
        assert directory.name in CATALOG.rules, f"unknown rule directory {directory.name}"
        for path in directory.glob("*.py"):
            # <framework>_<flagged|clean>.py, or <framework>_<flagged|clean>_<topic>.py
            framework, _, rest = path.stem.partition("_")
            kind = rest.split("_", 1)[0]
            assert framework in RULE_FRAMEWORKS[directory.name], (
                f"{path.relative_to(FIXTURES)}: {directory.name} does not apply to {framework}"
            )
            assert kind in ("flagged", "clean"), f"{path.relative_to(FIXTURES)}: unexpected name"
            text = path.read_text(encoding="utf-8")
            if kind == "flagged":
                assert directory.name in {c for (_, c) in expected(text)}, (
                    f"{path.relative_to(FIXTURES)} expects no {directory.name}"
                )
            else:
                assert not expected(text), f"{path.relative_to(FIXTURES)} carries expect markers"


def test_negatives_expect_nothing() -> None:
    for path in sorted((FIXTURES / "negatives").rglob("*.py")):
        assert not expected(path.read_text(encoding="utf-8")), (
            f"{path.relative_to(FIXTURES)} is a negative fixture but carries expect markers"
        )
