"""Which files to check: walk directories for `*.py`, honouring `.gitignore` files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# pathspec (~40 ms to import) is imported when there is a pattern to compile: a tree without
# `.gitignore` files and a run without excludes never need it.
if TYPE_CHECKING:
    import pathspec

# Directories never worth descending into.
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "__pycache__", ".venv", "venv", ".env", "env",
        ".tox", ".nox", "build", "dist", "node_modules", ".mypy_cache", ".pytest_cache",
        ".ruff_cache", ".wfcheck_cache", ".eggs", "site-packages",
    }
)

# Names in a directory listing that change how the walk goes on.
_SPECIAL_FILES = frozenset({".gitignore", "pyvenv.cfg"})

# What marks a project root (where module names start, and the cache lives).
ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def real_path(path: str | os.PathLike[str]) -> Path:
    """The absolute path with symlinks resolved. Unlike ``Path.resolve()`` (RuntimeError or
    OSError on Python 3.9-3.12), a symlink loop comes back unresolved: reading the file then
    reports it."""
    return Path(os.path.realpath(path))


def _never_walked(name: str) -> bool:
    """A directory name the walk never descends into."""
    return name in SKIP_DIRS or name.endswith(".egg-info")


def _load_gitignore(directory: str) -> pathspec.PathSpec | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    import pathspec

    lines = text.splitlines()
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, re.error):
        # Git skips a pattern it cannot read and keeps the rest; so does wfcheck.
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if not pattern_error(line)])


def pattern_error(pattern: str) -> str | None:
    """Why pathspec cannot compile a gitignore-style pattern, or None when it can."""
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error) as exc:
        return str(exc)
    return None


def _ignored(path: str, is_dir: bool, specs: Sequence[tuple[str, pathspec.PathSpec]]) -> bool:
    ignored = False
    for base, spec in specs:
        relative = Path(os.path.relpath(path, base)).as_posix() + ("/" if is_dir else "")
        result = spec.check_file(relative)
        if result.include is not None:
            ignored = bool(result.include)
    return ignored


def _unless_naming(
    chain: list[tuple[str, pathspec.PathSpec]], directory: Path
) -> list[tuple[str, pathspec.PathSpec]]:
    """``chain`` without the patterns that match ``directory`` itself (or a directory above
    it): a directory named on the command line is checked even when a `.gitignore` above it
    lists it, as ruff does; the other patterns still hold below it."""
    kept: list[tuple[str, pathspec.PathSpec]] = []
    for base, spec in chain:
        relative = Path(os.path.relpath(directory, base)).as_posix() + "/"
        patterns = [p for p in spec.patterns if p.include is None or not p.match_file(relative)]
        if len(patterns) == len(spec.patterns):
            kept.append((base, spec))
        elif patterns:
            kept.append((base, type(spec)(patterns)))
    return kept


def _gitignore_chain(directory: Path) -> list[tuple[str, pathspec.PathSpec]]:
    """The .gitignore files above ``directory`` up to its repository root."""
    chain: list[tuple[str, pathspec.PathSpec]] = []
    current = directory
    while True:
        spec = _load_gitignore(str(current))
        if spec is not None:
            chain.append((str(current), spec))
        if (current / ".git").exists() or current.parent == current:
            break
        current = current.parent
    chain.reverse()
    return chain


def discover(paths: Sequence[str]) -> Iterator[Path]:
    """Files named explicitly are always checked; directories are walked."""
    return (Path(found) for found in discover_names(paths))


def discover_names(paths: Sequence[str]) -> Iterator[str]:
    """:func:`discover` as strings, the paths spelled as the command line spells them."""
    seen = set()
    for raw in paths:
        if not os.path.isdir(raw):
            found = str(Path(raw))
            if found not in seen:
                seen.add(found)
                yield found
            continue
        for found in _walk(raw):
            if found not in seen:
                seen.add(found)
                yield found


def _walk(root: str) -> Iterator[str]:
    # Strings, not Path objects: on a large tree (site-packages) path arithmetic costs more
    # than the system calls.
    absolute_root = real_path(root)
    base_chain = (
        _unless_naming(_gitignore_chain(absolute_root.parent), absolute_root)
        if absolute_root.parent != absolute_root
        else []
    )
    # Spelled as str(Path(...)) would spell them: no "./" in front.
    shown = str(Path(root))
    top = "" if shown == "." else shown
    stack: list[tuple[str, str, list[tuple[str, pathspec.PathSpec]]]] = [
        (top, str(absolute_root), base_chain)
    ]
    while stack:
        directory, absolute, inherited = stack.pop()
        try:
            with os.scandir(directory or ".") as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            # Named in the results, so reading it reports why (a directory without read
            # permission is not a directory without files).
            yield directory or "."
            continue
        # Looked for in the listing, not with a system call per directory.
        names = {entry.name for entry in entries if entry.name in _SPECIAL_FILES}
        if "pyvenv.cfg" in names and directory != top:
            continue  # a virtualenv, whatever its name
        spec = _load_gitignore(absolute) if ".gitignore" in names else None
        specs = inherited + [(absolute, spec)] if spec is not None else inherited
        subdirs = []
        prefix = directory + os.sep if directory else ""
        for entry in entries:
            name = entry.name
            try:
                # Symlinked directories are not followed: no loops, no walking out of the tree.
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if _never_walked(name):
                    continue
                entry_abs = os.path.join(absolute, name)
                if specs and _ignored(entry_abs, True, specs):
                    continue
                subdirs.append((prefix + name, entry_abs, specs))
            elif name.endswith(".py") and not (
                specs and _ignored(os.path.join(absolute, name), False, specs)
            ):
                yield prefix + name
        stack.extend(reversed(subdirs))


def directories_containing(root: str, names: Sequence[str]) -> list[str]:
    """The directories below ``root`` (not ``root`` itself; spelled from it) whose listing has one
    of ``names``, pruned as the walk prunes (skipped names, virtualenvs, symlinks): where
    nested configuration files may be. Only listings are read, so it costs little."""
    found: list[str] = []
    wanted = frozenset(names)
    top = os.path.abspath(root)
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)
        except OSError:
            continue
        listed = {entry.name for entry in entries}
        if directory != top:
            if "pyvenv.cfg" in listed:
                continue  # a virtualenv, whatever its name
            if listed & wanted:
                found.append(os.path.normpath(os.path.join(root, os.path.relpath(directory, top))))
        for entry in entries:
            if _never_walked(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
            except OSError:
                continue
    return sorted(found)


def find_project_roots(paths: Iterable[str], extra: Sequence[str] = ()) -> list[Path]:
    """Each path's project root (nearest pyproject.toml/setup.py/setup.cfg/.git), its `src/`,
    and any extra roots given."""
    roots: list[Path] = []

    def add(root: Path) -> None:
        if root not in roots:
            roots.append(root)

    for raw in extra:
        add(real_path(raw))
    for raw in paths:
        start = real_path(raw)
        directory = start if start.is_dir() else start.parent
        current = directory
        while True:
            if any((current / marker).exists() for marker in ROOT_MARKERS):
                add(current)
                if (current / "src").is_dir():
                    add(current / "src")
                break
            if current.parent == current:
                add(directory)
                break
            current = current.parent
    return roots
