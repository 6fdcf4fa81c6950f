"""The fix loop and safe writes.

Fixes are applied, the file is checked again, until nothing changes (at most ten passes; fixes
still pending after that are reported). A pass applies every non-overlapping fix at once; if
the result does not parse, fixes are tried one at a time and any that breaks the file is
dropped and reported. A file whose codec would not write its own text back byte for byte is
not fixed. Writes go to a temporary file in the same directory as the file a symlink points to
and replace it atomically, keeping its mode, encoding (BOM, PEP 263 cookie) and line endings,
and never overwrite a file that changed meanwhile.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wfcheck.analysis.project import ProjectIndex
from wfcheck.diagnostics import Diagnostic, Fix
from wfcheck.engine import (
    Settings,
    UnreadableFile,
    check_source,
    files_to_check,
    make_project,
    read_file,
)
from wfcheck.fixes.imports import drop_unused_imports
from wfcheck.fixes.text import OverlappingEdits, apply_edits, edits_overlap
from wfcheck.frameworks import using_specs
from wfcheck.source import SourceError, SourceText, decode_source, parse_text, python_accepts

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
                fromfile=self.path,
                tofile=self.path,
            )
        )


def applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    """Plain `--fix` applies fixes that are safe on both axes: the meaning stays and so does
    the history shape (running instances replay the fixed code). Everything else that has
    edits needs `--unsafe-fixes`."""
    fix = diagnostic.fix
    if fix is None or not fix.edits or fix.applicability not in ("safe", "unsafe"):
        return False
    if fix.applicability == "safe" and fix.history == "keeps":
        return True
    return unsafe


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


def _parses(text: str, python: bool) -> bool:
    """Does the fixed text parse, and (``python``: the original did) with this interpreter
    too? A rewrite must not need a newer Python than the file did (quotes nested in an
    f-string parse only from 3.12)."""
    try:
        parse_text(text, python)
    except SourceError:
        return False
    return True


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
    text = outcome.original = source.text
    python = python_accepts(text)
    rejected: set[tuple[str, str]] = set()
    first = check_source(data, path, settings, project)
    outcome.error = first.error
    diagnostics = first.diagnostics
    for _ in range(MAX_PASSES):
        candidates = _candidates(diagnostics, unsafe, rejected)
        if not candidates:
            break
        new_text, used = _apply_pass(text, candidates, outcome, rejected, python)
        if new_text == text:
            break
        # Imports only the rewritten code read (`import time` after `time.sleep` became a
        # timer) go too; the next pass checks the file as it will be written.
        cleaned = drop_unused_imports(source.text, new_text)
        text = cleaned if cleaned != new_text and _parses(cleaned, python) else new_text
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
    python: bool,
) -> tuple[str, list[tuple[Diagnostic, Fix]]]:
    chosen: list[tuple[Diagnostic, Fix]] = []
    for diagnostic, fix in candidates:
        if not any(edits_overlap(fix.edits, c.edits) for _, c in chosen):
            chosen.append((diagnostic, fix))
    try:
        new_text = apply_edits(text, [e for _, fix in chosen for e in fix.edits])
        if _parses(new_text, python):
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
        if new_text and _parses(new_text, python):
            return new_text, [(diagnostic, fix)]
        rejected.add((diagnostic.code, fix.message))
        outcome.dropped.append((diagnostic.code, diagnostic.line, fix.message))
    return text, []


def write_atomically(path: Path, original: bytes, new: bytes) -> None:
    """Replace ``path`` with ``new`` unless it no longer holds ``original``.

    The new content goes to a temporary file in the same directory (same file system), gets
    the original's permission bits, is flushed to disk, and then replaces the original in one
    `os.replace`. On any failure the temporary file is removed and the original is untouched.
    """
    # Through a symlink, the file it points to is the one to rewrite; replacing the link
    # itself would turn it into a copy.
    path = Path(os.path.realpath(path))
    directory = path.parent
    mode = path.stat().st_mode
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".wfcheck-tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(new)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode & 0o7777)
        if path.read_bytes() != original:
            raise FileChangedError(f"{path} changed on disk while it was being fixed; not written")
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


class FileChangedError(Exception):
    """The file changed between reading and writing it."""


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
    (`--diff`)."""
    outcomes = []
    with using_specs(settings.specs):
        project = make_project(paths, settings)
        project.generated_names = set()
        for path in files_to_check(paths, settings):
            outcomes.append(_fix_file(Path(path), settings, unsafe, project, write))
    return FixRun(outcomes)


def _fix_file(
    path: Path, settings: Settings, unsafe: bool, project: ProjectIndex, write: bool
) -> FixOutcome:
    try:
        data = read_file(path)
    except UnreadableFile as exc:
        return FixOutcome(str(path), error=str(exc))
    outcome, fixed = fix_source(data, str(path), settings, unsafe, project)
    if write and outcome.changed:
        try:
            write_atomically(path, data, fixed)
        except (OSError, FileChangedError) as exc:
            outcome.error = f"not fixed: {exc}"
            outcome.fixed = outcome.original
            outcome.applied = []
            outcome.remaining = check_source(data, str(path), settings, project).diagnostics
    return outcome


def fixable(diagnostics: Sequence[Diagnostic]) -> tuple[int, int]:
    """(safe, unsafe): how many findings `--fix` would fix, and how many more
    `--unsafe-fixes` would."""
    safe = sum(1 for d in diagnostics if applicable(d, unsafe=False))
    return safe, sum(1 for d in diagnostics if applicable(d, unsafe=True)) - safe
