"""Suppression comments: `# noqa`, `# noqa: WF101`, `# wfcheck: ignore[WF101]`."""

from __future__ import annotations

import io
import re
import tokenize
from typing import Optional

# None means "every code"; otherwise the set of codes (or prefixes) named.
Suppression = Optional[frozenset[str]]

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
_WFCHECK = re.compile(r"#\s*wfcheck:\s*ignore(?:\[(?P<codes>[^\]]*)\])?")
_CODE = re.compile(r"[A-Z]+[0-9]+")
# What every comment that can change an analysis contains: suppressions (`noqa`, in any case,
# and `wfcheck: ignore`) and `# wfcheck: trusted`. Text without it has no such comment.
DIRECTIVE = re.compile(r"noqa|wfcheck", re.IGNORECASE)


def comments_by_line(source: str) -> dict[int, str]:
    """Every comment in the source, keyed by its 1-based line."""
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Tokenizers differ across Python versions; fall back to a plain text scan.
        for number, line in enumerate(source.splitlines(), start=1):
            if "#" in line:
                comments.setdefault(number, line[line.index("#"):])
    return comments


def parse_line_suppression(comment: str) -> Suppression:
    """What a comment on the flagged line suppresses: ``None`` for every code (bare `# noqa`
    or `# wfcheck: ignore`), else the codes named (empty: nothing)."""
    codes: set = set()
    everything = False
    for match in _NOQA.finditer(comment):
        if match.group("codes") is None:
            everything = True
        else:
            codes.update(c.upper() for c in _CODE.findall(match.group("codes")))
    for match in _WFCHECK.finditer(comment):
        if match.group("codes") is None:
            everything = True
        else:
            codes.update(c.upper() for c in _CODE.findall(match.group("codes")))
    if everything:
        return None
    return frozenset(codes)


def noqa_codes_end(comment: str) -> int | None:
    """Where the code list of a `# noqa: A, B` comment ends (an offset into ``comment``), so
    another code can be appended; None when the comment has no such list."""
    for match in _NOQA.finditer(comment):
        if match.group("codes") is not None:
            return match.end("codes")
    return None


def parse_block_suppression(comment: str) -> Suppression:
    """A `# wfcheck: ignore[...]` on a workflow's def/class line (noqa is line-only)."""
    codes: set = set()
    for match in _WFCHECK.finditer(comment):
        if match.group("codes") is None:
            return None
        codes.update(c.upper() for c in _CODE.findall(match.group("codes")))
    return frozenset(codes)


def named_codes(comment: str) -> frozenset[str] | None:
    """What a comment asks to suppress, entry by entry, for finding unused suppressions:
    the codes it names, plus "*" for a bare `# wfcheck: ignore`. None when it is no wfcheck
    suppression at all; a bare `# noqa` counts as none (other linters read it too)."""
    entries: set = set()
    for pattern in (_NOQA, _WFCHECK):
        for match in pattern.finditer(comment):
            if match.group("codes") is not None:
                entries.update(c.upper() for c in _CODE.findall(match.group("codes")))
            elif pattern is _WFCHECK:
                entries.add("*")
    return frozenset(entries) if entries else None


def suppresses(suppression: Suppression, code: str) -> bool:
    if suppression is None:
        return True
    return any(code == s or (code.startswith(s) and len(s) < len(code)) for s in suppression)

