"""Documentation that is generated or must follow the code: docs/rules.md and the README."""

from __future__ import annotations

from pathlib import Path

from helpers import cli_runner

from wfcheck.catalog import load_catalog
from wfcheck.cli import check, main
from wfcheck.rule_docs import (
    README_TABLE_END,
    README_TABLE_START,
    render_all,
    render_readme_table,
    with_readme_table,
)

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")


def test_docs_rules_md_is_up_to_date() -> None:
    generated = render_all(list(load_catalog()))
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == generated, "docs/rules.md is stale: run `python scripts/generate_docs.py`"


def test_readme_rule_table_is_generated_from_the_catalog() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split(README_TABLE_START + "\n", 1)[1].split(README_TABLE_END, 1)[0]
    current, wanted = table.splitlines(), render_readme_table(list(load_catalog())).splitlines()
    missing = [row for row in wanted if row not in current]
    extra = [row for row in current if row not in wanted]
    assert current == wanted, (
        "the README's rule table is stale: run `python scripts/generate_docs.py`"
        + "".join(f"\n  add:    {row}" for row in missing)
        + "".join(f"\n  remove: {row}" for row in extra)
    )


def test_readme_table_regeneration_replaces_only_the_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = readme.replace("| WF101 | wall-clock-read |", "| WF101 | clock |", 1)
    assert stale != readme
    assert with_readme_table(stale, list(load_catalog())) == readme


def test_rule_all_prints_every_rule_with_every_section() -> None:
    result = cli_runner().invoke(main, ["rule", "--all"])
    assert result.exit_code == 0
    catalog = load_catalog()
    chunks = result.output.split("\n## ")[1:]
    assert [chunk.split("\n", 1)[0] for chunk in chunks] == [f"{r.name} ({r.code})" for r in catalog]
    for rule, chunk in zip(catalog, chunks):
        for section in SECTIONS:
            if section == "Fix safety" and "fix_safety" not in rule.docs:
                continue
            assert f"\n### {section}\n" in chunk, f"{rule.code} lacks {section}"


def test_rule_list_is_one_line_per_rule() -> None:
    result = cli_runner().invoke(main, ["rule", "--list"])
    lines = [line for line in result.output.splitlines() if line.startswith("WF")]
    assert [line.split()[0].rstrip("*") for line in lines] == load_catalog().codes()


def test_readme_documents_every_check_option_and_format() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for param in check.params:
        for flag in getattr(param, "opts", []) + getattr(param, "secondary_opts", []):
            if flag.startswith("--"):
                assert flag in readme, f"README does not mention {flag}"
    from wfcheck.report import REPORTERS

    for fmt in REPORTERS:
        assert f"`{fmt}`" in readme, f"README does not describe the {fmt} format"
    from wfcheck.config import KEYS

    for key in KEYS:
        assert f"`{key}`" in readme, f"README does not describe the `{key}` key"


def test_readme_configuration_example_is_accepted(tmp_path: Path) -> None:
    from wfcheck.config import read_config

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration\n", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "pyproject.toml"
    path.write_text(example, encoding="utf-8")
    config = read_config(path)
    assert config.extend_select == ["WF701"] and config.frameworks == ["dapr", "temporal"]
    assert config.banned["acme.clock.now"] == ("WF101", "use ctx.current_utc_datetime")


def _documented_code(markdown: str, section: str) -> str:
    body = markdown.split(f"\n### {section}\n", 1)[1]
    return body.split("```python\n", 1)[1].split("```", 1)[0]


def test_documented_examples_report_the_rule_and_use_instead_reports_nothing() -> None:
    """What docs/rules.md shows, run as written: each Example reports its rule (only that
    rule), each Use instead nothing. (They are the first invalid / valid snippets.)"""
    from helpers import found

    catalog = load_catalog()
    defaults = [r.code for r in catalog if r.default]
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    checked = 0
    for rule in catalog:
        if not rule.invalid:
            continue  # WF999: no code makes wfcheck fail on purpose
        chunk = docs.split(f"\n## {rule.name} ({rule.code})\n", 1)[1].split("\n## ", 1)[0]
        select = None if rule.default else defaults + [rule.code]
        example = _documented_code(chunk, "Example")
        assert "# expect:" not in example
        reported = {code for _line, code in found(example, select=select)}
        assert reported == {rule.code}, f"{rule.code}'s documented Example reports {reported}"
        use_instead = _documented_code(chunk, "Use instead")
        assert found(use_instead, select=select) == {}, f"{rule.code}'s Use instead reports findings"
        checked += 1
    assert checked == len(catalog.codes()) - 1


def test_generate_docs_script_finds_nothing_stale() -> None:
    """The one command that regenerates docs/rules.md and the README's table agrees with the
    tests above (its `--check` mode writes nothing)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
