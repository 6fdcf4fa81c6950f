"""What the analysis hands on: a finding as plain data.

A finding names the rule, the node, the workflow unit and the scopes it sits in, and the
arguments its message and its fix need. It carries no fix and no position: suppression runs on
findings first, fix planning (:mod:`wfcheck.fixes.plan`) only on what survives, and
diagnostics are made last. Nothing here depends on a later stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from wfcheck.analysis.scopes import Scope
from wfcheck.analysis.workflows import WorkflowUnit

# How the flagged node uses the API, as far as a rewrite cares.
CALL = "call"  # `time.time()`: the node is the call
REFERENCE = "reference"  # `os.environ[...]`: the node is a use of the name
PASSED = "passed"  # `sorted(xs, key=random.random)`: the function is passed to be called
STATEMENT = "statement"  # structural findings on a statement or expression (WF601, WF602, ...)
CONTEXT_MANAGER = "context-manager"  # `with Timer():`: the flagged code runs around a block


@dataclass(frozen=True, eq=False)
class Finding:
    """A problem found in workflow code, before suppression, fixes and positions.

    ``code`` is the rule; ``api`` and ``verb`` fill the rule's message; ``qualified`` is the
    resolved API (or the structural check's own key, such as ``set-iteration``) a fix is
    chosen by; ``scopes`` are the scopes from the unit's enclosing one down to the innermost
    one holding ``node`` (the unit's own body is ``scopes[1]``, or ``scopes[2]`` for a method
    of a workflow class); ``chain`` explains findings reached through helpers.
    """

    code: str
    node: cst.CSTNode
    unit: WorkflowUnit
    scopes: tuple[Scope, ...]
    api: str = ""
    verb: str = ""
    qualified: str = ""
    chain: tuple[str, ...] = ()
    form: str = CALL

    @property
    def scope(self) -> Scope:
        """The innermost scope holding the node."""
        return self.scopes[-1]


__all__ = ["CALL", "CONTEXT_MANAGER", "PASSED", "REFERENCE", "STATEMENT", "Finding"]
