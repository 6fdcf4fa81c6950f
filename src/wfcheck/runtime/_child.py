"""Subprocess entry points for ``replay verify``: ``replay`` (perturbed) and ``work`` (chaos).

Run as ``python -m wfcheck.runtime._child replay HISTORY_JSON TARGET`` or
``python -m wfcheck.runtime._child work DB TARGET --instance-id ID ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback

from wfcheck.runtime.worker import DEFAULT_ACTIVITY_TIMEOUT, DEFAULT_MAX_CONCURRENT_ACTIVITIES


def _replay(history_path: str, target: str, mode: str) -> int:
    from wfcheck.runtime.errors import NonDeterminismError
    from wfcheck.runtime.perturb import apply_from_environment
    from wfcheck.runtime.verify import replay_document

    with open(history_path, encoding="utf-8") as handle:
        document = json.load(handle)
    apply_from_environment()  # before the user's module is imported
    from wfcheck.runtime.registry import load_target

    registry, _ = load_target(target)
    try:
        count = replay_document(document, registry, mode)  # type: ignore[arg-type]
    except NonDeterminismError as exc:
        print(exc)
        return 1
    print(f"replayed {count} events")
    return 0


def _work(args: argparse.Namespace) -> int:
    from wfcheck.runtime.history import parse_time
    from wfcheck.runtime.registry import load_target
    from wfcheck.runtime.store import SQLiteStore
    from wfcheck.runtime.verify import ChaosHooks
    from wfcheck.runtime.worker import Worker

    registry, name = load_target(args.target)
    hooks = ChaosHooks(
        kill_after_commits=args.kill_after_commits,
        activity_kill_probability=args.activity_kill_probability,
        seed=args.seed,
        journal=args.journal,
    )
    store = SQLiteStore(args.db)
    worker = Worker(
        registry,
        store,
        hooks=hooks,
        target=args.target,
        activity_timeout=args.activity_timeout,
        max_concurrent_activities=args.max_concurrent_activities,
        mode=args.mode,
    )
    if store.find(args.instance_id) is None:
        start = parse_time(args.start_time) if args.start_time else None
        worker.start(name, json.loads(args.input), instance_id=args.instance_id, start_time=start)
    record = worker.run_until_idle(args.instance_id, fire_timers_while_waiting=True)
    print(json.dumps({"status": record.status, "output": record.output}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wfcheck.runtime._child")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("replay")
    rep.add_argument("history")
    rep.add_argument("target")
    rep.add_argument("--mode", choices=("engine", "strict"), default="strict")
    work = sub.add_parser("work")
    work.add_argument("db")
    work.add_argument("target")
    work.add_argument("--instance-id", required=True)
    work.add_argument("--input", default="null")
    work.add_argument("--start-time")
    work.add_argument("--journal")
    work.add_argument("--seed", type=int, default=0)
    work.add_argument("--kill-after-commits", type=int)
    work.add_argument("--activity-kill-probability", type=float, default=0.0)
    work.add_argument("--activity-timeout", type=float, default=DEFAULT_ACTIVITY_TIMEOUT)
    work.add_argument("--max-concurrent-activities", type=int, default=DEFAULT_MAX_CONCURRENT_ACTIVITIES)
    work.add_argument("--mode", choices=("engine", "strict"), default="strict")
    args = parser.parse_args(argv)
    try:
        if args.command == "replay":
            return _replay(args.history, args.target, args.mode)
        return _work(args)
    except Exception:
        traceback.print_exc()
        return 2


if __name__ == "__main__":
    sys.exit(main())
