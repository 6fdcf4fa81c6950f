"""The diagnostic record every stage after analysis works with.

Positions are 1-based lines and 1-based columns counted in code points, the contract every
reporter and every external tool relies on.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Records kept for a whole run, by the thousand on a large project (diagnostics, fixes,
# edits, results, the project index's references and summaries): no per-instance dict where
# the language allows it (Python 3.10+). A Diagnostic's dict was 296 of its 352 bytes.
SLOTS: dict[str, Any] = {"slots": True} if sys.version_info >= (3, 10) else {}


@dataclass(frozen=True, **SLOTS)
class Edit:
    """Replace the text between two 1-based (line, column) positions with ``content``."""

    content: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to_dict(self) -> dict:
        return {
            "content": self.content,
            "location": {"row": self.line, "column": self.column},
            "end_location": {"row": self.end_line, "column": self.end_column},
        }


@dataclass(frozen=True, **SLOTS)
class Fix:
    """A way to resolve a diagnostic, labelled on two axes.

    ``applicability`` is the *meaning* axis: ``safe`` (the workflow computes the same thing),
    ``unsafe`` (the meaning shifts; only with ``--unsafe-fixes``) or ``display-only`` (shown,
    never applied; the message says why). ``history`` is the *history* axis: ``keeps`` (an
    instance started with the old code replays the fixed code) or ``changes`` (the fix adds,
    removes or reorders a durable command; never applied by plain ``--fix``). ``patch`` is the
    patch id when the fix is written inside the engine's patch API (``--versioned-fixes``),
    which keeps the history shape."""

    applicability: str
    message: str
    edits: tuple[Edit, ...] = ()
    history: str = "keeps"
    patch: str = ""

    def applies(self, unsafe: bool) -> bool:
        """Does `--fix` apply it? Plain `--fix` applies fixes that are safe on both axes: the
        meaning stays and so does the history shape (running instances replay the fixed code;
        a versioned fix keeps it). Everything else that has edits needs ``unsafe``
        (`--unsafe-fixes`)."""
        if not self.edits or self.applicability not in ("safe", "unsafe"):
            return False
        if self.applicability == "safe" and self.history == "keeps":
            return True
        return unsafe

    @property
    def label(self) -> str:
        """Both axes in words: `safe, keeps history`, `unsafe, changes history`, ..."""
        if self.applicability == "display-only":
            return "display-only"
        history = "versioned" if self.patch else f"{self.history} history"
        return f"{self.applicability}, {history}"

    def to_dict(self) -> dict:
        data = {
            "applicability": self.applicability,
            "history": self.history,
            "message": self.message,
            "edits": [edit.to_dict() for edit in self.edits],
        }
        if self.patch:
            data["patch"] = self.patch
        return data


@dataclass(frozen=True, **SLOTS)
class Diagnostic:
    code: str
    name: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    # Qualified name of the enclosing workflow (empty for file-level diagnostics such as WF900).
    workflow: str = ""
    framework: str | None = None
    # Reason chain for findings reached through helpers; empty for direct findings.
    chain: tuple[str, ...] = field(default_factory=tuple)
    # The replay-safe alternative for this framework, shown as help.
    help: str | None = None
    # The line a suppression comment must sit on.
    noqa_row: int | None = None
    # The text of the first flagged line, so reporters need no file access.
    source_line: str = ""
    fix: Fix | None = None

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code)


def applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    """Does `--fix` (with ``unsafe``: `--fix --unsafe-fixes`) apply the diagnostic's fix?
    (:meth:`Fix.applies`: both axes decide.)"""
    return diagnostic.fix is not None and diagnostic.fix.applies(unsafe)


def fixable(diagnostics: Sequence[Diagnostic]) -> tuple[int, int]:
    """(safe, unsafe): how many findings `--fix` would fix, and how many more
    `--unsafe-fixes` would."""
    safe = sum(1 for d in diagnostics if applicable(d, unsafe=False))
    return safe, sum(1 for d in diagnostics if applicable(d, unsafe=True)) - safe
