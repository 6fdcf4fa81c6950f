"""`wfcheck server` driven as an editor drives it: pytest-lsp starts the real command over
stdio and speaks LSP to it. What the server reports is compared with `wfcheck check`'s JSON on
the same buffer."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from wfcheck.cli import main  # noqa: E402

SRC = str(Path(__file__).resolve().parents[1] / "src")
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "wfcheck", "server"], server_env=ENV)

WORKFLOW = """\
import time
from datetime import datetime

import dapr.ext.workflow as wf

from helpers import stamp

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="order")
def order(ctx: wf.DaprWorkflowContext, item):
    started = datetime.now()
    label = "\U0001f600 " + str(time.time())  # noqa: WF102
    time.sleep(1)
    yield ctx.call_activity(ship, input={"item": item, "at": started, "label": label, "s": stamp()})


@wfr.activity(name="ship")
def ship(ctx, data):
    return data
"""
HELPERS = """\
import time


def stamp():
    return time.time()
"""
# What the push tests announce: an editor without pull diagnostics (Neovim before 0.10).
PUSH = client_capabilities("neovim@0.9.1")
TIMEOUT = 30


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'orders'\n")
    (tmp_path / "wf_order.py").write_text(WORKFLOW, encoding="utf-8")
    (tmp_path / "helpers.py").write_text(HELPERS)
    return tmp_path


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=PUSH))
    yield
    await lsp_client.shutdown_session()


def uri(path: Path) -> str:
    return path.resolve().as_uri()


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    text = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri(path), "python", version, text))
    )
    return uri(path)


def change_doc(client: LanguageClient, doc: str, text: str, version: int) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version, doc),
            [lsp.TextDocumentContentChangeWholeDocument(text)],
        )
    )


async def published(client: LanguageClient, doc: str) -> list[lsp.Diagnostic]:
    """The next diagnostics published for ``doc`` (call ``client.diagnostics.pop(doc)``
    before the action that triggers them)."""

    async def arrived() -> list[lsp.Diagnostic]:
        while doc not in client.diagnostics:
            await asyncio.sleep(0.01)
        return list(client.diagnostics[doc])

    return await asyncio.wait_for(arrived(), TIMEOUT)


def check_json(text: str, path: Path) -> list[dict]:
    """`wfcheck check --output-format json` on ``text`` as the file at ``path``."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wfcheck",
            "check",
            "--no-cache",
            "--output-format",
            "json",
            "--stdin-filename",
            str(path),
            "-",
        ],
        input=text.encode(),
        capture_output=True,
        env=ENV,
        cwd=path.parent,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def units(line: str, column: int, encoding: str = "utf-16") -> int:
    """A 1-based code-point column as a 0-based offset in the agreed code units (UTF-16
    unless the client offers another)."""
    before = line[: column - 1]
    return len(before.encode("utf-8")) if encoding == "utf-8" else len(before.encode("utf-16-le")) // 2


def expected(text: str, findings: list[dict], encoding: str = "utf-16") -> list[tuple]:
    lines = text.split("\n")
    return sorted(
        (
            f["code"],
            f["location"]["row"] - 1,
            units(lines[f["location"]["row"] - 1], f["location"]["column"], encoding),
            f["end_location"]["row"] - 1,
            units(lines[f["end_location"]["row"] - 1], f["end_location"]["column"], encoding),
            f["message"],
        )
        for f in findings
    )


def shown(diagnostics: list[lsp.Diagnostic]) -> list[tuple]:
    return sorted(
        (
            d.code,
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
            d.message.split("\n")[0],
        )
        for d in diagnostics
    )


def apply(text: str, edit: lsp.WorkspaceEdit, doc: str) -> str:
    """Apply a workspace edit to ``text`` the way an editor does (UTF-16 positions, edits
    against the original text)."""
    if edit.document_changes:
        edits = [
            e for change in edit.document_changes if change.text_document.uri == doc for e in change.edits
        ]
    else:
        edits = list((edit.changes or {}).get(doc, []))
    lines = text.split("\n")

    def offset(position: lsp.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units, chars = 0, 0
        while chars < len(line) and units < position.character:
            units += 2 if ord(line[chars]) > 0xFFFF else 1
            chars += 1
        return before + chars

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


async def actions_at(client: LanguageClient, doc: str, diagnostic: lsp.Diagnostic, only=None):
    return await client.text_document_code_action_async(
        lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(doc),
            diagnostic.range,
            lsp.CodeActionContext([diagnostic], only=only),
        )
    )


@pytest.mark.asyncio
async def test_diagnostics_on_open_equal_check_json(client: LanguageClient, project: Path) -> None:
    path = project / "wf_order.py"
    doc = open_doc(client, path)
    diagnostics = await published(client, doc)
    findings = check_json(WORKFLOW, path)
    assert {f["code"] for f in findings} == {"WF101", "WF102", "WF604"}
    assert shown(diagnostics) == expected(WORKFLOW, findings)
    by_code = {d.code: d for d in diagnostics}
    # Full ranges, a link to the rule's section, the chain through the helper.
    assert by_code["WF102"].code_description.href.endswith("docs/rules.md#blocking-sleep-wf102")
    assert "via stamp()" in by_code["WF604"].message
    assert "in workflow `order`" in by_code["WF604"].message
    assert all(d.source == "wfcheck" for d in diagnostics)


@pytest.mark.asyncio
async def test_quick_fix_then_change_removes_the_finding(client: LanguageClient, project: Path) -> None:
    path = project / "wf_order.py"
    doc = open_doc(client, path)
    diagnostics = await published(client, doc)
    clock = next(d for d in diagnostics if d.code == "WF101" and d.range.start.line == 13)
    actions = await actions_at(client, doc, clock, only=[lsp.CodeActionKind.QuickFix])
    fix = next(a for a in actions if a.title.startswith("WF101: Replace"))
    # Safe on both axes: preferred, and no label.
    assert fix.is_preferred and not fix.title.endswith(("history)", "unsafe)"))
    fixed = apply(WORKFLOW, fix.edit, doc)
    assert "time.time()" not in fixed.split("\n")[13]
    client.diagnostics.pop(doc)
    change_doc(client, doc, fixed, 2)
    after = await published(client, doc)
    assert ("WF101", 13) not in {(d.code, d.range.start.line) for d in after}
    assert shown(after) == expected(fixed, check_json(fixed, path))


@pytest.mark.asyncio
async def test_fixes_plain_fix_leaves_are_offered_only_when_enabled_and_labelled(
    client: LanguageClient, project: Path
) -> None:
    doc = open_doc(client, project / "wf_order.py")
    diagnostics = await published(client, doc)
    now = next(d for d in diagnostics if d.code == "WF101" and d.range.start.line == 12)
    sleep = next(d for d in diagnostics if d.code == "WF102")

    async def fix_titles(diagnostic: lsp.Diagnostic) -> list[str]:
        actions = await actions_at(client, doc, diagnostic, only=[lsp.CodeActionKind.QuickFix])
        return [a.title for a in actions if "noqa" not in a.title]

    assert await fix_titles(now) == [] and await fix_titles(sleep) == []
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"wfcheck": {"unsafeFixes": True}})
    )
    [unsafe] = await fix_titles(now)
    assert "current_utc_datetime" in unsafe and unsafe.endswith("(unsafe, keeps history)")
    [history] = await fix_titles(sleep)
    assert "create_timer" in history and history.endswith("(safe, changes history)")


def check_fix(text: str, path: Path) -> str:
    """`wfcheck check --fix` on ``text`` as the file at ``path``: the fixed buffer."""
    result = subprocess.run(
        [sys.executable, "-m", "wfcheck", "check", "--no-cache", "--fix", "--stdin-filename", str(path), "-"],
        input=text.encode(),
        capture_output=True,
        env=ENV,
        cwd=path.parent,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.decode()


@pytest.mark.asyncio
async def test_fix_all_applies_what_check_fix_applies(client: LanguageClient, project: Path) -> None:
    path = project / "wf_order.py"
    doc = open_doc(client, path)
    await published(client, doc)
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(doc),
            lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            lsp.CodeActionContext([], only=["source.fixAll"]),
        )
    )
    assert [a.kind for a in actions] == ["source.fixAll.wfcheck"]
    fixed = apply(WORKFLOW, actions[0].edit, doc)
    assert fixed != WORKFLOW and fixed == check_fix(WORKFLOW, path)
    left = check_json(fixed, path)
    # Only time.time() has a fix safe on both axes; the others are left.
    assert sorted(f["code"] for f in left) == ["WF101", "WF102", "WF604"]
    assert not any(f["fix"]["applicability"] == "safe" and f["fix"]["history"] == "keeps" for f in left)


@pytest.mark.asyncio
async def test_suppression_appends_to_an_existing_noqa(client: LanguageClient, project: Path) -> None:
    path = project / "wf_order.py"
    doc = open_doc(client, path)
    diagnostics = await published(client, doc)
    clock = next(d for d in diagnostics if d.code == "WF101" and d.range.start.line == 13)
    action = next(a for a in await actions_at(client, doc, clock) if "noqa" in a.title)
    fixed = apply(WORKFLOW, action.edit, doc)
    assert fixed.split("\n")[13].endswith("# noqa: WF102, WF101")
    sleep = next(d for d in diagnostics if d.code == "WF102")
    action = next(a for a in await actions_at(client, doc, sleep) if "noqa" in a.title)
    fixed = apply(fixed, action.edit, doc)
    assert fixed.split("\n")[14] == "    time.sleep(1)  # noqa: WF102"
    client.diagnostics.pop(doc)
    change_doc(client, doc, fixed, 2)
    left = await published(client, doc)
    assert sorted((d.code, d.range.start.line) for d in left) == [("WF101", 12), ("WF604", 15)]


@pytest.mark.asyncio
async def test_hover_shows_the_rule_documentation(client: LanguageClient, project: Path) -> None:
    doc = open_doc(client, project / "wf_order.py")
    sleep = next(d for d in await published(client, doc) if d.code == "WF102")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(doc), sleep.range.start)
    )
    assert hover is not None and hover.contents.kind == lsp.MarkupKind.Markdown
    for section in ("# blocking-sleep (WF102)", "What it does", "Why is this bad?", "Example", "Use instead"):
        assert section in hover.contents.value
    nothing = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(doc), lsp.Position(0, 0))
    )
    assert nothing is None


@pytest.mark.asyncio
async def test_editing_a_helper_republishes_its_callers(client: LanguageClient, project: Path) -> None:
    workflow = open_doc(client, project / "wf_order.py")
    assert "WF604" in {d.code for d in await published(client, workflow)}
    helper = open_doc(client, project / "helpers.py")
    await published(client, helper)
    client.diagnostics.pop(workflow)
    # Unsaved: the file on disk still reads the clock; the buffer no longer does.
    change_doc(client, helper, "def stamp():\n    return 0\n", 2)
    assert "WF604" not in {d.code for d in await published(client, workflow)}
    client.diagnostics.pop(workflow)
    change_doc(client, helper, HELPERS, 3)
    assert "WF604" in {d.code for d in await published(client, workflow)}


@pytest.mark.asyncio
async def test_unparsable_buffer_is_wf900_and_config_applies(client: LanguageClient, project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.wfcheck]\nper-file-ignores = { 'wf_*.py' = ['WF102'] }\nexclude = ['skipped_*.py']\n"
    )
    path = project / "wf_order.py"
    doc = open_doc(client, path)
    codes = sorted(d.code for d in await published(client, doc))
    assert codes == sorted(f["code"] for f in check_json(WORKFLOW, path))
    assert "WF102" not in codes
    broken = WORKFLOW.replace("def order(ctx", "def order(ctx,,")
    client.diagnostics.pop(doc)
    change_doc(client, doc, broken, 2)
    diagnostics = await published(client, doc)
    assert [d.code for d in diagnostics] == ["WF900"]
    assert diagnostics[0].severity == lsp.DiagnosticSeverity.Error
    assert shown(diagnostics) == expected(broken, check_json(broken, path))
    skipped = open_doc(client, project / "skipped_order.py", WORKFLOW)
    assert await published(client, skipped) == []


def pulling_client() -> lsp.ClientCapabilities:
    """An editor that pulls diagnostics and can be told to pull again."""
    capabilities = client_capabilities("neovim@0.11.0")
    assert capabilities.text_document is not None and capabilities.text_document.diagnostic is not None
    assert capabilities.workspace is not None
    capabilities.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return capabilities


async def stop(client: LanguageClient) -> None:
    """Stop the client; a server a failed test left running is killed, not waited for."""
    if client._server is not None and client._server.returncode is None:
        client._server.kill()
    await client.stop()


@pytest.mark.asyncio
async def test_pull_diagnostics_when_the_client_supports_them(project: Path) -> None:
    client = await SERVER.start()
    try:
        result = await client.initialize_session(lsp.InitializeParams(capabilities=pulling_client()))
        # Neovim 0.11 prefers UTF-8 positions: columns are counted in bytes then.
        assert result.capabilities.position_encoding == lsp.PositionEncodingKind.Utf8
        path = project / "wf_order.py"
        doc = open_doc(client, path)
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(doc))
        )
        assert shown(report.items) == expected(WORKFLOW, check_json(WORKFLOW, path), "utf-8")
        await asyncio.sleep(0.3)
        assert doc not in client.diagnostics  # nothing pushed to a pulling client
        helper = open_doc(client, project / "helpers.py")
        await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(helper))
        )
        refreshes = client.diagnostic_refresh_count
        change_doc(client, helper, "def stamp():\n    return 0\n", 2)

        async def refreshed() -> None:
            while client.diagnostic_refresh_count == refreshes:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(refreshed(), TIMEOUT)
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(doc))
        )
        assert "WF604" not in {d.code for d in report.items}
        await client.shutdown_session()
        assert client._server is not None and client._server.returncode == 0
    finally:
        await stop(client)


@pytest.mark.asyncio
async def test_shutdown_then_exit_ends_the_process(project: Path) -> None:
    client = await SERVER.start()
    try:
        await client.initialize_session(lsp.InitializeParams(capabilities=PUSH))
        doc = open_doc(client, project / "wf_order.py")
        await published(client, doc)
        await client.shutdown_session()
        assert client._server is not None and client._server.returncode == 0
    finally:
        await stop(client)


def test_server_without_pygls_says_how_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['pygls'] = None\n")
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(tmp_path), ENV["PYTHONPATH"]])}
    result = subprocess.run(
        [sys.executable, "-m", "wfcheck", "server"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr == "wfcheck: error: the language server needs pygls: pip install 'wfcheck[server]'\n"


def test_server_is_a_listed_command() -> None:
    from click.testing import CliRunner

    assert "server" in CliRunner().invoke(main, ["--help"]).output


def test_editor_settings_are_validated_and_documented() -> None:
    from wfcheck.server import SETTINGS, EditorSettings

    settings, problems = EditorSettings.from_json(
        {"wfcheck": {"unsafeFixes": True, "select": ["wf1"], "debounceMs": "soon", "colour": 1}}
    )
    assert settings.unsafe_fixes is True and settings.select == ["WF1"] and settings.debounce_ms == 100
    assert problems == [
        "settings: key 'debounceMs': unexpected value 'soon'",
        "settings: unknown key 'colour'",
    ]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for key in SETTINGS:
        assert f"`{key}`" in readme, f"README does not describe the `{key}` setting"


@pytest.mark.asyncio
async def test_files_changed_on_disk_are_watched_and_rechecked(project: Path) -> None:
    client = await SERVER.start()
    registrations: list[lsp.Registration] = []

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    try:
        capabilities = client_capabilities("neovim@0.9.1")
        assert capabilities.workspace is not None
        capabilities.workspace.did_change_watched_files = lsp.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True
        )
        await client.initialize_session(lsp.InitializeParams(capabilities=capabilities))
        doc = open_doc(client, project / "wf_order.py")
        assert {"WF101", "WF102", "WF604"} == {d.code for d in await published(client, doc)}
        # The options arrive as plain JSON (LSPAny).
        globs = {w["globPattern"] for r in registrations for w in r.register_options["watchers"]}
        assert {"**/*.py", "**/pyproject.toml"} <= globs
        # A helper edited outside the editor (it is not open here).
        (project / "helpers.py").write_text("def stamp():\n    return 0\n")
        client.diagnostics.pop(doc)
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(
                [lsp.FileEvent(uri(project / "helpers.py"), lsp.FileChangeType.Changed)]
            )
        )
        assert "WF604" not in {d.code for d in await published(client, doc)}
        # The configuration changed on disk.
        (project / "pyproject.toml").write_text("[tool.wfcheck]\nignore = ['WF102']\n")
        client.diagnostics.pop(doc)
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(
                [lsp.FileEvent(uri(project / "pyproject.toml"), lsp.FileChangeType.Changed)]
            )
        )
        assert {d.code for d in await published(client, doc)} == {"WF101"}
        await client.shutdown_session()
    finally:
        await stop(client)
