"""``wfcheck replay ...``: click commands only; the work happens in worker/verify/store."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

DEFAULT_DB = ".wfcheck-replay.db"


def _json_option(value: str | None, what: str) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} is not valid JSON: {exc}") from None


def _absolute_target(target: str) -> str:
    module_spec, sep, attr = target.rpartition(":")
    if sep and (module_spec.endswith(".py") or "/" in module_spec or os.sep in module_spec):
        return f"{os.path.abspath(module_spec)}:{attr}"
    return target


def _open(db: str):
    from wfcheck.runtime.store import open_store

    return open_store(db)


def _print_state(record: Any, waiting: Any = ()) -> None:
    click.echo(f"instance {record.instance_id}: {record.status}")
    if record.status == "completed":
        click.echo(f"output: {json.dumps(record.output)}")
    elif record.status == "failed" and record.error:
        click.echo(f"error: {record.error.get('type')}: {record.error.get('message')}")
    if record.custom_status is not None:
        click.echo(f"custom status: {json.dumps(record.custom_status)}")
    if waiting:
        click.echo(f"waiting for external event(s): {', '.join(waiting)}")


def _exit_for(record: Any) -> int:
    return 1 if record.status == "failed" else 0


db_option = click.option(
    "--db",
    default=lambda: os.environ.get("WFCHECK_REPLAY_DB", DEFAULT_DB),
    show_default=DEFAULT_DB,
    help="SQLite history store (':memory:' for none).",
)


def mode_option(default: str, why: str):
    return click.option(
        "--mode",
        type=click.Choice(["engine", "strict"]),
        default=default,
        show_default=True,
        help="Divergence check: engine = what durabletask/Dapr reject (kind, name, order, versions,"
        f" patches); strict = also inputs and timer fire times. {why}",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def replay() -> None:
    """Run workflow code on wfcheck's reference replay runtime (executes user code)."""


@replay.command("run")
@click.argument("target")
@click.option("--input", "input_json", help="Workflow input as JSON.")
@db_option
@click.option("--instance-id", help="Instance id (default: random).")
@click.option("--real-time", is_flag=True, help="Wait for timers in real time (default: virtual clock).")
@click.option("--fire-timers", is_flag=True, help="Fire timers even while waiting for an external event.")
@click.option(
    "--sticky", is_flag=True, help="Keep the execution in memory between steps (no per-step check)."
)
@click.option(
    "--max-steps",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Stop after this many steps.",
)
@mode_option("strict", "Default strict: one code version runs the instance, so any difference is a bug.")
def run_command(
    target: str,
    input_json: str | None,
    db: str,
    instance_id: str | None,
    real_time: bool,
    fire_timers: bool,
    sticky: bool,
    max_steps: int,
    mode: str,
) -> None:
    """Run FILE_OR_MODULE:WORKFLOW until it finishes or waits for an external event."""
    from wfcheck.runtime.errors import NonDeterminismError
    from wfcheck.runtime.registry import load_target
    from wfcheck.runtime.worker import make_worker

    workflow_input = _json_option(input_json, "--input")
    target = _absolute_target(target)
    registry, name = load_target(target)
    worker = make_worker(
        registry, _open(db), real_time=real_time, target=target, sticky=sticky, mode=mode
    )
    try:
        if instance_id and worker.store.find(instance_id) is not None:
            raise click.UsageError(f"instance {instance_id!r} already exists in {db}")
        new_id = worker.start(name, workflow_input, instance_id=instance_id)
        record = worker.run_until_idle(new_id, fire_timers_while_waiting=fire_timers, max_steps=max_steps)
    except NonDeterminismError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    _print_state(record, worker.waiting_for(record.instance_id))
    if worker.hit_step_limit:
        click.echo(f"stopped after {max_steps} steps (--max-steps); the instance can still make progress")
    sys.exit(_exit_for(record))


@replay.command("raise-event")
@click.argument("instance")
@click.argument("name")
@click.option("--data", "data_json", help="Event data as JSON.")
@db_option
@click.option("--fire-timers", is_flag=True, help="Then also fire timers while waiting.")
@mode_option("engine", "Default engine: the instance may have been recorded by an earlier deployment.")
def raise_event_command(
    instance: str, name: str, data_json: str | None, db: str, fire_timers: bool, mode: str
) -> None:
    """Raise external event NAME on INSTANCE, then resume the instance."""
    from wfcheck.runtime.errors import InstanceNotFoundError, NonDeterminismError
    from wfcheck.runtime.registry import load_target
    from wfcheck.runtime.worker import make_worker

    data = _json_option(data_json, "--data")
    store = _open(db)
    try:
        record = store.get(instance)
    except InstanceNotFoundError:
        raise click.UsageError(f"no instance {instance!r} in {db}") from None
    store.enqueue_event(instance, name, data)
    click.echo(f"raised {name!r} on {instance}")
    if not record.target:
        return
    registry, _ = load_target(record.target)
    worker = make_worker(registry, store, target=record.target, mode=mode)
    root = record
    while root.parent_id:  # a child's event advances its parents too
        root = store.get(root.parent_id)
    try:
        worker.run_until_idle(root.instance_id, fire_timers_while_waiting=fire_timers)
        record = store.get(instance)
    except NonDeterminismError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    _print_state(record, worker.waiting_for(instance) if record.status == "running" else ())
    sys.exit(_exit_for(record))


@replay.command("status")
@click.argument("instance", required=False)
@db_option
def status_command(instance: str | None, db: str) -> None:
    """Show one instance, or all instances in the store."""
    from wfcheck.runtime.errors import InstanceNotFoundError

    store = _open(db)
    if instance:
        try:
            record = store.get(instance)
        except InstanceNotFoundError:
            raise click.UsageError(f"no instance {instance!r} in {db}") from None
        _print_state(record)
        return
    records = store.instances()
    if not records:
        click.echo("no instances")
        return
    for record in records:
        parent = f"  (child of {record.parent_id})" if record.parent_id else ""
        click.echo(
            f"{record.instance_id}  {record.name}  {record.status}  generation {record.generation}{parent}"
        )


@replay.command("history")
@click.argument("instance")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history_command(instance: str, db: str, fmt: str) -> None:
    """Print the recorded history of INSTANCE (json: an export document, with children)."""
    from wfcheck.runtime.errors import InstanceNotFoundError

    store = _open(db)
    try:
        document = store.export_json(instance)
    except InstanceNotFoundError:
        raise click.UsageError(f"no instance {instance!r} in {db}") from None
    if fmt == "json":
        click.echo(json.dumps(document, indent=2))
        return
    from wfcheck.runtime.history import history_from_json

    for item in document["instances"]:
        record = item["record"]
        click.echo(f"# {record['instance_id']} ({record['name']}, {record['status']})")
        for generation, raw in sorted(item["generations"].items(), key=lambda kv: int(kv[0])):
            if len(item["generations"]) > 1:
                click.echo(f"## generation {generation}")
            for index, event in enumerate(history_from_json(raw)):
                click.echo(f"{index:4d}  {event.timestamp}  {event.describe()}")


@replay.command("verify")
@click.argument("target")
@click.option("--input", "input_json", help="Workflow input as JSON.")
@click.option("--runs", default=5, show_default=True, type=click.IntRange(min=1), help="Perturbed replays.")
@click.option(
    "--chaos", is_flag=True, help="Also SIGKILL and resume a worker at every step and inside activities."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for perturbations and chaos.")
@mode_option("strict", "Default strict: verify hunts values that change between replays.")
def verify_command(
    target: str, input_json: str | None, runs: int, chaos: bool, seed: int, mode: str
) -> None:
    """Run FILE:WORKFLOW once, then replay its history in perturbed processes."""
    from wfcheck.runtime.verify import verify

    workflow_input = _json_option(input_json, "--input")
    sys.exit(
        verify(
            _absolute_target(target),
            workflow_input,
            runs=runs,
            chaos=chaos,
            seed=seed,
            echo=click.echo,
            mode=mode,  # type: ignore[arg-type]
        )
    )


@replay.command("check")
@click.argument("target")
@click.option(
    "--history",
    "history_path",
    required=True,
    help="A recorded history file, or a folder of them (checked one by one).",
)
@click.option(
    "--mode",
    type=click.Choice(["engine", "strict"]),
    default="engine",
    show_default=True,
    help="engine: what the engine rejects on replay; strict: also inputs, timers and results.",
)
@click.option(
    "--output-format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
)
def check_command(target: str, history_path: str, mode: str, output_format: str) -> None:
    """Replay recorded histories against FILE_OR_MODULE:WORKFLOW (today's code).

    Reads wfcheck's export, durabletask's history export (JSON, gzipped JSONL), durabletask and
    Dapr HistoryEvent lists in protobuf JSON, and Temporal JSON histories (through temporalio's
    Replayer). Exit 0: every history replays; 1: a divergence; 2: usage or input error.
    """
    from wfcheck.runtime.replay_check import FORMATTERS, CheckUsageError, check_path, exit_code

    try:
        results = check_path(_absolute_target(target), history_path, mode)
    except CheckUsageError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - never a traceback for bad input
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
    click.echo(FORMATTERS[output_format](results))
    sys.exit(exit_code(results))
