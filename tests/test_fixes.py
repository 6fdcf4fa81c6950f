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
    assert fixed == ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + expected).replace("\n", "\r\n").encode("latin-1")
    bom = b"\xef\xbb\xbf" + source.encode()
    _, fixed = fix(bom)
    assert fixed == b"\xef\xbb\xbf" + expected.encode()


def test_a_fix_that_would_not_parse_is_dropped(monkeypatch) -> None:
    import wfcheck.fixes.builder as builder

    original = builder._random

    def broken(site, qualified):
        fix = original(site, qualified)
        if fix is None:
            return None
        edits = tuple(e.__class__(e.content + " (", e.line, e.column, e.end_line, e.end_column) for e in fix.edits[:1])
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
