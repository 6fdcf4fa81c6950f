"""Fixes users can trust: planned after suppression, labelled on two axes (meaning and
history), versioned with the engine's patch API where there is one, and context-aware."""

from __future__ import annotations

import textwrap

from helpers import settings

from wfcheck.engine import check_source
from wfcheck.fixes.apply import fix_source


def _source(text: str) -> bytes:
    return textwrap.dedent(text).lstrip().encode()


def test_a_suppressed_finding_plans_no_fix_and_reserves_no_name() -> None:
    data = _source(
        '''
        import os

        import dapr.ext.workflow as wf

        wfr = wf.WorkflowRuntime()


        @wfr.workflow(name="greet")
        def greet(ctx: wf.DaprWorkflowContext, name):
            home = os.getenv("HOME")  # noqa: WF301
            home = os.getenv("HOME")
            yield ctx.call_activity(say, input=home)
        '''
    )
    diagnostics = check_source(data, "wf.py", settings()).diagnostics
    assert [(d.code, d.line) for d in diagnostics] == [("WF301", 11)]
    assert diagnostics[0].fix is not None
    assert "`read_home`" in diagnostics[0].fix.message
    _outcome, fixed = fix_source(data, "wf.py", settings(), unsafe=True)
    assert b"def read_home(" in fixed and b"read_home_2" not in fixed
