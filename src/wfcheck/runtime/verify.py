"""``replay verify``: record one run, replay it in perturbed subprocesses, optionally under chaos.

The recorded histories travel to each replay process as an export document (JSON file). A
replay process (``python -m wfcheck.runtime._child replay``) perturbs itself before importing
the user's module, replays every instance and generation strictly, and reports the first
:class:`NonDeterminismError`.

Chaos runs a real worker process (``python -m wfcheck.runtime._child work``) on a fresh SQLite
file and kills it with SIGKILL — after every committed step, then at random points inside
activities — restarting it each time, until the instance finishes; the final status and
output must equal the uninterrupted run's. The after-every-step workers run one activity at a
time (a kill there lands between steps, never inside an activity); the inside-activities
workers run them concurrently, and a kill counts as inside every activity running then.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from typing import Any, Callable

from wfcheck.runtime import history as h
from wfcheck.runtime.errors import NonDeterminismError
from wfcheck.runtime.executor import Mode, replay
from wfcheck.runtime.perturb import describe, perturbed_environment, unset_reads
from wfcheck.runtime.registry import Registry, load_target
from wfcheck.runtime.store import MemoryStore, Store
from wfcheck.runtime.worker import DEFAULT_ACTIVITY_TIMEOUT, Hooks, Worker

Echo = Callable[[str], None]


def replay_document(document: dict[str, Any], registry: Registry, mode: Mode = "strict") -> int:
    """Replay every instance and generation of an export document; return the number of events
    replayed. Raises :class:`NonDeterminismError` at the first divergence."""
    count = 0
    for item in document["instances"]:
        record = item["record"]
        for _, raw_events in sorted(item["generations"].items(), key=lambda kv: int(kv[0])):
            events = h.history_from_json(raw_events)
            version = events[0].version if events else None
            workflow, _ = registry.resolve_workflow(record["name"], version)
            result = replay(workflow, record["instance_id"], events, mode=mode, codec=registry.codec)
            for (kind, name), target in result.functions.items():
                registry.learn(kind, name, target)
            count += len(events)
    return count


def child_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wfcheck.runtime._child", *args]


def child_base_env() -> dict[str, str]:
    """The current environment, with this package importable in the child."""
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = package_root + (os.pathsep + existing if existing else "")
    return env


@dataclasses.dataclass
class RecordedRun:
    instance_id: str
    status: str
    output: Any
    error: dict[str, Any] | None
    start_time: str
    document: dict[str, Any]
    unset_read: list[str] = dataclasses.field(default_factory=list)


def record_run(
    target: str,
    workflow_input: Any,
    *,
    instance_id: str | None = None,
    store: Store | None = None,
    activity_timeout: float | None = DEFAULT_ACTIVITY_TIMEOUT,
    mode: Mode = "strict",
) -> RecordedRun:
    with unset_reads() as unset:
        registry, name = load_target(target)
        worker = Worker(
            registry, store or MemoryStore(), target=target, activity_timeout=activity_timeout, mode=mode
        )
        instance_id = worker.start(name, workflow_input, instance_id=instance_id)
        record = worker.run_until_idle(instance_id, fire_timers_while_waiting=True)
    first = worker.store.history(instance_id, worker.store.generations(instance_id)[0])[0]
    return RecordedRun(
        instance_id=instance_id,
        status=record.status,
        output=record.output,
        error=record.error,
        start_time=first.timestamp,
        document=worker.store.export_json(instance_id),
        unset_read=sorted(unset),
    )


@dataclasses.dataclass
class ReplayOutcome:
    run: int
    ok: bool
    description: str
    message: str


def perturbed_replays(
    target: str,
    document: dict[str, Any],
    runs: int,
    *,
    seed: int = 0,
    echo: Echo | None = None,
    cwd: str | None = None,
    mode: Mode = "strict",
    unset_read: list[str] | None = None,
) -> list[ReplayOutcome]:
    """Replay ``document`` in ``runs`` fresh perturbed processes; stop at the first divergence."""
    outcomes: list[ReplayOutcome] = []
    base = child_base_env()
    with tempfile.TemporaryDirectory(prefix="wfcheck-verify-") as tmp:
        path = os.path.join(tmp, "history.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        for run in range(1, runs + 1):
            env = perturbed_environment(base, run, seed, unset_read or ())
            command = child_command("replay", path, target, "--mode", mode)
            proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=cwd)
            text = (proc.stdout + proc.stderr).strip()
            outcome = ReplayOutcome(run, proc.returncode == 0, describe(env, base), text)
            outcomes.append(outcome)
            if echo:
                echo(f"replay {run}/{runs} ({outcome.description}): {'ok' if outcome.ok else 'DIVERGED'}")
            if not outcome.ok:
                break
    return outcomes


# -- chaos ---------------------------------------------------------------------------------------


class ChaosHooks(Hooks):
    """Kill this process (SIGKILL) after ``kill_after_commits`` commits, and/or inside
    activities with probability ``activity_kill_probability``; journal activity runs."""

    def __init__(
        self,
        *,
        kill_after_commits: int | None = None,
        activity_kill_probability: float = 0.0,
        seed: int = 0,
        journal: str | None = None,
    ) -> None:
        self.kill_after_commits = kill_after_commits
        self.activity_kill_probability = activity_kill_probability
        self.rng = random.Random(seed)
        self.journal = journal
        self.commits = 0
        self.running: set[tuple[str, int]] = set()  # handed to a thread, outcome not committed

    def _log(self, line: str) -> None:
        if self.journal:
            with open(self.journal, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())

    def _kill(self, why: str) -> None:
        self._log(f"kill {why}")
        for instance_id, seq in sorted(self.running):
            self._log(f"interrupted {instance_id} {seq}")
        import signal

        os.kill(os.getpid(), signal.SIGKILL)

    def _maybe_kill_in_activity(self, where: str, instance_id: str, seq: int) -> None:
        if self.activity_kill_probability and self.rng.random() < self.activity_kill_probability:
            self._kill(f"{where} {instance_id} {seq}")

    def before_activity(self, instance_id: str, seq: int, name: str) -> None:
        self._maybe_kill_in_activity("before-activity", instance_id, seq)
        self._log(f"run {instance_id} {seq} {name}")
        self.running.add((instance_id, seq))

    def after_activity(self, instance_id: str, seq: int, name: str) -> None:
        self._maybe_kill_in_activity("after-activity", instance_id, seq)
        self.running.discard((instance_id, seq))

    def after_commit(self, instance_id: str) -> None:
        self.commits += 1
        if self.kill_after_commits is not None and self.commits >= self.kill_after_commits:
            self._kill(f"after-commit {instance_id}")


@dataclasses.dataclass
class ChaosReport:
    kills: int
    launches: int
    status: str
    output: Any
    error: dict[str, Any] | None
    activity_runs: Counter
    killed_in: list[tuple[str, int]]
    document: dict[str, Any]


def run_chaos(
    target: str,
    workflow_input: Any,
    *,
    instance_id: str,
    start_time: str,
    mode: str,
    seed: int = 0,
    activity_kill_probability: float = 0.3,
    max_launches: int = 500,
    cwd: str | None = None,
    activity_timeout: float | None = None,
    divergence: Mode = "strict",
) -> ChaosReport:
    """Run the workflow in worker processes that are killed repeatedly (``mode`` is
    ``"steps"``: after every commit, or ``"activities"``: at random points in activities)."""
    from wfcheck.runtime.store import SQLiteStore

    with tempfile.TemporaryDirectory(prefix="wfcheck-chaos-") as tmp:
        db = os.path.join(tmp, "chaos.db")
        journal = os.path.join(tmp, "journal.txt")
        env = child_base_env()
        kills = launches = 0
        finished = False
        while launches < max_launches:
            launches += 1
            args = [
                "work",
                db,
                target,
                "--instance-id",
                instance_id,
                "--input",
                json.dumps(workflow_input),
                "--start-time",
                start_time,
                "--journal",
                journal,
                "--seed",
                str(seed * 100003 + launches),
                "--mode",
                divergence,
            ]
            if activity_timeout is not None:
                args += ["--activity-timeout", str(activity_timeout)]
            if mode == "steps":
                args += ["--kill-after-commits", "1", "--max-concurrent-activities", "1"]
            else:
                args += ["--activity-kill-probability", str(activity_kill_probability)]
            proc = subprocess.run(child_command(*args), env=env, capture_output=True, text=True, cwd=cwd)
            if proc.returncode == -9:
                kills += 1
                continue
            if proc.returncode != 0:
                raise RuntimeError(
                    f"chaos worker failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
                )
            finished = True
            break
        if not finished:
            raise RuntimeError(f"chaos run did not finish after {max_launches} worker launches")
        store = SQLiteStore(db)
        try:
            record = store.get(instance_id)
            document = store.export_json(instance_id)
        finally:
            store.close()
        runs: Counter = Counter()
        killed_in: list[tuple[str, int]] = []
        if os.path.exists(journal):
            with open(journal, encoding="utf-8") as handle:
                for line in handle:
                    parts = line.split()
                    if parts[0] == "run":
                        runs[(parts[1], int(parts[2]))] += 1
                    elif parts[0] == "kill" and parts[1] in ("before-activity", "after-activity"):
                        killed_in.append((parts[2], int(parts[3])))
                    elif parts[0] == "interrupted":
                        killed_in.append((parts[1], int(parts[2])))
        return ChaosReport(
            kills, launches, record.status, record.output, record.error, runs, killed_in, document
        )


def completed_activities(document: dict[str, Any]) -> list[tuple[str, int]]:
    return list(activity_results(document))


def activity_results(document: dict[str, Any]) -> dict[tuple[str, int], Any]:
    """(instance id, seq) -> the recorded result (or error) of every finished activity."""
    return {
        (item["record"]["instance_id"], int(raw["seq"])): (raw.get("result"), raw.get("error"))
        for item in document["instances"]
        for raw_events in item["generations"].values()
        for raw in raw_events
        if raw["kind"] in (h.ACTIVITY_COMPLETED, h.ACTIVITY_FAILED)
    }


def check_chaos(report: ChaosReport, reference: RecordedRun) -> list[str]:
    """Problems found in a chaos run (an empty list means it held).

    The final result must equal the uninterrupted run's whenever the activities returned the
    same values in both. Activities may be non-deterministic (that is what they are for: a
    generated UUID, a fetched rate); then only the chaos history's own replay, which the
    caller checks, can speak for the workflow."""
    problems = []
    same_activities = activity_results(report.document) == activity_results(reference.document)
    if same_activities and (report.status, report.output) != (reference.status, reference.output):
        problems.append(
            f"final result differs: uninterrupted run {reference.status} {json.dumps(reference.output)},"
            f" chaos run {report.status} {json.dumps(report.output)}"
        )
    killed = set(report.killed_in)
    for key, count in sorted(report.activity_runs.items()):
        if count > 1 and key not in killed:
            problems.append(f"activity seq={key[1]} of {key[0]} ran {count} times without being interrupted")
    return problems


def verify(
    target: str,
    workflow_input: Any,
    *,
    runs: int = 5,
    chaos: bool = False,
    seed: int = 0,
    echo: Echo = print,
    activity_timeout: float | None = DEFAULT_ACTIVITY_TIMEOUT,
    mode: Mode = "strict",
) -> int:
    """The ``replay verify`` procedure; returns the exit code. ``mode`` is the divergence check
    of every replay (strict by default: verify hunts values that change between replays)."""
    try:
        reference = record_run(target, workflow_input, activity_timeout=activity_timeout, mode=mode)
    except NonDeterminismError as exc:
        # every step of a run replays the history so far, so a workflow can diverge from itself
        echo(str(exc))
        echo("diverged while recording: the run's own replay of its history did not match")
        return 1
    events = sum(len(evs) for item in reference.document["instances"] for evs in item["generations"].values())
    echo(f"recorded run: instance {reference.instance_id} {reference.status}, {events} history events")
    outcomes = perturbed_replays(
        target, reference.document, runs, seed=seed, echo=echo, mode=mode, unset_read=reference.unset_read
    )
    failed = [o for o in outcomes if not o.ok]
    if failed:
        echo(failed[0].message)
        echo(f"diverged on perturbed replay {failed[0].run} of {runs}")
        return 1
    echo(f"deterministic under {runs} perturbed replays")
    if not chaos:
        return 0
    registry, _ = load_target(target)
    code = 0
    compared = True
    for chaos_mode in ("steps", "activities"):
        report = run_chaos(
            target,
            workflow_input,
            instance_id=reference.instance_id,
            start_time=reference.start_time,
            mode=chaos_mode,
            seed=seed,
            activity_timeout=activity_timeout,
            divergence=mode,
        )
        try:
            replay_document(report.document, registry, mode)
        except NonDeterminismError as exc:
            echo(f"chaos ({chaos_mode}): the resumed history does not replay:\n{exc}")
            return 1
        problems = check_chaos(report, reference)
        where = "after every step" if chaos_mode == "steps" else "at random points inside activities"
        echo(f"chaos: {report.kills} SIGKILLs {where} over {report.launches} worker launches")
        if activity_results(report.document) != activity_results(reference.document):
            compared = False
            echo(
                "  activities returned other values than in the uninterrupted run (activities "
                "may); the resumed history replays, so the result is not compared"
            )
        for problem in problems:
            echo(f"  {problem}")
            code = 1
    if code == 0:
        held = "final output equals the uninterrupted run" if compared else "every resumed history replays"
        echo(f"chaos: {held}; no completed activity ran twice")
    return code
