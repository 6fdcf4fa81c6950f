"""Benchmark of `wfcheck check` on a real tree (figures, not tests).

    python bench/run.py [TREE] [--rounds N]

Without TREE, the base interpreter's site-packages (the one a virtualenv was made from: a
venv's own is too small to be typical) is copied, `.py` files only, to a temporary tree with
the project's `examples/` added. In one session, interleaved round by round, it runs:

- wfcheck cold: `wfcheck check TREE` with an empty cache directory (the cache is written);
- wfcheck warm: the same with the cache of the previous run and nothing changed;
- wfcheck on the candidate files only (those the prefilter lets through), without cache;
- LibCST parse-only of the same candidate files (a fresh interpreter, like wfcheck);
- wfcheck on one small workflow file (a pre-commit hook, an editor on save), without cache;
- `ruff check --select DTZ005,S311 --no-cache` when ruff is installed.

Each command runs in a fresh process from a neutral directory. Times are wall-clock medians
over the rounds; peak memory is the largest resident set of the command or any process it
waited for (`os.wait4` rusage, so a worker pool counts its largest worker, not their sum).
It also reports, in one process, the time per candidate file of wfcheck's analysis against
LibCST's parse alone (start-up excluded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "src"))

from wfcheck.discovery import discover_names  # noqa: E402
from wfcheck.engine import has_workflow_marker  # noqa: E402

SINGLE_FILE = Path("examples") / "dapr_orders" / "app.py"

PARSE_ONLY = """
import sys, libcst
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    with open(path, "rb") as handle:
        libcst.parse_module(handle.read())
"""

# Steady state in one process: each candidate checked (fresh project index) and parsed.
IN_PROCESS = """
import sys, time, libcst
from wfcheck.config import Options, resolve
from wfcheck.engine import check_source
paths = open(sys.argv[1], encoding="utf-8").read().splitlines()
data = [open(p, "rb").read() for p in paths]
[(settings, _)] = resolve([paths[0]], Options(isolated=True))
def check():
    for path, source in zip(paths, data):
        check_source(source, path, settings)
def parse():
    for source in data:
        libcst.parse_module(source)
check(); parse()
best = {}
for _ in range(5):
    for fn in (check, parse):
        start = time.perf_counter(); fn(); took = time.perf_counter() - start
        best[fn.__name__] = min(best.get(fn.__name__, took), took)
print(best["check"], best["parse"])
"""


def default_tree() -> Path:
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
    return Path(base["purelib"])


def copy_tree(source: Path, target: Path) -> None:
    def not_python(directory: str, names: list[str]) -> list[str]:
        return [n for n in names if not n.endswith(".py") and not os.path.isdir(os.path.join(directory, n))]

    shutil.copytree(source, target, ignore=not_python, symlinks=True)
    shutil.copytree(PROJECT / "examples", target / "examples", dirs_exist_ok=True)


def wfcheck_command() -> list[str]:
    script = Path(sys.executable).parent / "wfcheck"
    # The console script never puts the working directory on sys.path (`-m` would).
    return [str(script)] if script.exists() else [sys.executable, "-I", "-m", "wfcheck"]


def timed(command: Sequence[str], cwd: Path) -> tuple[float, int]:
    """Wall-clock seconds and peak resident set (KiB on Linux) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(
        list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return elapsed, peak


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", help="tree to check (default: a copy of site-packages)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wfcheck-bench-") as scratch:
        work = Path(scratch)
        if args.tree:
            tree = Path(args.tree).resolve()
        else:
            source = default_tree()
            print(f"copying {source} (.py files) ...", flush=True)
            tree = work / "tree"
            copy_tree(source, tree)
        neutral = work / "cwd"
        neutral.mkdir()
        cache = work / "cache"
        files = list(discover_names([str(tree)]))
        size = sum(os.path.getsize(f) for f in files)
        candidates = [f for f in files if has_workflow_marker(Path(f).read_bytes())]
        if not candidates:
            parser.error(f"no file under {tree} passes the prefilter: nothing to compare")
        candidate_list = work / "candidates.txt"
        candidate_list.write_text("\n".join(candidates), encoding="utf-8")
        single = tree / SINGLE_FILE
        print(
            f"tree: {tree}\n{len(files)} .py files, {size / 1e6:.0f} MB; "
            f"{len(candidates)} pass the prefilter; --jobs {args.jobs}; {args.rounds} rounds"
        )

        wfcheck = wfcheck_command() + ["check", "-q", "--jobs", str(args.jobs)]
        runs: dict[str, list[str]] = {
            "wfcheck cold": wfcheck + ["--cache-dir", str(cache), str(tree)],
            "wfcheck warm": wfcheck + ["--cache-dir", str(cache), str(tree)],
            "wfcheck candidates": wfcheck + ["--no-cache", *candidates],
            "libcst parse-only candidates": [sys.executable, "-c", PARSE_ONLY, str(candidate_list)],
        }
        if single.exists():
            runs["wfcheck one file"] = wfcheck + ["--no-cache", str(single)]
        ruff = shutil.which("ruff")
        if ruff:
            runs["ruff DTZ005,S311"] = [ruff, "check", "--select", "DTZ005,S311", "--no-cache", str(tree)]
        else:
            print("ruff is not installed: skipped (pip install ruff)")

        # One untimed pass: the file system cache is warm for everyone.
        for command in runs.values():
            timed(command, neutral)
        times: dict[str, list[float]] = {name: [] for name in runs}
        peaks: dict[str, int] = {name: 0 for name in runs}
        for round_number in range(args.rounds):
            for name, command in runs.items():
                if name == "wfcheck cold":
                    shutil.rmtree(cache, ignore_errors=True)
                elapsed, peak = timed(command, neutral)
                times[name].append(elapsed)
                peaks[name] = max(peaks[name], peak)
            laps = ", ".join(f"{n} {t[-1]:.2f}s" for n, t in times.items())
            print(f"round {round_number + 1}: {laps}", flush=True)

        in_process = subprocess.run(
            [sys.executable, "-c", IN_PROCESS, str(candidate_list)],
            cwd=neutral,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT / "src")},
            check=True,
        ).stdout.split()

    median = {name: statistics.median(values) for name, values in times.items()}
    print("\nmedian wall-clock time, peak resident memory:")
    for name in runs:
        print(f"  {name:30} {median[name]:7.3f} s  {peaks[name] / 1024:7.1f} MB")
    print("\nratios:")
    if ruff:
        cold_vs_ruff = median["wfcheck cold"] / median["ruff DTZ005,S311"]
        print(f"  wfcheck cold / ruff                      {cold_vs_ruff:.2f}  (target <= 1.0)")
    warm_vs_cold = median["wfcheck warm"] / median["wfcheck cold"]
    print(f"  wfcheck warm / cold                      {warm_vs_cold:.2f}  (warm target <= 0.3 s)")
    print(
        "  wfcheck / LibCST parse-only, candidates  "
        f"{median['wfcheck candidates'] / median['libcst parse-only candidates']:.2f}  "
        "(end to end, both start an interpreter)"
    )
    check_time, parse_time = (float(v) for v in in_process)
    print(
        "  wfcheck / LibCST parse-only, per file    "
        f"{check_time / parse_time:.2f}  (in one process: {check_time / len(candidates) * 1000:.1f} ms vs "
        f"{parse_time / len(candidates) * 1000:.1f} ms per candidate file; target <= 2)"
    )
    largest = max(peaks.values()) / 1024
    print(f"  peak memory, largest process             {largest:.0f} MB  (target <= 300 MB)")


if __name__ == "__main__":
    main()
