"""The fix loop and safe writes.

Fixes are applied, the file is checked again, until nothing changes (at most ten passes; fixes
still pending after that are reported). A pass applies every non-overlapping fix at once; if
the result does not parse, fixes are tried one at a time and any that breaks the file is
dropped and reported. A file whose codec would not write its own text back byte for byte is
not fixed, nor is one LibCST does not give back exactly, and a pass is kept only when its
bytes parse and decode with the file's own encoding (BOM, PEP 263 cookie) back to its text.
Writing is :mod:`wfcheck.fixes.write`'s.
"""

from __future__ import annotations

import codecs
import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from wfcheck.diagnostics import Diagnostic, Fix, applicable, fixable  # noqa: F401 - fixable: API
from wfcheck.discovery import real_path
from wfcheck.engine import (
    Settings,
    UnreadableFile,
    check_source,
    files_to_check,
    has_workflow_marker,
    make_project,
    read_file,
)
from wfcheck.fixes.text import OverlappingEdits, apply_edits, edits_overlap
from wfcheck.fixes.write import (  # noqa: F401 - FileChangedError, write_atomically: API
    FileChangedError,
    NotWritten,
    clean_stale,
    write_atomically,
    write_fixed,
)
from wfcheck.report.printable import printable
from wfcheck.source import SourceError, SourceText, decode_source, parse_text, python_accepts

if TYPE_CHECKING:
    from wfcheck.analysis.project import ProjectIndex

MAX_PASSES = 10


@dataclass
class FixOutcome:
    path: str
    original: str = ""
    fixed: str = ""
    # (code, line, fix message, applicability on both axes) of every fix applied, in order.
    applied: list[tuple[str, int, str, str]] = field(default_factory=list)
    # Fixes that would have broken the file: (code, line, fix message).
    dropped: list[tuple[str, int, str]] = field(default_factory=list)
    # What is left to report after fixing.
    remaining: list[Diagnostic] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.fixed.splitlines(keepends=True),
                fromfile=printable(self.path),
                tofile=printable(self.path),
            )
        )


def _encode(text: str, source: SourceText) -> bytes:
    data = text.encode(source.encoding)
    if source.bom and not data.startswith(codecs.BOM_UTF8):
        data = codecs.BOM_UTF8 + data
    return data


def _round_trips(source: SourceText, data: bytes) -> bool:
    try:
        return _encode(source.text, source) == data
    except UnicodeError:
        return False


def _writable(text: str, source: SourceText, python: bool) -> bool:
    """May the fixed text be written? It must parse (and, ``python``: the original did, with
    this interpreter too: a rewrite must not need a newer Python than the file did, as quotes
    nested in an f-string do before 3.12), and its bytes must decode with the file's own
    encoding back to it (an import inserted above a PEP 263 cookie, or a character the
    codec cannot write, would turn a latin-1 file into one Python cannot read)."""
    try:
        parse_text(text, python)
        decoded = decode_source(_encode(text, source))
    except (SourceError, UnicodeError):
        return False
    return decoded.text == text and decoded.encoding == source.encoding


def _reproduced(text: str) -> bool:
    """Does LibCST give the text back exactly? Positions come from its tree: where it does
    not (a form feed inside indentation), an edit would land on the wrong characters. The
    one difference allowed is a final lone CR it drops, which moves no position."""
    code = parse_text(text).code
    return code == text or (code + "\r" == text)


def fix_source(
    data: bytes,
    path: str,
    settings: Settings,
    unsafe: bool = False,
    project: ProjectIndex | None = None,
) -> tuple[FixOutcome, bytes]:
    """Fix one file's bytes; returns the outcome and the fixed bytes (same encoding)."""
    outcome = FixOutcome(path)
    try:
        source = decode_source(data)
    except SourceError:
        # Nothing to fix; checking reports the file (WF900) exactly as `check` would.
        outcome.remaining = check_source(data, path, settings, project).diagnostics
        return outcome, data
    if not _round_trips(source, data):
        # unicode_escape, for one, writes every line break back as `\n`: the fix would
        # rewrite far more than the fixes.
        outcome.error = f"not fixed: the {source.encoding} encoding does not round-trip"
        outcome.remaining = check_source(data, path, settings, project).diagnostics
        return outcome, data
    if not has_workflow_marker(data, settings.markers):
        # Nothing to fix (checking finds nothing either): neither LibCST nor a project.
        outcome.original = outcome.fixed = source.text
        return outcome, data
    if project is None:
        project = make_project([path], settings)
    try:
        return _fix_loop(data, source, path, settings, unsafe, project, outcome)
    except Exception as exc:  # noqa: BLE001 - a bug in one fix must not cost the file or the run
        from wfcheck.analysis.diagnose import internal_error

        outcome.fixed = outcome.original = source.text
        outcome.applied = []
        outcome.remaining = [internal_error(settings, path, "", exc, stage="the fixes")]
        return outcome, data


def _fix_loop(
    data: bytes,
    source: SourceText,
    path: str,
    settings: Settings,
    unsafe: bool,
    project: ProjectIndex,
    outcome: FixOutcome,
) -> tuple[FixOutcome, bytes]:
    # Imports LibCST: only once a file is parsed (see wfcheck.source).
    from wfcheck.fixes.imports import drop_unused_imports

    text = outcome.original = source.text
    python = python_accepts(text)
    rejected: set[tuple[str, str]] = set()
    first = check_source(data, path, settings, project)
    outcome.error = first.error
    diagnostics = first.diagnostics
    if _candidates(diagnostics, unsafe, rejected) and not _reproduced(text):
        outcome.error = "not fixed: the parser does not reproduce this file exactly"
        outcome.fixed = text
        outcome.remaining = diagnostics
        return outcome, data
    for _ in range(MAX_PASSES):
        candidates = _candidates(diagnostics, unsafe, rejected)
        if not candidates:
            break
        new_text, used = _apply_pass(text, candidates, outcome, rejected, source, python)
        if new_text == text:
            break
        # Imports only the rewritten code read (`import time` after `time.sleep` became a
        # timer) go too; the next pass checks the file as it will be written.
        cleaned = drop_unused_imports(source.text, new_text)
        text = cleaned if cleaned != new_text and _writable(cleaned, source, python) else new_text
        outcome.applied += [(d.code, d.line, fix.message, fix.label) for d, fix in used]
        diagnostics = check_source(_encode(text, source), path, settings, project).diagnostics
    else:
        if _candidates(diagnostics, unsafe, rejected):
            outcome.error = f"fixes did not converge after {MAX_PASSES} passes"
    outcome.fixed = text
    outcome.remaining = diagnostics
    fixed_data = data if text == source.text else _encode(text, source)
    return outcome, fixed_data


def _candidates(
    diagnostics: Sequence[Diagnostic], unsafe: bool, rejected: set[tuple[str, str]]
) -> list[tuple[Diagnostic, Fix]]:
    """The diagnostics whose fix this run applies, each with its fix."""
    return [
        (d, d.fix)
        for d in diagnostics
        if d.fix is not None and applicable(d, unsafe) and (d.code, d.fix.message) not in rejected
    ]


def _apply_pass(
    text: str,
    candidates: Sequence[tuple[Diagnostic, Fix]],
    outcome: FixOutcome,
    rejected: set[tuple[str, str]],
    source: SourceText,
    python: bool,
) -> tuple[str, list[tuple[Diagnostic, Fix]]]:
    chosen: list[tuple[Diagnostic, Fix]] = []
    for diagnostic, fix in candidates:
        if not any(edits_overlap(fix.edits, c.edits) for _, c in chosen):
            chosen.append((diagnostic, fix))
    try:
        new_text = apply_edits(text, [e for _, fix in chosen for e in fix.edits])
        if _writable(new_text, source, python):
            return new_text, chosen
    except OverlappingEdits:
        pass
    # Something in this pass breaks the file: apply the first fix that does not, drop the rest
    # that do; the next pass re-checks with fresh positions.
    for diagnostic, fix in chosen:
        try:
            new_text = apply_edits(text, fix.edits)
        except OverlappingEdits:
            new_text = ""
        if new_text and _writable(new_text, source, python):
            return new_text, [(diagnostic, fix)]
        rejected.add((diagnostic.code, fix.message))
        outcome.dropped.append((diagnostic.code, diagnostic.line, fix.message))
    return text, []


@dataclass
class FixRun:
    outcomes: list[FixOutcome]

    @property
    def remaining(self) -> list[Diagnostic]:
        found = [d for o in self.outcomes for d in o.remaining]
        return sorted(found, key=Diagnostic.sort_key)


def fix_paths(
    paths: Sequence[str], settings: Settings, unsafe: bool = False, write: bool = True
) -> FixRun:
    """Fix every file `check` would check; write changed files unless ``write`` is false
    (`--diff`). Writing also clears what killed runs left in the directories written to."""
    outcomes = []
    # The checked tree: a symbolic link may not lead a write out of it.
    tree = [real_path(p if os.path.isdir(p) else os.path.dirname(p) or ".") for p in paths]
    cleaned: set[Path] = set()
    projects: list[ProjectIndex] = []

    def project() -> ProjectIndex:
        # Built for the first file with something to fix: a tree without workflow code never
        # imports LibCST, as with `check`.
        if not projects:
            projects.append(make_project(paths, settings))
            projects[0].generated_names = set()
        return projects[0]

    for path in files_to_check(paths, settings):
        if write:
            directory = real_path(path).parent
            if directory not in cleaned:
                cleaned.add(directory)
                clean_stale(directory)
        outcomes.append(_fix_file(Path(path), settings, unsafe, project, write, tree))
    return FixRun(outcomes)


def _fix_file(
    path: Path,
    settings: Settings,
    unsafe: bool,
    project: Callable[[], ProjectIndex],
    write: bool,
    tree: Sequence[Path] | None = None,
) -> FixOutcome:
    try:
        data = read_file(path)
    except UnreadableFile as exc:
        return FixOutcome(str(path), error=str(exc))
    # A file without workflow markers has nothing to fix and needs no project.
    marked = has_workflow_marker(data, settings.markers)
    outcome, fixed = fix_source(data, str(path), settings, unsafe, project() if marked else None)
    if write and outcome.changed:
        try:
            write_fixed(path, data, fixed, tree)
        except (OSError, NotWritten) as exc:
            outcome.error = f"not fixed: {exc}"
            outcome.fixed = outcome.original
            outcome.applied = []
            outcome.remaining = check_source(data, str(path), settings, project()).diagnostics
    return outcome
