"""Which files to check: walk directories for `*.py`, honouring `.gitignore` files."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import pathspec

# Directories never worth descending into.
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "__pycache__", ".venv", "venv", ".env", "env",
        ".tox", ".nox", "build", "dist", "node_modules", ".mypy_cache", ".pytest_cache",
        ".ruff_cache", ".wfcheck_cache", ".eggs", "site-packages",
    }
)


def real_path(path: "str | os.PathLike[str]") -> Path:
    """The absolute path with symlinks resolved. Unlike ``Path.resolve()`` (RuntimeError or
    OSError on Python 3.9-3.12), a symlink loop comes back unresolved: reading the file then
    reports it."""
    return Path(os.path.realpath(path))


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def _load_gitignore(directory: Path) -> Optional[pathspec.PathSpec]:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = text.splitlines()
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, re.error):
        # Git skips a pattern it cannot read and keeps the rest; so does wfcheck.
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if not pattern_error(line)])


def pattern_error(pattern: str) -> Optional[str]:
    """Why pathspec cannot compile a gitignore-style pattern, or None when it can."""
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error) as exc:
        return str(exc)
    return None


def _ignored(path: Path, is_dir: bool, specs: Sequence[Tuple[Path, pathspec.PathSpec]]) -> bool:
    ignored = False
    for base, spec in specs:
        relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        result = spec.check_file(relative)
        if result.include is not None:
            ignored = bool(result.include)
    return ignored


def _gitignore_chain(directory: Path) -> List[Tuple[Path, pathspec.PathSpec]]:
    """The .gitignore files above ``directory`` up to its repository root."""
    chain: List[Tuple[Path, pathspec.PathSpec]] = []
    current = directory
    while True:
        spec = _load_gitignore(current)
        if spec is not None:
            chain.append((current, spec))
        if (current / ".git").exists() or current.parent == current:
            break
        current = current.parent
    chain.reverse()
    return chain


def discover(paths: Sequence[str]) -> Iterator[Path]:
    """Files named explicitly are always checked; directories are walked."""
    seen = set()
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            if path not in seen:
                seen.add(path)
                yield path
            continue
        for found in _walk(path):
            if found not in seen:
                seen.add(found)
                yield found


def _walk(root: Path) -> Iterator[Path]:
    absolute_root = real_path(root)
    base_chain = _gitignore_chain(absolute_root.parent) if absolute_root.parent != absolute_root else []
    stack: List[Tuple[Path, Path, List[Tuple[Path, pathspec.PathSpec]]]] = [
        (root, absolute_root, base_chain)
    ]
    while stack:
        directory, absolute, inherited = stack.pop()
        spec = _load_gitignore(absolute)
        specs = inherited + [(absolute, spec)] if spec is not None else inherited
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            entry_abs = absolute / entry.name
            try:
                # Symlinked directories are not followed: no loops, no walking out of the tree.
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                    continue
                if _is_virtualenv(entry_abs) or _ignored(entry_abs, True, specs):
                    continue
                subdirs.append((Path(entry.path), entry_abs, specs))
            elif entry.name.endswith(".py") and not _ignored(entry_abs, False, specs):
                yield Path(entry.path)
        stack.extend(reversed(subdirs))
