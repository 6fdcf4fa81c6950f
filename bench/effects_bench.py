"""How much work the transitive pass does on a generated workflow-dense project (figures,
not tests).

    python bench/effects_bench.py [--modules 200] [--seed 1] [--src DIR ...] [--tree DIR]

Generates the project with bench/dense.py into a temporary directory (or uses ``--tree``) and,
for each ``--src`` (default: this checkout's ``src/``; name an older checkout's to compare),
runs one cold `wfcheck check TREE -j 1 --no-cache` in a fresh process that counts:

- helper summaries computed (calls of the project index's summarizer: before issue 14 a helper
  was summarised once per engine calling it, since then once per run);
- the CPU seconds spent in `ProjectIndex.chain` (chains and the summaries they need) and in
  the whole check, and the findings reported.

CPU is process time (user + system), not wall time: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dense import generate  # noqa: E402

PROBE = r"""
import json, sys, time
import wfcheck.analysis.project as project

counts = {"summaries": 0, "chain_cpu": 0.0, "depth": 0}
init, chain = project.ProjectIndex.__init__, project.ProjectIndex.chain

def counting_init(self, roots, summarizer, *args, **kwargs):
    def counted(*a):
        counts["summaries"] += 1
        return summarizer(*a)
    init(self, roots, counted, *args, **kwargs)

def timed_chain(self, *args):
    if counts["depth"]:
        return chain(self, *args)
    counts["depth"] += 1
    start = time.process_time()
    try:
        return chain(self, *args)
    finally:
        counts["chain_cpu"] += time.process_time() - start
        counts["depth"] -= 1

project.ProjectIndex.__init__ = counting_init
project.ProjectIndex.chain = timed_chain
from wfcheck.app import run_check  # noqa: E402
from wfcheck.cli import main  # noqa: E402

start = time.process_time()
try:
    main(["check", sys.argv[1], "--no-cache", "-j", "1", "--output-format", "json", "-o", sys.argv[2]],
         standalone_mode=False)
except SystemExit:
    pass
total = time.process_time() - start
findings = len(json.load(open(sys.argv[2])))
print(json.dumps({"summaries": counts["summaries"], "chain_cpu": counts["chain_cpu"],
                  "check_cpu": total, "findings": findings}))
"""


def probe(src: Path, tree: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src))
    with tempfile.TemporaryDirectory() as scratch:
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(tree), os.path.join(scratch, "out.json")],
            env=env, capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(),
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--src", type=Path, action="append", help="a wfcheck src/ (repeatable)")
    parser.add_argument("--tree", type=Path, help="an existing tree instead of a generated one")
    args = parser.parse_args()
    sources = args.src or [HERE.parent / "src"]
    with tempfile.TemporaryDirectory() as scratch:
        tree = args.tree or Path(scratch) / "tree"
        if args.tree is None:
            generate(tree, args.modules, args.seed)
        print(f"{'src':50} {'summaries':>9} {'chain CPU s':>11} {'check CPU s':>11} {'findings':>8}")
        for src in sources:
            figures = probe(src.resolve(), tree)
            print(
                f"{str(src):50} {figures['summaries']:>9} {figures['chain_cpu']:>11.3f}"
                f" {figures['check_cpu']:>11.2f} {figures['findings']:>8}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
