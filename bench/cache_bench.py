"""Benchmark of the result cache on a generated workflow-dense project (figures, not tests).

    python bench/cache_bench.py [--modules 370] [--jobs 1] [--src DIR ...] [--steps comment,...]

For each wfcheck source tree (``--src``, default this checkout's) on a fresh copy of the same
generated project (bench/dense.py), each command in a fresh process:

- cold: `wfcheck check TREE` with an empty cache directory;
- warm: the same again, nothing changed;
- comment: after a comment-only edit of `common/shared0.py` (imported by most packages'
  helpers, so by most workflows): a trailing comment on one of its lines;
- docstring: after a docstring edit of the same module (same lines);
- body: after an edit inside one of its functions that keeps what it does and where;
- effect: after an edit that adds `datetime.datetime.now()` to a pure function there;
  (``--steps`` picks among these edits: on a large tree some recheck most of it);
- ten warm / ten cold: `wfcheck check F1 .. F10` (as pre-commit runs it) after editing ten
  workflow modules, with the warm cache of the whole tree and with an empty one;
- the cache's size on disk after the runs.

Every figure is CPU time (user + system of the process and its reaped workers, `os.wait4`),
not wall time: the machine may be shared. The `-v` line says how many files came from the cache.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dense import generate  # noqa: E402


def run(src: str, args: list[str], cwd: Path) -> tuple[float, str]:
    """(CPU seconds, the `-v` summary line) of one wfcheck run."""
    env = {**os.environ, "PYTHONPATH": src}
    env.pop("WFCHECK_CACHE_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "wfcheck", "check", "-v", "--output-format", "concise", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True,
    )
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"wfcheck failed ({code}): {err[-2000:]}")
    found = re.search(r"\d+ unchanged \(cache\), \d+ read again", err)
    return usage.ru_utime + usage.ru_stime, found.group(0) if found else ""


def size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


STEPS = ("cold", "warm", "comment", "docstring", "body", "effect", "ten")


def bench(src: str, template: Path, work: Path, jobs: int, steps: tuple[str, ...] = STEPS) -> None:
    tree = work / "tree"
    shutil.copytree(template, tree)
    cache = work / "cache"
    common = ["--cache-dir", str(cache), "-j", str(jobs)]
    print(f"== {src}")

    def show(label: str, figures: tuple[float, str]) -> None:
        print(f"{label:<12} {figures[0]:7.2f} s CPU   {figures[1]}", flush=True)

    show("cold", run(src, [*common, "."], tree))
    show("warm", run(src, [*common, "."], tree))
    shared = tree / "common" / "shared0.py"
    if "comment" in steps:
        edit(shared, "    return result\n", "    return result  # the scaled value\n")
        show("comment", run(src, [*common, "."], tree))
    if "docstring" in steps:
        edit(shared, "arithmetic and formatting", "arithmetic, formatting")
        show("docstring", run(src, [*common, "."], tree))
    if "body" in steps:
        # Same effects, same positions: an edit inside a function.
        edit(shared, "value * factor", "factor * value")
        show("body", run(src, [*common, "."], tree))
    if "effect" in steps:
        clock = "    result = result + datetime.datetime.now().second\n"
        edit(shared, "    return result\n", clock + "    return result\n")
        show("effect", run(src, [*common, "."], tree))
    show("warm", run(src, [*common, "."], tree))
    flows = sorted(str(p.relative_to(tree)) for p in tree.glob("pkg*/flows*.py"))[::7][:10]
    for name in flows:
        with open(tree / name, "a", encoding="utf-8") as handle:
            handle.write("\n# edited\n")
    show("ten warm", run(src, [*common, *flows], tree))
    print(f"{'cache size':<12} {size(cache) / 1024:7.0f} KB")
    empty = work / "empty"
    show("ten cold", run(src, ["--cache-dir", str(empty), "-j", str(jobs), *flows], tree))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=370)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--src", action="append", default=[], help="wfcheck sources to run")
    parser.add_argument(
        "--steps", default=",".join(STEPS),
        help="which edits to measure (comma-separated; cold, warm and ten always run)",
    )
    args = parser.parse_args()
    sources = [str(Path(s).resolve()) for s in args.src] or [str(HERE.parent / "src")]
    work = Path(tempfile.mkdtemp(prefix="wfcheck-cache-"))
    try:
        template = work / "template"
        generate(template, args.modules, args.seed)
        for number, src in enumerate(sources):
            bench(src, template, work / str(number), args.jobs, tuple(args.steps.split(",")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
