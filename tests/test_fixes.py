"""Autofixes: each input under tests/fixtures/fix/ against its expected `.fixed.py`, exactly,
and a second `--fix` run that changes nothing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import libcst as cst
import pytest
from helpers import run, settings

from wfcheck.fixes.apply import FileChangedError, fix_source, write_atomically

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
INPUTS = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))


def fixed_path(path: Path) -> Path:
    return path.with_name(path.stem + ".fixed.py")


def fix(data: bytes, name: str = "wf.py", unsafe: bool = True):
    return fix_source(data, name, settings(), unsafe)


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_fix_matches_expected_output(path: Path) -> None:
    outcome, fixed = fix(path.read_bytes(), path.name)
    assert outcome.error is None and outcome.dropped == []
    assert fixed.decode() == fixed_path(path).read_text()
    cst.parse_module(fixed.decode())


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_second_fix_run_changes_nothing(path: Path) -> None:
    _, once = fix(path.read_bytes(), path.name)
    outcome, twice = fix(once, path.name)
    assert twice == once
    assert outcome.applied == []


def test_every_input_has_an_expected_output() -> None:
    assert INPUTS
    for path in INPUTS:
        assert fixed_path(path).exists(), path.name


def test_the_fix_holds_on_the_reference_runtime() -> None:
    """check -> fix -> replay verify: the original diverges on the value the finding named;
    the fixed file replays deterministically under perturbed clocks, seeds and environments."""
    pytest.importorskip("dapr.ext.workflow")
    from wfcheck.runtime.verify import verify

    original = FIXTURES / "runnable_dapr.py"
    findings = {(d.line, d.code) for d in run(original.read_text())}
    assert {(15, "WF202"), (16, "WF301"), (17, "WF101")} <= findings

    lines: list = []
    assert verify(f"{original}:ship", {"id": 7}, runs=2, echo=lines.append) == 1
    report = "\n".join(lines)
    recorded = json.loads(report.split("history recorded: ")[1].split(" input=", 1)[1].splitlines()[0])
    actual = json.loads(report.split("code did now:")[1].split(" input=", 1)[1].splitlines()[0])
    assert recorded["label"] != actual["label"]  # the uuid4() the finding flagged

    lines.clear()
    assert verify(f"{fixed_path(original)}:ship", {"id": 7}, runs=2, echo=lines.append) == 0
    assert lines[-1] == "deterministic under 2 perturbed replays"


def test_safe_only_leaves_unsafe_fixes(tmp_path: Path) -> None:
    source = (FIXTURES / "clock_durabletask.py").read_bytes()
    outcome, fixed = fix(source, unsafe=False)
    text = fixed.decode()
    assert "received = ctx.current_utc_datetime\n" in text  # utcnow(): safe
    assert "local = datetime.now()" in text  # local time -> UTC: unsafe, left alone
    assert {d.code for d in outcome.remaining} == {"WF101"}
    assert all(d.fix.applicability == "unsafe" for d in outcome.remaining)


def test_fix_keeps_encoding_bom_and_line_endings() -> None:
    source = (FIXTURES / "uuid_random_temporal.py").read_text()
    expected = fixed_path(FIXTURES / "uuid_random_temporal.py").read_text()
    crlf = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + source).replace("\n", "\r\n").encode("latin-1")
    _, fixed = fix(crlf)
    latin = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + expected
    assert fixed == latin.replace("\n", "\r\n").encode("latin-1")
    bom = b"\xef\xbb\xbf" + source.encode()
    _, fixed = fix(bom)
    assert fixed == b"\xef\xbb\xbf" + expected.encode()


def test_a_fix_that_would_not_parse_is_dropped(monkeypatch) -> None:
    import wfcheck.fixes.builder as builder

    original = builder._random

    def broken(site, code, qualified):
        fix = original(site, code, qualified)
        if fix is None:
            return None
        edits = tuple(
            e.__class__(e.content + " (", e.line, e.column, e.end_line, e.end_column) for e in fix.edits[:1]
        )
        return fix.__class__(fix.applicability, fix.message, edits + fix.edits[1:])

    monkeypatch.setitem(builder._BUILDERS, "WF201", broken)
    source = (FIXTURES / "uuid_random_temporal.py").read_bytes()
    outcome, fixed = fix(source)
    assert [code for code, _, _ in outcome.dropped] == ["WF201", "WF201"]
    assert "workflow.uuid4()" in fixed.decode()  # the good fix still applied
    assert "random.choice(reviewers)" in fixed.decode()
    cst.parse_module(fixed.decode())


def test_atomic_write_keeps_mode_and_leaves_no_temp_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "wf.py"
    target.write_bytes(b"old\n")
    os.chmod(target, 0o640)
    write_atomically(target, b"old\n", b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        write_atomically(target, b"new\n", b"newer\n")
    assert target.read_bytes() == b"new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["wf.py"]


def test_a_file_changed_on_disk_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "wf.py"
    target.write_bytes(b"edited meanwhile\n")
    with pytest.raises(FileChangedError):
        write_atomically(target, b"what we read\n", b"fixed\n")
    assert target.read_bytes() == b"edited meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["wf.py"]


SAFE = FIXTURES / "uuid_durabletask.py"
COOKIE = "# -*- coding: cp1252 -*-\n# \u201cquoted\u201d \u20ac\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.replace("\n", "\r").encode(),
        lambda text: text.replace("\n", "\r\n").rstrip("\r\n").encode(),
        lambda text: text.rstrip("\n").encode(),
        lambda text: (COOKIE + text).replace("\n", "\r\n").encode("cp1252"),
        lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r").encode(),
    ],
    ids=["lone-cr", "crlf-no-trailing-newline", "no-trailing-newline", "cp1252-crlf", "bom-cr"],
)
def test_fix_keeps_line_endings_encoding_bom_and_trailing_newline(encode) -> None:
    outcome, fixed = fix(encode(SAFE.read_text()), unsafe=False)
    assert outcome.applied and outcome.error is None
    assert fixed == encode(fixed_path(SAFE).read_text())


def _fix_in(tmp_path: Path, **kwargs):
    from wfcheck.fixes.apply import fix_paths

    return fix_paths([str(tmp_path)], settings(), **kwargs)


def test_fix_keeps_the_mode_and_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real" / "wf.py"
    real.parent.mkdir()
    real.write_bytes(SAFE.read_bytes())
    os.chmod(real, 0o755)
    (tmp_path / "link.py").symlink_to(real)
    from wfcheck.fixes.apply import fix_paths

    [outcome] = fix_paths([str(tmp_path / "link.py")], settings()).outcomes
    assert outcome.applied and outcome.error is None
    assert (tmp_path / "link.py").is_symlink()
    assert real.read_text() == fixed_path(SAFE).read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o755


def test_fix_paths_reports_a_file_changed_between_read_and_write(tmp_path: Path, monkeypatch) -> None:
    import wfcheck.fixes.apply as apply

    target = tmp_path / "wf.py"
    target.write_bytes(SAFE.read_bytes())
    fix_source_for_real = apply.fix_source

    def edited_meanwhile(*args, **kwargs):
        result = fix_source_for_real(*args, **kwargs)
        target.write_text("# the user's edit\n")
        return result

    monkeypatch.setattr(apply, "fix_source", edited_meanwhile)
    [outcome] = _fix_in(tmp_path).outcomes
    assert outcome.error == f"not fixed: {target} changed on disk while it was being fixed; not written"
    assert outcome.applied == [] and not outcome.changed
    assert target.read_text() == "# the user's edit\n"
    assert [p.name for p in tmp_path.iterdir()] == ["wf.py"]


def test_a_disk_full_in_the_middle_of_a_write_leaves_the_original(tmp_path: Path, monkeypatch) -> None:
    import wfcheck.fixes.write as write

    target = tmp_path / "wf.py"
    target.write_bytes(SAFE.read_bytes())
    os_write = os.write

    def half_written(handle: int, data) -> int:
        os_write(handle, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, "write", half_written)
    [outcome] = _fix_in(tmp_path).outcomes
    assert outcome.error == "not fixed: [Errno 28] No space left on device"
    assert outcome.applied == []
    assert target.read_bytes() == SAFE.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["wf.py"]


def test_fixes_that_never_settle_are_reported(monkeypatch) -> None:
    import wfcheck.fixes.builder as builder
    from wfcheck.fixes.apply import MAX_PASSES

    original = builder._BUILDERS["WF202"]

    def restless(site, code, qualified):
        fix = original(site, code, qualified)
        first = fix.edits[0]
        # Adds a comment line and keeps the call: the same finding comes back every pass.
        comment = first.__class__("# again\n", first.line, 1, first.line, 1)
        return fix.__class__(fix.applicability, fix.message, (comment,))

    monkeypatch.setitem(builder._BUILDERS, "WF202", restless)
    outcome, fixed = fix(SAFE.read_bytes())
    assert outcome.error == f"fixes did not converge after {MAX_PASSES} passes"
    assert fixed.decode().count("# again\n") == MAX_PASSES


@pytest.mark.parametrize("codec", ["unicode_escape", "idna"])
def test_a_file_whose_encoding_does_not_round_trip_is_left_alone(codec: str) -> None:
    # unicode_escape writes line breaks back as `\n`; idna cannot encode a 64-character label.
    data = f"# coding: {codec}\n# {'a' * 70}\n".encode() + SAFE.read_bytes()
    outcome, fixed = fix(data)
    assert outcome.error == f"not fixed: the {codec} encoding does not round-trip"
    assert fixed == data
    assert [d.code for d in outcome.remaining] == ["WF202"]


def test_a_fix_that_raises_leaves_the_file_and_reports_wf999(tmp_path: Path, monkeypatch) -> None:
    import wfcheck.fixes.apply as apply

    def broken(*args, **kwargs):
        raise TypeError("sequence item 1: expected str instance, NoneType found")

    monkeypatch.setattr(apply, "apply_edits", broken)
    source = (FIXTURES / "uuid_random_temporal.py").read_bytes()
    outcome, fixed = fix(source)
    assert fixed == source and outcome.applied == []
    [diagnostic] = outcome.remaining
    assert diagnostic.code == "WF999" and "internal error in the fixes: TypeError" in diagnostic.message


def test_fixes_keep_quotes_an_f_string_cannot_nest_before_python_3_12() -> None:
    import ast

    source = (
        "import os\nimport azure.durable_functions as df\n\nmyApp = df.DFApp()\n\n\n"
        '@myApp.orchestration_trigger(context_name="context")\n'
        "def orch(context: df.DurableOrchestrationContext):\n"
        '    r = yield context.call_activity("x", None)\n'
        "    return f\"home={os.getenv('HOME')} r={r}\"\n"
    )
    outcome, fixed = fix(source.encode())
    assert outcome.applied and outcome.dropped == []
    ast.parse(fixed.decode())  # the running interpreter, 3.9 to 3.11 included
    assert "f\"home={(yield context.call_activity('read_getenv', None))} r={r}\"" in fixed.decode()


def test_the_first_yield_in_a_plain_workflow_function_is_an_unsafe_fix() -> None:
    outcome, fixed = fix((FIXTURES / "plain_function_dapr.py").read_bytes(), unsafe=False)
    assert outcome.applied == [] and "time.sleep(1)" in fixed.decode()
    [remaining] = outcome.remaining
    assert remaining.fix.applicability == "unsafe" and "becomes a generator" in remaining.fix.message


def test_fix_kinds_that_would_break_code_are_not_offered() -> None:
    """Handles cannot be recorded; a shadowed `sorted` is not the builtin; a bare
    `asyncio.sleep` never waited (its timer is unsafe); registration lands before `start()`."""
    source = (
        "import asyncio\nimport json\nimport os\nimport random\n"
        "from durabletask import worker\n\n\n"
        "def sorted(items):\n    return list(items)[:1]\n\n\n"
        "def w1(ctx, inp):\n"
        "    fh = open('config.json')\n"
        "    rng = random.Random()\n"
        "    asyncio.sleep(5)\n"
        "    for key in set(inp):\n"
        "        yield ctx.call_activity('x', input=key)\n"
        "    home = os.getenv('HOME')\n"
        "    yield ctx.call_activity('x', input=[home, fh.name, rng.random()])\n\n\n"
        "wk = worker.TaskHubGrpcWorker(); wk.add_orchestrator(w1); wk.start()\n"
    )
    diagnostics = {(d.line, d.code): d.fix for d in run(source, "wf.py")}
    assert diagnostics[(13, "WF401")].applicability == "display-only"
    assert diagnostics[(14, "WF201")].applicability == "display-only"
    assert diagnostics[(15, "WF102")].applicability == "unsafe"
    assert diagnostics[(16, "WF602")].message == "No automatic fix: `sorted` is not the builtin here"
    _, fixed = fix(source.encode())
    assert "wk.add_orchestrator(w1); wk.add_activity(read_home); wk.start()\n" in fixed.decode()


def test_a_file_above_the_size_limit_is_not_fixed_and_says_why(monkeypatch) -> None:
    import wfcheck.source as source

    data = SAFE.read_bytes()
    monkeypatch.setattr(source, "MAX_FILE_BYTES", len(data) - 1)
    outcome, fixed = fix(data)
    assert outcome.error is not None and outcome.error.startswith("skipped: ")
    assert fixed == data and outcome.applied == []


def test_a_seeded_global_generator_is_not_silently_replaced() -> None:
    source = (
        "import random\nfrom temporalio import workflow\n\n\n@workflow.defn\nclass Assign:\n"
        "    @workflow.run\n    async def run(self, reviewers: list) -> str:\n"
        "        random.seed(42)\n        return random.choice(reviewers)\n"
    )
    fixes = {d.line: d.fix for d in run(source, "wf.py")}
    assert fixes[9].applicability == "display-only"
    assert fixes[10].applicability == "unsafe" and "seeds a generator" in fixes[10].message
    generator_engine = (
        "import random\nfrom durabletask import task\n\n\n"
        "def assign(ctx: task.OrchestrationContext, reviewers):\n"
        "    random.seed(42)\n    yield ctx.call_activity('notify', input=reviewers)\n"
    )
    [seeding] = run(generator_engine, "wf.py")
    assert seeding.fix.applicability == "display-only"  # not moved into an activity
