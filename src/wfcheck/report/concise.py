"""`path:line:col: CODE [*] message`, one diagnostic per line, for editors and grep."""

from __future__ import annotations

from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic
from wfcheck.report.fixes import marker
from wfcheck.report.printable import printable


def format_line(d: Diagnostic, unsafe_fixes: bool = False) -> str:
    """``path:line:col: CODE [*] message``; ``[*]``: `--fix` fixes it (with ``unsafe_fixes``,
    `--unsafe-fixes` is on)."""
    return printable(f"{d.path}:{d.line}:{d.column}: {d.code} {marker(d, unsafe_fixes)}{d.message}")


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = (), unsafe_fixes: bool = False) -> str:
    return "".join(format_line(d, unsafe_fixes) + "\n" for d in diagnostics)
