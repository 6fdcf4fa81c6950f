"""The default human format: the diagnostic, its source line with a caret, the workflow it is
in and the replay-safe alternative."""

from __future__ import annotations

from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic
from wfcheck.report.concise import format_line


def _excerpt(d: Diagnostic) -> list[str]:
    if not d.source_line:
        return []
    number = str(d.line)
    gutter = " " * len(number)
    source = d.source_line.expandtabs(1)
    start = max(d.column - 1, 0)
    if d.end_line == d.line and d.end_column > d.column:
        width = d.end_column - d.column
    else:
        width = max(len(source.rstrip()) - start, 1)
    return [
        f"{gutter} |",
        f"{number} | {source}",
        f"{gutter} | {' ' * start}{'^' * width} {d.code}",
        f"{gutter} |",
    ]


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    blocks = []
    for d in diagnostics:
        lines = [format_line(d)]
        lines += _excerpt(d)
        if d.workflow:
            lines.append(f"  = in workflow `{d.workflow}` ({d.framework})")
        for step in d.chain:
            lines.append(f"  = via {step}")
        if d.help:
            lines.append(f"  = help: {d.help}")
        if d.fix is not None:
            lines.append(f"  = fix [{d.fix.label}]: {d.fix.message}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
