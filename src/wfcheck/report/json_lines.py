"""One JSON object per line (the `json` format's objects), for streaming consumers."""

from __future__ import annotations

import json
from collections.abc import Sequence

from wfcheck.diagnostics import Diagnostic
from wfcheck.report.json_format import to_dict


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    return "".join(json.dumps(to_dict(d), ensure_ascii=False) + "\n" for d in diagnostics)
