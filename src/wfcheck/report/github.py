"""GitHub Actions workflow commands: one `::error ...::message` line per diagnostic, which the
runner turns into annotations on the pull request's diff."""

from __future__ import annotations

from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic
from wfcheck.report.printable import printable


def escape_data(text: str) -> str:
    # Line breaks as GitHub spells them; any other control character (ESC) escaped.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(text)


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_line(d: Diagnostic) -> str:
    properties: list[tuple[str, object]] = [("file", d.path), ("line", d.line)]
    # GitHub only takes columns for an annotation that starts and ends on one line.
    if d.end_line == d.line:
        properties += [("col", d.column), ("endLine", d.end_line), ("endColumn", d.end_column)]
    else:
        properties += [("endLine", d.end_line)]
    properties.append(("title", f"wfcheck ({d.code})"))
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::error {rendered}::{escape_data(f'{d.code} {d.message}')}"


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    return "".join(format_line(d) + "\n" for d in diagnostics)
