"""Reporters: one pure function per output format, from diagnostics to text."""

from __future__ import annotations

from typing import Callable, Dict, Sequence

from wfcheck.diagnostics import Diagnostic
from wfcheck.report import concise, full, json_format

Reporter = Callable[[Sequence[Diagnostic]], str]

REPORTERS: Dict[str, Reporter] = {
    "full": full.render,
    "concise": concise.render,
    "json": json_format.render,
}
