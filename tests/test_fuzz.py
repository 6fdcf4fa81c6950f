"""Fuzzing: wfcheck never raises, and `--fix` output parses, is stable and converges, on
generated programs (hypothesmith) and on mutated workflow fixtures.

The fast profile (the default) runs a few dozen derandomized examples per property, so the
suite stays quick and deterministic. The long profile explores for real:

    WFCHECK_FUZZ=long python -m pytest tests/test_fuzz.py --hypothesis-show-statistics

(``WFCHECK_FUZZ_EXAMPLES=N`` sets the examples per generator property, five times as many
mutations; the fast profile is N=40, the long one N=LONG_EXAMPLES, chosen so that the long
run takes about a quarter of an hour on one core). Generated programs are capped at
``WFCHECK_FUZZ_MAX_CHARS`` characters (default 2000): hypothesmith's targeting otherwise
climbs towards ever larger programs, where one example (generating it, then checking and
fixing it up to ten times) takes tens of seconds and the run never ends.
"""

from __future__ import annotations

import os
import random
import re
import textwrap
from pathlib import Path

import hypothesmith
import libcst as cst
from helpers import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from wfcheck.engine import INTERNAL_ERROR, check_source
from wfcheck.fixes.apply import fix_source
from wfcheck.source import decode_source

LONG = os.environ.get("WFCHECK_FUZZ") == "long"
LONG_EXAMPLES = 1000
EXAMPLES = int(os.environ.get("WFCHECK_FUZZ_EXAMPLES", LONG_EXAMPLES if LONG else 40))
MAX_PROGRAM_CHARS = int(os.environ.get("WFCHECK_FUZZ_MAX_CHARS", 2000))
hypothesis_settings.register_profile(
    "wfcheck",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)
FUZZ = hypothesis_settings.get_profile("wfcheck")
# A mutated fixture is checked ten times faster than a program is generated.
MUTATIONS = hypothesis_settings(FUZZ, max_examples=EXAMPLES * 5)

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = sorted(p for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))
EVERY_RULE = settings(select=["ALL"])
# Outside any project: generated imports must not find the repository's own modules.
PATH = "/nonexistent/fuzzed.py"

IMPORTS = "import random\nimport uuid\nfrom datetime import datetime\n"
# (head, tail, indent) per engine: a generated body goes between head and tail.
WRAPPERS = [
    (
        "import dapr.ext.workflow as wf\n\nwfr = wf.WorkflowRuntime()\n\n\n@wfr.workflow\n"
        "def generated(ctx: wf.DaprWorkflowContext, payload):\n    stamp = datetime.now()\n",
        "    yield ctx.call_activity(act, input=str(uuid.uuid4()))\n    return random.random()\n",
        "    ",
    ),
    (
        "from durabletask import task\n\n\ndef generated(ctx: task.OrchestrationContext, payload):\n"
        "    stamp = datetime.now()\n",
        "    yield ctx.call_activity(act, input=str(uuid.uuid4()))\n",
        "    ",
    ),
    (
        "from temporalio import workflow\n\n\n@workflow.defn\nclass Generated:\n    @workflow.run\n"
        "    async def run(self, payload):\n        stamp = datetime.now()\n",
        "        return str(uuid.uuid4())\n",
        "        ",
    ),
    (
        "import azure.durable_functions as df\n\n\n"
        "def generated(context: df.DurableOrchestrationContext):\n    stamp = datetime.now()\n",
        "    yield context.call_activity('act', str(uuid.uuid4()))\n\n\n"
        "main = df.Orchestrator.create(generated)\n",
        "    ",
    ),
]
WORKFLOW_HEAD = IMPORTS + WRAPPERS[0][0]


# Files `--fix` declines to touch, saying why (a form feed in indentation the parser does not
# give back): reported, never an error.
REFUSALS = frozenset({"not fixed: the parser does not reproduce this file exactly"})


def assert_robust(source: bytes) -> None:
    """The properties every input must have."""
    result = check_source(source, PATH, EVERY_RULE)
    assert not [d.message for d in result.diagnostics if d.code == INTERNAL_ERROR]
    outcome, once = fix_source(source, PATH, EVERY_RULE, unsafe=True)
    assert outcome.error is None or not result.parsed or outcome.error in REFUSALS, outcome.error
    if not outcome.changed:
        return  # fixing the same bytes again is the same computation
    # What would be written parses, read back the way wfcheck reads a file.
    cst.parse_module(decode_source(once).text)
    again, twice = fix_source(once, PATH, EVERY_RULE, unsafe=True)
    assert again.applied == [] and twice == once


# -- generated programs ------------------------------------------------------------------------


def in_workflow(program: str, wrapper: tuple[str, str, str]) -> bytes:
    """A generated module at module level and again as the body of a workflow, so the
    prefilter lets it through and the workflow analysis walks it."""
    head, tail, indent = wrapper
    body = textwrap.indent(program, indent) if program.strip() else ""
    return (program + "\n\n" + IMPORTS + head + body + "\n" + tail).encode("utf-8")


def _bounded(programs: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return programs.filter(lambda program: len(program) <= MAX_PROGRAM_CHARS)


@FUZZ
@given(_bounded(hypothesmith.from_grammar()), st.sampled_from(WRAPPERS))
def test_generated_programs_from_the_grammar(program: str, wrapper) -> None:
    assert_robust(in_workflow(program, wrapper))


@FUZZ
@given(_bounded(hypothesmith.from_node()), st.sampled_from(WRAPPERS))
def test_generated_programs_from_libcst_nodes(program: str, wrapper) -> None:
    assert_robust(in_workflow(program, wrapper))


# -- mutated fixtures --------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def mutate(text: str, seed: int, count: int) -> str:
    """Delete, duplicate or swap lines and tokens, or change a line ending, ``count`` times,
    chosen by ``seed``."""
    chooser = random.Random(seed)
    for _ in range(count):
        by_lines = chooser.random() < 0.5
        parts: list[str] = text.splitlines(keepends=True) if by_lines else _TOKEN.findall(text)
        if len(parts) < 2:
            break
        i, j = chooser.randrange(len(parts)), chooser.randrange(len(parts))
        operation = chooser.choice(("delete", "duplicate", "swap", "line ending"))
        if operation == "delete":
            del parts[i]
        elif operation == "duplicate":
            parts.insert(j, parts[i])
        elif operation == "swap":
            parts[i], parts[j] = parts[j], parts[i]
        else:
            parts[i] = parts[i].replace("\n", chooser.choice(("\r", "\r\n", "\x0c\n", "\t\n")))
        text = "".join(parts)
    return text


@MUTATIONS
@given(
    st.sampled_from(SEEDS),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=1, max_value=6),
)
def test_mutated_workflow_fixtures(path: Path, seed: int, count: int) -> None:
    assert_robust(mutate(path.read_text(encoding="utf-8"), seed, count).encode("utf-8"))


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_after_a_workflow_marker(data: bytes) -> None:
    assert_robust(WORKFLOW_HEAD.encode() + data)
