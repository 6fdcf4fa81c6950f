"""Command-line interface: click commands only, no analysis logic."""

from __future__ import annotations

import click

from wfcheck import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wfcheck")
def main() -> None:
    """Determinism checks for durable workflow code."""
