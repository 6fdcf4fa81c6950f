"""`wfcheck server`: a language server over stdio, on pygls.

Editors get wfcheck's findings as they type: diagnostics on open, on change (debounced) and on
save, pushed or pulled as the client prefers; a quick fix per fixable finding,
`source.fixAll.wfcheck` with the safe fixes, "suppress with `# noqa: WFxxx`"; and the rule's
documentation on hover. A buffer is configured like the file on disk (its nearest
configuration, per-file ignores, excludes) and checked from the editor's text through
:mod:`wfcheck.app`; it is never imported or executed. Helper modules open in the editor are
read from their buffers, and editing one re-checks the open files whose findings depend on it.

Checks run one at a time on a worker thread (the project index is not shared across threads),
so the server keeps answering while LibCST works.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from wfcheck import __version__, app
from wfcheck.analysis.project import ProjectIndex
from wfcheck.catalog import Rule
from wfcheck.config import CONFIG_FILES, Options, find_config
from wfcheck.diagnostics import Diagnostic, Edit
from wfcheck.discovery import find_project_roots, real_path
from wfcheck.engine import make_project
from wfcheck.fixes.apply import applicable
from wfcheck.results import FileResult, split_lines
from wfcheck.rule_docs import render_rule, rule_url
from wfcheck.settings import INTERNAL_ERROR, SYNTAX_ERROR, UNUSED_SUPPRESSION, Settings
from wfcheck.suppression import comments_by_line, noqa_codes_end

SOURCE = "wfcheck"
FIX_ALL = f"{lsp.CodeActionKind.SourceFixAll.value}.{SOURCE}"
# A project index is rebuilt after this many checks: each buffer version adds summaries of
# its own functions, which nothing else would ever drop.
_CHECKS_PER_INDEX = 200
T = TypeVar("T")


@dataclass
class EditorSettings:
    """What an editor may set (`initializationOptions`, `workspace/didChangeConfiguration`),
    in camelCase there."""

    # Offer unsafe fixes as quick fixes (None: as the file's configuration says).
    unsafe_fixes: bool | None = None
    # Write history-changing fixes inside the engine's patch API (None: as configured).
    versioned_fixes: bool | None = None
    # A configuration file for every buffer (`--config`).
    configuration: str | None = None
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    # Quiet time after a change before the buffer is checked.
    debounce_ms: int = 100

    @classmethod
    def from_json(cls, data: Any) -> tuple[EditorSettings, list[str]]:
        """The settings in ``data`` (a bare object or one under a "wfcheck" key) and one
        message per value that was ignored."""
        if isinstance(data, dict) and isinstance(data.get(SOURCE), dict):
            data = data[SOURCE]
        settings = cls()
        problems: list[str] = []
        if not isinstance(data, dict):
            return settings, problems if data is None else [f"settings: expected an object, got {data!r}"]
        for key, value in data.items():
            if key not in SETTINGS:
                problems.append(f"settings: unknown key {key!r}")
            elif value is not None and not SETTINGS[key][1](value):
                problems.append(f"settings: key {key!r}: unexpected value {value!r}")
            elif value is not None:
                normalised = [c.upper() for c in value] if isinstance(value, list) else value
                setattr(settings, SETTINGS[key][0], normalised)
        return settings, problems

    def options(self) -> Options:
        return Options(
            select=self.select,
            extend_select=list(self.extend_select),
            ignore=list(self.ignore),
            unsafe_fixes=self.unsafe_fixes,
            versioned_fixes=self.versioned_fixes,
            config=self.configuration,
        )


def _is_codes(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# Each editor setting: the EditorSettings field it sets, and what a valid value is.
SETTINGS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "unsafeFixes": ("unsafe_fixes", lambda v: isinstance(v, bool)),
    "versionedFixes": ("versioned_fixes", lambda v: isinstance(v, bool)),
    "configuration": ("configuration", lambda v: isinstance(v, str)),
    "select": ("select", _is_codes),
    "extendSelect": ("extend_select", _is_codes),
    "ignore": ("ignore", _is_codes),
    "debounceMs": ("debounce_ms", lambda v: type(v) is int and 0 <= v <= 10_000),
}


@dataclass
class Checked:
    """One buffer version and what checking it found."""

    version: int | None
    text: str
    path: str
    settings: Settings | None
    result: FileResult
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lines = split_lines(self.text)


class WfcheckServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.editor = EditorSettings()
        self.checked: dict[str, Checked] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="wfcheck-check")
        # Open buffers by real path, read by project indexes before the files on disk.
        self._buffers: dict[str, bytes] = {}
        self._settings: dict[Path | None, Settings | str] = {}
        self._projects: dict[tuple[Path | None, tuple[Path, ...]], ProjectIndex] = {}
        self._checks = 0
        # Every file an analysis read as a helper module (since the settings last changed).
        self._helpers: set[str] = set()
        self._shown_errors: set[str] = set()

    # -- client capabilities ---------------------------------------------------------------

    @property
    def pull(self) -> bool:
        """Does the client pull diagnostics (then none are pushed)?"""
        text = self.client_capabilities.text_document
        return text is not None and text.diagnostic is not None

    @property
    def can_refresh(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)

    def configure(self, data: Any) -> None:
        editor, problems = EditorSettings.from_json(data)
        for problem in problems:
            self.show_error(f"wfcheck: {problem}")
        self.editor = editor
        self._settings.clear()
        self._projects.clear()

    def show_error(self, message: str) -> None:
        """Show a problem once (a broken configuration would otherwise pop up per keystroke)."""
        self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, message))
        if message not in self._shown_errors:
            self._shown_errors.add(message)
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, message))

    # -- checking (on the worker thread) ---------------------------------------------------

    def _settings_for(self, path: str) -> Settings | str:
        """The file's settings, or the one-line reason there are none."""
        key = None if self.editor.configuration else find_config(Path(path))
        # Read once: the event loop may clear the table meanwhile (settings changed).
        settings = self._settings.get(key)
        if settings is None:
            try:
                settings = app.settings_for(path, self.editor.options())
            except app.UsageError as exc:
                settings = str(exc)
            self._settings[key] = settings
        return settings

    def _project_for(self, path: str, settings: Settings) -> ProjectIndex:
        config = None if self.editor.configuration else find_config(Path(path))
        key = (config, tuple(find_project_roots([path], settings.src)))
        self._checks += 1
        if self._checks > _CHECKS_PER_INDEX:
            self._projects.clear()
            self._checks = 1
        project = self._projects.get(key)
        if project is None:
            project = make_project([path], settings)
            project.read_source = self._read_source
            self._projects[key] = project
        return project

    def _read_source(self, path: Path) -> bytes:
        data = self._buffers.get(str(real_path(path)))
        return data if data is not None else path.read_bytes()

    def _check(self, uri: str, version: int | None, text: str) -> Checked:
        path = _path_of(uri)
        settings = self._settings_for(path)
        if isinstance(settings, str):
            return Checked(version, text, path, None, FileResult(path, error=settings))
        project = self._project_for(path, settings)
        return Checked(
            version, text, path, settings, app.check_buffer(text.encode(), path, settings, project)
        )

    def _fix(self, checked: Checked, unsafe: bool) -> str:
        assert checked.settings is not None
        project = self._project_for(checked.path, checked.settings)
        outcome, _ = app.fix_buffer(checked.text.encode(), checked.path, checked.settings, unsafe, project)
        return outcome.fixed if outcome.changed and not outcome.error else checked.text

    async def run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, work)

    # -- documents -------------------------------------------------------------------------

    def opened(self, uri: str, text: str) -> bool:
        """Keep the buffer for helper look-ups; has it changed from what was read before (the
        file on disk, for a buffer just opened)?"""
        real = _real(uri)
        before = self._buffers.get(real)
        if before is None:
            try:
                before = Path(real).read_bytes()
            except OSError:
                before = None
        data = self._buffers[real] = text.encode()
        return data != before

    def closed(self, uri: str) -> None:
        self._buffers.pop(_real(uri), None)
        self.checked.pop(uri, None)
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()
        if not self.pull:
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))
        # Unsaved edits are gone with the buffer: its callers read the file on disk again.
        dependents = self._invalidate_dependents(uri)
        if dependents is not None and self.pull and self.can_refresh:
            self.workspace_diagnostic_refresh(None)
        elif dependents and not self.pull:
            for other in dependents:
                self.schedule(other, changed=False)

    async def current(self, uri: str) -> Checked | None:
        """The check of the buffer as it is now (reusing the last one if it is current)."""
        try:
            document = self.workspace.get_text_document(uri)
        except Exception:  # noqa: BLE001 - a document the client never opened
            return None
        version, text = document.version, document.source
        last = self.checked.get(uri)
        if last is not None and last.version == version and last.text == text:
            return last
        checked = await self.run(lambda: self._check(uri, version, text))
        if checked.result.error:
            self.show_error(f"wfcheck: {checked.path}: {checked.result.error}")
        current = self.workspace.get_text_document(uri)
        self._helpers.update(checked.result.depends_on)
        if current.version == version and current.source == text:
            self.checked[uri] = checked
        return checked

    def schedule(self, uri: str, delay: float = 0.0, changed: bool = True) -> None:
        """Check ``uri`` after ``delay`` seconds (a newer request replaces a pending one),
        then, when it ``changed``, the open files that read it as a helper."""
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()
            changed = True  # the pending one may have been for a change
        self._pending[uri] = asyncio.ensure_future(self._refresh(uri, delay, changed))

    async def _refresh(self, uri: str, delay: float, changed: bool) -> None:
        try:
            await self._refresh_now(uri, delay, changed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must not end the editing session
            self._done(uri)
            self.show_error(f"wfcheck: internal error while checking {_path_of(uri)}: {exc!r}")

    async def _refresh_now(self, uri: str, delay: float, changed: bool) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self.pull:
            # The client pulls this buffer's diagnostics itself; the others it must be told.
            self._done(uri)
            if changed and self._invalidate_dependents(uri) is not None and self.can_refresh:
                self.workspace_diagnostic_refresh(None)
            return
        checked = await self.current(uri)
        self._done(uri)
        if checked is None or self.checked.get(uri) is not checked:
            return  # the buffer changed meanwhile; its own check is on the way
        self.publish(uri, checked)
        for other in (self._invalidate_dependents(uri) or []) if changed else []:
            checked = await self.current(other)
            if checked is not None and self.checked.get(other) is checked:
                self.publish(other, checked)

    def _done(self, uri: str) -> None:
        if self._pending.get(uri) is asyncio.current_task():
            del self._pending[uri]

    def _invalidate_dependents(self, uri: str) -> list[str] | None:
        """After ``uri`` changed: when some analysis read it as a helper module, drop the
        project indexes (they hold its old facts) and the results of the open files that
        read it, and return those files; None when it is no helper."""
        path = _path_of(uri)
        names = {path, os.path.abspath(path), str(real_path(path))}
        if not names & self._helpers:
            return None
        self._projects.clear()
        dependents = [
            other
            for other, checked in self.checked.items()
            if other != uri and names.intersection(checked.result.depends_on)
        ]
        for other in dependents:
            del self.checked[other]
        return dependents

    def publish(self, uri: str, checked: Checked) -> None:
        if self.pull:
            return
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri, self.diagnostics(checked), version=checked.version)
        )

    def settings_changed(self) -> None:
        """Configuration files or editor settings changed: check every open buffer again."""
        self._settings.clear()
        self._projects.clear()
        self._helpers = set()
        self.checked.clear()
        if self.pull:
            if self.can_refresh:
                self.workspace_diagnostic_refresh(None)
            return
        for document in list(self.workspace.text_documents):
            self.schedule(document)

    async def watch_files(self) -> None:
        """Ask the client to report changes on disk: configuration files (settings change)
        and Python modules (helpers edited outside the editor, a branch checked out)."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        if not (watched and watched.dynamic_registration):
            return
        globs = ["**/*.py", *(f"**/{name}" for name in CONFIG_FILES)]
        options = lsp.DidChangeWatchedFilesRegistrationOptions([lsp.FileSystemWatcher(g) for g in globs])
        registration = lsp.Registration(f"{SOURCE}-watch", lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)
        try:
            await self.client_register_capability_async(lsp.RegistrationParams([registration]))
        except Exception as exc:  # noqa: BLE001 - without it, files are re-read on open and save only
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Log, f"no file watching: {exc}"))

    def files_changed(self, uris: Sequence[str]) -> None:
        """Files changed on disk (not in the editor's buffers)."""
        if any(_is_config(uri) for uri in uris):
            self.settings_changed()
            return
        dependents: set[str] = set()
        helpers = False
        for uri in uris:
            if _real(uri) in self._buffers:
                continue  # the open buffer, not the file, is what analyses read
            found = self._invalidate_dependents(uri)
            helpers = helpers or found is not None
            dependents.update(found or [])
        if self.pull and helpers and self.can_refresh:
            self.workspace_diagnostic_refresh(None)
        elif not self.pull:
            for other in dependents:
                self.schedule(other, changed=False)

    # -- conversions -----------------------------------------------------------------------

    def position(self, lines: Sequence[str], line: int, column: int) -> lsp.Position:
        """A 1-based line and 1-based code-point column as the client counts (UTF-16 unless
        another encoding was agreed)."""
        index = line - 1
        codec = self.workspace.position_codec
        if index >= len(lines):
            return lsp.Position(max(len(lines) - 1, 0), codec.client_num_units(lines[-1]) if lines else 0)
        index = max(index, 0)
        return lsp.Position(index, codec.client_num_units(lines[index][: max(column - 1, 0)]))

    def range(
        self, lines: Sequence[str], line: int, column: int, end_line: int, end_column: int
    ) -> lsp.Range:
        return lsp.Range(self.position(lines, line, column), self.position(lines, end_line, end_column))

    def diagnostics(self, checked: Checked) -> list[lsp.Diagnostic]:
        rules = checked.settings.catalog if checked.settings is not None else None
        return [
            self.diagnostic(d, checked.lines, rules.get(d.code) if rules else None)
            for d in checked.result.diagnostics
        ]

    def diagnostic(self, d: Diagnostic, lines: Sequence[str], rule: Rule | None) -> lsp.Diagnostic:
        message = d.message
        if d.workflow:
            message += f"\nin workflow `{d.workflow}` ({d.framework})"
        message += "".join(f"\nvia {step}" for step in d.chain)
        if d.help:
            message += f"\nhelp: {d.help}"
        severity = (
            lsp.DiagnosticSeverity.Error
            if d.code in (SYNTAX_ERROR, INTERNAL_ERROR)
            else lsp.DiagnosticSeverity.Warning
        )
        return lsp.Diagnostic(
            range=self.range(lines, d.line, d.column, d.end_line, d.end_column),
            message=message,
            severity=severity,
            code=d.code,
            code_description=lsp.CodeDescription(rule_url(rule)) if rule is not None else None,
            source=SOURCE,
            tags=[lsp.DiagnosticTag.Unnecessary] if d.code == UNUSED_SUPPRESSION else None,
            data={"name": d.name},
        )

    def text_edits(self, lines: Sequence[str], edits: Sequence[Edit]) -> list[lsp.TextEdit]:
        return [
            lsp.TextEdit(self.range(lines, e.line, e.column, e.end_line, e.end_column), e.content)
            for e in edits
        ]

    # -- code actions and hover ------------------------------------------------------------

    def unsafe_allowed(self, checked: Checked) -> bool:
        if self.editor.unsafe_fixes is not None:
            return self.editor.unsafe_fixes
        return checked.settings is not None and checked.settings.unsafe_fixes

    def code_actions(self, uri: str, checked: Checked, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        only = params.context.only
        wanted = {
            kind: only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)
            for kind in (lsp.CodeActionKind.QuickFix.value, FIX_ALL)
        }
        actions: list[lsp.CodeAction] = []
        if wanted[lsp.CodeActionKind.QuickFix.value]:
            unsafe = self.unsafe_allowed(checked)
            for d in checked.result.diagnostics:
                if not _touches(
                    self.range(checked.lines, d.line, d.column, d.end_line, d.end_column), params.range
                ):
                    continue
                shown = self.diagnostic(
                    d, checked.lines, checked.settings.catalog.get(d.code) if checked.settings else None
                )
                if d.fix is not None and applicable(d, unsafe):
                    # Anything short of safe on both axes says which (`unsafe, keeps history`, ...).
                    trusted = d.fix.applicability == "safe" and d.fix.history == "keeps" and not d.fix.patch
                    marker = "" if trusted else f" ({d.fix.label})"
                    actions.append(
                        lsp.CodeAction(
                            title=f"{d.code}: {d.fix.message}{marker}",
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[shown],
                            is_preferred=trusted,
                            edit=self._workspace_edit(
                                uri, checked, self.text_edits(checked.lines, d.fix.edits)
                            ),
                        )
                    )
                suppress = self.suppression(checked, d)
                if suppress is not None:
                    actions.append(
                        lsp.CodeAction(
                            title=f"{d.code}: suppress with `# noqa: {d.code}`",
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[shown],
                            edit=self._workspace_edit(uri, checked, [suppress]),
                        )
                    )
        return actions

    async def fix_all(self, uri: str, checked: Checked) -> lsp.CodeAction | None:
        if checked.settings is None or not any(applicable(d, False) for d in checked.result.diagnostics):
            return None
        fixed = await self.run(lambda: self._fix(checked, unsafe=False))
        if fixed == checked.text:
            return None
        end = self.position(checked.lines, len(checked.lines), len(checked.lines[-1]) + 1)
        whole = lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), fixed)
        return lsp.CodeAction(
            title="wfcheck: fix all safely fixable findings",
            kind=FIX_ALL,
            edit=self._workspace_edit(uri, checked, [whole]),
        )

    def _workspace_edit(self, uri: str, checked: Checked, edits: list[lsp.TextEdit]) -> lsp.WorkspaceEdit:
        workspace = self.client_capabilities.workspace
        versioned = workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes
        if versioned and checked.version is not None:
            identifier = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=checked.version)
            return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(identifier, list(edits))])
        return lsp.WorkspaceEdit(changes={uri: list(edits)})

    def suppression(self, checked: Checked, d: Diagnostic) -> lsp.TextEdit | None:
        """The edit that adds ``d``'s code to the `# noqa` of its suppression line (or a new
        one there)."""
        row = d.noqa_row or d.line
        if d.code in (SYNTAX_ERROR, INTERNAL_ERROR) or row > len(checked.lines):
            return None
        text = checked.lines[row - 1]
        comment = comments_by_line(checked.text).get(row)
        start = text.rfind(comment) if comment else -1
        codes = noqa_codes_end(comment) if comment and start >= 0 else None
        if codes is not None:
            at = start + codes + 1
            return lsp.TextEdit(self.range(checked.lines, row, at, row, at), f", {d.code}")
        if text.rstrip().endswith("\\"):
            return None  # a comment cannot follow a line continuation
        end = len(text.rstrip()) + 1
        return lsp.TextEdit(self.range(checked.lines, row, end, row, end), f"  # noqa: {d.code}")

    def hover(self, checked: Checked, position: lsp.Position) -> lsp.Hover | None:
        if checked.settings is None:
            return None
        for d in checked.result.diagnostics:
            span = self.range(checked.lines, d.line, d.column, d.end_line, d.end_column)
            rule = checked.settings.catalog.get(d.code)
            if rule is not None and _contains(span, position):
                body = render_rule(rule) + f"\n[Documentation]({rule_url(rule)})\n"
                return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, body), span)
        return None

    def shutdown_worker(self) -> None:
        for task in self._pending.values():
            task.cancel()
        self._pending.clear()
        self._worker.shutdown(wait=False, cancel_futures=True)


def _touches(span: lsp.Range, asked: lsp.Range) -> bool:
    start, end = (span.start.line, span.start.character), (span.end.line, span.end.character)
    a_start, a_end = (asked.start.line, asked.start.character), (asked.end.line, asked.end.character)
    return start <= a_end and a_start <= end


def _contains(span: lsp.Range, position: lsp.Position) -> bool:
    at = (position.line, position.character)
    return (span.start.line, span.start.character) <= at <= (span.end.line, span.end.character)


def _path_of(uri: str) -> str:
    """The file a buffer stands for; an unsaved buffer is a file in the working directory
    (as stdin without `--stdin-filename` is)."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return path or "-"


def _real(uri: str) -> str:
    return str(real_path(_path_of(uri)))


def _is_config(uri: str) -> bool:
    return os.path.basename(_path_of(uri)) in CONFIG_FILES


def _warm_up() -> None:
    from wfcheck.analysis import diagnose  # noqa: F401 - imported for its side effect: loaded
    from wfcheck.catalog import load_catalog

    load_catalog()


def create_server() -> WfcheckServer:
    server = WfcheckServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: WfcheckServer, params: lsp.InitializeParams) -> None:
        ls.configure(params.initialization_options)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: WfcheckServer, params: lsp.InitializedParams) -> None:
        # Imports and the rule catalog, while the editor is still opening files.
        ls._worker.submit(_warm_up)
        asyncio.ensure_future(ls.watch_files())

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: WfcheckServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.files_changed([change.uri for change in params.changes])

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: WfcheckServer, params: lsp.DidChangeConfigurationParams) -> None:
        ls.configure(params.settings)
        ls.settings_changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: WfcheckServer, params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.schedule(uri, changed=ls.opened(uri, params.text_document.text))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: WfcheckServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        changed = ls.opened(uri, ls.workspace.get_text_document(uri).source)
        ls.schedule(uri, ls.editor.debounce_ms / 1000, changed)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(ls: WfcheckServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if _is_config(uri):
            ls.settings_changed()
        elif not ls.pull:
            ls.schedule(uri, changed=False)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: WfcheckServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    @server.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(inter_file_dependencies=True, workspace_diagnostics=False, identifier=SOURCE),
    )
    async def pull_diagnostics(
        ls: WfcheckServer, params: lsp.DocumentDiagnosticParams
    ) -> lsp.RelatedFullDocumentDiagnosticReport:
        uri = params.text_document.uri
        checked = await ls.current(uri)
        items = ls.diagnostics(checked) if checked is not None else []
        return lsp.RelatedFullDocumentDiagnosticReport(items=items)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False
        ),
    )
    async def code_action(ls: WfcheckServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        checked = await ls.current(uri)
        if checked is None:
            return []
        actions = ls.code_actions(uri, checked, params)
        only = params.context.only
        if only is None or any(k == FIX_ALL or FIX_ALL.startswith(f"{k}.") for k in only):
            fix_all = await ls.fix_all(uri, checked)
            if fix_all is not None:
                actions.append(fix_all)
        return actions

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: WfcheckServer, params: lsp.HoverParams) -> lsp.Hover | None:
        checked = await ls.current(params.text_document.uri)
        return ls.hover(checked, params.position) if checked is not None else None

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: WfcheckServer, params: None) -> None:
        ls.shutdown_worker()

    return server


def start() -> None:
    """Serve on stdin/stdout until the client says exit."""
    create_server().start_io()
