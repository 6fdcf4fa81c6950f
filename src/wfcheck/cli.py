"""Command-line interface: click commands only, no analysis logic."""

from __future__ import annotations

import os
import sys
from collections import Counter
from typing import List, NoReturn, Optional, Tuple

import click

from wfcheck import __version__
from wfcheck.catalog import CatalogError, Rule, load_catalog
from wfcheck.config import ConfigError, Options, resolve
from wfcheck.engine import INTERNAL_ERROR, FileResult, RunResult, check_paths, check_source
from wfcheck.fixes.apply import FixOutcome, FixRun, fix_paths, fix_source, fixable
from wfcheck.report import REPORTERS
from wfcheck.report import statistics as stats
from wfcheck.rule_docs import render_all, render_rule, render_rule_list

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: Tuple[str, ...]) -> List[str]:
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


class _Commands(click.Group):
    """Imports the `replay` group on first use: it brings the runtime (asyncio, SQLite),
    which `check` on one file in a pre-commit hook should not pay for."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(super().list_commands(ctx) + ["replay"])

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name == "replay":
            from wfcheck.runtime.cli import replay

            return replay
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wfcheck")
def main() -> None:
    """Determinism checks for durable workflow code."""


def _codes_option(name: str, help: str):
    return click.option(name, multiple=True, metavar="CODES", help=help)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_codes_option("--select", "Rule codes or prefixes to enable, replacing the configured selection (e.g. WF1,WF202).")
@_codes_option("--extend-select", "Rule codes or prefixes to enable on top of the selection (e.g. WF701).")
@_codes_option("--ignore", "Rule codes or prefixes to disable.")
@click.option(
    "--per-file-ignores",
    multiple=True,
    metavar="GLOB:CODES",
    help="Codes to ignore in matching files, replacing the configured table (repeatable).",
)
@click.option(
    "--output-format",
    type=click.Choice(list(REPORTERS)),
    default="full",
    show_default=True,
    help="How to print diagnostics.",
)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--statistics", is_flag=True, help="Print how many findings each rule has, instead of them.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("-q", "--quiet", is_flag=True, help="Print diagnostics, nothing else (no summary).")
@click.option("--stdin-filename", help="Name to report for source read from stdin (`-`); its config and per-file ignores apply.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Use this configuration file for every path.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Patterns to skip, replacing the configured `exclude`.")
@click.option("--extend-exclude", multiple=True, metavar="GLOB", help="More patterns to skip.")
@click.option(
    "--force-exclude/--no-force-exclude",
    default=None,
    help="Apply excludes to files named on the command line too (for pre-commit).",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report what is left.")
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=None,
    help="Also apply (with --fix) and count fixes that may change behaviour.",
)
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff and write nothing.")
@click.option("--show-fixes", is_flag=True, help="With --fix, list what was fixed per file.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="WFCHECK_CACHE_DIR",
    help="Where to keep the cache (default: `.wfcheck_cache` at the project root).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes for large runs (default: the CPU count).",
)
@click.option(
    "--src",
    "src",
    multiple=True,
    type=click.Path(file_okay=False),
    help="An import root for following calls into project modules (repeatable).",
)
def check(
    paths: Tuple[str, ...],
    select: Tuple[str, ...],
    extend_select: Tuple[str, ...],
    ignore: Tuple[str, ...],
    per_file_ignores: Tuple[str, ...],
    output_format: str,
    output_file: Optional[str],
    statistics: bool,
    exit_zero: bool,
    quiet: bool,
    stdin_filename: Optional[str],
    config_file: Optional[str],
    isolated: bool,
    exclude: Tuple[str, ...],
    extend_exclude: Tuple[str, ...],
    force_exclude: Optional[bool],
    fix: bool,
    unsafe_fixes: Optional[bool],
    diff: bool,
    show_fixes: bool,
    no_cache: bool,
    cache_dir: Optional[str],
    jobs: Optional[int],
    src: Tuple[str, ...],
) -> None:
    """Check workflow code under PATHS (default: the current directory)."""
    options = Options(
        select=_split(select) or None,
        extend_select=_split(extend_select),
        ignore=_split(ignore),
        per_file_ignores=list(per_file_ignores) or None,
        exclude=list(exclude) or None,
        extend_exclude=list(extend_exclude),
        force_exclude=force_exclude,
        src=list(src),
        unsafe_fixes=unsafe_fixes,
        config=config_file,
        isolated=isolated,
        cache=not no_cache,
        cache_dir=cache_dir,
        jobs=jobs or _usable_cpus(),
    )
    from_stdin = paths == ("-",)
    targets = [stdin_filename or "-"] if from_stdin else list(paths) or ["."]
    try:
        groups = resolve(targets if not from_stdin or stdin_filename else ["."], options)
    except (ConfigError, CatalogError) as exc:
        _fail(str(exc))
    if from_stdin:
        settings = groups[0][0]
        name = stdin_filename or "-"
        skipped = bool(stdin_filename) and settings.force_exclude and settings.is_excluded(name)
        data = sys.stdin.buffer.read()
        if fix or diff:
            outcome, fixed = (
                (FixOutcome(name), data)
                if skipped
                else fix_source(data, name, settings, settings.unsafe_fixes)
            )
            fix_run = FixRun([outcome])
            if diff:
                sys.exit(_report_diff(fix_run))
            # The fixed buffer is the output (as an editor expects); the report goes to stderr.
            sys.stdout.buffer.write(fixed)
            sys.stdout.flush()
            _report_fix(fix_run, output_format, list(settings.catalog), None, statistics, quiet,
                        show_fixes, settings.unsafe_fixes, err=True)
            sys.exit(_fix_exit(fix_run, exit_zero))
        result = RunResult([] if skipped else [check_source(data, name, settings, None)])
        rules = list(settings.catalog)
    elif fix or diff:
        fix_run = FixRun(
            [
                outcome
                for settings, members in groups
                for outcome in fix_paths(
                    members, settings, settings.unsafe_fixes, write=not diff
                ).outcomes
            ]
        )
        if diff:
            sys.exit(_report_diff(fix_run))
        _report_fix(fix_run, output_format, list(groups[0][0].catalog), output_file, statistics,
                    quiet, show_fixes, any(settings.unsafe_fixes for settings, _ in groups))
        sys.exit(_fix_exit(fix_run, exit_zero))
    else:
        results = [check_paths(members, settings) for settings, members in groups]
        result = RunResult(
            [f for r in results for f in r.files], sum(r.helper_modules for r in results)
        )
        rules = list(groups[0][0].catalog)
    unsafe = any(settings.unsafe_fixes for settings, _ in groups)
    _report(result, output_format, rules, output_file, statistics, quiet, _summary(result, unsafe))
    if any(d.code == INTERNAL_ERROR for d in result.diagnostics):
        sys.exit(EXIT_ERROR)
    findings = bool(result.diagnostics or result.errors)
    sys.exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


def _report(
    result: RunResult,
    output_format: str,
    rules: List[Rule],
    output_file: Optional[str],
    statistics: bool,
    quiet: bool,
    summary: str,
    err: bool = False,
) -> None:
    """Print the report (to stderr with ``err``, when stdout carries a fixed buffer)."""
    diagnostics = result.diagnostics
    for path, error in result.errors:
        click.echo(f"wfcheck: {path}: {error}", err=True)
    if statistics:
        rendered = (
            stats.render_json(diagnostics) if output_format == "json" else stats.render(diagnostics)
        )
    else:
        rendered = REPORTERS[output_format](diagnostics, rules)
    show_summary = not quiet and output_format in ("full", "concise")
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8", newline="") as handle:
                handle.write(rendered)
        except OSError as exc:
            _fail(f"cannot write {output_file}: {exc.strerror or exc}")
        if show_summary:
            click.echo(summary, err=True)
        return
    if rendered:
        click.echo(rendered, nl=False, err=err)
    if show_summary:
        # Only the full format shares its stream with the summary: the others stay one
        # diagnostic (or statistic) per line for the tools that read them.
        shared = output_format == "full" and not statistics
        gap = "\n" if diagnostics and shared else ""
        click.echo(gap + summary, err=err or not shared)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _summary(result: RunResult, unsafe: bool) -> str:
    diagnostics = result.diagnostics
    checked = _plural(len(result.files), "file") + " checked"
    unchecked = f"{_plural(len(result.errors), 'file')} could not be checked"
    if not diagnostics:
        return f"{unchecked} ({checked})." if result.errors else f"All checks passed! ({checked})"
    files = len({d.path for d in diagnostics})
    lines = [f"Found {_plural(len(diagnostics), 'finding')} in {_plural(files, 'file')} ({checked})."]
    if result.errors:
        lines.append(f"{unchecked}.")
    safe, more = fixable(diagnostics)
    if unsafe:
        safe, more = safe + more, 0
    hidden = (
        f"{more} hidden fix{'es' if more != 1 else ''} can be enabled with the `--unsafe-fixes` option"
    )
    if safe:
        lines.append(
            f"[*] {safe} fixable with the `--fix` option" + (f" ({hidden})." if more else ".")
        )
    elif more:
        lines.append(f"No fixes available ({hidden}).")
    return "\n".join(lines)


def _fix_result(fix_run: FixRun) -> RunResult:
    return RunResult(
        [FileResult(o.path, diagnostics=o.remaining, error=o.error) for o in fix_run.outcomes]
    )


def _report_fix(
    fix_run: FixRun,
    output_format: str,
    rules: List[Rule],
    output_file: Optional[str],
    statistics: bool,
    quiet: bool,
    show_fixes: bool,
    unsafe: bool,
    err: bool = False,
) -> None:
    """What `--fix` did: the findings left, the fixes dropped, and (`--show-fixes`) the
    fixes applied."""
    result = _fix_result(fix_run)
    for outcome in fix_run.outcomes:
        for code, line, message in outcome.dropped:
            click.echo(
                f"wfcheck: {outcome.path}:{line}: {code} fix not applied, its result would not "
                f"parse: {message}",
                err=True,
            )
    fixed = sum(len(o.applied) for o in fix_run.outcomes)
    remaining = len(result.diagnostics)
    if fixed:
        files = len({o.path for o in fix_run.outcomes if o.applied or o.remaining})
        summary = (
            f"Found {_plural(fixed + remaining, 'finding')} ({fixed} fixed, {remaining} "
            f"remaining) in {_plural(files, 'file')} ({_plural(len(result.files), 'file')} checked)."
        )
        summary_tail = _summary(result, unsafe).split("\n")[1:]
        summary = "\n".join([summary] + summary_tail)
    else:
        summary = _summary(result, unsafe)
    _report(result, output_format, rules, output_file, statistics, quiet, summary, err)
    if show_fixes and fixed:
        names = {rule.code: rule.name for rule in rules}
        lines = [f"Fixed {_plural(fixed, 'finding')}:"]
        for outcome in fix_run.outcomes:
            if outcome.applied:
                lines.append(f"- {outcome.path}:")
                for code, count in sorted(Counter(c for c, _, _ in outcome.applied).items()):
                    lines.append(f"    {count} × {code} ({names.get(code, code)})")
        click.echo("\n".join(lines), err=err)


def _report_diff(fix_run: FixRun) -> int:
    """`--diff`: the fixes as a unified diff on stdout; exit 1 when there is one."""
    for outcome in fix_run.outcomes:
        if outcome.error:
            click.echo(f"wfcheck: {outcome.path}: {outcome.error}", err=True)
    diffs = [o.diff() for o in fix_run.outcomes if o.changed]
    for text in diffs:
        click.echo(text, nl=False)
    fixed = sum(len(o.applied) for o in fix_run.outcomes)
    click.echo(f"Would fix {_plural(fixed, 'finding')}." if fixed else "No fixes available.", err=True)
    return EXIT_FINDINGS if diffs else EXIT_CLEAN


def _fix_exit(fix_run: FixRun, exit_zero: bool) -> int:
    if any(d.code == INTERNAL_ERROR for o in fix_run.outcomes for d in o.remaining):
        return EXIT_ERROR
    left = any(o.remaining or o.error for o in fix_run.outcomes)
    return EXIT_FINDINGS if left and not exit_zero else EXIT_CLEAN


@main.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print every rule's documentation (docs/rules.md).")
@click.option("--list", "show_list", is_flag=True, help="List every rule on one line each.")
def rule(code: Optional[str], show_all: bool, show_list: bool) -> None:
    """Explain a rule (e.g. `wfcheck rule WF101`); --all documents every rule, --list lists them."""
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        _fail(f"invalid rule catalog: {exc}")
    if show_list:
        click.echo(render_rule_list(list(catalog)), nl=False)
        return
    if show_all:
        click.echo(render_all(list(catalog)), nl=False)
        return
    if not code:
        _fail("give a rule code (e.g. `wfcheck rule WF101`), --all or --list")
    found: Optional[Rule] = catalog.get(code.upper()) or next(
        (r for r in catalog if r.name == code.lower()), None
    )
    if found is None:
        _fail(f"unknown rule {code!r} (see `wfcheck rule --list`)")
    click.echo(render_rule(found), nl=False)


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container or `taskset` can allow fewer than the
    machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _fail(message: str) -> NoReturn:
    click.echo(f"wfcheck: error: {message}", err=True)
    sys.exit(EXIT_ERROR)

