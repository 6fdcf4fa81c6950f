"""What a structural rule declares: its code, the node types it handles and its checks.

The workflow checker dispatches each node it visits to the rules registered for its type
(:data:`wfcheck.checks.RULES`), so a new structural rule is one module here plus its catalog
entry and fixtures. A rule reported by another stage (the project analysis, the engine)
registers with ``reported_by`` saying where, so the catalog and the registry stay one set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A check: (the checker's context, the node) -> None; it reports through the context.
Check = Callable[[Any, Any], None]


@dataclass(frozen=True)
class StructuralRule:
    code: str
    # Checks run when the node is entered (before its children)...
    visit: Mapping[type, Check] = field(default_factory=dict)
    # ...and when it is left (after its children: a call's callee is resolved by then).
    leave: Mapping[type, Check] = field(default_factory=dict)
    # A check run once per workflow file (for its first workflow unit of each engine).
    per_file: Check | None = None
    # Non-empty: the rule is reported outside the checks (and where).
    reported_by: str = ""
