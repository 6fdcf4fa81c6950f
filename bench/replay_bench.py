"""Benchmarks for wfcheck's replay runtime (figures, not tests).

    python bench/replay_bench.py [replay] [append] [worker] [sticky] [fanout]

(no section named: all of them)

1. ``replay``: replay of a 10,000-event history (target: under 1 s);
2. ``append``: appending events to SQLite, one transaction per step of 2 events, as the worker
   does, and one transaction for many events (target: at least 5,000 events/s);
3. ``worker``: end-to-end worker runs on SQLite: replaying the history at every step
   (quadratic, the default) and sticky (each instance's execution kept in memory);
4. ``sticky``: sticky runs of 1k/2k/4k/8k sequential activities on SQLite, with the time per
   activity: flat when sticky mode is linear, growing with n when it is quadratic;
5. ``fanout``: a workflow that schedules 10 activities of 0.2 s each at once (``when_all``):
   about 0.2 s when activities run concurrently, 2 s when one at a time.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from wfcheck.runtime import Registry, SQLiteStore, Worker, replay  # noqa: E402
from wfcheck.runtime.history import Event  # noqa: E402
from wfcheck.runtime.store import Commit, InstanceRecord  # noqa: E402

T = "2026-01-01T00:00:00+00:00"
ACTIVITIES = 4999  # 1 start + 2 per activity + 1 completion = 10,000 events


def sequential(ctx, n):
    total = 0
    for i in range(n):
        total += yield ctx.call_activity("work", input={"i": i})
    return total


def ten_thousand_events():
    events = [Event("workflow_started", T, name="sequential", input=ACTIVITIES, instance_id="b")]
    for i in range(ACTIVITIES):
        events.append(Event("activity_scheduled", T, seq=i + 1, name="work", input={"i": i}))
        events.append(Event("activity_completed", T, seq=i + 1, result=i))
    events.append(Event("workflow_completed", T, result=sum(range(ACTIVITIES))))
    return events


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def bench_replay():
    history = ten_thousand_events()
    result = replay(sequential, "b", history)
    assert result.status == "completed"
    best, median = best_of(lambda: replay(sequential, "b", history))
    print(
        f"replay of {len(history):,} events: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms"
        f" ({len(history) / best:,.0f} events/s; target < 1 s)"
    )


def bench_sqlite_append():
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(os.path.join(tmp, "bench.db"))
        store.create(
            InstanceRecord("s", "sequential"),
            [Event("workflow_started", T, name="sequential", instance_id="s")],
        )
        steps = 2500
        start = time.perf_counter()
        for i in range(steps):
            pair = [
                Event("activity_completed", T, seq=i, result=i),
                Event("activity_scheduled", T, seq=i + 1, name="work", input={"i": i}),
            ]
            store.commit("s", Commit(events=pair, status="running"))
        elapsed = time.perf_counter() - start
        print(
            f"SQLite append, one transaction per 2-event step: {steps * 2 / elapsed:,.0f} events/s"
            f" ({steps / elapsed:,.0f} commits/s; target >= 5,000 events/s)"
        )
        store.create(InstanceRecord("t", "sequential"), [])
        batch = [Event("activity_completed", T, seq=i, result=i) for i in range(10_000)]
        start = time.perf_counter()
        store.commit("t", Commit(events=batch, status="running"))
        elapsed = time.perf_counter() - start
        print(f"SQLite append, 10,000 events in one transaction: {len(batch) / elapsed:,.0f} events/s")
        start = time.perf_counter()
        loaded = store.history("t")
        print(f"SQLite load of {len(loaded):,} events: {(time.perf_counter() - start) * 1000:.0f} ms")
        store.close()


def bench_worker():
    registry = Registry()
    registry.add_workflow(sequential)
    registry.add_activity(lambda ctx, payload: payload["i"], name="work")
    runs = [(100, False), (300, False), (300, True), (5000, True)]
    for n, sticky in runs:
        with tempfile.TemporaryDirectory() as tmp:
            worker = Worker(registry, SQLiteStore(os.path.join(tmp, "w.db")), sticky=sticky)
            start = time.perf_counter()
            record = worker.run(sequential, n)
            elapsed = time.perf_counter() - start
            assert record.output == sum(range(n))
            mode = "sticky (no per-step replay)" if sticky else "replaying every step"
            print(
                f"worker run, {n} sequential activities, {mode}"
                f" ({worker.steps} steps, {2 * n + 2} events): {elapsed * 1000:.0f} ms"
            )


def bench_sticky_scaling():
    registry = Registry()
    registry.add_workflow(sequential)
    registry.add_activity(lambda ctx, payload: payload["i"], name="work")
    for n in (1000, 2000, 4000, 8000):
        with tempfile.TemporaryDirectory() as tmp:
            worker = Worker(registry, SQLiteStore(os.path.join(tmp, "w.db")), sticky=True)
            start, cpu = time.perf_counter(), time.process_time()
            record = worker.run(sequential, n)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert record.output == sum(range(n))
            print(
                f"sticky worker run, {n:,} sequential activities ({2 * n + 2:,} events):"
                f" {elapsed:.2f} s ({cpu:.2f} s CPU), {elapsed / n * 1e6:.0f} us per activity"
            )


FAN_OUT = 10
FAN_OUT_SLEEP = 0.2


def fan_out(ctx, n):
    results = yield ctx.when_all([ctx.call_activity("nap", input=i) for i in range(n)])
    return sum(results)


def nap(ctx, i):
    time.sleep(FAN_OUT_SLEEP)
    return i


def bench_fan_out():
    registry = Registry()
    registry.add_workflow(fan_out)
    registry.add_activity(nap)
    with tempfile.TemporaryDirectory() as tmp:
        worker = Worker(registry, SQLiteStore(os.path.join(tmp, "f.db")))
        start = time.perf_counter()
        record = worker.run(fan_out, FAN_OUT)
        elapsed = time.perf_counter() - start
        assert record.output == sum(range(FAN_OUT))
        print(
            f"fan-out of {FAN_OUT} activities of {FAN_OUT_SLEEP} s each (when_all): {elapsed:.2f} s"
            f" (one at a time: {FAN_OUT * FAN_OUT_SLEEP:.1f} s)"
        )


SECTIONS = {
    "replay": bench_replay,
    "append": bench_sqlite_append,
    "worker": bench_worker,
    "sticky": bench_sticky_scaling,
    "fanout": bench_fan_out,
}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for name in chosen:
        SECTIONS[name]()
