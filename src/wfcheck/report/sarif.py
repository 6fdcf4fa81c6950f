"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.

Every rule of the catalog appears in ``tool.driver.rules`` (so results can point at them by
index); results carry their region in code points (``columnKind``) and, when a diagnostic has
a fix, its edits as SARIF ``fixes``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from wfcheck import __version__
from wfcheck.diagnostics import Diagnostic
from wfcheck.rule_docs import render_rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    return path.replace("\\", "/")


def _rule(rule) -> dict[str, Any]:
    what = " ".join(rule.docs.get("what", rule.summary).split())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": what},
        "help": {"text": what, "markdown": render_rule(rule)},
        "defaultConfiguration": {"level": "error", "enabled": bool(rule.default)},
    }


def _region(start: dict[str, int], end: dict[str, int]) -> dict[str, int]:
    return {
        "startLine": start["row"],
        "startColumn": start["column"],
        "endLine": end["row"],
        "endColumn": end["column"],
    }


def _fixes(d: Diagnostic) -> list[dict[str, Any]]:
    if d.fix is None:
        return []
    fix = d.fix.to_dict()
    replacements = [
        {
            "deletedRegion": _region(edit["location"], edit["end_location"]),
            "insertedContent": {"text": edit["content"]},
        }
        for edit in fix["edits"]
    ]
    if not replacements:
        return []
    return [
        {
            "description": {"text": fix["message"]},
            "artifactChanges": [
                {"artifactLocation": {"uri": _uri(d.path)}, "replacements": replacements}
            ],
        }
    ]


def _result(d: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "level": "error",
        "message": {"text": d.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(d.path)},
                    "region": _region(
                        {"row": d.line, "column": d.column},
                        {"row": d.end_line, "column": d.end_column},
                    ),
                }
            }
        ],
    }
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    fixes = _fixes(d)
    if fixes:
        result["fixes"] = fixes
    properties: dict[str, Any] = {}
    if d.workflow:
        properties["workflow"] = d.workflow
        properties["framework"] = d.framework
    if d.chain:
        properties["chain"] = list(d.chain)
    if d.fix is not None:
        # The fix on both axes (SARIF has no applicability of its own).
        properties["fixApplicability"] = d.fix.applicability
        properties["fixHistory"] = d.fix.history
        if d.fix.patch:
            properties["fixPatch"] = d.fix.patch
    if properties:
        result["properties"] = properties
    return result


def render(diagnostics: Sequence[Diagnostic], rules: Sequence = ()) -> str:
    """``rules``: the catalog's rules, listed whether or not they were reported."""
    rules = list(rules)
    index = {rule.code: i for i, rule in enumerate(rules)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wfcheck",
                        "version": __version__,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index) for d in diagnostics],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
