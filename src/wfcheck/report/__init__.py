"""Reporters: one pure function per output format, from diagnostics (and the catalog's rules,
which SARIF lists) to text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

from wfcheck.diagnostics import Diagnostic
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
# The human formats mark what `--fix` would fix with `[*]`, which depends on whether unsafe
# fixes are on; the machine formats carry each fix's applicability and history instead.
FIX_MARKED = frozenset({"full", "concise"})


def render(
    fmt: str, diagnostics: Sequence[Diagnostic], rules: Sequence = (), unsafe_fixes: bool = False
) -> str:
    """``diagnostics`` in the format ``fmt``; ``unsafe_fixes``: `--unsafe-fixes` is on."""
    if fmt in FIX_MARKED:
        return REPORTERS[fmt](diagnostics, rules, unsafe_fixes=unsafe_fixes)
    return REPORTERS[fmt](diagnostics, rules)
