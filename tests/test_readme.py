"""The README's recipes, run as a user would: each block is parsed out of README.md and
exercised, so a recipe that stops working (or a sample whose comments stop being true) fails
here."""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wfcheck.catalog import load_catalog
from wfcheck.config import KEYS, Options, resolve
from wfcheck.engine import ALWAYS_ON, default_enabled

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

FLAGGED = '''\
import time
from durabletask import task


def orch(ctx: task.OrchestrationContext, _):
    started = time.time()
    yield ctx.call_activity("hello", input=started)
'''


def block(after: str, lang: str, text: str = README) -> str:
    """The first ```lang fenced block after the text ``after``."""
    start = text.index(after)
    body = text[start:].split(f"```{lang}\n", 1)[1]
    return body.split("```", 1)[0]


def wfcheck(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The `wfcheck` command of a recipe, run from this checkout's sources."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "wfcheck", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def project(tmp_path: Path) -> Path:
    """A user's project with one finding (line 6, column 15)."""
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "flow.py").write_text(FLAGGED)
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    return root


# -- configuration ----------------------------------------------------------------------------


def test_sample_configuration_comments_hold(tmp_path: Path) -> None:
    sample = block("## Configuration\n", "toml")
    # "default: every rule except the opt-in WF701, WF800": the catalog's opt-in rules.
    (claim,) = re.findall(r"default: every rule except the opt-in ([A-Z0-9, ]+)", sample)
    opt_in = {code.strip() for code in claim.split(",")}
    catalog = load_catalog()
    assert opt_in == {r.code for r in catalog if not r.default}
    # The commented `select` line is valid and, as it says, turns none of them on.
    (select_line,) = [line for line in sample.splitlines() if line.startswith("# select =")]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.wfcheck]\n" + select_line.lstrip("# ").split("#", 1)[0] + "\n"
    )
    ((selected, _),) = resolve([str(tmp_path)], Options())
    assert selected.enabled.isdisjoint(opt_in) and "WF101" in selected.enabled
    # The sample as written: the default (with its own banned-api rule WF001), plus WF701,
    # minus WF603.
    (tmp_path / "pyproject.toml").write_text(sample)
    ((settings, _),) = resolve([str(tmp_path)], Options())
    assert "WF001" in default_enabled(settings.catalog)
    assert settings.enabled == (default_enabled(settings.catalog) | {"WF701"} | ALWAYS_ON) - {"WF603"}
    assert settings.cache_dir is None  # the command line turns the cache on; the key moves it
    ((cached, _),) = resolve([str(tmp_path)], Options(cache=True))
    assert cached.cache_dir == str((tmp_path / ".cache" / "wfcheck").resolve())


def test_key_table_lists_every_configuration_key() -> None:
    table = README.split("| key | value |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    documented = [re.match(r"\| `([a-z-]+)` \|", row).group(1) for row in table.splitlines()]
    assert documented == list(KEYS)


# -- CI -------------------------------------------------------------------------------------


def run_steps(steps: list[dict], cwd: Path) -> list[tuple[str, int | None]]:
    """GitHub Actions' rules for a job's steps: after a failing step, the later ones are skipped
    unless `if: always()` / `failure()`, and `continue-on-error` keeps a failure from counting.
    Returns each step's name and exit code (None: skipped; 0 for a `uses:` step that ran)."""
    failed = False
    outcome: list[tuple[str, int | None]] = []
    for step in steps:
        condition = str(step.get("if", "success()"))
        if failed and "always()" not in condition and "failure()" not in condition:
            outcome.append((step.get("run") or step["uses"], None))
            continue
        if "uses" in step:
            outcome.append((step["uses"], 0))
            continue
        command = shlex.split(step["run"])
        if command[:2] == ["pip", "install"]:
            outcome.append((step["run"], 0))  # installing is the one step not run here
            continue
        assert command[0] == "wfcheck", step
        code = wfcheck(command[1:], cwd).returncode
        outcome.append((step["run"], code))
        if code != 0 and not step.get("continue-on-error"):
            failed = True
    return outcome


def test_github_actions_recipe_uploads_the_sarif_and_fails_on_findings(tmp_path: Path) -> None:
    steps = yaml.safe_load(block("GitHub Actions", "yaml"))
    install = shlex.split(steps[0]["run"])
    # wfcheck is not on PyPI: the recipe installs from a repository, never the bare name.
    assert install[:2] == ["pip", "install"] and install[2] != "wfcheck"
    root = project(tmp_path)
    outcome = run_steps(steps, root)
    upload = next(i for i, step in enumerate(steps) if "upload-sarif" in step.get("uses", ""))
    # The upload runs (findings do not stop it), with a SARIF report to upload...
    assert outcome[upload][1] == 0
    sarif = json.loads((root / steps[upload]["with"]["sarif_file"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["WF101"]
    # ...and the job still fails on the findings, with annotations.
    assert any(code == 1 for _, code in outcome)
    annotations = next(s for s in steps if "--output-format github" in s.get("run", ""))
    printed = wfcheck(shlex.split(annotations["run"])[1:], root).stdout
    assert "::error file=app/flow.py,line=6,col=15" in printed


def test_gitlab_recipe_writes_its_report_and_installs_from_a_repository(tmp_path: Path) -> None:
    job = yaml.safe_load(block("GitLab, as a Code Quality report", "yaml"))["wfcheck"]
    install, check = (shlex.split(line) for line in job["script"])
    assert install[:2] == ["pip", "install"] and install[2] != "wfcheck"
    root = project(tmp_path)
    assert wfcheck(check[1:], root).returncode == 1
    report = json.loads((root / job["artifacts"]["reports"]["codequality"]).read_text())
    assert [(r["check_name"], r["location"]["path"]) for r in report] == [("WF101", "app/flow.py")]


# -- editors ----------------------------------------------------------------------------------


def test_vscode_problem_matcher_finds_every_reported_finding(tmp_path: Path) -> None:
    (task,) = json.loads(block("VS Code, a task", "json"))["tasks"]
    matcher = task["problemMatcher"]
    root = project(tmp_path)
    (root / "app" / "nested").mkdir()
    (root / "app" / "nested" / "more.py").write_text(FLAGGED)

    def expand(value: str) -> str:
        return value.replace("${workspaceFolder}", str(root))

    command = shlex.split(expand(task["command"]))
    cwd = Path(expand(task.get("options", {}).get("cwd", "${workspaceFolder}")))
    assert command[0] == "wfcheck"
    result = wfcheck(command[1:], cwd)
    assert result.returncode == 1
    kind, base = matcher["fileLocation"]
    assert kind == "relative"
    pattern = matcher["pattern"]
    regexp = re.compile(pattern["regexp"])
    located = []
    for line in result.stdout.splitlines():
        match = regexp.match(line)
        assert match, line
        # VS Code joins as Node's path.join does: an absolute name is appended, not kept.
        path = Path(os.path.normpath(f"{expand(base)}/{match.group(pattern['file'])}"))
        row, column = int(match.group(pattern["line"])), int(match.group(pattern["column"]))
        # The matcher's file is the flagged file, and the position is the call's.
        assert path.read_text().splitlines()[row - 1][column - 1 :].startswith("time.time()")
        located.append((path.relative_to(root).as_posix(), match.group(pattern["code"])))
    assert sorted(located) == [("app/flow.py", "WF101"), ("app/nested/more.py", "WF101")]


# -- suppression ----------------------------------------------------------------------------


def test_recommended_suppressions_survive_ruff_and_suppress(tmp_path: Path) -> None:
    if shutil.which("ruff") is None and not _has_module("ruff"):
        pytest.skip("ruff is not installed")
    section = README.split("## Suppressing findings\n", 1)[1].split("\n## ", 1)[0]
    recommended = re.findall(r"^- `(# [^`]*WF101[^`]*)` at the end of the flagged line", section, re.M)
    assert len(recommended) == 2
    # The forms the README recommends name the code; a bare `# noqa` is advised against.
    assert not re.search(r"^- `# noqa`", section, re.M)
    lines = FLAGGED.splitlines()
    for comment in recommended:
        source = "\n".join(lines[:5] + [f"{lines[5]}  {comment}"] + lines[6:]) + "\n"
        path = tmp_path / "flow.py"
        path.write_text(source)
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "RUF100", "--fix", str(path)],
            capture_output=True,
            text=True,
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
        assert path.read_text() == source, comment
        assert wfcheck(["check", "--isolated", "--no-cache", str(path)], tmp_path).returncode == 0
    # What the README warns about does happen: ruff deletes a bare `# noqa`.
    path.write_text(FLAGGED.replace("time.time()", "time.time()  # noqa"))
    subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "RUF100", "--fix", str(path)],
        capture_output=True,
    )
    assert "# noqa" not in path.read_text()


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


# -- the repository itself --------------------------------------------------------------------


def test_checking_the_repository_root_skips_its_fixtures_and_examples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wfcheck.engine import files_to_check

    monkeypatch.chdir(ROOT)

    def checked(*paths: str) -> list[str]:
        return [
            Path(f).as_posix()
            for settings, members in resolve(list(paths), Options())
            for f in files_to_check(members, settings)
        ]

    # `wfcheck check` at the root: the project's own code, not its deliberately broken inputs.
    found = checked(".")
    assert any(f.startswith("src/wfcheck/") for f in found)
    assert not [f for f in found if f.startswith(("tests/fixtures/", "examples/"))]
    # Named on the command line, as the README's set-up does, they are checked.
    assert checked("examples/") and checked("tests/fixtures/")


# -- the loop -----------------------------------------------------------------------------------


def _console_commands(text: str) -> list[tuple[str, list[str]]]:
    """Each `$ command` of a console block with the output lines shown under it."""
    commands: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    return commands


def _shown_in_order(shown: list[str], actual: list[str]) -> None:
    """Every line the README shows is printed, in this order (`...` elides lines)."""
    position = 0
    for line in shown:
        if line in ("...", ""):
            continue
        assert line in actual[position:], f"README shows {line!r}, the tool does not print it"
        position = actual.index(line, position) + 1


def test_the_loop_shows_real_output_and_fixes_a_copy(tmp_path: Path) -> None:
    loop = README.split("## The loop: check → fix → replay verify\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```console\n(.*?)```", loop, re.S)
    commands = [c for b in blocks for c in _console_commands(b)]
    example = ROOT / "examples" / "replay_demo" / "order_workflow_buggy.py"
    before = example.read_bytes()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ran = 0
    for command, shown in commands:
        # The README's /tmp is this test's scratch directory.
        argv = [a.replace("/tmp/", f"{scratch}/") for a in shlex.split(command)]
        if argv[0] == "cp":
            shutil.copy(ROOT / argv[1], argv[2])
        elif argv[0] == "diff":
            old, new = (Path(ROOT / a).read_text().splitlines() for a in argv[-2:])
            changed = [
                line for line in difflib.unified_diff(old, new, lineterm="") if line[:1] in "+-"
            ]
            _shown_in_order(shown, changed)
        elif argv[:2] == ["wfcheck", "check"]:
            assert "--fix" not in argv or all(
                not Path(a).is_relative_to(ROOT) for a in argv if a.endswith(".py")
            ), f"the README's {command!r} would rewrite a file of the checkout"
            result = wfcheck([*argv[1:2], "--no-cache", *argv[2:]], ROOT)
            _shown_in_order(shown, (result.stdout + result.stderr).splitlines())
        else:
            continue  # `wfcheck replay ...` needs the engine SDK; tests/runtime runs it
        ran += 1
    assert ran == 4
    assert example.read_bytes() == before
    assert "new_order_id" in (scratch / "order_workflow.py").read_text()


def test_no_recipe_installs_wfcheck_from_pypi() -> None:
    # wfcheck is not a published package: `pip install wfcheck` (or `wfcheck[extra]`) fails.
    docs = [README] + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))]
    for command in re.findall(r"pip install ([^`\n]*)", "\n".join(docs)):
        # Up to the end of the command: a comment, or `&&` and what it runs next.
        command = re.split(r"#|&&|;", command, maxsplit=1)[0]
        for argument in shlex.split(command):
            assert not re.fullmatch(r"wfcheck(\[[a-z,]+\])?", argument), command


def test_the_sdk_install_hint_names_the_extra() -> None:
    # `pip install dapr-ext-workflow` installs the legacy package next to `dapr` (a
    # FutureWarning on every replay); the SDK is the `workflow` extra of `dapr`.
    installs = re.findall(r"pip install ([^`\n]*)", README)
    assert not [i for i in installs if "dapr-ext-workflow" in i]
    assert 'pip install "dapr[workflow]"' in README
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"dapr[workflow]' in pyproject


# -- pre-commit ---------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_local_pre_commit_hook_recipe_runs_the_installed_wfcheck(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    (local,) = yaml.safe_load(block("## pre-commit\n", "yaml"))
    assert local["repo"] == "local"
    (hook,) = local["hooks"]
    # The same command as the hook this repository defines for `repo: <its URL>` users.
    defined = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hook["entry"] == defined[hook["id"]]["entry"]
    assert hook["types_or"] == defined[hook["id"]]["types_or"]
    # `language: system` runs the `wfcheck` on PATH: here, this checkout's.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "wfcheck"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m wfcheck "$@"\n')
    shim.chmod(0o755)
    root = project(tmp_path)
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [local]}))

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=str(ROOT / "src"),
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
    )

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files"],
            cwd=root, env=env, capture_output=True, text=True, timeout=300,
        )

    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "app/flow.py:6:15: WF101" in failed.stdout
    (root / "app" / "flow.py").write_text(FLAGGED.replace("time.time()", "time.time()  # noqa: WF101"))
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_checking_the_repository_root_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A user running `wfcheck check` at the root sees a clean project: the deliberate
    workflows in the runtime's tests carry a `# noqa: WFxxx` with the reason."""
    from click.testing import CliRunner

    from wfcheck.cli import main

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "concise"])
    assert result.exit_code == 0, result.output
