"""Reporters: one pure function per output format, from diagnostics (and the catalog's rules,
which SARIF lists) to text.

A format's module is imported when that format is rendered (the JUnit one brings
`xml.etree`, the SARIF one the rule documentation): a run pays only for the format it prints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from wfcheck.diagnostics import Diagnostic

# render(diagnostics, rules=()) -> text
Reporter = Callable[..., str]

# Each format and the module of this package whose `render` writes it.
FORMATS: dict[str, str] = {
    "full": "full",
    "concise": "concise",
    "json": "json_format",
    "json-lines": "json_lines",
    "github": "github",
    "sarif": "sarif",
    "junit": "junit",
    "gitlab": "gitlab",
}


class _Reporters(Mapping[str, Reporter]):
    """Format name -> its render function, importing the format's module on first use."""

    def __getitem__(self, fmt: str) -> Reporter:
        render: Reporter = import_module(f"{__name__}.{FORMATS[fmt]}").render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(FORMATS)

    def __len__(self) -> int:
        return len(FORMATS)


REPORTERS: Mapping[str, Reporter] = _Reporters()
# The human formats mark what `--fix` would fix with `[*]`, which depends on whether unsafe
# fixes are on; the machine formats carry each fix's applicability and history instead.
FIX_MARKED = frozenset({"full", "concise"})


# The formats whose text is one piece per diagnostic, and what goes between two pieces:
# rendered a batch of diagnostics at a time, a large report is never one string.
_PIECEWISE = {"full": "\n", "concise": "", "json-lines": "", "github": ""}
# Diagnostics per piece of a piecewise format.
BATCH = 500


def render(
    fmt: str, diagnostics: Sequence[Diagnostic], rules: Sequence = (), unsafe_fixes: bool = False
) -> str:
    """``diagnostics`` in the format ``fmt``; ``unsafe_fixes``: `--unsafe-fixes` is on."""
    if fmt in FIX_MARKED:
        return REPORTERS[fmt](diagnostics, rules, unsafe_fixes=unsafe_fixes)
    return REPORTERS[fmt](diagnostics, rules)


def render_pieces(
    fmt: str, diagnostics: Sequence[Diagnostic], rules: Sequence = (), unsafe_fixes: bool = False
) -> Iterator[str]:
    """:func:`render`'s text in pieces that join to it (one piece for a format that is one
    document: JSON, SARIF, JUnit, GitLab)."""
    between = _PIECEWISE.get(fmt)
    if between is None or len(diagnostics) <= BATCH:
        yield render(fmt, diagnostics, rules, unsafe_fixes)
        return
    for start in range(0, len(diagnostics), BATCH):
        text = render(fmt, diagnostics[start : start + BATCH], rules, unsafe_fixes)
        yield between + text if start else text
