"""Files in, diagnostics out: prefilter, decode, parse, analyse, suppress, select.

``check_source`` runs the whole pipeline on one file's bytes; ``check_paths`` runs it over
every discovered file. Nothing here imports or executes the code being checked.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from wfcheck.analysis.checker import CheckContext, Finding, WorkflowChecker
from wfcheck.analysis.scopes import Resolver
from wfcheck.analysis.workflows import ModuleIndex, WorkflowFinder, WorkflowUnit
from wfcheck.catalog import Catalog
from wfcheck.checks.state import module_mutables
from wfcheck.diagnostics import Diagnostic
from wfcheck.discovery import discover
from wfcheck.frameworks import MARKERS
from wfcheck.source import SourceError, decode_source
from wfcheck.suppression import (
    Suppression,
    any_suppresses,
    comments_by_line,
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


def check_paths(paths: Sequence[str], settings: Settings) -> RunResult:
    results = []
    for path in discover(paths):
        results.append(check_file(path, settings))
    return RunResult(results)


def check_file(path: Path, settings: Settings) -> FileResult:
    display = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(display, error=f"cannot read file: {exc.strerror or exc}")
    return check_source(data, display, settings)


def check_source(data: bytes, path: str, settings: Settings) -> FileResult:
    result = FileResult(path)
    if not has_workflow_marker(data):
        return result
    try:
        text = decode_source(data).text
    except SourceError as exc:
        result.diagnostics.append(_file_diagnostic(settings, path, exc.message, exc.line, exc.column))
        return result
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        message, line, column = _syntax_error_details(text, exc)
        result.diagnostics.append(
            _file_diagnostic(settings, path, message, line, column, split_lines(text))
        )
        return result
    except RecursionError:
        result.diagnostics.append(
            _file_diagnostic(settings, path, "file is too deeply nested to parse", 1, 1)
        )
        return result
    result.parsed = True
    result.diagnostics = analyse_module(module, text, path, settings)
    return result


def analyse_module(
    module: cst.Module, text: str, path: str, settings: Settings
) -> List[Diagnostic]:
    index = ModuleIndex(module)
    module.visit(index)
    resolver = Resolver()
    units, _activities = WorkflowFinder(index, resolver).find()
    if not units:
        return []
    mutables = module_mutables(index.module_scope, resolver.expr)
    findings: List[Finding] = []
    for unit in units:
        ctx = CheckContext(unit, resolver, settings.catalog, mutables, settings.enabled, findings)
        WorkflowChecker(ctx, index.scopes).run()
    if not findings:
        return []
    return _to_diagnostics(module, text, path, findings, settings)


def _to_diagnostics(
    module: cst.Module, text: str, path: str, findings: List[Finding], settings: Settings
) -> List[Diagnostic]:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    comments = comments_by_line(text)
    unit_suppressions: Dict[int, Suppression] = {}
    lines = split_lines(text)
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


def _syntax_error_details(text: str, exc: cst.ParserSyntaxError) -> Tuple[str, int, int]:
    """Python's own message and position when it agrees the file is invalid."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as syntax_error:
        return (
            f"syntax error: {syntax_error.msg}",
            syntax_error.lineno or 1,
            syntax_error.offset or 1,
        )
    except (RecursionError, MemoryError, ValueError):
        pass
    return (f"cannot parse: {exc.message}", exc.raw_line, exc.raw_column + 1)


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
