"""`--statistics`: how many findings per code, as ruff prints them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic


def counts(diagnostics: Sequence[Diagnostic]) -> list:
    """[{code, name, count, fixable}] by descending count, then code."""
    total: Counter = Counter(d.code for d in diagnostics)
    names: dict[str, str] = {d.code: d.name for d in diagnostics}
    fixable = {
        d.code for d in diagnostics if d.fix is not None and d.fix.applicability != "display-only"
    }
    return [
        {"code": code, "name": names[code], "count": count, "fixable": code in fixable}
        for code, count in sorted(total.items(), key=lambda item: (-item[1], item[0]))
    ]


def render(diagnostics: Sequence[Diagnostic]) -> str:
    rows = counts(diagnostics)
    if not rows:
        return ""
    width = max(len(str(row["count"])) for row in rows)
    any_fixable = any(row["fixable"] for row in rows)
    lines = []
    for row in rows:
        marker = ("[*] " if row["fixable"] else "[ ] ") if any_fixable else ""
        lines.append(f"{str(row['count']).rjust(width)}\t{row['code']}\t{marker}{row['name']}")
    return "\n".join(lines) + "\n"


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps(counts(diagnostics), indent=2) + "\n"
