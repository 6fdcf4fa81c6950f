"""WF607 judged by Temporal's real sandbox: the bundled payments example fails
`SandboxedWorkflowRunner.prepare_workflow` because of `import requests`, and passes after
`--fix` (safe fixes only, and with the unsafe ones too)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli_runner

from wfcheck.checks import sandbox_imports
from wfcheck.cli import main
from wfcheck.runtime.verify import child_base_env

pytest.importorskip("temporalio.worker.workflow_sandbox")
pytest.importorskip("requests")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "temporal_payments" / "workflows.py"

# Imports the module by name (the sandbox re-imports it so) and validates every workflow
# class in it the way a Worker does at start-up.
JUDGE = """
import asyncio, importlib, sys
sys.path.insert(0, sys.argv[1])
import temporalio.workflow
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

async def main():
    module = importlib.import_module(sys.argv[2])
    definitions = [
        temporalio.workflow._Definition.from_class(value)
        for value in vars(module).values()
        if isinstance(value, type) and temporalio.workflow._Definition.from_class(value)
    ]
    assert definitions, "no workflow class"
    for definition in definitions:
        SandboxedWorkflowRunner().prepare_workflow(definition)
    print("sandbox ok", len(definitions))

asyncio.run(main())
"""


def _sandbox(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", JUDGE, str(path.parent), path.stem],
        env=child_base_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check(*args: str):
    return cli_runner().invoke(main, ["check", "--no-cache", "--isolated", *args])


def test_example_fails_the_sandbox_and_wfcheck_says_why(tmp_path: Path) -> None:
    path = tmp_path / "payments_before.py"
    shutil.copy(EXAMPLE, path)
    judged = _sandbox(path)
    assert judged.returncode != 0
    assert "RestrictedWorkflowAccessError" in judged.stderr
    result = _check("--select", "WF607", "--output-format", "concise", str(path))
    assert result.exit_code == 1
    assert "WF607 [*] `requests` is imported at the top of a workflow file" in result.stdout


@pytest.mark.parametrize("unsafe", [False, True], ids=["fix", "fix-unsafe"])
def test_example_passes_the_sandbox_after_fix(tmp_path: Path, unsafe: bool) -> None:
    path = tmp_path / f"payments_fixed_{'unsafe' if unsafe else 'safe'}.py"
    shutil.copy(EXAMPLE, path)
    _check("--fix", *(["--unsafe-fixes"] if unsafe else []), str(path))
    assert "with workflow.unsafe.imports_passed_through():\n    import requests\n" in path.read_text()
    judged = _sandbox(path)
    assert judged.returncode == 0, judged.stderr
    assert "sandbox ok 1" in judged.stdout
    again = _check("--select", "WF607", str(path))
    assert again.exit_code == 0, again.stdout


def test_project_modules_are_judged_by_what_they_import(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "shapes.py").write_text(
        "import dataclasses\n\n@dataclasses.dataclass\nclass Order:\n    id: str\n"
    )
    (package / "clients.py").write_text("import requests\n\nSESSION = requests.Session()\n")
    flows = package / "flows.py"
    flows.write_text(
        "from temporalio import workflow\n"
        "from .shapes import Order\n"
        "from . import clients\n"
        "\n\n@workflow.defn\nclass Flow:\n"
        "    @workflow.run\n    async def run(self, order: Order) -> str:\n        return order.id\n"
    )
    result = _check("--select", "WF607", "--output-format", "concise", str(flows))
    lines = [line for line in result.stdout.splitlines() if "WF607" in line]
    assert len(lines) == 1, result.stdout
    expected = (
        ":3:1: WF607 [*] `app.clients` (via the project module `app.clients`, which imports `requests`)"
    )
    assert expected in lines[0]


def test_the_standard_library_is_known_without_stdlib_module_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python 3.9 has no `sys.stdlib_module_names` (importing this check failed there): the
    standard library's directories are read instead, and give the same answer for what a
    workflow file imports."""
    real = sandbox_imports.stdlib_names()
    monkeypatch.delattr(sys, "stdlib_module_names")
    listed = sandbox_imports.stdlib_names()
    for name in ("os", "json", "asyncio", "datetime", "email", "xml", "_ssl", "sys", "__future__"):
        assert name in listed and name in real
    for name in ("libcst", "temporalio", "site-packages", "pytest"):
        assert name not in listed
    assert len(listed & real) > 0.9 * len(real)
