"""The pre-commit hooks, run by the real `pre-commit` tool against this checkout.

The working tree (committed or not) is copied into a temporary git repository and committed
once, so `pre-commit try-repo --ref` installs the hook's environment once (from the local
source; only its dependencies come from PyPI) and both runs reuse it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BAD = '''\
import time
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    started = time.time()
    yield ctx.call_activity("hello", input=started)
'''
CLEAN = '''\
from durabletask import task

def orch(ctx: task.OrchestrationContext, _):
    yield ctx.call_activity("hello", input=ctx.current_utc_datetime.isoformat())
'''


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def new_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    git(path, "config", "user.name", "wfcheck tests")
    git(path, "config", "user.email", "tests@wfcheck.invalid")
    git(path, "config", "commit.gpgsign", "false")
    return path


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory):
    """A snapshot of this checkout's working tree as a one-commit repository, and its sha."""
    base = tmp_path_factory.mktemp("precommit")
    repo = new_repo(base / "wfcheck-src")
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot")
    return repo, git(repo, "rev-parse", "HEAD").strip(), base / "cache"


def try_repo(
    hook_repo, project: Path, *files: str, hook: str = "wfcheck"
) -> subprocess.CompletedProcess:
    repo, sha, cache = hook_repo
    env = dict(os.environ, PRE_COMMIT_HOME=str(cache), PRE_COMMIT_COLOR="never")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(repo), hook, "--ref", sha,
         "--files", *files],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_hook_fails_on_a_bad_workflow_and_passes_on_a_clean_one(hook_repo, tmp_path: Path) -> None:
    project = new_repo(tmp_path / "project")
    (project / "bad.py").write_text(BAD)
    (project / "clean.py").write_text(CLEAN)
    (project / "pyproject.toml").write_text('[tool.wfcheck]\nexclude = ["vendored/"]\n')
    (project / "vendored").mkdir()
    (project / "vendored" / "bad_copy.py").write_text(BAD)
    git(project, "add", "-A")

    failed = try_repo(hook_repo, project, "bad.py")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "wfcheck" in failed.stdout and "Failed" in failed.stdout
    assert "bad.py:5:15: WF101" in failed.stdout

    passed = try_repo(hook_repo, project, "clean.py", "vendored/bad_copy.py")
    # The configured exclude holds for a file pre-commit names (the hook uses --force-exclude).
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    assert "WF101" not in passed.stdout


def test_fix_hook_rewrites_the_workflow_and_then_passes(hook_repo, tmp_path: Path) -> None:
    project = new_repo(tmp_path / "project")
    (project / "bad.py").write_text(BAD)
    git(project, "add", "-A")

    fixed = try_repo(hook_repo, project, "bad.py", hook="wfcheck-fix")
    # pre-commit fails a hook that modified files, so the user sees and stages the fix.
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "files were modified by this hook" in fixed.stdout
    text = (project / "bad.py").read_text()
    assert "started = ctx.current_utc_datetime.replace(tzinfo=timezone.utc).timestamp()" in text

    git(project, "add", "-A")
    again = try_repo(hook_repo, project, "bad.py", hook="wfcheck-fix")
    assert again.returncode == 0, again.stdout + again.stderr
