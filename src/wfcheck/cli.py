"""Command-line interface: click commands only, no analysis logic."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from wfcheck import __version__
from wfcheck.frameworks import SPECS
from wfcheck.report import FORMATS

# The application (configuration, the engine, the reporters) is imported by the command that
# runs: `--version`, `--help` and a usage error never pay for it.


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
    type=click.Choice(list(FORMATS)),
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
@click.option(
    "--versioned-fixes/--no-versioned-fixes",
    default=None,
    help="Write history-changing fixes inside the engine's patch API ("
    + ", ".join(
        f"{spec.title} {(spec.patch_example() or '').partition('(')[0]}"
        for spec in SPECS
        if spec.patch_template is not None
    )
    + "), so running instances keep the old code.",
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
    help="Worker processes for large runs (default: the CPUs this process may use).",
)
@click.option(
    "--src",
    "src",
    multiple=True,
    type=click.Path(file_okay=False),
    help="An import root for following calls into project modules (repeatable).",
)
@click.option("-v", "--verbose", is_flag=True, help="Say which configuration applies and what the run cost.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Count the files checked on a long run (default: when stderr is a terminal).",
)
@click.option("--show-settings", is_flag=True, help="Print the effective settings for PATHS, then exit.")
@click.option("--show-files", is_flag=True, help="Print the files that would be checked, then exit.")
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Add `# noqa: WFxxx` to every line with findings (adopting wfcheck on existing code).",
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
    versioned_fixes: bool | None,
    diff: bool,
    show_fixes: bool,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    src: tuple[str, ...],
    verbose: bool,
    progress: bool | None,
    show_settings: bool,
    show_files: bool,
    add_noqa: bool,
) -> None:
    """Check workflow code under PATHS (default: the current directory)."""
    from wfcheck import app
    from wfcheck.config import Options

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
        versioned_fixes=versioned_fixes,
        config=config_file,
        isolated=isolated,
        cache=not no_cache,
        cache_dir=cache_dir,
        jobs=jobs or app.usable_cpus(),
    )
    if progress is None:
        progress = not quiet and sys.stderr.isatty()
    out = app.Output(
        output_format, output_file, statistics, quiet, show_fixes, exit_zero, verbose, progress
    )
    # Modes that do something else than check: one at a time, on files.
    flags = (("--show-settings", show_settings), ("--show-files", show_files), ("--add-noqa", add_noqa))
    modes = [name for name, on in flags if on]
    if modes:
        others = modes[1:] + [name for name, on in (("--fix", fix), ("--diff", diff)) if on]
        if others:
            _fail(f"option {modes[0]} cannot be used with {others[0]}")
        if paths == ("-",):
            _fail(f"option {modes[0]} works on files, not on stdin")
    try:
        if show_settings:
            sys.exit(app.show_settings(paths, options, _ClickSink()))
        if show_files:
            sys.exit(app.show_files(paths, options, _ClickSink()))
        if add_noqa:
            sys.exit(app.add_noqa(paths, options, _ClickSink()))
        code = app.run_check(
            paths,
            options,
            out,
            _ClickSink(),
            fix=fix,
            diff=diff,
            stdin_filename=stdin_filename,
            read_stdin=_read_stdin,
        )
    except app.UsageError as exc:
        _fail(str(exc))
    sys.exit(code)


def _read_stdin() -> bytes:
    from wfcheck import app

    # Started with stdin closed (`<&-`), Python has no sys.stdin at all.
    if sys.stdin is None:
        raise app.UsageError("cannot read from stdin: it is closed")
    try:
        return sys.stdin.buffer.read()
    except (OSError, ValueError) as exc:
        raise app.UsageError(f"cannot read from stdin: {getattr(exc, 'strerror', None) or exc}") from None


class _ClickSink:
    """The report on the process's standard streams."""

    def out(self, text: str) -> None:
        click.echo(text, nl=False)

    def err(self, text: str) -> None:
        click.echo(text, nl=False, err=True)

    def out_bytes(self, data: bytes) -> None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print every rule's documentation (docs/rules.md).")
@click.option("--list", "show_list", is_flag=True, help="List every rule on one line each.")
def rule(code: str | None, show_all: bool, show_list: bool) -> None:
    """Explain a rule (e.g. `wfcheck rule WF101`); --all documents every rule, --list lists them."""
    from wfcheck import app

    try:
        click.echo(app.describe_rules(code, show_all, show_list), nl=False)
    except app.UsageError as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    from wfcheck.app import EXIT_ERROR
    from wfcheck.report.printable import printable

    click.echo(printable(f"wfcheck: error: {message}"), err=True)
    sys.exit(EXIT_ERROR)


@main.command()
def server() -> None:
    """Run the language server on stdin/stdout (for editors; needs `wfcheck[server]`)."""
    try:
        from wfcheck.server import start
    except ImportError as exc:
        if str(exc.name).split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        _fail("the language server needs pygls: pip install 'wfcheck[server]'")
    start()
