"""Files in, diagnostics out: prefilter, decode, parse, analyse, suppress, select.

``check_source`` runs the whole pipeline on one file's bytes; ``check_paths`` runs it over
every discovered file. Nothing here imports or executes the code being checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

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
from wfcheck.diagnostics import Diagnostic
from wfcheck.discovery import discover
from wfcheck.frameworks import MARKERS, FrameworkSpec
from wfcheck.source import SourceError, parse_source
from wfcheck.suppression import (
    Suppression,
    any_suppresses,
    parse_block_suppression,
    parse_line_suppression,
)

SYNTAX_ERROR = "WF900"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> List[str]:
    """Lines as Python counts them (only CR, LF and CRLF end a line)."""
    return _LINE_BREAK.split(text)


@dataclass(frozen=True)
class Settings:
    catalog: Catalog
    enabled: FrozenSet[str]
    # Extra import roots for following calls across modules (`--src`).
    src: Tuple[str, ...] = ()


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


def has_workflow_marker(data: bytes) -> bool:
    """The prefilter: can this file contain workflow code at all?"""
    return any(marker in data for marker in MARKERS)


def make_project(paths: Sequence[str], settings: Settings) -> ProjectIndex:
    """The project index for a run: roots from the checked paths, summaries from the rules."""

    def summarizer(target: Target, framework: FrameworkSpec) -> Summary:
        return summarize(target, framework, settings.catalog, settings.enabled, project)

    project = ProjectIndex(
        find_project_roots(paths, settings.src), summarizer, settings.catalog.returns
    )
    return project


def check_paths(paths: Sequence[str], settings: Settings) -> RunResult:
    project = make_project(paths, settings)
    results = [check_file(path, settings, project) for path in discover(paths)]
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
    result = FileResult(path)
    if not has_workflow_marker(data):
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
    for unit in facts.units:
        ctx = CheckContext(unit, facts, settings.catalog, settings.enabled, findings, project)
        WorkflowChecker(ctx).run()
    if not findings:
        return []
    return _to_diagnostics(facts, findings, settings)


def _to_diagnostics(
    facts: ModuleFacts, findings: List[Finding], settings: Settings
) -> List[Diagnostic]:
    positions = facts.positions
    comments = facts.comments
    path = facts.path
    unit_suppressions: Dict[int, Suppression] = {}
    lines = split_lines(facts.text)
    diagnostics = []
    seen = set()
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
        if any_suppresses((line_suppression, unit_suppressions[id(unit.node)]), finding.code):
            continue
        framework = unit.framework.name
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
    return diagnostics


def _unit_suppression(unit: WorkflowUnit, positions, comments: Dict[int, str]) -> Suppression:
    """`# wfcheck: ignore[...]` on the workflow's def/class line or its first decorator."""
    lines = {positions[unit.node.name].start.line}
    if unit.node.decorators:
        lines.add(positions[unit.node.decorators[0]].start.line)
    codes: set = set()
    for line in lines:
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
    catalog: Catalog, select: Optional[Iterable[str]], ignore: Iterable[str]
) -> FrozenSet[str]:
    """Ruff's selector semantics: the most specific matching selector wins; ties ignore.

    With no ``select`` the default rules are on; ``ALL`` selects every rule. WF900 is always
    reported: a file that cannot be parsed was not checked.
    """
    selectors: List[Tuple[str, bool]] = [(s, True) for s in select] if select is not None else []
    selectors += [(s, False) for s in ignore]
    enabled = set()
    for rule in catalog:
        best: Optional[Tuple[int, bool]] = (0, True) if select is None and rule.default else None
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
