"""Shared test helpers: run the engine on source text and read `# expect:` markers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from wfcheck.catalog import load_catalog
from wfcheck.engine import Settings, check_source, select_codes

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>(?:WF[0-9]{3}\s*)+)")


def settings(select: Iterable[str] | None = None, ignore: Iterable[str] = ()) -> Settings:
    catalog = load_catalog()
    return Settings(catalog, select_codes(catalog, list(select) if select else None, list(ignore)))


def run(source: str, path: str = "snippet.py", **kwargs):
    return check_source(source.encode("utf-8"), path, settings(**kwargs)).diagnostics


def found(source: str, **kwargs) -> Counter:
    """(line, code) -> count of the diagnostics wfcheck reports."""
    return Counter((d.line, d.code) for d in run(source, **kwargs))


def expected(source: str) -> Counter:
    """(line, code) -> count from `# expect: WF101 WF101` markers."""
    result: Counter = Counter()
    # Lines as Python counts them: only CR, LF and CRLF end a line (not form feeds).
    for number, line in enumerate(re.split(r"\r\n|\r|\n", source), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in match.group("codes").split():
                result[(number, code)] += 1
    return result


def cli_runner():
    """A click test runner that keeps stderr apart from stdout (the default from click 8.2;
    click 8.1 needs asking)."""
    from click.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()
