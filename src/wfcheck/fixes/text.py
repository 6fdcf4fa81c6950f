"""Text edits: positions to offsets, applying non-overlapping edits, newline style."""

from __future__ import annotations

import re
from collections.abc import Sequence

from wfcheck.diagnostics import Edit

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class OverlappingEdits(Exception):
    """Two edits touch the same text."""


class LineIndex:
    """Maps 1-based (line, column-in-code-points) positions to offsets in a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def offset(self, line: int, column: int) -> int:
        if line - 1 >= len(self.starts):
            return len(self.text)
        return min(self.starts[line - 1] + column - 1, len(self.text))

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def indentation(self, line: int) -> str:
        text = self.line_text(line)
        return text[: len(text) - len(text.lstrip(" \t"))]


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply edits at once; identical insertions are applied once; overlaps raise."""
    index = LineIndex(text)
    spans: list[tuple[int, int, int, str]] = []
    seen = set()
    for order, edit in enumerate(edits):
        start = index.offset(edit.line, edit.column)
        end = index.offset(edit.end_line, edit.end_column)
        key = (start, end, edit.content)
        if key in seen:
            continue
        seen.add(key)
        spans.append((start, end, order, edit.content))
    spans.sort()
    for (_, end, _, _), (next_start, _, _, _) in zip(spans, spans[1:]):
        if next_start < end:
            raise OverlappingEdits()
    out = []
    cursor = 0
    for start, end, _, content in spans:
        out.append(text[cursor:start])
        out.append(content)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def edits_overlap(a: Sequence[Edit], b: Sequence[Edit]) -> bool:
    """Do any replaced ranges of two fixes intersect? (Insertions at one point never do.)"""

    def ranges(edits: Sequence[Edit]):
        return [
            ((e.line, e.column), (e.end_line, e.end_column), e.content)
            for e in edits
        ]

    for start_a, end_a, content_a in ranges(a):
        for start_b, end_b, content_b in ranges(b):
            if start_a == end_a and start_b == end_b:
                continue  # two insertions: both apply (identical ones once)
            if start_a == start_b and end_a == end_b:
                # The same edit (fixes sharing one rewrite) applies once; another clashes.
                if content_a != content_b:
                    return True
                continue
            if start_a < end_b and start_b < end_a:
                return True
    return False
