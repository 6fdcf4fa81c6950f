"""GitLab Code Quality report (a JSON array of issues), for `artifacts:reports:codequality`.

Fingerprints are stable across unrelated edits: they hash the file, the code, the message and
the flagged line's text (not its number), plus a counter for identical findings in one file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from wfcheck.diagnostics import Diagnostic


def fingerprint(d: Diagnostic, occurrence: int) -> str:
    key = "\0".join(
        (d.path.replace("\\", "/"), d.code, d.message, d.source_line.strip(), str(occurrence))
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    seen: Counter = Counter()
    issues = []
    for d in diagnostics:
        identity: tuple[str, ...] = (d.path, d.code, d.message, d.source_line.strip())
        seen[identity] += 1
        issue: dict[str, Any] = {
            "description": f"{d.code} {d.message}",
            "check_name": d.code,
            "fingerprint": fingerprint(d, seen[identity]),
            "severity": "major",
            "location": {
                "path": d.path.replace("\\", "/"),
                "lines": {"begin": d.line, "end": d.end_line},
            },
        }
        issues.append(issue)
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
