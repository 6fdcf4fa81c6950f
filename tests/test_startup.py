"""Start-up stays light: LibCST (the heaviest import, ~0.3 s CPU) is imported only once a file
has to be parsed. `--version`, a file the prefilter drops and a tree the prefilter empties
never import it. (The cost itself is measured by bench/, not asserted here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import wfcheck

SOURCES = str(Path(wfcheck.__file__).resolve().parent.parent)

# Runs the command line in a fresh interpreter and prints, as JSON, its exit code and which of
# the heavy modules ended up imported.
PROBE = """
import json, sys
from wfcheck.cli import main
sys.argv = ["wfcheck", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
heavy = sorted(name for name in ("libcst", "wfcheck.analysis.project") if name in sys.modules)
print("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}))
"""

CLEAN = "import os\n\n\ndef total(values):\n    return sum(values) + len(os.sep)\n"
WORKFLOW = """\
import datetime

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="w")
def w(ctx: wf.DaprWorkflowContext, x: int):
    now = datetime.datetime.now()
    yield ctx.create_timer(now)
"""


def _probe(cwd: Path, *args: str) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SOURCES, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert "PROBE " in done.stdout, done.stderr
    result: dict[str, object] = json.loads(done.stdout.rsplit("PROBE ", 1)[1])
    return result


def test_version_does_not_import_libcst(tmp_path: Path) -> None:
    assert _probe(tmp_path, "--version") == {"code": 0, "heavy": []}


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
def test_checking_files_the_prefilter_drops_does_not_import_libcst(
    tmp_path: Path, cache: list[str]
) -> None:
    (tmp_path / "clean.py").write_text(CLEAN)
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for number in range(3):
        (package / f"m{number}.py").write_text(CLEAN)
    assert _probe(tmp_path, "check", *cache, "clean.py") == {"code": 0, "heavy": []}
    assert _probe(tmp_path, "check", *cache, ".") == {"code": 0, "heavy": []}


def test_checking_workflow_code_does_import_libcst(tmp_path: Path) -> None:
    # The probe sees the import when a file is parsed (so the tests above can fail).
    (tmp_path / "app.py").write_text(WORKFLOW)
    result = _probe(tmp_path, "check", "--no-cache", "app.py")
    assert result["code"] == 1
    assert "libcst" in result["heavy"]  # type: ignore[operator]
