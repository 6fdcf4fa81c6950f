"""JSON shaped like ruff's `--output-format json`, plus `workflow`, `framework`, `chain`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from wfcheck.diagnostics import Diagnostic


def to_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "filename": d.path,
        "location": {"row": d.line, "column": d.column},
        "end_location": {"row": d.end_line, "column": d.end_column},
        "fix": d.fix.to_dict() if d.fix is not None else None,
        "noqa_row": d.noqa_row,
        "url": None,
        "workflow": d.workflow or None,
        "framework": d.framework,
        "chain": list(d.chain),
        "help": d.help,
    }


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    return json.dumps([to_dict(d) for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
