"""Command-line interface: click commands only, no analysis logic."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import NoReturn

import click

from wfcheck import __version__
from wfcheck.catalog import CatalogError, Rule, load_catalog
from wfcheck.config import ConfigError, Options, resolve
from wfcheck.engine import (
    INTERNAL_ERROR,
    FileResult,
    RunResult,
    Settings,
    check_paths,
    check_source,
)
from wfcheck.fixes.apply import FixOutcome, fix_paths, fix_source, fixable
from wfcheck.report import REPORTERS, summary
from wfcheck.report import statistics as stats
from wfcheck.rule_docs import render_all, render_rule, render_rule_list

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


class _Commands(click.Group):
    """Imports the `replay` group on first use: it brings the runtime (asyncio, SQLite),
    which `check` on one file in a pre-commit hook should not pay for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(super().list_commands(ctx) + ["replay"])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
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
@_codes_option(
    "--select", "Rule codes or prefixes to enable, replacing the configured selection (e.g. WF1,WF202)."
)
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
@click.option(
    "--stdin-filename",
    help="Name to report for source read from stdin (`-`); its config and per-file ignores apply.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Use this configuration file for every path.",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Patterns to skip, replacing the configured `exclude`."
)
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
    paths: tuple[str, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    per_file_ignores: tuple[str, ...],
    output_format: str,
    output_file: str | None,
    statistics: bool,
    exit_zero: bool,
    quiet: bool,
    stdin_filename: str | None,
    config_file: str | None,
    isolated: bool,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    force_exclude: bool | None,
    fix: bool,
    unsafe_fixes: bool | None,
    diff: bool,
    show_fixes: bool,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    src: tuple[str, ...],
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
        # Stdin without a name is configured as a file in the working directory (`-`).
        groups = resolve(targets, options)
    except (ConfigError, CatalogError) as exc:
        _fail(str(exc))
    out = _Output(output_format, output_file, statistics, quiet, show_fixes, exit_zero)
    if from_stdin:
        _run_stdin(groups[0][0], stdin_filename, fix or diff, diff, out)
    if fix or diff:
        _run_fix(groups, diff, out)
    _run_check(groups, out)


@dataclass(frozen=True)
class _Output:
    """How the report is printed and the run exits."""

    format: str
    file: str | None
    statistics: bool
    quiet: bool
    show_fixes: bool
    exit_zero: bool


def _run_check(groups: list[tuple[Settings, list[str]]], out: _Output) -> NoReturn:
    results = [check_paths(members, settings) for settings, members in groups]
    result = RunResult([f for r in results for f in r.files], sum(r.helper_modules for r in results))
    unsafe = any(settings.unsafe_fixes for settings, _ in groups)
    _report(result, out, list(groups[0][0].catalog), _check_summary(result, unsafe))
    sys.exit(_exit_code(result, out))


def _run_fix(groups: list[tuple[Settings, list[str]]], diff: bool, out: _Output) -> NoReturn:
    outcomes = [
        outcome
        for settings, members in groups
        for outcome in fix_paths(members, settings, settings.unsafe_fixes, write=not diff).outcomes
    ]
    if diff:
        sys.exit(_report_diff(outcomes))
    unsafe = any(settings.unsafe_fixes for settings, _ in groups)
    sys.exit(_report_fix(outcomes, out, list(groups[0][0].catalog), unsafe))


def _run_stdin(
    settings: Settings, stdin_filename: str | None, fixing: bool, diff: bool, out: _Output
) -> NoReturn:
    name = stdin_filename or "-"
    skipped = bool(stdin_filename) and settings.force_exclude and settings.is_excluded(name)
    data = sys.stdin.buffer.read()
    rules = list(settings.catalog)
    if not fixing:
        result = RunResult([] if skipped else [check_source(data, name, settings, None)])
        _report(result, out, rules, _check_summary(result, settings.unsafe_fixes))
        sys.exit(_exit_code(result, out))
    outcome, fixed = (
        (FixOutcome(name), data) if skipped else fix_source(data, name, settings, settings.unsafe_fixes)
    )
    if diff:
        sys.exit(_report_diff([outcome]))
    # The fixed buffer is the output (as an editor expects); the report goes to stderr.
    sys.stdout.buffer.write(fixed)
    sys.stdout.flush()
    sys.exit(_report_fix([outcome], replace(out, file=None), rules, settings.unsafe_fixes, err=True))


def _exit_code(result: RunResult, out: _Output) -> int:
    if any(d.code == INTERNAL_ERROR for d in result.diagnostics):
        return EXIT_ERROR
    findings = bool(result.diagnostics or result.errors)
    return EXIT_FINDINGS if findings and not out.exit_zero else EXIT_CLEAN


def _report(
    result: RunResult, out: _Output, rules: list[Rule], closing: str, err: bool = False
) -> None:
    """Print the report (to stderr with ``err``, when stdout carries a fixed buffer)."""
    diagnostics = result.diagnostics
    for path, error in result.errors:
        click.echo(f"wfcheck: {path}: {error}", err=True)
    if out.statistics:
        rendered = (
            stats.render_json(diagnostics) if out.format == "json" else stats.render(diagnostics)
        )
    else:
        rendered = REPORTERS[out.format](diagnostics, rules)
    show_summary = not out.quiet and out.format in ("full", "concise")
    if out.file is not None:
        try:
            with open(out.file, "w", encoding="utf-8", newline="") as handle:
                handle.write(rendered)
        except OSError as exc:
            _fail(f"cannot write {out.file}: {exc.strerror or exc}")
        if show_summary:
            click.echo(closing, err=True)
        return
    if rendered:
        click.echo(rendered, nl=False, err=err)
    if show_summary:
        # Only the full format shares its stream with the summary: the others stay one
        # diagnostic (or statistic) per line for the tools that read them.
        shared = out.format == "full" and not out.statistics
        gap = "\n" if diagnostics and shared else ""
        click.echo(gap + closing, err=err or not shared)


def _check_summary(result: RunResult, unsafe: bool) -> str:
    diagnostics = result.diagnostics
    return summary.check_summary(
        diagnostics, len(result.files), len(result.errors), fixable(diagnostics), unsafe
    )


def _report_fix(
    outcomes: list[FixOutcome], out: _Output, rules: list[Rule], unsafe: bool, err: bool = False
) -> int:
    """What `--fix` did: the findings left, the fixes dropped, and (`--show-fixes`) the
    fixes applied. Returns the exit code: what is left decides it."""
    result = RunResult(
        [FileResult(o.path, diagnostics=o.remaining, error=o.error) for o in outcomes]
    )
    for outcome in outcomes:
        for code, line, message in outcome.dropped:
            click.echo(
                f"wfcheck: {outcome.path}:{line}: {code} fix not applied, its result would not "
                f"parse: {message}",
                err=True,
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
    _report(result, out, rules, text, err)
    if out.show_fixes and fixed:
        applied = [(o.path, [code for code, _, _ in o.applied]) for o in outcomes]
        click.echo(summary.fixes_applied(applied, {r.code: r.name for r in rules}), err=err)
    return _exit_code(result, out)


def _report_diff(outcomes: list[FixOutcome]) -> int:
    """`--diff`: the fixes as a unified diff on stdout; exit 1 when there is one."""
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"wfcheck: {outcome.path}: {outcome.error}", err=True)
    diffs = [o.diff() for o in outcomes if o.changed]
    for text in diffs:
        click.echo(text, nl=False)
    fixed = sum(len(o.applied) for o in outcomes)
    click.echo(
        f"Would fix {summary.plural(fixed, 'finding')}." if fixed else "No fixes available.",
        err=True,
    )
    return EXIT_FINDINGS if diffs else EXIT_CLEAN


@main.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print every rule's documentation (docs/rules.md).")
@click.option("--list", "show_list", is_flag=True, help="List every rule on one line each.")
def rule(code: str | None, show_all: bool, show_list: bool) -> None:
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
    found: Rule | None = catalog.get(code.upper()) or next(
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

