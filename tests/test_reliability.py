"""Reliability (issue 18): fixes never damage a file, a bad cache is a miss, nothing is
written outside the project, names and source text are printed escaped, and odd inputs
(unreadable directories, a closed stdin) are reported, not crashed on.

Where permissions matter the wfcheck subprocess runs as an unprivileged user id (through
``setpriv``) when the suite runs as root, and as the current user otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import settings

from wfcheck.engine import check_paths

SRC = str(Path(__file__).resolve().parent.parent / "src")
DAPR_HEAD = "import dapr.ext.workflow as wf\n\nwfr = wf.WorkflowRuntime()\n\n\n"


def _codes(paths: list[Path]) -> list[tuple[str, int, str]]:
    result = check_paths([str(p) for p in paths], settings())
    return [(Path(d.path).name, d.line, d.code) for d in result.diagnostics]


# -- 11: re-export chains ------------------------------------------------------------------


def test_a_re_export_chain_of_any_length_is_followed_to_its_end(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m0.py").write_text("import time\n\n\ndef stamp():\n    return time.time()\n")
    for n in range(1, 9):
        (tmp_path / f"m{n}.py").write_text(f"from m{n - 1} import stamp\n")
    app = tmp_path / "app.py"
    app.write_text(
        DAPR_HEAD + "from m8 import stamp\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
        "    return stamp()\n"
    )
    assert ("app.py", 11, "WF604") in _codes([app])


def test_a_re_export_cycle_ends_without_a_finding(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.py").write_text("from b import stamp\n")
    (tmp_path / "b.py").write_text("from a import stamp\n")
    app = tmp_path / "app.py"
    app.write_text(
        DAPR_HEAD + "from a import stamp\n\n\n@wfr.workflow\ndef flow(ctx, payload):\n"
        "    return stamp()\n"
    )
    assert _codes([app]) == []
