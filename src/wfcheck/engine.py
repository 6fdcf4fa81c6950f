"""Files in, diagnostics out: prefilter, decode, parse, analyse, suppress, select.

``check_source`` runs the whole pipeline on one file's bytes; ``check_paths`` runs it over
every discovered file. Nothing here imports or executes the code being checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import pathspec
from libcst.metadata import CodeRange

from wfcheck.analysis.checker import CheckContext, Finding, WorkflowChecker, summarize
from wfcheck.analysis.project import (
    ModuleFacts,
    ProjectIndex,
    Summary,
    Target,
    find_project_roots,
)
from wfcheck.analysis.workflows import WorkflowUnit
from wfcheck.catalog import Catalog
from wfcheck.checks import logging as log_checks
from wfcheck.diagnostics import Diagnostic
from wfcheck.discovery import discover
from wfcheck.frameworks import MARKERS, SPECS, FrameworkSpec, using_specs
from wfcheck.source import SourceError, parse_source
from wfcheck.suppression import (
    Suppression,
    named_codes,
    parse_block_suppression,
    parse_line_suppression,
    suppresses,
)

SYNTAX_ERROR = "WF900"
UNUSED_SUPPRESSION = "WF800"
REPLAY_UNSAFE_LOG = "WF701"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> List[str]:
    """Lines as Python counts them (only CR, LF and CRLF end a line)."""
    return _LINE_BREAK.split(text)


@dataclass(frozen=True)
class Settings:
    """Everything a run needs, resolved from config files and the command line
    (see :mod:`wfcheck.config`)."""

    catalog: Catalog
    enabled: FrozenSet[str]
    # Extra import roots for following calls across modules (`--src`).
    src: Tuple[str, ...] = ()
    # (directory, gitignore-style pattern relative to it): files and directories not to check.
    exclude: Tuple[Tuple[str, str], ...] = ()
    # Apply `exclude` to files named explicitly too (pre-commit passes every file by name).
    force_exclude: bool = False
    # (directory, pattern, selectors): codes switched off for the files a pattern matches.
    per_file_ignores: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = ()
    # The engines detected and how (restricted and extended by config).
    specs: Tuple[FrameworkSpec, ...] = SPECS
    markers: Tuple[bytes, ...] = MARKERS
    # ((code, api), message) for `banned-api` entries that bring their own message.
    banned_messages: Tuple[Tuple[Tuple[str, str], str], ...] = ()
    # Stored for `--fix`: whether unsafe fixes may be applied.
    unsafe_fixes: bool = False

    def is_excluded(self, path: str) -> bool:
        return any(_matches(root, pattern, path) for root, pattern in self.exclude)

    def enabled_for(self, path: str) -> FrozenSet[str]:
        """The enabled codes minus this file's `per-file-ignores` (WF900 always stays)."""
        off = [
            selector
            for root, pattern, selectors in self.per_file_ignores
            if _matches(root, pattern, path)
            for selector in selectors
        ]
        if not off:
            return self.enabled
        return frozenset(
            code
            for code in self.enabled
            if code == SYNTAX_ERROR or not any(code.startswith(s) for s in off)
        )


def _matches(root: str, pattern: str, path: str) -> bool:
    """Does a gitignore-style ``pattern`` relative to ``root`` match ``path`` (or, for a path
    outside ``root``, its file name)?"""
    spec = pathspec.GitIgnoreSpec.from_lines([pattern])
    absolute = Path(path).resolve()
    try:
        return spec.match_file(absolute.relative_to(Path(root).resolve()).as_posix())
    except ValueError:
        return spec.match_file(absolute.name)


@dataclass
class FileResult:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    parsed: bool = False
    # A one-line problem that is not a diagnostic (the file could not be read at all).
    error: Optional[str] = None


@dataclass
class RunResult:
    files: List[FileResult]
    # Project modules parsed only because workflow code calls into them.
    helper_modules: int = 0

    @property
    def diagnostics(self) -> List[Diagnostic]:
        found = [d for f in self.files for d in f.diagnostics]
        return sorted(found, key=Diagnostic.sort_key)

    @property
    def errors(self) -> List[Tuple[str, str]]:
        return [(f.path, f.error) for f in self.files if f.error]


def has_workflow_marker(data: bytes, markers: Sequence[bytes] = MARKERS) -> bool:
    """The prefilter: can this file contain workflow code at all?"""
    return any(marker in data for marker in markers)


def make_project(paths: Sequence[str], settings: Settings) -> ProjectIndex:
    """The project index for a run: roots from the checked paths, summaries from the rules."""

    def summarizer(target: Target, framework: FrameworkSpec) -> Summary:
        return summarize(target, framework, settings.catalog, settings.enabled, project)

    project = ProjectIndex(
        find_project_roots(paths, settings.src),
        summarizer,
        settings.catalog.returns,
        settings.catalog.is_allowed,
    )
    return project


def files_to_check(paths: Sequence[str], settings: Settings) -> List[Path]:
    """The discovered files minus the excluded ones; a file named explicitly is excluded only
    with ``force_exclude``."""
    named = {Path(p) for p in paths if not Path(p).is_dir()}
    return [
        path
        for path in discover(paths)
        if not settings.is_excluded(str(path)) or (path in named and not settings.force_exclude)
    ]


def check_paths(paths: Sequence[str], settings: Settings) -> RunResult:
    with using_specs(settings.specs):
        project = make_project(paths, settings)
        results = [check_file(path, settings, project) for path in files_to_check(paths, settings)]
    return RunResult(results, project.modules_parsed)


def check_file(path: Path, settings: Settings, project: ProjectIndex) -> FileResult:
    display = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(display, error=f"cannot read file: {exc.strerror or exc}")
    return check_source(data, display, settings, project)


def check_source(
    data: bytes, path: str, settings: Settings, project: Optional[ProjectIndex] = None
) -> FileResult:
    with using_specs(settings.specs):
        return _check_source(data, path, settings, project)


def _check_source(
    data: bytes, path: str, settings: Settings, project: Optional[ProjectIndex]
) -> FileResult:
    result = FileResult(path)
    if not has_workflow_marker(data, settings.markers):
        return result
    try:
        text, module = parse_source(data)
    except SourceError as exc:
        lines = split_lines(exc.text) if exc.text else []
        result.diagnostics.append(
            _file_diagnostic(settings, path, exc.message, exc.line, exc.column, lines)
        )
        return result
    result.parsed = True
    if project is None:
        project = make_project([path], settings)
    facts = project.facts_for(Path(path), path, text, module)
    result.diagnostics = analyse_module(facts, settings, project)
    return result


def analyse_module(
    facts: ModuleFacts, settings: Settings, project: ProjectIndex
) -> List[Diagnostic]:
    findings: List[Finding] = []
    enabled = settings.enabled_for(facts.path)
    for unit in facts.units:
        ctx = CheckContext(unit, facts, settings.catalog, enabled, findings, project)
        WorkflowChecker(ctx).run()
    if REPLAY_UNSAFE_LOG in enabled:
        findings = log_checks.drop_guarded(findings)
    if not findings and UNUSED_SUPPRESSION not in enabled:
        return []
    return _to_diagnostics(facts, findings, settings, enabled)


def _to_diagnostics(
    facts: ModuleFacts, findings: List[Finding], settings: Settings, enabled: FrozenSet[str]
) -> List[Diagnostic]:
    positions = facts.positions
    comments = facts.comments
    path = facts.path
    unit_suppressions: Dict[int, Suppression] = {}
    lines = split_lines(facts.text)
    diagnostics = []
    seen = set()
    # (comment line, code or "*") for every suppression entry that hid a finding (WF800).
    used: set = set()
    banned = dict(settings.banned_messages)
    for finding in findings:
        rule = settings.catalog.rules[finding.code]
        where: CodeRange = positions[finding.node]
        line = where.start.line
        key = (finding.code, line, where.start.column, where.end.line, where.end.column)
        if key in seen:
            continue
        seen.add(key)
        unit = finding.unit
        if id(unit.node) not in unit_suppressions:
            unit_suppressions[id(unit.node)] = _unit_suppression(unit, positions, comments)
        line_comment = comments.get(line)
        line_suppression = (
            parse_line_suppression(line_comment) if line_comment is not None else frozenset()
        )
        if suppresses(line_suppression, finding.code):
            used |= _entries_used({line}, line_suppression, finding.code)
            continue
        if suppresses(unit_suppressions[id(unit.node)], finding.code):
            used |= _entries_used(
                _unit_comment_lines(unit, positions),
                unit_suppressions[id(unit.node)],
                finding.code,
            )
            continue
        framework = unit.framework.name
        if (rule.code, finding.api) in banned:
            message = f"`{finding.api}` is banned: {banned[(rule.code, finding.api)]}"
        else:
            message = rule.message.format(
                api=finding.api, name=finding.api, framework=framework, verb=finding.verb
            )
        diagnostics.append(
            Diagnostic(
                code=rule.code,
                name=rule.name,
                message=message,
                path=path,
                line=line,
                column=where.start.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                workflow=unit.qualname,
                framework=framework,
                chain=finding.chain,
                fix=finding.fix,
                help=rule.alternative_for(framework),
                noqa_row=line,
                source_line=lines[line - 1] if line <= len(lines) else "",
            )
        )
    if UNUSED_SUPPRESSION in enabled:
        diagnostics += _unused_suppressions(facts, settings, enabled, used, lines)
    return diagnostics


def _entries_used(lines: Iterable[int], suppression: Suppression, code: str) -> set:
    """Which entries of a suppression hid ``code``: "*" for a bare one, else the codes."""
    if suppression is None:
        return {(line, "*") for line in lines}
    return {
        (line, entry)
        for line in lines
        for entry in suppression
        if suppresses(frozenset({entry}), code)
    }


def _unused_suppressions(
    facts: ModuleFacts,
    settings: Settings,
    enabled: FrozenSet[str],
    used: set,
    lines: Sequence[str],
) -> List[Diagnostic]:
    """WF800: suppression comments in workflow code that hid nothing. Only codes this run
    checks are judged (a comment for a rule that is off may be needed by another run), and a
    bare `# noqa` is left alone: other linters read it too."""
    rule = settings.catalog.rules[UNUSED_SUPPRESSION]
    positions = facts.positions
    in_units = set()
    for unit in facts.units:
        first = min(_unit_comment_lines(unit, positions))
        in_units.update(range(first, positions[unit.node].end.line + 1))
    diagnostics = []
    for line, comment in sorted(facts.comments.items()):
        if line not in in_units:
            continue
        named = named_codes(comment)
        if named is None:
            continue
        # Naming WF800 keeps the comment as it is; a bare `# wfcheck: ignore` does not.
        if suppresses(named - {"*"}, UNUSED_SUPPRESSION):
            continue
        unused = sorted(
            entry
            for entry in named
            if (line, entry) not in used
            and (entry == "*" or any(code.startswith(entry) for code in enabled))
        )
        if not unused:
            continue
        text = lines[line - 1] if line <= len(lines) else comment
        column = text.find(comment) + 1 if comment in text else 1
        what = "`# wfcheck: ignore`" if unused == ["*"] else ", ".join(unused)
        diagnostics.append(
            Diagnostic(
                code=rule.code,
                name=rule.name,
                message=rule.message.format(api=what),
                path=facts.path,
                line=line,
                column=column,
                end_line=line,
                end_column=column + len(comment),
                noqa_row=line,
                source_line=text,
            )
        )
    return diagnostics


def _unit_comment_lines(unit: WorkflowUnit, positions) -> set:
    """The lines a whole-workflow suppression may sit on: the def/class line and the first
    decorator's."""
    lines = {positions[unit.node.name].start.line}
    if unit.node.decorators:
        lines.add(positions[unit.node.decorators[0]].start.line)
    return lines


def _unit_suppression(unit: WorkflowUnit, positions, comments: Dict[int, str]) -> Suppression:
    """`# wfcheck: ignore[...]` on the workflow's def/class line or its first decorator."""
    codes: set = set()
    for line in _unit_comment_lines(unit, positions):
        comment = comments.get(line)
        if comment is None:
            continue
        suppression = parse_block_suppression(comment)
        if suppression is None:
            return None
        codes |= suppression
    return frozenset(codes)


def _file_diagnostic(
    settings: Settings,
    path: str,
    message: str,
    line: int,
    column: int,
    lines: Sequence[str] = (),
) -> Diagnostic:
    rule = settings.catalog.rules[SYNTAX_ERROR]
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=message,
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        noqa_row=line,
        source_line=lines[line - 1] if 0 < line <= len(lines) else "",
    )


def default_enabled(catalog: Catalog) -> FrozenSet[str]:
    return frozenset(r.code for r in catalog if r.default)


def select_codes(
    catalog: Catalog,
    select: Optional[Iterable[str]],
    ignore: Iterable[str],
    extend_select: Iterable[str] = (),
    base: Optional[FrozenSet[str]] = None,
) -> FrozenSet[str]:
    """Ruff's selector semantics: the most specific matching selector wins; ties ignore.

    With no ``select`` the rules in ``base`` stay on (default: the default rules); ``ALL``
    selects every rule; ``extend_select`` adds to either. Calling this once per layer (config
    file, then command line) gives ruff's precedence. WF900 is always reported: a file that
    cannot be parsed was not checked.
    """
    selectors: List[Tuple[str, bool]] = [(s, True) for s in select] if select is not None else []
    selectors += [(s, True) for s in extend_select]
    selectors += [(s, False) for s in ignore]
    kept = default_enabled(catalog) if base is None else base
    enabled = set()
    for rule in catalog:
        best: Optional[Tuple[int, bool]] = (
            (0, True) if select is None and rule.code in kept else None
        )
        for selector, on in selectors:
            if selector == "ALL":
                specificity = 0
            elif rule.code.startswith(selector):
                specificity = len(selector)
            else:
                continue
            if best is None or specificity > best[0] or (specificity == best[0] and not on):
                best = (specificity, on)
        if best is not None and best[1]:
            enabled.add(rule.code)
    enabled.add(SYNTAX_ERROR)
    return frozenset(enabled)


def unknown_selectors(catalog: Catalog, selectors: Iterable[str]) -> List[str]:
    codes = catalog.codes()
    return [
        s for s in selectors if s != "ALL" and not any(code.startswith(s) for code in codes)
    ]
