"""From a file's bytes to its diagnostics: parse once, find the workflow code, run the
checks, apply suppression comments.

Everything here needs LibCST; :mod:`wfcheck.engine` imports this module only for files that
pass the prefilter, so a run that parses nothing never pays for importing LibCST.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from sys import intern

import libcst as cst
from libcst.metadata import CodeRange

from wfcheck.analysis.checker import CheckContext, CheckFailed, WorkflowChecker, run_check
from wfcheck.analysis.findings import Finding
from wfcheck.analysis.project import ModuleFacts, ProjectIndex, parse_with_lines
from wfcheck.analysis.workflows import WorkflowUnit
from wfcheck.checks import logging as log_checks
from wfcheck.checks import versioned
from wfcheck.diagnostics import Diagnostic, Fix
from wfcheck.discovery import real_path
from wfcheck.fixes.plan import FixOptions, ModulePlan, plan_fixes
from wfcheck.results import FileResult, split_lines
from wfcheck.settings import (
    INTERNAL_ERROR,
    REPLAY_UNSAFE_LOG,
    SYNTAX_ERROR,
    UNUSED_SUPPRESSION,
    Settings,
)
from wfcheck.source import (
    DEEP_RECURSION_LIMIT,
    MAX_FILE_BYTES,
    FileTooLarge,
    SourceError,
    content_digest,
    decode_source,
    on_deep_stack,
)
from wfcheck.suppression import (
    Suppression,
    named_codes,
    parse_block_suppression,
    parse_line_suppression,
    suppresses,
)


def diagnose_source(
    data: bytes, path: str, settings: Settings, project: ProjectIndex
) -> FileResult:
    """Parse and check one file that passed the prefilter."""
    result = FileResult(path)
    own = real_path(path)
    try:
        text, module, statements = _parsed(data, own, path, project)
    except FileTooLarge as exc:
        result.error = exc.message
        return result
    except SourceError as exc:
        lines = split_lines(exc.text) if exc.text else []
        result.diagnostics.append(
            _file_diagnostic(settings, path, exc.message, exc.line, exc.column, lines)
        )
        return result
    result.parsed = True
    project.read_digests[str(own)] = content_digest(data)
    with project.recording() as read:
        try:
            result.diagnostics = on_deep_stack(
                _analyse_file, own, path, text, module, statements, settings, project,
                recursion_limit=DEEP_RECURSION_LIMIT,
            )
        except RecursionError:
            # Parsed, but deeper than the analysis can walk even on the deep stack.
            message = settings.catalog.rules[SYNTAX_ERROR].message_for("too-deep-to-check")
            result.diagnostics = [_file_diagnostic(settings, path, message, 1, 1)]
        except Exception as exc:  # noqa: BLE001 - one file's bug must not stop the run
            rule, error = (exc.code, exc.error) if isinstance(exc, CheckFailed) else ("", exc)
            result.diagnostics = [internal_error(settings, path, rule, error)]
    result.depends_on = tuple(sorted(read - {str(own)}))
    result.dependency_digests = tuple(map(project.read_digest, result.depends_on))
    return result


def _parsed(
    data: bytes, own: Path, path: str, project: ProjectIndex
) -> tuple[str, cst.Module, dict[cst.CSTNode, int] | None]:
    """The file's text, tree and statements' lines: a helper look-up's when one read the same
    text already (one parse per module per run), else parsed now."""
    facts = project.loaded(own, path)
    if facts is not None and len(data) <= MAX_FILE_BYTES:
        try:
            text = decode_source(data).text
        except SourceError:
            pass
        else:
            if text == facts.text:
                return text, facts.module, None
    return parse_with_lines(data)


def _analyse_file(
    own: Path,
    path: str,
    text: str,
    module: cst.Module,
    lines: dict[cst.CSTNode, int] | None,
    settings: Settings,
    project: ProjectIndex,
) -> list[Diagnostic]:
    facts = project.facts_for(own, path, text, module, lines)
    return analyse_module(facts, settings, project)


def internal_error(
    settings: Settings, path: str, rule: str, error: Exception, stage: str = "the analysis"
) -> Diagnostic:
    """WF999: where wfcheck failed, so the user can report it and the rest of the run goes on."""
    where = error.__traceback__
    while where is not None and where.tb_next is not None:
        where = where.tb_next
    origin = (
        f"{Path(where.tb_frame.f_code.co_filename).name}:{where.tb_lineno}"
        if where is not None
        else ""
    )
    known = settings.catalog.rules.get(rule)
    blamed = f"rule {rule} ({known.name})" if known else stage
    # An exception can carry a whole syntax tree (`KeyError(If(...))`): one line is enough.
    text = " ".join(str(error).split())
    text = text if len(text) <= 200 else text[:199] + "…"
    message = settings.catalog.rules[INTERNAL_ERROR].message_for("located" if origin else "").format(
        stage=blamed, exception=type(error).__name__, detail=text, origin=origin
    )
    return _file_diagnostic(settings, path, message, 1, 1, code=INTERNAL_ERROR)


def analyse_module(
    facts: ModuleFacts, settings: Settings, project: ProjectIndex
) -> list[Diagnostic]:
    findings: list[Finding] = []
    enabled = settings.enabled_for(facts.path)
    for unit in facts.units:
        ctx = CheckContext(unit, facts, settings.catalog, enabled, findings, project)
        WorkflowChecker(ctx).run()
    if REPLAY_UNSAFE_LOG in enabled:
        findings = run_check(REPLAY_UNSAFE_LOG, log_checks.drop_guarded, findings, facts.parents)
    if findings:
        findings = run_check(
            versioned.CODE, versioned.split_legacy, findings, facts.parents, enabled
        )
    if not findings and UNUSED_SUPPRESSION not in enabled:
        return []
    return _to_diagnostics(facts, project, findings, settings, enabled)


def _to_diagnostics(
    facts: ModuleFacts,
    project: ProjectIndex,
    findings: list[Finding],
    settings: Settings,
    enabled: frozenset[str],
) -> list[Diagnostic]:
    """Suppression, then fix planning for what survives, then diagnostics."""
    # (comment line, code or "*") for every suppression entry that hid a finding (WF800).
    used: set = set()
    kept = _unsuppressed(facts, findings, used)
    fixes = plan_fixes(
        ModulePlan(facts, settings.catalog, project, FixOptions(settings.versioned_fixes)), kept
    )
    positions = facts.positions
    lines = split_lines(facts.text)
    banned = dict(settings.banned_messages)
    diagnostics = []
    for finding, fix in zip(kept, fixes):
        rule = settings.catalog.rules[finding.code]
        where: CodeRange = positions[finding.node]
        line = where.start.line
        unit = finding.unit
        framework = unit.framework.name
        if (rule.code, finding.api) in banned:
            message = f"`{finding.api}` is banned: {banned[(rule.code, finding.api)]}"
        else:
            message = rule.message_for(finding.qualified).format(
                api=finding.api, name=finding.api, framework=framework, verb=finding.verb
            )
        diagnostics.append(
            Diagnostic(
                code=rule.code,
                name=rule.name,
                message=intern(message),
                path=facts.path,
                line=line,
                column=where.start.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                workflow=unit.qualname,
                framework=framework,
                chain=tuple(map(intern, finding.chain)),
                fix=_interned(fix),
                help=rule.alternative_for(framework),
                noqa_row=line,
                source_line=intern(lines[line - 1]) if line <= len(lines) else "",
            )
        )
    if UNUSED_SUPPRESSION in enabled:
        diagnostics += _unused_suppressions(facts, settings, enabled, used, lines)
    return diagnostics


def _interned(fix: Fix | None) -> Fix | None:
    """The texts of a result are kept for the run: the same message, chain step, source line
    or fix text, repeated over a project's files, is kept once (``sys.intern``; on a dense
    project with findings in most modules: 1.0 of 2.3 MB of diagnostics at 1,000)."""
    if fix is None:
        return None
    edits = tuple(replace(edit, content=intern(edit.content)) for edit in fix.edits)
    return replace(fix, message=intern(fix.message), edits=edits)


def _unsuppressed(facts: ModuleFacts, findings: list[Finding], used: set) -> list[Finding]:
    """The findings no suppression comment hides, each once; records in ``used`` the
    suppression entries that hid one."""
    positions = facts.positions
    comments = facts.comments
    unit_suppressions: dict[int, Suppression] = {}
    kept = []
    seen = set()
    for finding in findings:
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
        kept.append(finding)
    return kept


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
    enabled: frozenset[str],
    used: set,
    lines: Sequence[str],
) -> list[Diagnostic]:
    """WF800: suppression comments in workflow code that hid nothing. Only codes this run
    checks are judged (a comment for a rule that is off may be needed by another run), and a
    bare `# noqa` is left alone: other linters read it too."""
    if not facts.comments:
        return []  # no suppression comment: no unit's lines are needed
    rule = settings.catalog.rules[UNUSED_SUPPRESSION]
    positions = facts.positions
    in_units: set[int] = set()
    for unit in facts.units:
        first = min(_unit_comment_lines(unit, positions))
        in_units.update(range(first, positions.end(unit.node).line + 1))
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


def _unit_suppression(unit: WorkflowUnit, positions, comments: dict[int, str]) -> Suppression:
    """`# wfcheck: ignore[...]` on the workflow's def/class line or its first decorator."""
    if not comments:
        return frozenset()  # no comment anywhere: no line needs its position
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
    code: str = SYNTAX_ERROR,
) -> Diagnostic:
    rule = settings.catalog.rules[code]
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
