"""Benchmark of wfcheck on a generated workflow-dense project (figures, not tests).

    python bench/dense_bench.py [--modules 200 | --sizes 300,1000,4000] [--seed 1] [--rounds 3]
                                [--jobs 1] [--parallel 2] [--src DIR ...] [--tree DIR] [--skip ROWS]
                                [--profile]

Generates the project with bench/dense.py into a temporary directory (or uses ``--tree``, a
tree made by bench/dense.py: its files are edited in place and restored), then runs, each
command in a fresh process, round by round, for each ``--src`` in turn:

- ``startup``: `wfcheck --version`, and `wfcheck check --no-cache` of one clean small file;
- ``parallel``: `wfcheck check TREE -j PARALLEL --no-cache` (default `-j 2`): its wall time
  against the ``cold`` row's is the speed-up of a worker pool;
- ``cold``: `wfcheck check TREE -j JOBS` with an empty cache directory (the cache is written);
  ``warm``: the same again with that cache and nothing changed;
- ``edit10``: the same after an in-place comment edit of ten workflow modules (spread over the
  tree), then, the edit undone, `wfcheck check F1 .. F10` with that cache (pre-commit on the
  changed files, warm);
- ``cutoff``: the whole tree after a comment-only edit of `common/rates.py`, the helper every
  workflow module imports (dense.HUB; no result can change: an early cutoff checks one file);
  ``effect``: after a further edit of that helper that makes it read the clock (every
  workflow that calls it gets a finding: the dependants must be checked again);
- ``precommit``: `wfcheck check F1 .. F10` with an empty cache directory (pre-commit, cold);
- ``temporal``: `wfcheck check` of the Temporal modules only, with an empty cache directory;

and once a round, the same for every `--src`:

- ``libcst``: LibCST `parse_module` of every `.py` file of the tree (the parse floor);
  ``ast``: stdlib `ast.parse` of the same files;
- ``ruff``: `ruff check --no-cache --isolated` of the tree, when ruff is on PATH;
- ``temporalint``: `temporalint` of the Temporal modules (the Temporal part of the tree), when
  it is on PATH (`pip install temporalint`: a comparison, not a dependency of wfcheck).

``--skip`` takes a comma-separated list of those row names. ``--src`` (repeatable) names the
`src/` directory whose wfcheck runs (default: this checkout's), so two versions are compared
side by side on the same machine in one run. ``--sizes`` runs the whole table for each size,
then a scaling table: wfcheck cold CPU / LibCST parse CPU (the parse ratio) and the peak
resident memory of the wfcheck runs over the tree at each size, with its growth from the
smallest size. ``--profile`` adds a cProfile of one cold run (`-j 1`; cProfile's own overhead
included) of the last `--src` (the newest), with its own time grouped by package, its top
functions and wfcheck's functions by cumulative time.

Every figure is CPU time (user + system, `os.wait4` rusage, so a worker pool's reaped workers
count too) and peak resident memory of the command; wall time is shown too, but the machine
may be shared: compare CPU. wfcheck runs with its bytecode kept, as an installed package has
it (in the work directory, whatever PYTHONDONTWRITEBYTECODE says), after one unmeasured run
of each source has written it.
A cell is the minimum CPU over the rounds (the median in brackets when there are several) and
the largest resident set seen. Output is markdown.
"""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dense import HUB, HUB_COMMENT, HUB_EFFECT, REVISION, engine_of, generate  # noqa: E402

PARSE = """
import sys, {module}
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    with open(path, "rb") as handle:
        {module}.{function}(handle.read(){extra})
"""
LIBCST_PARSE = PARSE.format(module="libcst", function="parse_module", extra="")
AST_PARSE = PARSE.format(module="ast", function="parse", extra="")
CLEAN = "def total(values):\n    return sum(values)\n"
# `wfcheck ARGS` under cProfile, every thread profiled (wfcheck analyses each file on a thread
# of its own, with a deep stack), each on its own CPU clock; the merged stats are written to argv[1].
PROFILE = """
import cProfile, pstats, runpy, sys, threading, time
profiles = [cProfile.Profile(time.thread_time)]
run = threading.Thread.run
def profiled(self):
    profile = cProfile.Profile(time.thread_time)
    profiles.append(profile)
    profile.runcall(run, self)
threading.Thread.run = profiled
out, sys.argv = sys.argv[1], ["wfcheck", *sys.argv[2:]]
profiles[0].enable()
try:
    runpy.run_module("wfcheck", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profiles[0].disable()
    # wfcheck's deep-stack threads wait for calls for the life of the process: end them, so
    # each closes its own profile on its own clock (another thread's clock garbles it).
    for thread in list(getattr(sys.modules.get("wfcheck.source"), "_IDLE", ())):
        thread.retire()
    for thread in threading.enumerate():
        if thread.name == "wfcheck-deep":
            thread.join(10)
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    stats.dump_stats(out)
"""
ROWS = (
    "startup", "parallel", "cold", "warm", "edit10", "cutoff", "effect", "precommit", "temporal",
    "libcst", "ast", "ruff", "temporalint",
)
EDITED = 10


@dataclass
class Figures:
    """CPU and wall seconds of each round and the peak RSS (MB) of one row."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    rss: int = 0

    def add(self, seconds: float, megabytes: int, wall: float) -> None:
        self.cpu.append(seconds)
        self.wall.append(wall)
        self.rss = max(self.rss, megabytes)

    def cell(self) -> str:
        if not self.cpu:
            return ""
        low = min(self.cpu)
        if len(self.cpu) == 1:
            return f"{low:.2f}"
        return f"{low:.2f} ({statistics.median(self.cpu):.2f})"

    def cells(self) -> list[str]:
        """CPU, wall (the least) and RSS."""
        return [self.cell(), f"{min(self.wall):.2f}", str(self.rss)]


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, float]:
    """(CPU seconds, peak RSS in MB, exit code, wall seconds) of ``command`` run to the end."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir()
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, process.returncode, wall


def replace_line(path: Path, old: str, new: str) -> None:
    """Replaces the one line ``old`` of ``path`` by ``new`` (same line number)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    index = lines.index(old)
    lines[index] = new
    path.write_text("\n".join(lines), encoding="utf-8")


def spread(items: list[Path], count: int) -> list[Path]:
    """``count`` items spread evenly over ``items`` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


class Bench:
    """One size: the tree, the commands, and the figures of every row and source."""

    def __init__(self, args: argparse.Namespace, sources: list[str], tree: Path, work: Path) -> None:
        self.args, self.sources, self.tree, self.work = args, sources, tree, work
        self.skip = set(args.skip)
        self.python = sys.executable
        files = sorted(tree.rglob("*.py"))
        self.files = [str(p) for p in files]
        self.modules = sum(1 for p in files if p.name != "__init__.py")
        engines = {p: engine_of(p) for p in files}
        flows = [p for p in files if engines[p]]
        self.temporal = [str(p) for p in flows if engines[p] == "temporal"]
        self.edited = spread(flows, EDITED)
        self.hub = tree / HUB
        self.listing = work / "files.txt"
        self.listing.write_text("\n".join(self.files), encoding="utf-8")
        self.clean = work / "clean.py"
        self.clean.write_text(CLEAN, encoding="utf-8")
        # figures[(row label, source number or None)]
        self.figures: dict[tuple[str, int | None], Figures] = defaultdict(Figures)
        self.labels: list[str] = []
        self.shared_labels: list[str] = []
        self.failures: list[str] = []

    def wants(self, row: str) -> bool:
        return row not in self.skip

    def env(self, number: int) -> dict[str, str]:
        """wfcheck's environment: its bytecode kept (in the work directory), as an installed
        package has it, even where the machine sets PYTHONDONTWRITEBYTECODE (else every run
        would compile wfcheck's own modules again)."""
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        return dict(
            base, PYTHONPATH=self.sources[number], PYTHONPYCACHEPREFIX=str(self.work / f"pycache{number}")
        )

    def warm_up(self) -> None:
        """One unmeasured run of each source over a workflow module: its bytecode and its
        parsed rule catalog are written before anything is measured."""
        files = [str(self.hub), *map(str, self.edited[:1])]
        for number in range(len(self.sources)):
            measure([self.python, "-m", "wfcheck", "check", "--no-cache", *files], self.env(number))

    def wfcheck(self, number: int, label: str, arguments: list[str], cache: Path | None) -> None:
        env = self.env(number)
        command = [self.python, "-m", "wfcheck", *arguments]
        if cache is not None:
            command += ["--cache-dir", str(cache)]
        seconds, megabytes, code, wall = measure(command, env)
        if code not in (0, 1):
            self.failures.append(f"{label} [{number}] exited {code}")
        if label not in self.labels:
            self.labels.append(label)
        self.figures[label, number].add(seconds, megabytes, wall)

    def shared(self, label: str, command: list[str]) -> None:
        seconds, megabytes, _, wall = measure(command)
        if label not in self.shared_labels:
            self.shared_labels.append(label)
        self.figures[label, None].add(seconds, megabytes, wall)

    def run_source(self, number: int) -> None:
        """One round of the wfcheck rows of one source; the tree is as generated after it."""
        jobs = ["-j", str(self.args.jobs)]
        tree = [str(self.tree), *jobs]
        cache = self.work / f"cache{number}"
        shutil.rmtree(cache, ignore_errors=True)
        edited = [str(p) for p in self.edited]
        if self.wants("startup"):
            self.wfcheck(number, "wfcheck --version", ["--version"], None)
            self.wfcheck(number, "check clean.py (start-up)", ["check", "--no-cache", str(self.clean)], None)
        if self.wants("parallel") and self.args.parallel != self.args.jobs:
            label = f"cold -j{self.args.parallel} (no cache)"
            pool = ["-j", str(self.args.parallel), "--no-cache"]
            self.wfcheck(number, label, ["check", str(self.tree), *pool], None)
        if self.wants("cold"):
            self.wfcheck(number, f"cold -j{self.args.jobs}", ["check", *tree], cache)
        else:
            return
        if self.wants("warm"):
            self.wfcheck(number, "warm, nothing changed", ["check", *tree], cache)
        try:
            if self.wants("edit10"):
                for path in self.edited:
                    replace_line(path, *REVISION)
                self.wfcheck(number, f"warm, {len(edited)} modules edited", ["check", *tree], cache)
                for path in self.edited:
                    replace_line(path, *reversed(REVISION))
                label = f"pre-commit {len(edited)} files, warm"
                self.wfcheck(number, label, ["check", *edited, *jobs], cache)
            if self.wants("cutoff"):
                replace_line(self.hub, *HUB_COMMENT)
                self.wfcheck(number, f"cutoff: comment edit of {HUB}", ["check", *tree], cache)
            if self.wants("effect"):
                replace_line(self.hub, *HUB_EFFECT)
                self.wfcheck(number, f"effect edit: {HUB} reads the clock", ["check", *tree], cache)
        finally:
            self.restore()
        if self.wants("precommit"):
            cold = self.work / f"precommit{number}"
            shutil.rmtree(cold, ignore_errors=True)
            self.wfcheck(number, f"pre-commit {len(edited)} files, cold", ["check", *edited, *jobs], cold)
        if self.wants("temporal") and self.temporal:
            cold = self.work / f"temporal{number}"
            shutil.rmtree(cold, ignore_errors=True)
            label = f"cold, {len(self.temporal)} Temporal modules"
            self.wfcheck(number, label, ["check", *self.temporal, *jobs], cold)

    def restore(self) -> None:
        for path in self.edited:
            text = path.read_text(encoding="utf-8")
            if f"\n{REVISION[1]}\n" in text:
                replace_line(path, *reversed(REVISION))
        text = self.hub.read_text(encoding="utf-8")
        for old, new in (HUB_COMMENT, HUB_EFFECT):
            if f"\n{new}\n" in text:
                replace_line(self.hub, new, old)

    def run_shared(self) -> None:
        python = self.python
        if self.wants("libcst"):
            self.shared("libcst parse_module", [python, "-c", LIBCST_PARSE, str(self.listing)])
        if self.wants("ast"):
            self.shared("ast.parse", [python, "-c", AST_PARSE, str(self.listing)])
        ruff = shutil.which("ruff")
        if ruff and self.wants("ruff"):
            self.shared("ruff check", [ruff, "check", "--no-cache", "--isolated", "-q", str(self.tree)])
        temporalint = shutil.which("temporalint")
        if temporalint and self.temporal and self.wants("temporalint"):
            self.shared(f"temporalint, {len(self.temporal)} Temporal modules", [temporalint, *self.temporal])

    def run(self) -> None:
        self.warm_up()
        for _ in range(self.args.rounds):
            for number in range(len(self.sources)):
                self.run_source(number)
            self.run_shared()

    def cold(self, number: int) -> Figures | None:
        return self.figures.get((f"cold -j{self.args.jobs}", number))

    def parse(self) -> Figures | None:
        return self.figures.get(("libcst parse_module", None))

    def tree_rss(self, number: int) -> int:
        """The peak RSS of the wfcheck runs over the whole tree."""
        return max(
            (f.rss for (label, n), f in self.figures.items() if n == number and "pre-commit" not in label
             and "Temporal" not in label and "start-up" not in label and "--version" not in label
             and "no cache" not in label),
            default=0,
        )

    def table(self) -> str:
        count = len(self.sources)
        head = "| command | " + " | ".join(
            f"CPU s{self.tag(n)} | wall s{self.tag(n)} | RSS MB{self.tag(n)}" for n in range(count)
        ) + (" | CPU [1]/[0] |" if count == 2 else " |")
        rule = "|---|" + "---:|---:|---:|" * count + ("---:|" if count == 2 else "")
        out = [
            f"{self.modules} modules ({len(self.temporal)} Temporal), {self.args.rounds} round(s), "
            f"CPU seconds user+sys (min, median in brackets), peak RSS; cutoff edits `{HUB}`",
            "",
        ]
        out += [f"- [{n}] = `{src}`" for n, src in enumerate(self.sources) if count > 1]
        out += ["", head, rule]
        for label in self.labels:
            cells = []
            for n in range(count):
                figures = self.figures.get((label, n))
                cells += figures.cells() if figures else ["", "", ""]
            line = f"| {label} | " + " | ".join(cells) + " |"
            if count == 2:
                line += f" {self.ratio(self.figures.get((label, 1)), self.figures.get((label, 0)))} |"
            out.append(line)
        for label in self.shared_labels:
            figures = self.figures[label, None]
            cells = figures.cells() + ["", "", ""] * (count - 1)
            out.append(f"| {label} | " + " | ".join(cells) + (" | |" if count == 2 else " |"))
        parse = self.parse()
        if parse:
            ratios = [
                f"{self.ratio(cold, parse)}{self.tag(n)}" for n in range(count) if (cold := self.cold(n))
            ]
            out += ["", "parse ratio (wfcheck cold CPU / LibCST parse CPU): " + ", ".join(ratios)]
        out += [f"**{failure}**" for failure in self.failures]
        return "\n".join(out)

    def tag(self, number: int) -> str:
        return f" [{number}]" if len(self.sources) > 1 else ""

    @staticmethod
    def ratio(top: Figures | None, bottom: Figures | None) -> str:
        if not top or not bottom or not top.cpu or not bottom.cpu or min(bottom.cpu) == 0:
            return ""
        return f"{min(top.cpu) / min(bottom.cpu):.2f}"

    def profile(self, number: int, top: int = 20) -> str:
        """A cProfile of one cold run (-j 1) of source ``number``: own time by package, top functions."""
        out_file = self.work / f"profile{number}.prof"
        env = self.env(number)
        command = [
            self.python, "-c", PROFILE, str(out_file), "check", str(self.tree), "-j", "1", "--no-cache",
        ]
        seconds, _, _, _ = measure(command, env)
        stats = pstats.Stats(str(out_file))
        raw = stats.stats  # type: ignore[attr-defined]
        groups: dict[str, float] = defaultdict(float)
        for (filename, _, _), (_, _, own, _, _) in raw.items():
            groups[self.group(filename)] += own
        total = sum(groups.values()) or 1.0
        out = [
            f"profile{self.tag(number)}: one cold run -j1 under cProfile (all threads, CPU clock), "
            f"{seconds:.1f} s CPU with the profiler (profiled {total:.1f} s)",
            "",
            "| own time by package | s | % |",
            "|---|---:|---:|",
        ]
        for name, own in sorted(groups.items(), key=lambda item: -item[1])[:15]:
            out.append(f"| {name} | {own:.2f} | {100 * own / total:.1f} |")
        out += ["", "| top functions (own time) | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
        ranked = sorted(raw.items(), key=lambda item: -item[1][2])[:top]
        for (filename, line, function), (_, calls, own, cumulative, _) in ranked:
            place = self.where(filename, line, function)
            out.append(f"| `{place}` | {calls} | {own:.2f} | {cumulative:.2f} |")
        out += ["", "| wfcheck functions (cumulative) | calls | own s | cumulative s |"]
        out.append("|---|---:|---:|---:|")
        ours = [item for item in raw.items() if "wfcheck" in Path(item[0][0]).parts]
        for (filename, line, function), (_, calls, own, cumulative, _) in sorted(
            ours, key=lambda item: -item[1][3]
        )[:top]:
            place = self.where(filename, line, function)
            out.append(f"| `{place}` | {calls} | {own:.2f} | {cumulative:.2f} |")
        return "\n".join(out)

    def where(self, filename: str, line: int, function: str) -> str:
        if filename == "~":
            return function
        return f"{self.group(filename)}:{Path(filename).name}:{line}({function})"

    @staticmethod
    def group(filename: str) -> str:
        """`wfcheck/analysis`, `libcst/_parser`, `libcst`, `stdlib`, `builtins`...: where time goes."""
        parts = Path(filename).parts
        for package in ("wfcheck", "libcst"):
            if package in parts:
                rest = parts[parts.index(package) + 1:]
                return f"{package}/{rest[0].removesuffix('.py')}" if rest else package
        if filename.startswith("~") or filename == "":
            return "C functions (builtins, extensions)"
        if "site-packages" in parts:
            return parts[parts.index("site-packages") + 1]
        return "stdlib"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--sizes", help="comma-separated module counts: a table per size and a scaling table")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=2, help="-j of the `parallel` row (cold, no cache)")
    parser.add_argument("--src", action="append", default=[], help="wfcheck sources to run (repeatable)")
    parser.add_argument("--tree", type=Path, help="an existing tree made by bench/dense.py")
    parser.add_argument("--skip", type=lambda text: [s for s in text.split(",") if s], default=[],
                        help=f"rows to leave out: {','.join(ROWS)}")
    parser.add_argument("--profile", action="store_true", help="profile one cold run of the last --src")
    args = parser.parse_args()
    unknown = set(args.skip) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    sources = [str(Path(s).resolve()) for s in args.src] or [str(HERE.parent / "src")]
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.modules]
    if args.tree and len(sizes) > 1:
        parser.error("--tree and --sizes do not go together")

    scaling: list[tuple[int, Bench]] = []
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix="wfcheck-dense-"))
        try:
            tree = args.tree or work / "tree"
            if args.tree is None:
                generate(tree, size, args.seed)
            bench = Bench(args, sources, tree, work)
            bench.run()
            print(bench.table(), "\n", flush=True)
            if args.profile:
                print(bench.profile(len(sources) - 1), "\n", flush=True)
            scaling.append((bench.modules, bench))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if len(scaling) > 1:
        print(scaling_table(scaling, sources))
    return 0


def scaling_table(scaling: list[tuple[int, Bench]], sources: list[str]) -> str:
    tags = [f" [{n}]" if len(sources) > 1 else "" for n in range(len(sources))]
    out = [
        "scaling: wfcheck cold CPU, LibCST parse CPU, their ratio; peak RSS of wfcheck over the tree "
        "(cold, warm, edits) and its growth from the smallest size",
        "",
        "| modules | source | cold CPU s | parse CPU s | parse ratio | cold RSS MB | cold RSS growth "
        "| peak RSS MB | peak RSS growth |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number in range(len(sources)):
        base = scaling[0][1].tree_rss(number)
        first = scaling[0][1].cold(number)
        cold_base = first.rss if first else 0
        for modules, bench in scaling:
            cold, parse = bench.cold(number), bench.parse()
            rss, cold_rss = bench.tree_rss(number), cold.rss if cold else 0
            out.append(
                f"| {modules} | {tags[number] or 'src'} | {min(cold.cpu) if cold else 0:.2f} | "
                f"{min(parse.cpu) if parse else 0:.2f} | {Bench.ratio(cold, parse)} | {cold_rss} | "
                f"{cold_rss / cold_base if cold_base else 0:.2f}x | "
                f"{rss} | {rss / base if base else 0:.2f}x |"
            )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
