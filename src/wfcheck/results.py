"""What checking produces, per file and per run: a leaf module of plain data.

The engine, the cache, the fixes and the application layer all pass these around; nothing
here imports another stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wfcheck.diagnostics import SLOTS, Diagnostic

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (only CR, LF and CRLF end a line)."""
    return _LINE_BREAK.split(text)


@dataclass(**SLOTS)
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parsed: bool = False
    # A one-line problem that is not a diagnostic (the file could not be read at all).
    error: str | None = None
    # Absolute paths of the other files the result was read from: project modules that
    # calls were followed into, and candidates probed and found absent.
    depends_on: tuple[str, ...] = ()
    # For each of ``depends_on``: the hash of the bytes the analysis read, None when it read
    # none (absent, or not a readable file). Bookkeeping for the cache, not part of the result.
    dependency_digests: tuple[str | None, ...] = field(default=(), compare=False)

    def for_report(self) -> FileResult:
        """The result without what it depends on (the cache's bookkeeping): what a run keeps
        of a file it has checked."""
        if not self.depends_on and not self.dependency_digests:
            return self
        return FileResult(self.path, self.diagnostics, self.parsed, self.error)


@dataclass
class RunResult:
    files: list[FileResult]
    # Project modules parsed only because workflow code calls into them.
    helper_modules: int = 0
    # Files whose result came from the cache (unchanged since the last run).
    from_cache: int = 0

    @property
    def diagnostics(self) -> list[Diagnostic]:
        found = [d for f in self.files for d in f.diagnostics]
        return sorted(found, key=Diagnostic.sort_key)

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(f.path, f.error) for f in self.files if f.error]
