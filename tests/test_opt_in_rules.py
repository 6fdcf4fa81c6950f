"""Opt-in rules: WF701 replay-unsafe-log and WF800 unused-suppression."""

from __future__ import annotations

from helpers import cli_runner, expected, found

from wfcheck.catalog import load_catalog
from wfcheck.cli import main

CATALOG = load_catalog()
DEFAULTS = [r.code for r in CATALOG if r.default]


def with_rule(code: str):
    return {"select": DEFAULTS + [code]}


LOGS = '''\
import logging
from durabletask import task

log = logging.getLogger(__name__)

def orch(ctx: task.OrchestrationContext, order):
    print("start")  # expect: WF701
    if not ctx.is_replaying and order:
        log.info("first run only")
    elif order:
        log.info("runs on replays: the elif also runs when replaying")  # expect: WF701
    if ctx.is_replaying:
        log.debug("replay")  # expect: WF701
    else:
        logging.error("first run")
    if order:
        logging.warning("every replay")  # expect: WF701
    safe = ctx.create_replay_safe_logger(log)
    safe.info("the engine drops this on replays")
    custom_print = order.get("printer")
    custom_print("not the builtin")
    def inner():
        log.exception("nested code runs on replay too")  # expect: WF701
    inner()
    yield ctx.call_activity(ship, input=order)

def ship(ctx: task.ActivityContext, order):
    print("activities run once")
'''


def test_wf701_is_off_by_default() -> None:
    assert found(LOGS) == {}


def test_wf701_flags_unguarded_logging_only() -> None:
    assert found(LOGS, **with_rule("WF701")) == expected(LOGS)


def test_wf701_temporal_logger_and_guard() -> None:
    source = '''\
from temporalio import workflow

@workflow.defn
class Ship:
    @workflow.run
    async def run(self, order: str) -> None:
        workflow.logger.info("replay-aware")
        if not workflow.unsafe.is_replaying():
            print("first run")
        print("again")  # expect: WF701
'''
    assert found(source, **with_rule("WF701")) == expected(source)


def test_extend_select_turns_wf701_on_from_the_cli() -> None:
    runner = cli_runner()
    args = ["check", "--isolated", "--output-format", "concise", "--stdin-filename", "wf.py", "-"]
    off = runner.invoke(main, args, input=LOGS.encode())
    on = runner.invoke(main, args[:1] + ["--extend-select", "WF701"] + args[1:], input=LOGS.encode())
    assert off.exit_code == 0 and off.stdout == ""
    assert on.exit_code == 1 and on.stdout.count(": WF701 ") == 5


SUPPRESSIONS = '''\
import time
import random
from durabletask import task

def helper():
    return time.time()  # noqa: WF101

def orch(ctx: task.OrchestrationContext, order):  # wfcheck: ignore[WF201]
    a = time.time()  # noqa: WF101
    b = ctx.current_utc_datetime  # noqa: WF101  # expect: WF800
    c = time.time()  # noqa: WF1, WF202  # expect: WF800
    d = order  # noqa
    e = order  # noqa: E501
    f = order  # wfcheck: ignore  # expect: WF800
    g = order  # noqa: WF102, WF800
    h = order  # noqa: WF102  # noqa: WF800
    yield ctx.call_activity("ship", input=(a, b, c, d, e, f, g, h, random.random()))

def unused_block(ctx: task.OrchestrationContext, order):  # wfcheck: ignore[WF2]  # expect: WF800
    yield ctx.call_activity("ship", input=order)
'''


def test_wf800_is_off_by_default() -> None:
    assert found(SUPPRESSIONS) == {}


def test_wf800_reports_suppressions_that_hide_nothing() -> None:
    assert found(SUPPRESSIONS, **with_rule("WF800")) == expected(SUPPRESSIONS)


def test_wf800_names_the_unused_codes_and_points_at_the_comment() -> None:
    from helpers import run

    by_line = {d.line: d for d in run(SUPPRESSIONS, **with_rule("WF800"))}
    assert "(WF202)" in by_line[11].message
    assert by_line[10].column == SUPPRESSIONS.splitlines()[9].index("# noqa") + 1
    assert "`# wfcheck: ignore`" in by_line[14].message


def test_wf800_leaves_codes_of_rules_that_are_off_alone() -> None:
    # With WF101 off, a noqa comment naming WF101 might serve another run: not judged.
    assert (10, "WF800") not in found(SUPPRESSIONS, select=["WF2", "WF800"])
    assert (11, "WF800") in found(SUPPRESSIONS, select=["WF2", "WF800"])
