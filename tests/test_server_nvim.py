"""A real editor drives `wfcheck server`: Neovim's built-in LSP client, headless, through
scripts/nvim_lsp_demo.lua. Skipped where `nvim` is not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "nvim_lsp_demo.lua"


def test_neovim_shows_the_diagnostics_check_reports(tmp_path: Path) -> None:
    from test_server import HELPERS, WORKFLOW, check_json

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'orders'\n")
    path = tmp_path / "wf_order.py"
    path.write_text(WORKFLOW, encoding="utf-8")
    (tmp_path / "helpers.py").write_text(HELPERS)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "WFCHECK_SERVER_CMD": f"{sys.executable} -m wfcheck server",
    }
    result = subprocess.run(
        [NVIM, "--headless", "--clean", "-c", f"luafile {SCRIPT}", str(path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    lines = WORKFLOW.split("\n")

    def byte_column(row: int, column: int) -> int:
        # Neovim holds columns in bytes; check's JSON counts code points.
        return len(lines[row - 1][: column - 1].encode()) + 1

    expected = sorted(
        f"{f['code']} {f['location']['row']}:{byte_column(f['location']['row'], f['location']['column'])}"
        f"-{f['end_location']['row']}:{byte_column(f['end_location']['row'], f['end_location']['column'])}"
        f" {f['message']}"
        for f in check_json(WORKFLOW, path)
    )
    assert sorted(result.stdout.splitlines()) == expected
