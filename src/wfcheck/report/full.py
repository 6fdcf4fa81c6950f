"""The default human format: the diagnostic, its source line with a caret, the workflow it is
in and the replay-safe alternative."""

from __future__ import annotations

from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic
from wfcheck.report.concise import format_line
from wfcheck.report.printable import printable


def _excerpt(d: Diagnostic) -> list[str]:
    if not d.source_line:
        return []
    number = str(d.line)
    gutter = " " * len(number)
    source = d.source_line.expandtabs(1)
    column = max(d.column - 1, 0)
    # Measured on the printed line: an escaped control character is wider than one column.
    start = len(printable(source[:column]))
    if d.end_line == d.line and d.end_column > d.column:
        width = len(printable(source[column : d.end_column - 1])) or 1
    else:
        width = max(len(printable(source.rstrip())) - start, 1)
    return [
        f"{gutter} |",
        f"{number} | {printable(source)}",
        f"{gutter} | {' ' * start}{'^' * width} {d.code}",
        f"{gutter} |",
    ]


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = (), unsafe_fixes: bool = False) -> str:
    blocks = []
    for d in diagnostics:
        lines = [format_line(d, unsafe_fixes)]
        lines += _excerpt(d)
        if d.workflow:
            lines.append(printable(f"  = in workflow `{d.workflow}` ({d.framework})"))
        for step in d.chain:
            lines.append(printable(f"  = via {step}"))
        if d.help:
            lines.append(printable(f"  = help: {d.help}"))
        if d.fix is not None:
            lines.append(printable(f"  = fix [{d.fix.label}]: {d.fix.message}"))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
