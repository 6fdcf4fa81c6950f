"""The settings of a run and the rule codes every stage shares: a leaf module.

:class:`Settings` is what :mod:`wfcheck.config` resolves from configuration files and options,
and what the engine, the analysis, the cache and the fixes read; the selector semantics
(`select_codes`) live here with it. Nothing here imports another stage, so any stage can
import it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from wfcheck.catalog import Catalog
from wfcheck.discovery import real_path
from wfcheck.frameworks import MARKERS, SPECS, FrameworkSpec

if TYPE_CHECKING:
    import pathspec

SYNTAX_ERROR = "WF900"
INTERNAL_ERROR = "WF999"
# Reported whatever the selection: the file (or a check on it) could not be checked.
ALWAYS_ON = frozenset({SYNTAX_ERROR, INTERNAL_ERROR})
UNUSED_SUPPRESSION = "WF800"
REPLAY_UNSAFE_LOG = "WF701"
# The result cache's directory name (see wfcheck.cache, which the configuration need not import).
CACHE_DIR_NAME = ".wfcheck_cache"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs, resolved from config files and the command line
    (see :mod:`wfcheck.config`)."""

    catalog: Catalog
    enabled: frozenset[str]
    # Extra import roots for following calls across modules (`--src`).
    src: tuple[str, ...] = ()
    # (directory, gitignore-style pattern relative to it): files and directories not to check.
    exclude: tuple[tuple[str, str], ...] = ()
    # Apply `exclude` to files named explicitly too (pre-commit passes every file by name).
    force_exclude: bool = False
    # (directory, pattern, selectors): codes switched off for the files a pattern matches.
    per_file_ignores: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # The engines detected and how (restricted and extended by config).
    specs: tuple[FrameworkSpec, ...] = SPECS
    markers: tuple[bytes, ...] = MARKERS
    # ((code, api), message) for `banned-api` entries that bring their own message.
    banned_messages: tuple[tuple[tuple[str, str], str], ...] = ()
    # Stored for `--fix`: whether unsafe fixes may be applied.
    unsafe_fixes: bool = False
    # History-changing fixes are written inside the engine's patch API (`--versioned-fixes`).
    versioned_fixes: bool = False
    # Where results are cached between runs; None: no cache.
    cache_dir: str | None = None
    # Worker processes for a large run.
    jobs: int = 1
    # Directories (absolute) below a checked one with a configuration of their own: their
    # files are checked with that configuration, in another group.
    nested_configs: tuple[str, ...] = ()
    # The configuration file these settings were read from (None: defaults and options).
    config_path: str | None = None

    def is_excluded(self, path: str, directory: bool = False) -> bool:
        return bool(self.exclude) and excluded_by(self.exclude, path, directory)

    def excludes_below(self, directory: str) -> tuple[tuple[str, str], ...]:
        """The `exclude` patterns that hold inside a directory named on the command line:
        those that match neither it nor a directory above it (as in ruff, naming an excluded
        directory checks it)."""
        absolute = real_path(directory)
        return tuple(
            (root, pattern)
            for root, pattern in self.exclude
            if not _matches(root, pattern, absolute, directory=True)
        )

    def enabled_for(self, path: str) -> frozenset[str]:
        """The enabled codes minus this file's `per-file-ignores` (WF900 and WF999 stay)."""
        if not self.per_file_ignores:
            return self.enabled
        absolute = real_path(path)
        off = [
            selector
            for root, pattern, selectors in self.per_file_ignores
            if _matches(root, pattern, absolute)
            for selector in selectors
        ]
        if not off:
            return self.enabled
        return frozenset(
            code
            for code in self.enabled
            if code in ALWAYS_ON or not any(code.startswith(s) for s in off)
        )


@cache
def _spec(pattern: str) -> pathspec.PathSpec:
    # Imported on the first pattern matched (see wfcheck.discovery).
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines([pattern])


@cache
def _resolved(path: str) -> Path:
    return real_path(path)


def excluded_by(exclude: Iterable[tuple[str, str]], path: str, directory: bool = False) -> bool:
    """Does one of the (directory, pattern) ``exclude`` entries match ``path``?"""
    absolute = real_path(path)
    return any(_matches(root, pattern, absolute, directory) for root, pattern in exclude)


def _matches(root: str, pattern: str, absolute: Path, directory: bool = False) -> bool:
    """Does a gitignore-style ``pattern`` relative to ``root`` match the resolved path
    ``absolute`` (or, for a path outside ``root``, its file name)? A ``directory`` also
    matches the patterns that name directories only (`build/`)."""
    slash = "/" if directory else ""
    try:
        return _spec(pattern).match_file(absolute.relative_to(_resolved(root)).as_posix() + slash)
    except ValueError:
        return _spec(pattern).match_file(absolute.name + slash)


def default_enabled(catalog: Catalog) -> frozenset[str]:
    return frozenset(r.code for r in catalog if r.default)


def select_codes(
    catalog: Catalog,
    select: Iterable[str] | None,
    ignore: Iterable[str],
    extend_select: Iterable[str] = (),
    base: frozenset[str] | None = None,
) -> frozenset[str]:
    """Ruff's selector semantics: the most specific matching selector wins; ties ignore.

    With no ``select`` the rules in ``base`` stay on (default: the default rules); ``ALL``
    selects every rule; ``extend_select`` adds to either. Calling this once per layer (config
    file, then command line) gives ruff's precedence. WF900 is always reported: a file that
    cannot be parsed was not checked; so is WF999, a check that failed.
    """
    selectors: list[tuple[str, bool]] = [(s, True) for s in select] if select is not None else []
    selectors += [(s, True) for s in extend_select]
    selectors += [(s, False) for s in ignore]
    kept = default_enabled(catalog) if base is None else base
    enabled = set()
    for rule in catalog:
        best: tuple[int, bool] | None = (
            (0, True) if select is None and rule.code in kept else None
        )
        for selector, on in selectors:
            if selector == "ALL":
                specificity = 0
            elif rule.code.startswith(selector):
                specificity = len(selector)
            else:
                continue
            if best is None or specificity > best[0] or (specificity == best[0] and not on):
                best = (specificity, on)
        if best is not None and best[1]:
            enabled.add(rule.code)
    return frozenset(enabled) | ALWAYS_ON


def unknown_selectors(catalog: Catalog, selectors: Iterable[str]) -> list[str]:
    codes = catalog.codes()
    return [
        s for s in selectors if s != "ALL" and not any(code.startswith(s) for code in codes)
    ]
