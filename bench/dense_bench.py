"""Benchmark of wfcheck on a generated workflow-dense project (figures, not tests).

    python bench/dense_bench.py [--modules 200] [--seed 1] [--rounds 3] [--jobs 1]
                                [--src DIR ...] [--tree DIR]

Generates the project with bench/dense.py into a temporary directory (or uses ``--tree``), then
runs, each command in a fresh process and interleaved round by round:

- `wfcheck --version` and `wfcheck check` of one file the prefilter drops (start-up);
- wfcheck cold: `wfcheck check TREE -j JOBS` with an empty cache directory (the cache is
  written), then wfcheck warm: the same again with that cache and nothing changed;
- LibCST `parse_module` of every `.py` file of the tree (the parse floor), and stdlib
  `ast.parse` of the same files;
- `ruff check --no-cache --isolated` when ruff is on PATH.

``--src`` (repeatable) names the `src/` directory whose wfcheck runs (default: this checkout's),
so two versions are compared on the same machine in one run. Every figure is CPU time
(user + system, `os.wait4` rusage, so a worker pool's reaped workers count too) and peak
resident memory of the command, not wall time: the machine may be shared. CPU is the minimum
and the median over the rounds; memory is the largest seen.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dense import generate  # noqa: E402

PARSE = """
import sys, {module}
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    with open(path, "rb") as handle:
        {module}.{function}(handle.read(){extra})
"""
LIBCST_PARSE = PARSE.format(module="libcst", function="parse_module", extra="")
AST_PARSE = PARSE.format(module="ast", function="parse", extra="")
CLEAN = "def total(values):\n    return sum(values)\n"


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(CPU seconds, peak RSS in MB, exit code) of ``command`` run to the end."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir()
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, process.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--src", action="append", default=[], help="wfcheck sources to run")
    parser.add_argument("--tree", type=Path, help="an existing project instead of a generated one")
    args = parser.parse_args()
    sources = [str(Path(s).resolve()) for s in args.src] or [str(HERE.parent / "src")]

    work = Path(tempfile.mkdtemp(prefix="wfcheck-dense-"))
    try:
        tree = args.tree or work / "tree"
        if args.tree is None:
            generate(tree, args.modules, args.seed)
        files = sorted(str(p) for p in tree.rglob("*.py"))
        listing = work / "files.txt"
        listing.write_text("\n".join(files), encoding="utf-8")
        clean = work / "clean.py"
        clean.write_text(CLEAN, encoding="utf-8")
        python = sys.executable

        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {}
        caches: dict[str, Path] = {}
        for number, src in enumerate(sources):
            env = dict(os.environ, PYTHONPATH=src)
            tag = f"[{number}]" if len(sources) > 1 else ""
            wfcheck = [python, "-m", "wfcheck"]
            caches[tag] = work / f"cache{number}"
            check = [*wfcheck, "check", str(tree), "-j", str(args.jobs), "--cache-dir", str(caches[tag])]
            commands[f"wfcheck --version {tag}"] = ([*wfcheck, "--version"], env)
            commands[f"wfcheck check clean.py {tag}"] = ([*wfcheck, "check", "--no-cache", str(clean)], env)
            commands[f"wfcheck cold -j{args.jobs} {tag}"] = (check, env)
            commands[f"wfcheck warm -j{args.jobs} {tag}"] = (check, env)
        commands["libcst parse_module"] = ([python, "-c", LIBCST_PARSE, str(listing)], None)
        commands["ast.parse"] = ([python, "-c", AST_PARSE, str(listing)], None)
        ruff = shutil.which("ruff")
        if ruff:
            commands["ruff check"] = ([ruff, "check", "--no-cache", "--isolated", "-q", str(tree)], None)

        cpu: dict[str, list[float]] = {name: [] for name in commands}
        rss: dict[str, int] = dict.fromkeys(commands, 0)
        for _ in range(args.rounds):
            for cache in caches.values():
                shutil.rmtree(cache, ignore_errors=True)
            for name, (command, command_env) in commands.items():
                seconds, megabytes, code = measure(command, command_env)
                if name.startswith("wfcheck c") and code not in (0, 1):
                    print(f"{name} exited {code}", file=sys.stderr)
                cpu[name].append(seconds)
                rss[name] = max(rss[name], megabytes)

        modules = sum(1 for f in files if not f.endswith("__init__.py"))
        print(f"{modules} modules, {args.rounds} rounds, CPU seconds (user+sys), peak RSS")
        for number, src in enumerate(sources):
            if len(sources) > 1:
                print(f"[{number}] = {src}")
        floor = min(cpu["libcst parse_module"])
        print(f"| {'command':<32} | {'CPU min':>8} | {'CPU median':>10} | {'RSS MB':>6} | {'÷ parse':>7} |")
        print(f"|{'-' * 34}|{'-' * 10}|{'-' * 12}|{'-' * 8}|{'-' * 9}|")
        for name in commands:
            low, middle = min(cpu[name]), statistics.median(cpu[name])
            print(f"| {name:<32} | {low:8.2f} | {middle:10.2f} | {rss[name]:6d} | {low / floor:7.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
