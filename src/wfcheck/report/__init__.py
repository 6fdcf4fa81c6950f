"""Reporters: one pure function per output format, from diagnostics (and the catalog's rules,
which SARIF lists) to text."""

from __future__ import annotations

from typing import Callable

from wfcheck.report import concise, full, github, gitlab, json_format, json_lines, junit, sarif

# render(diagnostics, rules=()) -> text
Reporter = Callable[..., str]

REPORTERS: dict[str, Reporter] = {
    "full": full.render,
    "concise": concise.render,
    "json": json_format.render,
    "json-lines": json_lines.render,
    "github": github.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "gitlab": gitlab.render,
}
