"""The closing lines of a run, as ruff words them: what was found, what is fixable, what
`--fix` did. Pure functions of the diagnostics and counts they are given."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def check_summary(
    diagnostics: Sequence[Diagnostic],
    checked: int,
    unchecked: int,
    fixable: tuple[int, int],
    unsafe: bool,
) -> str:
    """After `check`: ``fixable`` is (safe, unsafe-only) fix counts; ``unsafe`` says whether
    unsafe fixes are enabled (then they count as fixable, not hidden)."""
    files_checked = plural(checked, "file") + " checked"
    not_checked = f"{plural(unchecked, 'file')} could not be checked"
    if not diagnostics:
        return f"{not_checked} ({files_checked})." if unchecked else f"All checks passed! ({files_checked})"
    files = len({d.path for d in diagnostics})
    found = f"Found {plural(len(diagnostics), 'finding')} in {plural(files, 'file')} ({files_checked})."
    return "\n".join([found] + _tail(unchecked, not_checked, fixable, unsafe))


def fix_summary(
    diagnostics: Sequence[Diagnostic],
    fixed: int,
    touched: int,
    checked: int,
    unchecked: int,
    fixable: tuple[int, int],
    unsafe: bool,
) -> str:
    """After `--fix`: ``diagnostics`` are what is left, ``touched`` the files with a fix or
    a finding left."""
    if not fixed:
        return check_summary(diagnostics, checked, unchecked, fixable, unsafe)
    remaining = len(diagnostics)
    found = (
        f"Found {plural(fixed + remaining, 'finding')} ({fixed} fixed, {remaining} remaining) "
        f"in {plural(touched, 'file')} ({plural(checked, 'file')} checked)."
    )
    not_checked = f"{plural(unchecked, 'file')} could not be checked"
    return "\n".join([found] + _tail(unchecked, not_checked, fixable, unsafe))


def _tail(unchecked: int, not_checked: str, fixable: tuple[int, int], unsafe: bool) -> list:
    lines = [f"{not_checked}."] if unchecked else []
    safe, more = fixable
    if unsafe:
        safe, more = safe + more, 0
    hidden = f"{more} hidden fix{'es' if more != 1 else ''} can be enabled with the `--unsafe-fixes` option"
    if safe:
        lines.append(f"[*] {safe} fixable with the `--fix` option" + (f" ({hidden})." if more else "."))
    elif more:
        lines.append(f"No fixes available ({hidden}).")
    return lines


def fixes_applied(applied: Sequence[tuple[str, Sequence[str]]], names: dict[str, str]) -> str:
    """`--show-fixes`: per file (path, `CODE [applicability]` of the fixes applied), how many
    of each rule and kind of fix."""
    total = sum(len(codes) for _, codes in applied)
    lines = [f"Fixed {plural(total, 'finding')}:"]
    for path, codes in applied:
        if codes:
            lines.append(f"- {path}:")
            for entry, count in sorted(Counter(codes).items()):
                code, _, label = entry.partition(" ")
                label = f" {label}" if label else ""
                lines.append(f"    {count} × {code} ({names.get(code, code)}){label}")
    return "\n".join(lines)
