"""`--add-noqa`: a `# noqa: WFxxx` on every line that has findings, so a team can adopt wfcheck
on legacy code and hold new code to it (as ruff's `--add-noqa` does).

The comment goes at the end of the line a suppression must sit on (a diagnostic's
``noqa_row``). A `# noqa: ...` already there gets the new codes added to its list; a line
that ends inside a string or with a backslash cannot take a comment and is left alone.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Mapping
from pathlib import Path

from wfcheck.diagnostics import Diagnostic
from wfcheck.fixes.write import NotWritten, write_fixed
from wfcheck.settings import ALWAYS_ON
from wfcheck.source import SourceError, SourceText, decode_source

# A `# noqa: CODES` list that new codes are appended to.
_NOQA_CODES = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*", re.IGNORECASE)
_LINE_END = re.compile(r"(\r\n|\r|\n)")
# Codes a suppression comment does not hide: a file that does not parse, a bug in wfcheck.
_NOT_SUPPRESSIBLE = ALWAYS_ON


def noqa_rows(diagnostics: Iterable[Diagnostic]) -> dict[int, set[str]]:
    """Line -> the codes a `# noqa` there must name."""
    rows: dict[int, set[str]] = {}
    for d in diagnostics:
        if d.noqa_row is not None and d.code not in _NOT_SUPPRESSIBLE:
            rows.setdefault(d.noqa_row, set()).add(d.code)
    return rows


def _closed_lines(text: str) -> set[int] | None:
    """The lines whose end is outside every token (a comment can go there); None when the
    text does not tokenize."""
    open_lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            start, end = token.start[0], token.end[0]
            if end > start and token.type != tokenize.NL and token.type != tokenize.NEWLINE:
                open_lines.update(range(start, end))
    except (tokenize.TokenError, SyntaxError):
        return None
    count = len(_LINE_END.split(text)[::2])
    return set(range(1, count + 1)) - open_lines


def add_noqa_text(text: str, rows: Mapping[int, Iterable[str]]) -> tuple[str, int]:
    """``text`` with the codes of ``rows`` (1-based line -> codes) suppressed by a `# noqa`
    comment on that line; returns the new text and how many lines got one."""
    closed = _closed_lines(text)
    if closed is None:
        return text, 0
    parts = _LINE_END.split(text)
    added = 0
    for row, codes in sorted(rows.items()):
        index = (row - 1) * 2
        if index >= len(parts) or row not in closed:
            continue
        line = parts[index]
        if line.rstrip().endswith("\\"):
            continue
        existing = _NOQA_CODES.search(line)
        if existing is not None:
            named = set(re.findall(r"[A-Z]+[0-9]+", existing.group().upper()))
            new = sorted(set(codes) - named)
            if not new:
                continue
            line = line[: existing.end()] + ", " + ", ".join(new) + line[existing.end() :]
        else:
            stripped = line.rstrip()
            line = stripped + "  # noqa: " + ", ".join(sorted(codes)) + line[len(stripped) :]
        parts[index] = line
        added += 1
    return "".join(parts), added


def add_noqa_to_file(path: str, diagnostics: Iterable[Diagnostic]) -> tuple[int, str | None]:
    """Write the `# noqa` comments ``diagnostics`` need into ``path``; returns how many lines
    got one, and a one-line reason when the file could not be changed."""
    rows = noqa_rows(diagnostics)
    if not rows:
        return 0, None
    try:
        data = Path(path).read_bytes()
        source = decode_source(data)
    except (OSError, SourceError) as exc:
        return 0, f"no noqa added: {exc}"
    new_text, added = add_noqa_text(source.text, rows)
    if not added:
        return 0, None
    try:
        write_fixed(Path(path), data, _encode(new_text, source))
    except (OSError, NotWritten, UnicodeError) as exc:
        return 0, f"no noqa added: {exc}"
    return added, None


def _encode(text: str, source: SourceText) -> bytes:
    data = text.encode(source.encoding)
    bom = b"\xef\xbb\xbf"
    return bom + data if source.bom and not data.startswith(bom) else data
