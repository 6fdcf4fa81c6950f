"""Start-up cost of wfcheck, against the interpreter's own floor and ruff (figures, not tests).

    python bench/startup_bench.py [--rounds 10] [--src DIR ...]

Runs, each in a fresh process, round by round: `python -S -c pass` and `python -c pass` (the
interpreter's floor), `python -c "import click"` (the command-line library wfcheck is built
on), then for each ``--src`` (default: this checkout's `src/`) `wfcheck --version`, `wfcheck
check` of one clean small file with and without the cache, `check --fix` of it, and `wfcheck
rule WF101`; and `ruff check` of the same file when ruff is on PATH.

Every figure is CPU time (user + system, `os.wait4` rusage), the minimum and the median over
the rounds: the machine may be shared, so wall time is not reported. The wfcheck commands run
as an installed package does, from bytecode: it is written to a temporary
``PYTHONPYCACHEPREFIX`` by a first, unmeasured run of each command (with
``PYTHONDONTWRITEBYTECODE`` set, every run would compile wfcheck's modules again).
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
CLEAN = "def total(values):\n    return sum(values)\n"


def measure(command: list[str], env: dict[str, str] | None, cwd: str) -> float:
    """CPU seconds of ``command`` run to the end."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd
    )
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--src", action="append", default=[], help="wfcheck sources to run")
    args = parser.parse_args()
    sources = [str(Path(s).resolve()) for s in args.src] or [str(HERE.parent / "src")]
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="wfcheck-startup-"))
    try:
        clean = work / "clean.py"
        clean.write_text(CLEAN, encoding="utf-8")
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "python -S -c pass": ([python, "-S", "-c", "pass"], None),
            "python -c pass": ([python, "-c", "pass"], None),
            "python -c 'import click'": ([python, "-c", "import click"], None),
        }
        for number, src in enumerate(sources):
            env = dict(base, PYTHONPATH=src, PYTHONPYCACHEPREFIX=str(work / f"pycache{number}"))
            tag = f" [{number}]" if len(sources) > 1 else ""
            wfcheck = [python, "-m", "wfcheck"]
            commands[f"wfcheck --version{tag}"] = ([*wfcheck, "--version"], env)
            commands[f"wfcheck check --no-cache clean.py{tag}"] = (
                [*wfcheck, "check", "--no-cache", str(clean)], env
            )
            commands[f"wfcheck check clean.py (cache){tag}"] = (
                [*wfcheck, "check", "--cache-dir", str(work / f"cache{number}"), str(clean)], env
            )
            commands[f"wfcheck check --fix clean.py{tag}"] = (
                [*wfcheck, "check", "--no-cache", "--fix", str(clean)], env
            )
            commands[f"wfcheck rule WF101{tag}"] = ([*wfcheck, "rule", "WF101"], env)
        ruff = shutil.which("ruff")
        if ruff:
            commands["ruff check clean.py"] = (
                [ruff, "check", "--no-cache", "--isolated", "-q", str(clean)], None
            )
        for command, env in commands.values():
            measure(command, env, str(work))  # writes the bytecode (and the kept catalog)
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, (command, env) in commands.items():
                cpu[name].append(measure(command, env, str(work)))
        for number, src in enumerate(sources):
            if len(sources) > 1:
                print(f"[{number}] = {src}")
        print(f"{args.rounds} rounds, CPU seconds (user+sys); load average "
              + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        print(f"| {'command':<40} | {'CPU min':>7} | {'CPU median':>10} |")
        print(f"|{'-' * 42}|{'-' * 9}|{'-' * 12}|")
        for name, values in cpu.items():
            print(f"| {name:<40} | {min(values):7.3f} | {statistics.median(values):10.3f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
