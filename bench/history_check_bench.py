"""Time to check a 10,000-event recorded history with ``wfcheck replay check`` (a figure, not
a test).

    python bench/history_check_bench.py

Two files of 10,000 events each, written to a temporary folder: a durabletask protobuf-JSON
history (2,500 sequential activities: orchestratorStarted, taskCompleted, taskScheduled,
orchestratorCompleted per step, as the engine records them; the bookkeeping events convert to
nothing, so 5,002 events are replayed), and wfcheck's own export of a 4,999-activity run.
Each is checked in both modes; the time includes reading and converting the file and loading
the workflow module.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "src"))

from wfcheck.runtime.replay_check import check_path  # noqa: E402

APP = """
def work(ctx, i):
    return i


def sequential(ctx, n):
    total = 0
    for i in range(n):
        total += yield ctx.call_activity(work, input=i)
    return total
"""


def protobuf_history(steps: int) -> list[dict]:
    stamp = "2026-01-01T00:00:00Z"
    events = [
        {"eventId": -1, "timestamp": stamp, "orchestratorStarted": {}},
        {"eventId": -1, "timestamp": stamp, "executionStarted": {"name": "sequential", "input": str(steps)}},
        {"eventId": 1, "timestamp": stamp, "taskScheduled": {"name": "work", "input": "0"}},
        {"eventId": -1, "timestamp": stamp, "orchestratorCompleted": {}},
    ]
    total = 0
    for i in range(steps):
        total += i
        events.append({"eventId": -1, "timestamp": stamp, "orchestratorStarted": {}})
        events.append(
            {"eventId": -1, "timestamp": stamp, "taskCompleted": {"taskScheduledId": i + 1, "result": str(i)}}
        )
        if i + 1 < steps:
            events.append(
                {"eventId": i + 2, "timestamp": stamp, "taskScheduled": {"name": "work", "input": str(i + 1)}}
            )
        else:
            events.append(
                {
                    "eventId": -1,
                    "timestamp": stamp,
                    "executionCompleted": {
                        "orchestrationStatus": "ORCHESTRATION_STATUS_COMPLETED",
                        "result": str(total),
                    },
                }
            )
        events.append({"eventId": -1, "timestamp": stamp, "orchestratorCompleted": {}})
    return events


def wfcheck_export(folder: str, activities: int) -> str:
    from wfcheck.runtime import Worker
    from wfcheck.runtime.registry import load_target

    registry, name = load_target(os.path.join(folder, "app.py") + ":sequential")
    worker = Worker(registry, sticky=True)
    record = worker.run(name, activities, instance_id="bench")
    path = os.path.join(folder, "wfcheck", "bench.json")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        json.dump(worker.store.export_json(record.instance_id), handle)
    return path


def timed(target: str, path: str, mode: str, runs: int = 3) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        (result,) = check_path(target, path, mode)
        times.append(time.perf_counter() - start)
        assert result.ok, result.to_dict()
    return statistics.median(times), result.events


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "app.py"), "w") as handle:
            handle.write(APP)
        target = os.path.join(folder, "app.py") + ":sequential"
        pb_path = os.path.join(folder, "protobuf", "bench.json")
        os.makedirs(os.path.dirname(pb_path))
        raw = protobuf_history(2500)
        with open(pb_path, "w") as handle:
            json.dump(raw, handle)
        wf_path = wfcheck_export(folder, 4999)
        for label, path, count in (
            ("durabletask protobuf-JSON", pb_path, len(raw)),
            ("wfcheck export", wf_path, None),
        ):
            for mode in ("engine", "strict"):
                seconds, converted = timed(target, path, mode)
                size = count if count is not None else converted
                print(
                    f"{label:26s} {size:6d} events in the file, {converted:5d} after conversion, "
                    f"{mode:6s} mode: {seconds * 1000:7.1f} ms (median of 3)"
                )


if __name__ == "__main__":
    main()
