"""Real-world regression run (issue 14): wfcheck over public repositories, findings compared.

    python bench/realworld.py CORPUS OUT [--baseline DIR] [--src SRC_DIR]

CORPUS holds one directory per repository (``<owner>+<name>``, the tree of one commit: the
search tool's `fetch github:<owner>/<name>` snapshot, extracted with `git archive`); nothing of
it is committed, `bench/realworld_issue14.tsv` lists where each finding was. For each repository
`python -m wfcheck check --isolated --no-cache -j 1 --output-format json .` runs in a fresh
process from inside it (with ``SRC_DIR`` first on PYTHONPATH when given, to run another
checkout's wfcheck), the JSON is written to ``OUT/<repo>.json`` and its CPU seconds (user +
system, `os.wait4`) and peak memory to ``OUT/cpu.json``. With ``--baseline`` (an earlier OUT),
it prints the findings per rule before -> after for each repository, every finding that
appeared or disappeared (rule, file, line, message) and both runs' CPU seconds. Exit 1 when a
run failed (exit code 2 or a traceback on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

Finding = tuple[str, str, int, str]


def run(corpus: Path, out: Path, src: str | None) -> bool:
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH", "")]))
    costs: dict[str, dict[str, float]] = {}
    ok = True
    for repo in sorted(p.name for p in corpus.iterdir() if p.is_dir()):
        command = [
            sys.executable, "-m", "wfcheck", "check", "--isolated", "--no-cache", "-j", "1",
            "--output-format", "json", "--exit-zero", "--no-progress", ".",
        ]
        with open(out / f"{repo}.json", "w") as stdout, open(out / f"{repo}.err", "w") as stderr:
            process = subprocess.Popen(command, cwd=corpus / repo, env=env, stdout=stdout, stderr=stderr)
            _, status, usage = os.wait4(process.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        failed = code != 0 or "Traceback" in (out / f"{repo}.err").read_text()
        ok = ok and not failed
        costs[repo] = {
            "cpu": round(usage.ru_utime + usage.ru_stime, 2),
            "maxrss_mb": usage.ru_maxrss // 1024,
            "rc": code,
        }
        count = len(load(out, repo, corpus)) if not failed else -1
        print(f"{repo}: {count} findings, {costs[repo]['cpu']} s CPU" + (" FAILED" if failed else ""))
    (out / "cpu.json").write_text(json.dumps(costs, indent=1))
    print(f"total CPU: {sum(c['cpu'] for c in costs.values()):.2f} s")
    return ok


def load(out: Path, repo: str, corpus: Path) -> list[Finding]:
    root = str((corpus / repo).resolve()) + os.sep
    findings = []
    for d in json.loads((out / f"{repo}.json").read_text() or "[]"):
        path = d["filename"]
        findings.append((d["code"], path[len(root):] if path.startswith(root) else path,
                         d["location"]["row"], d["message"]))
    return findings


def compare(corpus: Path, before: Path, after: Path) -> None:
    totals: tuple[Counter, Counter] = (Counter(), Counter())
    for repo in sorted(p.stem for p in after.glob("*.json") if p.name != "cpu.json"):
        if not (before / f"{repo}.json").is_file():
            continue
        old, new = load(before, repo, corpus), load(after, repo, corpus)
        rules = (Counter(f[0] for f in old), Counter(f[0] for f in new))
        totals[0].update(rules[0])
        totals[1].update(rules[1])
        codes = sorted(set(rules[0]) | set(rules[1]))
        per_rule = " ".join(f"{c}:{rules[0][c]}->{rules[1][c]}" for c in codes)
        print(f"== {repo}: {len(old)} -> {len(new)}  {per_rule}")
        gone, came = Counter(old) - Counter(new), Counter(new) - Counter(old)
        for sign, changed in (("-", gone), ("+", came)):
            for code, path, line, message in sorted(changed.elements()):
                print(f"  {sign} {code} {path}:{line} {message}")
    codes = sorted(set(totals[0]) | set(totals[1]))
    print(f"TOTAL {sum(totals[0].values())} -> {sum(totals[1].values())}  "
          + " ".join(f"{c}:{totals[0][c]}->{totals[1][c]}" for c in codes))
    cpu = [json.loads((d / "cpu.json").read_text()) for d in (before, after)]
    for repo in sorted(set(cpu[0]) & set(cpu[1])):
        print(f"  CPU {repo}: {cpu[0][repo]['cpu']} -> {cpu[1][repo]['cpu']} s")
    print(f"  CPU total: {sum(c['cpu'] for c in cpu[0].values()):.2f} -> "
          f"{sum(c['cpu'] for c in cpu[1].values()):.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--src", help="a wfcheck source directory to put first on PYTHONPATH")
    args = parser.parse_args()
    ok = run(args.corpus, args.out, args.src)
    if args.baseline is not None:
        compare(args.corpus, args.baseline, args.out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
