"""Command-line interface: click commands only, no analysis logic."""

from __future__ import annotations

import sys
from typing import List, NoReturn, Optional, Tuple

import click

from wfcheck import __version__
from wfcheck.catalog import CatalogError, Rule, load_catalog
from wfcheck.engine import (
    RunResult,
    Settings,
    check_paths,
    check_source,
    select_codes,
    unknown_selectors,
)
from wfcheck.report import REPORTERS
from wfcheck.rule_docs import render_rule, render_rule_list

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: Tuple[str, ...]) -> List[str]:
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wfcheck")
def main() -> None:
    """Determinism checks for durable workflow code."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (e.g. WF1,WF202).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option(
    "--output-format",
    type=click.Choice(sorted(REPORTERS)),
    default="full",
    show_default=True,
    help="How to print diagnostics.",
)
@click.option("--stdin-filename", help="Name to report for source read from stdin (`-`).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
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
    ignore: Tuple[str, ...],
    output_format: str,
    stdin_filename: Optional[str],
    no_cache: bool,
    src: Tuple[str, ...],
) -> None:
    """Check workflow code under PATHS (default: the current directory)."""
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        _fail(f"invalid rule catalog: {exc}")
    selected = _split(select)
    ignored = _split(ignore)
    unknown = unknown_selectors(catalog, selected + ignored)
    if unknown:
        _fail(f"unknown rule selector(s): {', '.join(unknown)} (see `wfcheck rule --all`)")
    settings = Settings(catalog, select_codes(catalog, selected or None, ignored), src)
    if paths == ("-",):
        data = sys.stdin.buffer.read()
        result = RunResult([check_source(data, stdin_filename or "-", settings)])
    else:
        result = check_paths(list(paths) or ["."], settings)
    _report(result, output_format)


def _report(result: RunResult, output_format: str) -> None:
    diagnostics = result.diagnostics
    for path, error in result.errors:
        click.echo(f"wfcheck: {path}: {error}", err=True)
    rendered = REPORTERS[output_format](diagnostics)
    if rendered:
        click.echo(rendered, nl=False)
    if output_format == "full":
        click.echo(("\n" if diagnostics else "") + _summary(result))
    elif output_format == "concise":
        # stdout stays one diagnostic per line for editors; the summary goes to stderr.
        click.echo(_summary(result), err=True)
    sys.exit(EXIT_FINDINGS if diagnostics or result.errors else EXIT_CLEAN)


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
@click.option("--all", "show_all", is_flag=True, help="List every rule.")
def rule(code: Optional[str], show_all: bool) -> None:
    """Explain a rule (e.g. `wfcheck rule WF101`), or list them all with --all."""
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        _fail(f"invalid rule catalog: {exc}")
    if show_all:
        click.echo(render_rule_list(list(catalog)), nl=False)
        return
    if not code:
        _fail("give a rule code (e.g. `wfcheck rule WF101`) or --all")
    found: Optional[Rule] = catalog.get(code.upper()) or next(
        (r for r in catalog if r.name == code.lower()), None
    )
    if found is None:
        _fail(f"unknown rule {code!r} (see `wfcheck rule --all`)")
    click.echo(render_rule(found), nl=False)


def _fail(message: str) -> NoReturn:
    click.echo(f"wfcheck: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


from wfcheck.runtime.cli import replay  # noqa: E402
main.add_command(replay)
