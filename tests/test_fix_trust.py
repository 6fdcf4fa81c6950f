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


def _settings(versioned: bool = False, select=None):
    from dataclasses import replace

    return replace(settings(select), versioned_fixes=versioned)


def _fixes(data: bytes, versioned: bool = False) -> dict:
    """(line, code) -> fix of every diagnostic."""
    return {
        (d.line, d.code): d.fix
        for d in check_source(data, "wf.py", _settings(versioned)).diagnostics
    }


DAPR_SLEEP = _source(
    '''
    import time

    import dapr.ext.workflow as wf

    wfr = wf.WorkflowRuntime()


    @wfr.workflow(name="approval")
    def approval(ctx: wf.DaprWorkflowContext, order):
        time.sleep(5)
        approved = yield ctx.wait_for_external_event("approve")
        return approved
    '''
)
DURABLETASK_SLEEP = _source(
    '''
    import time

    from durabletask import task


    def approval(ctx: task.OrchestrationContext, order):
        time.sleep(5)
        approved = yield ctx.wait_for_external_event("approve")
        return approved
    '''
)
TEMPORAL_SLEEP = _source(
    '''
    import time

    from temporalio import workflow


    @workflow.defn
    class Approval:
        def __init__(self) -> None:
            self.approved = False

        @workflow.run
        async def run(self, order: str) -> str:
            time.sleep(5)
            await workflow.wait_condition(lambda: self.approved)
            return order

        @workflow.signal
        def approve(self) -> None:
            self.approved = True
    '''
)


def test_a_timer_fix_keeps_the_meaning_but_changes_the_history_and_plain_fix_leaves_it() -> None:
    fix = _fixes(DAPR_SLEEP)[(10, "WF102")]
    assert (fix.applicability, fix.history, fix.patch) == ("safe", "changes", "")
    assert fix.label == "safe, changes history"
    assert "`--versioned-fixes`" in fix.message and "ctx.is_patched" in fix.message
    outcome, fixed = fix_source(DAPR_SLEEP, "wf.py", _settings(), unsafe=False)
    assert outcome.applied == [] and fixed == DAPR_SLEEP
    # --unsafe-fixes is the explicit "no instance is in flight" choice.
    outcome, fixed = fix_source(DAPR_SLEEP, "wf.py", _settings(), unsafe=True)
    assert b"yield ctx.create_timer(timedelta(seconds=5))" in fixed
    assert b"import time\n" not in fixed  # the fix left it unused


def test_a_versioned_dapr_fix_is_guarded_by_is_patched_and_settles() -> None:
    fix = _fixes(DAPR_SLEEP, versioned=True)[(10, "WF102")]
    assert (fix.applicability, fix.history) == ("safe", "keeps")
    assert fix.patch.startswith("wfcheck-wf102-approval-") and fix.label == "safe, versioned"
    outcome, fixed = fix_source(DAPR_SLEEP, "wf.py", _settings(versioned=True), unsafe=False)
    text = fixed.decode()
    assert (
        f'    if ctx.is_patched("{fix.patch}"):\n'
        "        yield ctx.create_timer(timedelta(seconds=5))\n"
        "    else:\n"
        "        time.sleep(5)\n"
    ) in text
    assert outcome.remaining == []  # the old branch is not reported again
    again, twice = fix_source(fixed, "wf.py", _settings(versioned=True), unsafe=True)
    assert twice == fixed and again.applied == []
    # The stable id: the same statement of the same workflow gets the same patch id.
    assert _fixes(DAPR_SLEEP.replace(b"import time\n", b"import time\nimport os\n"), True)[
        (11, "WF102")
    ].patch == fix.patch
    listed = check_source(fixed, "wf.py", _settings(select=["WF1", "WF801"])).diagnostics
    assert [(d.code, d.line) for d in listed] == [("WF801", 11)]
    assert fix.patch in listed[0].message


def test_a_versioned_temporal_fix_is_guarded_by_workflow_patched() -> None:
    fix = _fixes(TEMPORAL_SLEEP, versioned=True)[(13, "WF102")]
    assert fix.history == "keeps" and fix.patch.startswith("wfcheck-wf102-Approval-")
    _outcome, fixed = fix_source(TEMPORAL_SLEEP, "wf.py", _settings(versioned=True))
    assert (
        f'        if workflow.patched("{fix.patch}"):\n'
        "            await workflow.sleep(5)\n"
        "        else:\n"
        "            time.sleep(5)\n"
    ) in fixed.decode()
    assert "deprecate_patch" in fix.message


def test_durabletask_has_no_patch_api_so_versioning_changes_nothing() -> None:
    for versioned in (False, True):
        fix = _fixes(DURABLETASK_SLEEP, versioned)[(7, "WF102")]
        assert fix.history == "changes" and fix.patch == ""
        assert "no patch API" in fix.message
        outcome, fixed = fix_source(DURABLETASK_SLEEP, "wf.py", _settings(versioned), unsafe=False)
        assert outcome.applied == [] and fixed == DURABLETASK_SLEEP


def test_the_json_and_sarif_reports_carry_both_axes(tmp_path) -> None:
    import json

    from helpers import cli_runner

    from wfcheck.cli import main

    path = tmp_path / "wf.py"
    path.write_bytes(DAPR_SLEEP)
    result = cli_runner().invoke(main, ["check", "--no-cache", "--output-format", "json", str(path)])
    [item] = json.loads(result.stdout)
    assert (item["fix"]["applicability"], item["fix"]["history"]) == ("safe", "changes")
    result = cli_runner().invoke(
        main, ["check", "--no-cache", "--versioned-fixes", "--output-format", "sarif", str(path)]
    )
    [sarif] = json.loads(result.stdout)["runs"][0]["results"]
    assert sarif["properties"]["fixHistory"] == "keeps"
    assert sarif["properties"]["fixPatch"].startswith("wfcheck-wf102-")
    full = cli_runner().invoke(main, ["check", "--no-cache", str(path)])
    assert "  = fix [safe, changes history]: Replace with `yield ctx.create_timer(" in full.stdout


def _only_fix(data: bytes, code: str):
    [fix] = [f for (_line, c), f in _fixes(data).items() if c == code]
    return fix


def test_no_clock_rewrite_in_a_temporal_query_or_a_helper_only_queries_call() -> None:
    data = _source(
        '''
        import time
        from datetime import datetime

        from temporalio import workflow


        @workflow.defn
        class Tracker:
            def __init__(self) -> None:
                self.started = 0.0

            @workflow.run
            async def run(self) -> None:
                self.started = time.time()
                self.note()
                await workflow.wait_condition(lambda: False)

            @workflow.query
            def age(self) -> float:
                return time.time() - self.started

            @workflow.query(name="status")
            def status(self) -> str:
                return self._describe()

            def _describe(self) -> str:
                return str(datetime.utcnow())

            def note(self) -> str:
                return str(datetime.utcnow())
        '''
    )
    fixes = _fixes(data)
    assert fixes[(14, "WF101")].applicability == "safe"  # the run method: workflow.now()
    for line in (20, 27):
        assert fixes[(line, "WF101")].applicability == "display-only"
        assert "a query is not replayed" in fixes[(line, "WF101")].message
    assert fixes[(30, "WF101")].applicability == "safe"  # `note` is called from run too


DAPR_ENV = '''
import os

import dapr.ext.workflow as wf

{setup}

@{runtime}.workflow(name="greet")
def greet(ctx: wf.DaprWorkflowContext, name):
    home = os.getenv("HOME")
    yield ctx.call_activity("say", input=home)
'''


def test_a_generated_activity_is_registered_only_where_registration_runs_once() -> None:
    once = {
        "module level": "wfr = wf.WorkflowRuntime()\nwfr.register_workflow(greet)",
        "__main__": (
            'wfr = wf.WorkflowRuntime()\nif __name__ == "__main__":\n    wfr.register_workflow(greet)'
        ),
    }
    more = {
        "function": "wfr = wf.WorkflowRuntime()\ndef main():\n    wfr.register_workflow(greet)",
        "for loop": "wfr = wf.WorkflowRuntime()\nfor w in [greet]:\n    wfr.register_workflow(w)",
        "condition": "wfr = wf.WorkflowRuntime()\nif os.environ.get('X'):\n    wfr.register_workflow(greet)",
        "__init__": (
            "wfr = wf.WorkflowRuntime()\nclass Agent:\n    def __init__(self, runtime):\n"
            "        runtime.register_workflow(greet)"
        ),
    }
    for where, setup in {**once, **more}.items():
        # Registration statements go after the workflow they name; this one uses a plain def.
        text = DAPR_ENV.format(setup="", runtime="wf.WorkflowRuntime()").replace(
            "@wf.WorkflowRuntime().workflow(name=\"greet\")\n", ""
        ) + "\n" + setup + "\n"
        fix = _only_fix(text.encode(), "WF301")
        if where in once:
            assert fix.edits, where
            _outcome, fixed = fix_source(text.encode(), "wf.py", _settings(), unsafe=True)
            assert fixed.decode().count("register_activity(read_home)") == 1, where
        else:
            assert fix.applicability == "display-only", where
            assert "exactly once per process" in fix.message, where


def test_a_workflow_with_a_runtime_local_to_a_function_gets_no_activity() -> None:
    data = _source(
        '''
        import os

        import dapr.ext.workflow as wf


        def main():
            wfr = wf.WorkflowRuntime()

            @wfr.workflow(name="greet")
            def greet(ctx: wf.DaprWorkflowContext, name):
                home = os.getenv("HOME")
                yield ctx.call_activity("say", input=home)

            wfr.start()
        '''
    )
    fix = _only_fix(data, "WF301")
    assert fix.applicability == "display-only" and "its own runtime" in fix.message


def test_a_handled_lookup_and_a_shuffle_are_not_moved_into_an_activity() -> None:
    data = _source(
        '''
        import contextlib
        import os
        import random

        import dapr.ext.workflow as wf

        wfr = wf.WorkflowRuntime()


        @wfr.workflow(name="greet")
        def greet(ctx: wf.DaprWorkflowContext, items):
            try:
                home = os.environ["HOME"]
            except KeyError:
                home = "/"
            with contextlib.suppress(KeyError):
                home = os.environ["USERPROFILE"]
            random.shuffle(items)
            yield ctx.call_activity("say", input=[home, items])
        '''
    )
    fixes = _fixes(data)
    for line in (13, 17):
        assert fixes[(line, "WF301")].applicability == "display-only"
        assert "handles its error in the workflow" in fixes[(line, "WF301")].message
    assert fixes[(18, "WF201")].applicability == "display-only"
    assert "shuffles its argument in place" in fixes[(18, "WF201")].message


def test_an_awaited_async_helper_is_not_extracted_for_temporal() -> None:
    data = _source(
        '''
        import time

        from temporalio import workflow


        async def stamp() -> float:
            return time.time()


        @workflow.defn
        class Stamps:
            @workflow.run
            async def run(self) -> float:
                return await stamp()
        '''
    )
    fix = _only_fix(data, "WF604")
    assert fix.applicability == "display-only" and "coroutine" in fix.message


def test_a_configured_activity_decorator_registers_the_generated_activity(tmp_path) -> None:
    from helpers import cli_runner

    from wfcheck.cli import main

    (tmp_path / "pyproject.toml").write_text(
        '[tool.wfcheck]\nactivity-decorators = { "acme.wf.step" = "dapr" }\n'
    )
    path = tmp_path / "wf.py"
    path.write_text(DAPR_ENV.format(setup="wfr = wf.WorkflowRuntime()", runtime="wfr"))
    result = cli_runner().invoke(
        main, ["check", "--no-cache", "--fix", "--unsafe-fixes", str(path)]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    text = path.read_text()
    assert "from acme.wf import step\n" in text
    assert "@step\ndef read_home(ctx, _input=None):\n" in text
    assert "@wfr.activity" not in text


def test_a_sorted_loop_that_schedules_tasks_changes_the_history() -> None:
    data = _source(
        '''
        import dapr.ext.workflow as wf

        wfr = wf.WorkflowRuntime()


        @wfr.workflow(name="fan")
        def fan(ctx: wf.DaprWorkflowContext, names):
            for name in set(names):
                yield ctx.call_activity("say", input=name)
            total = sum(len(n) for n in set(names))
            return total
        '''
    )
    fixes = _fixes(data)
    assert (fixes[(8, "WF602")].applicability, fixes[(8, "WF602")].history) == ("unsafe", "changes")
    assert fixes[(10, "WF602")].history == "keeps"


def test_a_value_read_only_when_not_replaying_is_not_rewritten() -> None:
    data = _source(
        '''
        import time

        import dapr.ext.workflow as wf

        wfr = wf.WorkflowRuntime()
        STARTED = {}


        @wfr.workflow(name="timed")
        def timed(ctx: wf.DaprWorkflowContext, order):
            if not ctx.is_replaying:
                STARTED[ctx.instance_id] = time.monotonic()
            yield ctx.call_activity("work", input=order)
        '''
    )
    fix = _fixes(data)[(12, "WF101")]
    assert fix.applicability == "display-only" and "never replayed" in fix.message


def test_a_broad_handler_does_not_keep_a_value_out_of_an_activity() -> None:
    data = _source(
        '''
        import os

        import dapr.ext.workflow as wf

        wfr = wf.WorkflowRuntime()


        @wfr.workflow(name="greet")
        def greet(ctx: wf.DaprWorkflowContext, name):
            try:
                home = os.getenv("HOME")
            except Exception:
                home = "/"
            yield ctx.call_activity("say", input=home)
        '''
    )
    fix = _fixes(data)[(11, "WF301")]
    assert fix.edits and fix.history == "changes"  # a failed activity raises into `except Exception`
