"""Command-line interface: click commands only, no analysis logic."""

from __future__ import annotations

import os
import sys
from typing import List, NoReturn, Optional, Tuple

import click

from wfcheck import __version__
from wfcheck.catalog import CatalogError, Rule, load_catalog
from wfcheck.config import ConfigError, Options, resolve
from wfcheck.engine import RunResult, check_paths, check_source
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
        data = sys.stdin.buffer.read()
        name = stdin_filename or "-"
        skipped = bool(stdin_filename) and settings.force_exclude and settings.is_excluded(name)
        result = RunResult([] if skipped else [check_source(data, name, settings, None)])
        rules = list(settings.catalog)
    else:
        results = [check_paths(members, settings) for settings, members in groups]
        result = RunResult(
            [f for r in results for f in r.files], sum(r.helper_modules for r in results)
        )
        rules = list(groups[0][0].catalog)
    _report(result, output_format, rules, output_file, statistics, quiet)
    findings = bool(result.diagnostics or result.errors)
    sys.exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


def _report(
    result: RunResult,
    output_format: str,
    rules: List[Rule],
    output_file: Optional[str],
    statistics: bool,
    quiet: bool,
) -> None:
    diagnostics = result.diagnostics
    for path, error in result.errors:
        click.echo(f"wfcheck: {path}: {error}", err=True)
    if statistics:
        rendered = (
            stats.render_json(diagnostics) if output_format == "json" else stats.render(diagnostics)
        )
    else:
        rendered = REPORTERS[output_format](diagnostics, rules)
    summary = _summary(result) if not quiet and output_format in ("full", "concise") else None
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8", newline="") as handle:
                handle.write(rendered)
        except OSError as exc:
            _fail(f"cannot write {output_file}: {exc.strerror or exc}")
        if summary:
            click.echo(summary, err=True)
        return
    if rendered:
        click.echo(rendered, nl=False)
    if summary and output_format == "full" and not statistics:
        click.echo(("\n" if diagnostics else "") + summary)
    elif summary:
        # stdout stays one diagnostic per line for editors; the summary goes to stderr.
        click.echo(summary, err=True)


def _summary(result: RunResult) -> str:
    diagnostics = result.diagnostics
    checked = len(result.files)
    checked_text = f"{checked} file{'s' if checked != 1 else ''} checked"
    if not diagnostics:
        return f"All checks passed! ({checked_text})"
    files = len({d.path for d in diagnostics})
    findings = len(diagnostics)
    return (
        f"Found {findings} finding{'s' if findings != 1 else ''} "
        f"in {files} file{'s' if files != 1 else ''} ({checked_text})."
    )


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

