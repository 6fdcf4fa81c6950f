"""History-changing fixes, versioned with the engine's patch API.

A fix that adds or reorders a durable command (a timer, a generated activity, a wait) breaks
every instance that was started with the old code: its history lacks the new command. Engines
with a patch API let both versions live side by side:

    if ctx.is_patched("wfcheck-wf102-reminder-1a2b3c"):    # Dapr; Temporal: workflow.patched
        <the fixed statement>
    else:
        <the statement as it was>

The patch check is false while an instance replays a history recorded without the patch, and
true (and recorded) otherwise, so old instances keep the old path and new ones take the fix.
Such a fix keeps the history shape. Without `--versioned-fixes`, or for an engine without a
patch API, the fix stays history-changing and its message says how to version it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from wfcheck.catalog import load_fix_catalog
from wfcheck.diagnostics import Edit, Fix
from wfcheck.fixes.text import LineIndex, apply_edits

if TYPE_CHECKING:
    from wfcheck.analysis.findings import Finding
    from wfcheck.fixes.builder import FixSite

KEEPS = "keeps"
PATCH_PREFIX = "wfcheck-"


def version(site: FixSite, finding: Finding, fix: Fix) -> Fix:
    """``fix`` (history-changing) guarded by the engine's patch API when versioned fixes are
    on and the engine has one; else ``fix`` with a message that says how to version it."""
    spec = site.spec
    versioning = load_fix_catalog().versioning
    template = spec.patch_template
    if template is None:
        return replace(
            fix,
            message=f"{fix.message}. Changes the history shape: an instance started with the "
            f"old code fails to replay it, so `--fix` leaves it; {versioning['none']}",
        )
    guard_example = spec.patch_example(ctx=site.unit.context_param or "ctx")
    advice = (
        f"{fix.message}. Changes the history shape: an instance started with the old code fails "
        f"to replay it, so `--fix` leaves it; `--versioned-fixes` writes it inside "
        f"`if {guard_example}:` (new instances take the fix, running ones keep the old code)"
    )
    if not site.ctx.options.versioned:
        return replace(fix, message=advice)
    guarded = _guarded(site, finding, fix, template)
    if guarded is None:
        return replace(fix, message=advice + "; it cannot be versioned here")
    return guarded


def patch_id(finding: Finding, old: str) -> str:
    """`wfcheck-<code>-<workflow>-<hash>`: stable for the same statement of the same workflow,
    whatever else the file holds or where the statement sits."""
    unit = finding.unit.node.name.value
    digest = hashlib.blake2b(
        f"{finding.unit.qualname}\n{finding.code}\n{' '.join(old.split())}".encode(), digest_size=3
    ).hexdigest()
    return f"{PATCH_PREFIX}{finding.code.lower()}-{unit}-{digest}"


def _guarded(site: FixSite, finding: Finding, fix: Fix, template: str) -> Fix | None:
    statement = _statement(site)
    if statement is None:
        return None
    positions = site.facts.positions
    index = LineIndex(site.facts.text)
    first, last = positions[statement].start.line, positions[statement].end.line
    if first != last and _has_multiline_string(statement, positions):
        return None  # re-indenting would change the string
    end_column = len(index.line_text(last)) + 1
    inside = [e for e in fix.edits if e.line >= first and e.end_line <= last]
    outside = [e for e in fix.edits if e not in inside]
    old_lines = [index.line_text(n) for n in range(first, last + 1)]
    old = "\n".join(old_lines)
    rebased = [
        replace(e, line=e.line - first + 1, end_line=e.end_line - first + 1) for e in inside
    ]
    new = apply_edits(old, rebased)
    indentation = index.indentation(first)
    step = site.facts.module.default_indent
    newline = site.facts.module.default_newline
    ident = patch_id(finding, old)
    guard = site.render(template, id=f'"{ident}"')
    if guard is None:
        return None

    def block(text: str) -> list[str]:
        return [(step + line if line.strip() else line) for line in text.split("\n")]

    lines = [f"{indentation}if {guard}:", *block(new), f"{indentation}else:", *block(old)]
    # The first line of each block keeps the statement's own indentation after `step`.
    content = newline.join(lines)[len(indentation):]
    column = len(indentation) + 1
    guard_edit = Edit(content, first, column, last, end_column)
    extra = [e for e in site.imports.edits if e not in outside]
    message = (
        f"{fix.message}, versioned: inside `if {guard}:` new instances take the fix and "
        f"instances started before it keep the old code; remove the old branch once they have "
        f"finished"
    )
    if site.spec.patch_removal_step is not None:
        message += f" ({site.spec.patch_removal_step})"
    return Fix(fix.applicability, message, (guard_edit, *outside, *extra), KEEPS, ident)


def _statement(site: FixSite) -> cst.CSTNode | None:
    """The statement of the workflow method's body (at any depth) that holds the node."""
    parents = site.facts.parents
    method = site.method
    current: cst.CSTNode | None = site.node
    while current is not None and current is not method:
        if isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return current
        current = parents.get(current)
    return None


class _MultilineStrings(cst.CSTVisitor):
    def __init__(self, positions) -> None:
        self.positions = positions
        self.found = False

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        where = self.positions[node]
        self.found = self.found or where.start.line != where.end.line

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        where = self.positions[node]
        self.found = self.found or where.start.line != where.end.line


def _has_multiline_string(statement: cst.CSTNode, positions) -> bool:
    finder = _MultilineStrings(positions)
    statement.visit(finder)
    return finder.found


__all__ = ["PATCH_PREFIX", "patch_id", "version"]
