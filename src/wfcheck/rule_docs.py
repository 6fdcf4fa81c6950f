"""Rule documentation as text: what `wfcheck rule` prints."""

from __future__ import annotations

import textwrap
from typing import Sequence

from wfcheck.catalog import FRAMEWORKS, Rule

_SECTIONS = (
    ("what", "What it does"),
    ("why", "Why is this bad?"),
    ("example", "Example"),
    ("use_instead", "Use instead"),
    ("fix_safety", "Fix safety"),
)
_CODE_SECTIONS = {"example", "use_instead"}


def render_rule(rule: Rule) -> str:
    out = [f"# {rule.name} ({rule.code})", "", rule.summary, ""]
    for key, title in _SECTIONS:
        text = rule.docs.get(key)
        if not text:
            continue
        out += [f"## {title}"]
        body = textwrap.dedent(text).strip("\n")
        if key in _CODE_SECTIONS:
            out += ["```python", body, "```", ""]
        else:
            out += [" ".join(body.split()), ""]
    alternatives = [(f, rule.alternatives[f]) for f in FRAMEWORKS if f in rule.alternatives]
    if alternatives or "default" in rule.alternatives:
        out.append("## Replay-safe alternative")
        if "default" in rule.alternatives:
            out.append(f"- {rule.alternatives['default']}")
        out += [f"- {framework}: {text}" for framework, text in alternatives]
        out.append("")
    return "\n".join(out)


def render_rule_list(rules: Sequence[Rule]) -> str:
    width = max(len(r.name) for r in rules)
    lines = []
    for rule in rules:
        marker = " " if rule.default else "*"
        lines.append(f"{rule.code}{marker} {rule.name.ljust(width)}  {rule.summary}")
    if any(not r.default for r in rules):
        lines.append("(* not enabled by default; turn on with --select)")
    return "\n".join(lines) + "\n"
