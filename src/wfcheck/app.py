"""The application layer: what a run of wfcheck means, shared by the command line and the
language server.

The command line (:mod:`wfcheck.cli`) turns arguments into an :class:`~wfcheck.config.Options`
and an :class:`Output` and calls :func:`run_check`; everything after that lives here: grouping
paths by configuration, checking or fixing them, merging the results of the groups, choosing
which stream each part of the report goes to and which summary closes it, and the exit-code
policy. The language server (:mod:`wfcheck.server`) configures one buffer like the file on
disk with :func:`settings_for` and checks or fixes it with :func:`check_buffer` and
:func:`fix_buffer`. A problem the user must fix (a bad option, a broken configuration) is a
:class:`UsageError`: one line, exit 2.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Protocol

from wfcheck.catalog import Catalog, CatalogError, Rule, load_catalog
from wfcheck.config import ConfigError, Options, resolve
from wfcheck.diagnostics import fixable
from wfcheck.engine import check_paths, check_source, files_to_check
from wfcheck.report import render_pieces, summary
from wfcheck.report.printable import printable
from wfcheck.results import FileResult, RunResult
from wfcheck.settings import INTERNAL_ERROR, Settings

# Imported where used: the fixes (`--fix`, `--diff`, a buffer's fixes), the statistics format
# and the rule documentation are not needed to check and report.
if TYPE_CHECKING:
    from wfcheck.analysis.project import ProjectIndex
    from wfcheck.fixes.apply import FixOutcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

Groups = list[tuple[Settings, list[str]]]


class UsageError(Exception):
    """Something the user must fix before wfcheck can run; the message is the one line to show
    (the run exits 2)."""


class Sink(Protocol):
    """Where a report goes: standard output and standard error (the command line's streams)."""

    def out(self, text: str) -> None: ...

    def err(self, text: str) -> None: ...

    def out_bytes(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class Output:
    """How the report is printed and the run exits."""

    format: str = "full"
    file: str | None = None
    statistics: bool = False
    quiet: bool = False
    show_fixes: bool = False
    exit_zero: bool = False
    # `-v`: say which configuration applies, how many files, what the run cost (stderr).
    verbose: bool = False
    # A live count of the files checked, on stderr, for runs that take a while (a terminal).
    progress: bool = False


# A run shows progress once it has taken this long (short runs print nothing extra).
PROGRESS_AFTER_SECONDS = 1.0
# ...and redraws its line at most this often.
PROGRESS_EVERY_SECONDS = 0.1
NO_FILES_WARNING = "wfcheck: warning: No Python files found under the given path(s)\n"


def usable_cpus() -> int:
    """The CPUs this process may run on (a container or `taskset` can allow fewer than the
    machine has), capped by its cgroup's CPU quota (`docker --cpus`, a Kubernetes CPU
    limit), which the affinity does not show: more workers than that only wait their turn."""
    affinity = getattr(os, "sched_getaffinity", None)
    count = (len(affinity(0)) if affinity is not None else os.cpu_count()) or 1
    quota = cgroup_cpu_quota()
    return min(count, quota) if quota is not None else count


def cgroup_cpu_quota(
    mounts: str = "/sys/fs/cgroup", membership: str = "/proc/self/cgroup"
) -> int | None:
    """The CPUs this process's cgroup may use (its quota over its period, rounded up), or
    None without a quota. cgroup v2 keeps it in `cpu.max` ("max 100000", "200000 100000"),
    v1 in `cpu.cfs_quota_us` (-1: none) and `cpu.cfs_period_us`; a container sees its own
    group at the mount point, a host process at its path from ``membership``."""
    groups: dict[str, str] = {}
    try:
        with open(membership, encoding="utf-8") as handle:
            for line in handle:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(",") if controllers else [""]:
                    groups[controller] = path.lstrip("/")
    except (OSError, ValueError):
        pass
    candidates = [
        (os.path.join(mounts, groups.get("", "")), "cpu.max", None),
        (mounts, "cpu.max", None),
        (os.path.join(mounts, "cpu", groups.get("cpu", "")), "cpu.cfs_quota_us", "cpu.cfs_period_us"),
        (os.path.join(mounts, "cpu"), "cpu.cfs_quota_us", "cpu.cfs_period_us"),
    ]
    for directory, quota_name, period_name in candidates:
        try:
            with open(os.path.join(directory, quota_name), encoding="utf-8") as handle:
                fields = handle.read().split()
            if period_name is not None:
                with open(os.path.join(directory, period_name), encoding="utf-8") as handle:
                    fields = fields[:1] + handle.read().split()[:1]
            quota, period = fields[0], int(fields[1])
            if quota in ("max", "-1") or period <= 0:
                return None
            return max(1, -(-int(quota) // period))
        except (OSError, ValueError, IndexError):
            continue
    return None


def configure(targets: Sequence[str], options: Options) -> Groups:
    """The targets grouped by the settings that apply to them."""
    try:
        return resolve(list(targets), options)
    except (ConfigError, CatalogError) as exc:
        raise UsageError(str(exc)) from None


def run_check(
    paths: Sequence[str],
    options: Options,
    out: Output,
    sink: Sink,
    *,
    fix: bool = False,
    diff: bool = False,
    stdin_filename: str | None = None,
    read_stdin: Callable[[], bytes] | None = None,
) -> int:
    """The `check` command: check (or fix, or diff) ``paths`` and report; returns the exit
    code. ``paths == ["-"]`` checks the bytes ``read_stdin`` returns."""
    from_stdin = list(paths) == ["-"]
    targets = [stdin_filename or "-"] if from_stdin else list(paths) or ["."]
    # Stdin without a name is configured as a file in the working directory (`-`).
    groups = configure(targets, options)
    if from_stdin:
        assert read_stdin is not None
        return _run_stdin(groups[0][0], stdin_filename, read_stdin, fix or diff, diff, out, sink)
    if fix or diff:
        return _run_fix(groups, diff, out, sink)
    return _run_paths(groups, out, sink)


def show_files(paths: Sequence[str], options: Options, sink: Sink) -> int:
    """`--show-files`: every file a check of ``paths`` would check, sorted, one a line."""
    groups = configure(list(paths) or ["."], options)
    files = sorted({f for settings, members in groups for f in files_to_check(members, settings)})
    for path in files:
        sink.out(printable(path) + "\n")
    if not files:
        sink.err(NO_FILES_WARNING)
    return EXIT_CLEAN


def show_settings(paths: Sequence[str], options: Options, sink: Sink) -> int:
    """`--show-settings`: the effective settings of each group of ``paths`` (its configuration
    file, then the command line), as `key = value` lines."""
    for settings, members in configure(list(paths) or ["."], options):
        sink.out(describe_settings(settings, members) + "\n")
    return EXIT_CLEAN


def describe_settings(settings: Settings, members: Sequence[str]) -> str:
    def listing(values: Sequence[str]) -> str:
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"

    lines = [
        f"# {', '.join(members)}",
        f"configuration = {settings.config_path or 'none (defaults)'}",
        f"enabled = {listing(sorted(settings.enabled))}",
        f"frameworks = {listing([spec.name for spec in settings.specs])}",
        f"exclude = {listing([os.path.join(root, pattern) for root, pattern in settings.exclude])}",
        f"force-exclude = {str(settings.force_exclude).lower()}",
        "per-file-ignores = "
        + listing([f"{os.path.join(r, p)}:{','.join(c)}" for r, p, c in settings.per_file_ignores]),
        f"src = {listing(settings.src)}",
        f"unsafe-fixes = {str(settings.unsafe_fixes).lower()}",
        f"versioned-fixes = {str(settings.versioned_fixes).lower()}",
        f"cache-dir = {settings.cache_dir or 'none (cache off)'}",
        f"jobs = {settings.jobs}",
    ]
    if settings.nested_configs:
        lines.append(f"checked with their own configuration = {listing(settings.nested_configs)}")
    return "\n".join(lines) + "\n"


def add_noqa(paths: Sequence[str], options: Options, sink: Sink) -> int:
    """`--add-noqa`: a `# noqa: WFxxx` comment on every line with findings (the existing
    `# noqa:` lists extended), so that the code as it is passes and new code is held to the
    rules. Exit 0; 2 when a check failed inside wfcheck."""
    from wfcheck.fixes.noqa import add_noqa_to_file

    groups = configure(list(paths) or ["."], options)
    result = merge([check_paths(members, settings) for settings, members in groups])
    added = 0
    for file in result.files:
        count, problem = add_noqa_to_file(file.path, file.diagnostics)
        added += count
        if problem:
            sink.err(printable(f"wfcheck: {file.path}: {problem}") + "\n")
    for path, error in result.errors:
        sink.err(printable(f"wfcheck: {path}: {error}") + "\n")
    if not result.files:
        sink.err(NO_FILES_WARNING)
    sink.err(f"Added {summary.plural(added, 'noqa directive')}.\n")
    internal = any(d.code == INTERNAL_ERROR for d in result.diagnostics)
    return EXIT_ERROR if internal else EXIT_CLEAN


def merge(results: Sequence[RunResult]) -> RunResult:
    """One result for a run made of several configuration groups."""
    return RunResult(
        [f for r in results for f in r.files],
        sum(r.helper_modules for r in results),
        sum(r.from_cache for r in results),
    )


class _ProgressLine:
    """`checked 1200/2600 files` rewritten in place on stderr, once the run has taken
    :data:`PROGRESS_AFTER_SECONDS`; cleared when the run ends."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.started = time.monotonic()
        self.shown = False
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < PROGRESS_AFTER_SECONDS or (
            self.shown and now - self.last < PROGRESS_EVERY_SECONDS
        ):
            return
        self.shown, self.last = True, now
        self.sink.err(f"\rwfcheck: checked {done}/{summary.plural(total, 'file')}")

    def clear(self) -> None:
        if self.shown:
            self.sink.err("\r\x1b[K")


def _say_groups(groups: Groups, sink: Sink) -> None:
    """`-v`: the configuration each group of paths is checked with."""
    for settings, members in groups:
        where = settings.config_path or "no configuration file (defaults)"
        sink.err(f"wfcheck: {', '.join(members)}: {where}\n")


def _run_paths(groups: Groups, out: Output, sink: Sink) -> int:
    if out.verbose:
        _say_groups(groups, sink)
    started = time.monotonic()
    progress = _ProgressLine(sink) if out.progress else None
    results = []
    try:
        for settings, members in groups:
            results.append(check_paths(members, settings, progress))
    finally:
        if progress is not None:
            progress.clear()
    result = merge(results)
    if out.verbose:
        sink.err(
            f"wfcheck: checked {summary.plural(len(result.files), 'file')} in "
            f"{time.monotonic() - started:.2f} s: {result.from_cache} unchanged (cache), "
            f"{len(result.files) - result.from_cache} read again, "
            f"{summary.plural(result.helper_modules, 'helper module')} parsed\n"
        )
    if not result.files:
        sink.err(NO_FILES_WARNING)
    unsafe = any(settings.unsafe_fixes for settings, _ in groups)
    _report(result, out, list(groups[0][0].catalog), _check_summary(result, unsafe), sink, unsafe=unsafe)
    return exit_code(result, out.exit_zero)


def _run_fix(groups: Groups, diff: bool, out: Output, sink: Sink) -> int:
    from wfcheck.fixes.apply import fix_paths

    outcomes = [
        outcome
        for settings, members in groups
        for outcome in fix_paths(members, settings, settings.unsafe_fixes, write=not diff).outcomes
    ]
    if diff:
        return _report_diff(outcomes, sink)
    unsafe = any(settings.unsafe_fixes for settings, _ in groups)
    return _report_fix(outcomes, out, list(groups[0][0].catalog), unsafe, sink)


def _run_stdin(
    settings: Settings,
    stdin_filename: str | None,
    read_stdin: Callable[[], bytes],
    fixing: bool,
    diff: bool,
    out: Output,
    sink: Sink,
) -> int:
    name = stdin_filename or "-"
    skipped = bool(stdin_filename) and is_skipped(settings, name)
    data = read_stdin()
    rules = list(settings.catalog)
    if not fixing:
        result = RunResult([] if skipped else [check_source(data, name, settings, None)])
        closing = _check_summary(result, settings.unsafe_fixes)
        _report(result, out, rules, closing, sink, unsafe=settings.unsafe_fixes)
        return exit_code(result, out.exit_zero)
    from wfcheck.fixes.apply import FixOutcome, fix_source

    outcome, fixed = (
        (FixOutcome(name), data) if skipped else fix_source(data, name, settings, settings.unsafe_fixes)
    )
    if diff:
        return _report_diff([outcome], sink)
    # The fixed buffer is the output (as an editor expects); the report goes to stderr.
    sink.out_bytes(fixed)
    return _report_fix([outcome], replace(out, file=None), rules, settings.unsafe_fixes, sink, err=True)


def exit_code(result: RunResult, exit_zero: bool = False) -> int:
    """0 nothing to report, 1 findings or unreadable files (unless ``exit_zero``), 2 a check
    that failed inside wfcheck (WF999)."""
    if any(d.code == INTERNAL_ERROR for d in result.diagnostics):
        return EXIT_ERROR
    findings = bool(result.diagnostics or result.errors)
    return EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN


def _report(
    result: RunResult,
    out: Output,
    rules: list[Rule],
    closing: str,
    sink: Sink,
    err: bool = False,
    unsafe: bool = False,
) -> None:
    """Print the report (to stderr with ``err``, when stdout carries a fixed buffer);
    ``unsafe``: unsafe fixes are on, so they count as fixable (`[*]`)."""
    diagnostics = result.diagnostics
    for path, error in result.errors:
        sink.err(printable(f"wfcheck: {path}: {error}") + "\n")
    if out.statistics:
        from wfcheck.report import statistics as stats

        pieces: Iterable[str] = [
            stats.render_json(diagnostics) if out.format == "json" else stats.render(diagnostics)
        ]
    else:
        pieces = render_pieces(out.format, diagnostics, rules, unsafe_fixes=unsafe)
    show_summary = not out.quiet and out.format in ("full", "concise")
    if out.file is not None:
        try:
            # As ruff: the report's folder is made when it does not exist yet.
            os.makedirs(os.path.dirname(out.file) or ".", exist_ok=True)
            with open(out.file, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(pieces)
        except OSError as exc:
            raise UsageError(f"cannot write {out.file}: {exc.strerror or exc}") from None
        if show_summary:
            sink.err(closing + "\n")
        return
    for piece in pieces:
        if piece:
            (sink.err if err else sink.out)(piece)
    if show_summary:
        # Only the full format shares its stream with the summary: the others stay one
        # diagnostic (or statistic) per line for the tools that read them.
        shared = out.format == "full" and not out.statistics
        gap = "\n" if diagnostics and shared else ""
        (sink.err if err or not shared else sink.out)(gap + closing + "\n")


def _check_summary(result: RunResult, unsafe: bool) -> str:
    diagnostics = result.diagnostics
    return summary.check_summary(
        diagnostics, len(result.files), len(result.errors), fixable(diagnostics), unsafe
    )


def fix_result(outcomes: Sequence[FixOutcome]) -> RunResult:
    """What is left to report after fixing, as a run's result."""
    return RunResult([FileResult(o.path, diagnostics=o.remaining, error=o.error) for o in outcomes])


def _report_fix(
    outcomes: list[FixOutcome],
    out: Output,
    rules: list[Rule],
    unsafe: bool,
    sink: Sink,
    err: bool = False,
) -> int:
    """What `--fix` did: the findings left, the fixes dropped, and (`--show-fixes`) the
    fixes applied. Returns the exit code: what is left decides it."""
    result = fix_result(outcomes)
    for outcome in outcomes:
        for code, line, message in outcome.dropped:
            sink.err(
                printable(
                    f"wfcheck: {outcome.path}:{line}: {code} fix not applied, its result would "
                    f"not parse or not decode: {message}"
                )
                + "\n"
            )
    fixed = sum(len(o.applied) for o in outcomes)
    diagnostics = result.diagnostics
    text = summary.fix_summary(
        diagnostics,
        fixed,
        touched=len({o.path for o in outcomes if o.applied or o.remaining}),
        checked=len(result.files),
        unchecked=len(result.errors),
        fixable=fixable(diagnostics),
        unsafe=unsafe,
    )
    _report(result, out, rules, text, sink, err, unsafe=unsafe)
    if out.show_fixes and fixed:
        applied = [
            (printable(o.path), [f"{code} [{label}]" for code, _, _, label in o.applied])
            for o in outcomes
        ]
        listing = summary.fixes_applied(applied, {r.code: r.name for r in rules}) + "\n"
        (sink.err if err else sink.out)(listing)
    return exit_code(result, out.exit_zero)


def _report_diff(outcomes: list[FixOutcome], sink: Sink) -> int:
    """`--diff`: the fixes as a unified diff on stdout; exit 1 when there is one."""
    for outcome in outcomes:
        if outcome.error:
            sink.err(printable(f"wfcheck: {outcome.path}: {outcome.error}") + "\n")
    diffs = [o.diff() for o in outcomes if o.changed]
    for text in diffs:
        sink.out(text)
    fixed = sum(len(o.applied) for o in outcomes)
    sink.err((f"Would fix {summary.plural(fixed, 'finding')}." if fixed else "No fixes available.") + "\n")
    return EXIT_FINDINGS if diffs else EXIT_CLEAN


# -- rules -----------------------------------------------------------------------------------


def rule_catalog() -> Catalog:
    try:
        return load_catalog()
    except CatalogError as exc:
        raise UsageError(f"invalid rule catalog: {exc}") from None


def find_rule(catalog: Catalog, code: str) -> Rule | None:
    """A rule by its code (any case) or its name."""
    return catalog.get(code.upper()) or next((r for r in catalog if r.name == code.lower()), None)


def describe_rules(code: str | None, show_all: bool = False, show_list: bool = False) -> str:
    """The `rule` command's text: one rule's documentation, every rule's, or the list."""
    from wfcheck.rule_docs import render_all, render_rule, render_rule_list

    catalog = rule_catalog()
    if show_list:
        return render_rule_list(list(catalog))
    if show_all:
        return render_all(list(catalog))
    if not code:
        raise UsageError("give a rule code (e.g. `wfcheck rule WF101`), --all or --list")
    found = find_rule(catalog, code)
    if found is None:
        raise UsageError(f"unknown rule {code!r} (see `wfcheck rule --list`)")
    return render_rule(found)


# -- one buffer (the language server) -------------------------------------------------------


def settings_for(path: str, options: Options) -> Settings:
    """The settings that apply to the file at ``path`` (which need not exist): its nearest
    configuration, then ``options``."""
    return configure([path], options)[0][0]


def is_skipped(settings: Settings, path: str) -> bool:
    """Is a file named explicitly (a buffer, a file from stdin) skipped by the excludes?"""
    return settings.force_exclude and settings.is_excluded(path)


def check_buffer(
    data: bytes, path: str, settings: Settings, project: ProjectIndex | None = None
) -> FileResult:
    """Check one buffer as the file at ``path``; an excluded file has no findings."""
    if settings.is_excluded(path):
        return FileResult(path)
    return check_source(data, path, settings, project)


def fix_buffer(
    data: bytes, path: str, settings: Settings, unsafe: bool, project: ProjectIndex | None = None
) -> tuple[FixOutcome, bytes]:
    """Fix one buffer as the file at ``path`` (nothing is written); an excluded file stays."""
    from wfcheck.fixes.apply import FixOutcome, fix_source

    if settings.is_excluded(path):
        return FixOutcome(path), data
    return fix_source(data, path, settings, unsafe, project)
