"""What a structural rule declares: its code, the node types it handles and its checks.

The workflow checker dispatches each node it visits to the rules registered for its type
(:data:`wfcheck.checks.RULES`). A module of :mod:`wfcheck.checks` declares its rule as
``RULE`` (or several as ``RULES``) and :func:`discover` finds it: a new structural rule is one
module plus its catalog entry and fixtures, with no list to extend. A rule reported by another
stage (the project analysis, the engine) is declared with ``reported_by`` saying where, so the
catalog and the registry stay one set.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
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


def discover(package: str, path: Iterable[str]) -> tuple[StructuralRule, ...]:
    """Every rule the modules of ``package`` declare (``RULE``, ``RULES``), in code order (the
    order the checker runs them in for one node). A code declared twice is an error."""
    found: dict[str, StructuralRule] = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if info.name == "registry":
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        declared = getattr(module, "RULES", ())
        single = getattr(module, "RULE", None)
        for rule in (*declared, *((single,) if single is not None else ())):
            if not isinstance(rule, StructuralRule):
                raise TypeError(f"{module.__name__}: {rule!r} is not a StructuralRule")
            if rule.code in found:
                raise ValueError(f"{module.__name__}: {rule.code} is declared twice")
            found[rule.code] = rule
    return tuple(found[code] for code in sorted(found))
