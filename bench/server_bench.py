"""Latency of `wfcheck server` as an editor sees it (figures, not tests).

    python bench/server_bench.py [--rounds N] [--debounce-ms MS]

Generates a project in a temporary directory (nothing fetched): a 300-line Dapr workflow
module, a helper module `shared.py`, and 20 workflow modules that each call a helper from it.
A pygls client starts `python -m wfcheck server` over stdio (this checkout's sources) and
measures, wall clock, from the notification sent to the diagnostics received:

- first diagnostics: `didOpen` of the 300-line file in a server that has checked nothing yet;
- after a change: `didChange` of that file (one line edited, alternating), until diagnostics
  for the new version arrive; the configured debounce is included (`--debounce-ms`, default
  the server's 100 ms; 0 shows the check alone);
- helper change: with the 20 workflow files and `shared.py` open, `didChange` of `shared.py`
  until all 20 workflow files have their diagnostics published again (first and last).

Medians over the rounds. For scale it also times `wfcheck check --no-cache` on the 300-line file
in a fresh process (what an editor integration through the CLI pays per check).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

PROJECT = Path(__file__).resolve().parent.parent
DEPENDENTS = 20

HEADER = '''\
"""Generated for the server benchmark: order workflows with replay hazards and activities."""

import random
import time
import uuid
from datetime import datetime, timedelta

import dapr.ext.workflow as wf

from shared import audit_stamp, normalise

wfr = wf.WorkflowRuntime()
'''

WORKFLOW_BLOCK = """

@wfr.workflow(name="order_{n}")
def order_{n}(ctx: wf.DaprWorkflowContext, order):
    started = datetime.now()
    token = uuid.uuid4()
    if random.random() > 0.5:
        order = normalise(order)
    total = 0
    for line in order["lines"]:
        total += line["qty"] * line["price"]
    yield ctx.call_activity(reserve_{n}, input={{"order": order, "token": str(token)}})
    time.sleep(1)
    deadline = ctx.current_utc_datetime + timedelta(minutes=5)
    yield ctx.create_timer(deadline)
    stamp = audit_stamp()
    result = yield ctx.call_activity(charge_{n}, input={{"total": total, "at": started, "stamp": stamp}})
    return result


@wfr.activity(name="reserve_{n}")
def reserve_{n}(ctx, data):
    return {{"reserved": data["order"], "at": time.time()}}


@wfr.activity(name="charge_{n}")
def charge_{n}(ctx, data):
    return {{"charged": data["total"]}}
"""

SHARED = '''\
"""Helpers the workflows call."""

import time


def audit_stamp():
    return time.time()


def normalise(order):
    return {"lines": sorted(order["lines"], key=lambda line: line["sku"])}
'''
SHARED_EDITED = SHARED.replace("return time.time()", "return 0.0")

DEPENDENT = """\
import dapr.ext.workflow as wf

from shared import audit_stamp

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="flow_{n}")
def flow_{n}(ctx: wf.DaprWorkflowContext, payload):
    stamp = audit_stamp()
    yield ctx.call_activity("record", input={{"payload": payload, "stamp": stamp}})
"""


def make_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    (root / "shared.py").write_text(SHARED)
    text = HEADER
    n = 0
    while text.count("\n") < 300:
        text += WORKFLOW_BLOCK.format(n=n)
        n += 1
    lines = text.split("\n")[:300]
    big = root / "orders.py"
    big.write_text("\n".join(lines).rstrip() + "\n")
    for i in range(DEPENDENTS):
        (root / f"flow_{i:02d}.py").write_text(DEPENDENT.format(n=i))
    return big


class Bench:
    def __init__(self, debounce_ms: int | None) -> None:
        self.client = LanguageClient("wfcheck-bench", "1")
        self.arrivals: dict[str, tuple[int | None, float, int]] = {}
        self.event = asyncio.Event()
        self.debounce_ms = debounce_ms

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams) -> None:
            self.arrivals[params.uri] = (params.version, time.perf_counter(), len(params.diagnostics))
            self.event.set()

    async def start(self, root: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
        await self.client.start_io(sys.executable, "-m", "wfcheck", "server", env=env, cwd=str(root))
        options = {} if self.debounce_ms is None else {"debounceMs": self.debounce_ms}
        await self.client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(), root_uri=root.as_uri(), initialization_options=options
            )
        )
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def wait_for(self, uris: list[str], versions: dict[str, int], since: float) -> list[float]:
        """Seconds from ``since`` until each uri had diagnostics for its version."""
        while True:
            done = [self.arrivals.get(u) for u in uris]
            if all(a is not None and a[0] == versions[u] and a[1] >= since for u, a in zip(uris, done)):
                return [a[1] - since for a in done if a is not None]
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), 60)

    def open(self, path: Path, version: int = 1) -> str:
        uri = path.as_uri()
        item = lsp.TextDocumentItem(uri, "python", version, path.read_text())
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version, uri),
                [lsp.TextDocumentContentChangeWholeDocument(text)],
            )
        )


async def run(root: Path, big: Path, rounds: int, debounce_ms: int | None) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"first": [], "change": [], "helper_first": [], "helper_last": []}
    for _ in range(rounds):
        bench = Bench(debounce_ms)
        await bench.start(root)
        since = time.perf_counter()
        uri = bench.open(big)
        figures["first"] += await bench.wait_for([uri], {uri: 1}, since)
        original = big.read_text()
        edited = original.replace("    total = 0\n", "    total = time.time() * 0\n", 1)
        for version in range(2, 7):
            since = time.perf_counter()
            bench.change(uri, edited if version % 2 == 0 else original, version)
            figures["change"] += await bench.wait_for([uri], {uri: version}, since)
        flows = [bench.open(root / f"flow_{i:02d}.py") for i in range(DEPENDENTS)]
        await bench.wait_for(flows, dict.fromkeys(flows, 1), 0.0)
        shared = bench.open(root / "shared.py")
        await bench.wait_for([shared], {shared: 1}, 0.0)
        for version in range(2, 4):
            since = time.perf_counter()
            bench.change(shared, SHARED_EDITED if version % 2 == 0 else SHARED, version)
            # The dependents keep their version: what counts is a publication after `since`.
            times = await bench.wait_for(flows, dict.fromkeys(flows, 1), since)
            figures["helper_first"].append(min(times))
            figures["helper_last"].append(max(times))
        await bench.stop()
    return figures


def cli_once(big: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "wfcheck", "check", "--no-cache", "-q", str(big)],
        env=env,
        cwd=big.parent,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def in_process(big: Path, rounds: int) -> tuple[list[float], list[float]]:
    """The check alone, in this process, as the server runs it on a change (steady state:
    project index and imports warm): wall-clock and CPU seconds per check."""
    sys.path.insert(0, str(PROJECT / "src"))
    from wfcheck.server import WfcheckServer

    server = WfcheckServer()
    text, uri = big.read_text(), big.as_uri()
    server._check(uri, 0, text)
    wall, cpu = [], []
    for version in range(1, rounds * 5 + 1):
        edited = text + "\n" * (version % 2)
        start, start_cpu = time.perf_counter(), time.process_time()
        server._check(uri, version, edited)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--debounce-ms", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wfcheck-server-bench-") as tmp:
        root = Path(tmp)
        big = make_project(root)
        figures = asyncio.run(run(root, big, args.rounds, args.debounce_ms))
        cli = [cli_once(big) for _ in range(args.rounds)]
        wall, cpu = in_process(big, args.rounds)
        lines = len(big.read_text().splitlines())
    debounce = "server default (100 ms)" if args.debounce_ms is None else f"{args.debounce_ms} ms"
    print(f"wfcheck server, {lines}-line workflow file, debounce {debounce}")
    rows = [
        ("first diagnostics after didOpen (fresh server)", figures["first"]),
        ("diagnostics after didChange of that file", figures["change"]),
        (f"helper change: first of {DEPENDENTS} dependents republished", figures["helper_first"]),
        (f"helper change: all {DEPENDENTS} dependents republished", figures["helper_last"]),
        ("the check alone, in process (wall clock)", wall),
        ("the check alone, in process (CPU time)", cpu),
        ("for scale: `wfcheck check --no-cache` on it, new process", cli),
    ]
    for label, values in rows:
        print(f"  {label:<58} median {statistics.median(values) * 1000:7.1f} ms  (n={len(values)})")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
