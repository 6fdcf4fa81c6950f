"""`path:line:col: CODE message`, one diagnostic per line, for editors and grep."""

from __future__ import annotations

from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic
from wfcheck.report.printable import printable


def format_line(d: Diagnostic) -> str:
    return printable(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}")


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    return "".join(format_line(d) + "\n" for d in diagnostics)
