"""bench/dense.py makes the tree the dense bench edits, and bench/dense_bench.py runs on a tiny
one. (Figures are the bench's business: nothing here is timed.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from dense import HUB, HUB_COMMENT, HUB_EFFECT, REVISION, engine_of, generate  # noqa: E402


def test_the_generator_is_seeded_and_every_workflow_module_imports_the_hub(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 30, seed=3)
    second = generate(tmp_path / "b", 30, seed=3)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    flows = [p for p in first if p.suffix == ".py" and engine_of(p)]
    assert {engine_of(p) for p in flows} == {"dapr", "durabletask", "azure", "temporal"}
    for path in flows:
        lines = path.read_text(encoding="utf-8").split("\n")
        assert "from common.rates import rate" in lines
        assert lines.count(REVISION[0]) == 1
    hub = (tmp_path / "a" / HUB).read_text(encoding="utf-8").split("\n")
    assert hub.count(HUB_COMMENT[0]) == 1 and hub.count(HUB_EFFECT[0]) == 1


def test_the_dense_bench_runs_on_a_tiny_tree() -> None:
    skip = "startup,precommit,temporal,libcst,ast,ruff,temporalint"
    result = subprocess.run(
        [sys.executable, str(BENCH / "dense_bench.py"), "--modules", "8", "--rounds", "1", "--skip", skip],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split("|")[1].strip() for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows == [
        "command",
        "cold -j2 (no cache)",
        "cold -j1",
        "warm, nothing changed",
        "warm, 2 modules edited",
        "pre-commit 2 files, warm",
        f"cutoff: comment edit of {HUB}",
        f"effect edit: {HUB} reads the clock",
    ]
    assert "exited" not in result.stdout


def test_the_dense_bench_profiles_a_cold_run() -> None:
    skip = "startup,parallel,cold,warm,edit10,cutoff,effect,precommit,temporal,libcst,ast,ruff,temporalint"
    result = subprocess.run(
        [sys.executable, str(BENCH / "dense_bench.py"), "--modules", "4", "--rounds", "1", "--skip", skip,
         "--profile"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "profile: one cold run -j1 under cProfile" in result.stdout
    assert "| own time by package |" in result.stdout
    assert "| wfcheck/engine |" in result.stdout
