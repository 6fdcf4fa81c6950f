"""Regenerate what the rule catalog documents: docs/rules.md and the README's rule table.

    python scripts/generate_docs.py          # write both
    python scripts/generate_docs.py --check  # exit 1 (with a diff) when either is stale

Edit rules/*.toml, then run this; tests/test_docs.py fails while either file is stale.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from wfcheck.catalog import load_catalog  # noqa: E402
from wfcheck.rule_docs import render_all, with_readme_table  # noqa: E402


def generated() -> dict[Path, str]:
    """Each generated file and the text it must have."""
    rules = list(load_catalog())
    readme = ROOT / "README.md"
    return {
        ROOT / "docs" / "rules.md": render_all(rules),
        readme: with_readme_table(readme.read_text(encoding="utf-8"), rules),
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = 0
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            continue
        stale += 1
        name = path.relative_to(ROOT).as_posix()
        if check:
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True), name, f"{name} (generated)"
                )
            )
        else:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {name}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
