"""Run wfcheck over a real-world corpus and count what happened.

    python bench/corpus.py [DIR ...]             # default: this interpreter's site-packages + stdlib
    python bench/corpus.py --all-files [DIR ...] # parse and analyse every file, not only workflow files

Prints: files, parsed, syntax errors (WF900; how many of them for nesting too deep to parse or
check), findings, internal errors (WF999), not checked (unreadable or too large), tracebacks.
Internal errors and tracebacks must be 0 (exit 1 otherwise). With ``--all-files`` the prefilter
lets every file through, which exercises the parser and the analysis on ordinary code.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import sysconfig
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from wfcheck.catalog import load_catalog
from wfcheck.engine import INTERNAL_ERROR, SYNTAX_ERROR, FileChecker, Settings, select_codes

COUNTS = (
    "files", "parsed", "syntax errors", "of which too deep", "findings", "internal errors",
    "not checked",
)


def python_files(dirs: Sequence[str]) -> Iterator[Path]:
    """Every `*.py` below ``dirs``. Not wfcheck's discovery: that honours the .gitignore of a
    checkout above (pyenv ignores its `versions/`) and skips build/dist/env directories, and
    the corpus is meant to be all of it. Only a nested site-packages is left to its own entry."""
    for root in dirs:
        for directory, subdirs, files in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if d != "site-packages")
            for name in sorted(files):
                if name.endswith(".py"):
                    yield Path(directory, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*")
    parser.add_argument("--all-files", action="store_true")
    args = parser.parse_args()
    paths = sysconfig.get_paths()
    dirs = args.dirs or sorted({paths["purelib"], paths["stdlib"]})
    catalog = load_catalog()
    settings = Settings(catalog, select_codes(catalog, None, []))
    if args.all_files:
        # The empty marker is in every file.
        settings = dataclasses.replace(settings, markers=(b"",))
    checker = FileChecker(settings, dirs)
    counts: Counter = Counter()
    codes: Counter = Counter()
    tracebacks: list[tuple[str, str]] = []
    internal: list[tuple[str, str]] = []
    unparsed: list[tuple[str, str]] = []
    started = time.perf_counter()
    for path in python_files(dirs):
        counts["files"] += 1
        try:
            result, _ = checker.check(str(path))
        except Exception:  # the point of this script: count what escapes
            tracebacks.append((str(path), traceback.format_exc()))
            continue
        counts["parsed"] += result.parsed
        counts["not checked"] += result.error is not None
        for diagnostic in result.diagnostics:
            codes[diagnostic.code] += 1
            if diagnostic.code == SYNTAX_ERROR:
                counts["syntax errors"] += 1
                counts["of which too deep"] += "too deeply nested" in diagnostic.message
                unparsed.append((f"{path}:{diagnostic.line}", diagnostic.message))
            elif diagnostic.code == INTERNAL_ERROR:
                counts["internal errors"] += 1
                internal.append((str(path), diagnostic.message))
            else:
                counts["findings"] += 1
    elapsed = time.perf_counter() - started
    print("corpus:", " ".join(dirs))
    for key in COUNTS:
        print(f"{key:>18}: {counts[key]}")
    print(f"{'tracebacks':>18}: {len(tracebacks)}")
    print(f"{'seconds':>18}: {elapsed:.1f}")
    if codes:
        print("by code:", ", ".join(f"{c} {n}" for c, n in sorted(codes.items())))
    for path, message in unparsed[:40] + internal[:20]:
        print(f"{path}: {message}", file=sys.stderr)
    for path, text in tracebacks[:5]:
        print(f"\n--- {path}\n{text}", file=sys.stderr)
    return 1 if tracebacks or internal else 0


if __name__ == "__main__":
    sys.exit(main())
