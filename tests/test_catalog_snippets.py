"""Every rule's `valid` and `invalid` snippets from rules/*.toml, run as tests (Fixit's idea)."""

from __future__ import annotations

import pytest
from helpers import expected, found

from wfcheck.catalog import load_catalog

CATALOG = load_catalog()
# Opt-in rules (default = false) run their snippets with the rule turned on.
DEFAULTS = [r.code for r in CATALOG if r.default]


def selection(code: str):
    return None if CATALOG.rules[code].default else DEFAULTS + [code]


VALID = [
    pytest.param(rule.code, snippet, id=f"{rule.code}-valid-{i}")
    for rule in CATALOG
    for i, snippet in enumerate(rule.valid)
]
INVALID = [
    pytest.param(rule.code, snippet, id=f"{rule.code}-invalid-{i}")
    for rule in CATALOG
    for i, snippet in enumerate(rule.invalid)
]


@pytest.mark.parametrize("code,snippet", VALID)
def test_valid_snippet_has_no_findings(code: str, snippet: str) -> None:
    assert found(snippet, select=selection(code)) == {}


@pytest.mark.parametrize("code,snippet", INVALID)
def test_invalid_snippet_reports_exactly_the_marked_lines(code: str, snippet: str) -> None:
    want = expected(snippet)
    assert any(c == code for (_, c) in want), "an invalid snippet must expect its own rule"
    assert found(snippet, select=selection(code)) == want


def test_every_rule_has_valid_and_invalid_snippets() -> None:
    for rule in CATALOG:
        # No input makes wfcheck fail on purpose: test_files.py makes a check raise for WF999.
        if rule.code != "WF999":
            assert rule.invalid, f"{rule.code} has no invalid snippet"
        if rule.code not in ("WF900", "WF999"):
            assert rule.valid, f"{rule.code} has no valid snippet"


def test_documented_example_comes_from_the_snippets(tmp_path) -> None:
    """A rule cannot carry an Example text besides its snippets: the docs show the snippet."""
    from wfcheck.catalog import CatalogError, load_catalog_files

    rule = """
[[rules]]
code = "WF010"
name = "acme-rule"
summary = "s"
message = "m"
kind = "structural"
[rules.docs]
what = "w"
why = "y"
{extra}
[rules.snippets]
valid = ['x = 1']
invalid = ['x = 2  # expect: WF010']
"""
    path = tmp_path / "acme.toml"
    path.write_text(rule.format(extra=""))
    (loaded,) = load_catalog_files([path])
    assert loaded.example == "x = 2" and loaded.use_instead == "x = 1"
    path.write_text(rule.format(extra='example = "y = time.time()"'))
    with pytest.raises(CatalogError, match="docs.example is the first invalid snippet"):
        load_catalog_files([path])


def test_the_catalog_owns_every_message() -> None:
    """No message is a bare placeholder that code fills with its own words."""
    import re

    for rule in CATALOG:
        for key, message in [("", rule.message), *rule.messages.items()]:
            words = re.sub(r"\{\w+\}", "", message)
            assert re.search(r"[a-z]{3}", words), f"{rule.code} message {key!r} is {message!r}"

