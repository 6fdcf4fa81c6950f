"""Every rule's `valid` and `invalid` snippets from rules/*.toml, run as tests (Fixit's idea)."""

from __future__ import annotations

import pytest

from helpers import expected, found
from wfcheck.catalog import load_catalog

CATALOG = load_catalog()
VALID = [
    pytest.param(snippet, id=f"{rule.code}-valid-{i}")
    for rule in CATALOG
    for i, snippet in enumerate(rule.valid)
]
INVALID = [
    pytest.param(rule.code, snippet, id=f"{rule.code}-invalid-{i}")
    for rule in CATALOG
    for i, snippet in enumerate(rule.invalid)
]


@pytest.mark.parametrize("snippet", VALID)
def test_valid_snippet_has_no_findings(snippet: str) -> None:
    assert found(snippet) == {}


@pytest.mark.parametrize("code,snippet", INVALID)
def test_invalid_snippet_reports_exactly_the_marked_lines(code: str, snippet: str) -> None:
    want = expected(snippet)
    assert any(c == code for (_, c) in want), "an invalid snippet must expect its own rule"
    assert found(snippet) == want


def test_every_rule_has_valid_and_invalid_snippets() -> None:
    for rule in CATALOG:
        assert rule.invalid, f"{rule.code} has no invalid snippet"
        if rule.code != "WF900":
            assert rule.valid, f"{rule.code} has no valid snippet"
