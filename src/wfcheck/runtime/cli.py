"""``wfcheck replay ...``: click commands only; the work happens in worker/verify/store.

Exit codes: 0 the instance completed or waits, 1 it failed or its replay diverged, 2 a usage
error, a store that cannot be used, or an instance another process is running (one line on
stderr, never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import click

from wfcheck.runtime.errors import InstanceLeasedError, StoreError, TargetError
from wfcheck.runtime.registry import absolute_target

DEFAULT_DB = ".wfcheck-replay.db"
EXIT_USAGE = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"wfcheck replay: error: {' '.join(message.split())}", err=True)
    sys.exit(EXIT_USAGE)


class _ReplayGroup(click.Group):
    """Turns every usage error, unusable store and held lease into one line and exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            _fail(exc.format_message())
        except (StoreError, InstanceLeasedError, TargetError) as exc:
            _fail(str(exc))


def _parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise click.BadParameter(f"{what} is nested too deeply") from None


def _json_option(value: str | None, what: str, file: str | None = None, file_what: str = "") -> Any:
    if value is not None and file is not None:
        raise click.UsageError(f"give {what} or {file_what}, not both")
    if file is not None:
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"cannot read {file_what} {file}: {exc}") from None
        return _parse_json(text, f"{file_what} {file}")
    if value is None:
        return None
    return _parse_json(value, what)


def _load(target: str):
    from wfcheck.runtime.registry import load_target_checked

    return load_target_checked(target)


def _open(db: str, *, create: bool = True):
    from wfcheck.runtime.store import open_store

    return open_store(db, create=create)


def _get(store: Any, instance: str, db: str) -> Any:
    from wfcheck.runtime.errors import InstanceNotFoundError

    try:
        return store.get(instance)
    except InstanceNotFoundError:
        raise click.UsageError(f"no instance {instance!r} in {db}") from None


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


def _finish(worker: Any, record: Any, max_steps: int) -> NoReturn:
    _print_state(record, worker.waiting_for(record.instance_id) if record.status == "running" else ())
    if worker.hit_step_limit:
        click.echo(f"stopped after {max_steps} steps (--max-steps); the instance can still make progress")
    sys.exit(_exit_for(record))


db_option = click.option(
    "--db",
    default=lambda: os.environ.get("WFCHECK_REPLAY_DB", DEFAULT_DB),
    show_default=DEFAULT_DB,
    help="SQLite history store (':memory:' for none).",
)


def activity_options(fn: Any) -> Any:
    fn = click.option(
        "--activity-timeout",
        default=60.0,
        show_default=True,
        type=click.FloatRange(min=0, min_open=True),
        help="Seconds one activity may run before it fails with TimeoutError.",
    )(fn)
    return click.option(
        "--max-concurrent-activities",
        default=16,
        show_default=True,
        type=click.IntRange(min=1),
        help="Activities that run at the same time.",
    )(fn)


def run_options(fn: Any) -> Any:
    """What every command that advances an instance takes."""
    for option in reversed(
        [
            click.option(
                "--real-time", is_flag=True, help="Wait for timers in real time (default: virtual clock)."
            ),
            click.option(
                "--fire-timers", is_flag=True, help="Fire timers even while waiting for an external event."
            ),
            click.option(
                "--sticky",
                is_flag=True,
                help="Keep the execution in memory between steps (no per-step check).",
            ),
            click.option(
                "--max-steps",
                default=10_000,
                show_default=True,
                type=click.IntRange(min=1),
                help="Stop after this many steps.",
            ),
        ]
    ):
        fn = option(fn)
    return activity_options(fn)


def mode_option(default: str, why: str):
    return click.option(
        "--mode",
        type=click.Choice(["engine", "strict"]),
        default=default,
        show_default=True,
        help="Divergence check: engine = what durabletask/Dapr reject (kind, name, order, versions,"
        f" patches); strict = also inputs and timer fire times. {why}",
    )


def _worker(registry: Any, store: Any, target: str, options: dict[str, Any]) -> Any:
    from wfcheck.runtime.worker import make_worker

    return make_worker(
        registry,
        store,
        real_time=options.get("real_time", False),
        target=target,
        sticky=options.get("sticky", False),
        activity_timeout=options["activity_timeout"],
        max_concurrent_activities=options["max_concurrent_activities"],
        mode=options["mode"],
    )


def _diverged(exc: Exception) -> NoReturn:
    click.echo(str(exc), err=True)
    sys.exit(1)


@click.group(cls=_ReplayGroup, context_settings={"help_option_names": ["-h", "--help"]})
def replay() -> None:
    """Run workflow code on wfcheck's reference replay runtime (executes user code)."""


@replay.command("run")
@click.argument("target")
@click.option("--input", "input_json", help="Workflow input as JSON.")
@click.option(
    "--input-file",
    type=click.Path(dir_okay=False),
    help="Read the workflow input (JSON) from a file ('-': stdin).",
)
@db_option
@click.option("--instance-id", help="Instance id (default: random).")
@run_options
@mode_option("strict", "Default strict: one code version runs the instance, so any difference is a bug.")
def run_command(
    target: str,
    input_json: str | None,
    input_file: str | None,
    db: str,
    instance_id: str | None,
    **options: Any,
) -> None:
    """Run FILE_OR_MODULE:WORKFLOW until it finishes or waits for an external event."""
    from wfcheck.runtime.errors import NonDeterminismError

    workflow_input = _json_option(input_json, "--input", input_file, "--input-file")
    target = absolute_target(target)
    registry, name = _load(target)
    worker = _worker(registry, _open(db), target, options)
    try:
        if instance_id and worker.store.find(instance_id) is not None:
            raise click.UsageError(f"instance {instance_id!r} already exists in {db}")
        new_id = worker.start(name, workflow_input, instance_id=instance_id)
        record = worker.run_until_idle(
            new_id, fire_timers_while_waiting=options["fire_timers"], max_steps=options["max_steps"]
        )
    except NonDeterminismError as exc:
        _diverged(exc)
    _finish(worker, record, options["max_steps"])


@replay.command("resume")
@click.argument("instance")
@db_option
@click.option("--target", help="FILE_OR_MODULE:WORKFLOW to run (default: the one recorded at the start).")
@run_options
@mode_option("engine", "Default engine: the instance may have been recorded by an earlier deployment.")
def resume_command(instance: str, db: str, target: str | None, **options: Any) -> None:
    """Continue INSTANCE from where its history ends (after a crash, a kill or --max-steps):
    run what is pending and record nothing else. A child workflow resumes through its root."""
    from wfcheck.runtime.errors import NonDeterminismError

    store = _open(db, create=False)
    record = _get(store, instance, db)
    while record.parent_id:
        record = _get(store, record.parent_id, db)
    if record.instance_id != instance:
        click.echo(f"{instance} is a child workflow: resuming its root {record.instance_id}")
    target = absolute_target(target) if target else record.target
    if not target:
        raise click.UsageError(
            f"instance {record.instance_id!r} has no recorded FILE_OR_MODULE:WORKFLOW; pass --target"
        )
    registry, _ = _load(target)
    worker = _worker(registry, store, target, options)
    try:
        record = worker.run_until_idle(
            record.instance_id,
            fire_timers_while_waiting=options["fire_timers"],
            max_steps=options["max_steps"],
        )
    except NonDeterminismError as exc:
        _diverged(exc)
    _finish(worker, record, options["max_steps"])


@replay.command("raise-event")
@click.argument("instance")
@click.argument("name")
@click.option("--data", "data_json", help="Event data as JSON.")
@click.option(
    "--data-file",
    type=click.Path(dir_okay=False),
    help="Read the event data (JSON) from a file ('-': stdin).",
)
@db_option
@click.option("--fire-timers", is_flag=True, help="Then also fire timers while waiting.")
@activity_options
@mode_option("engine", "Default engine: the instance may have been recorded by an earlier deployment.")
def raise_event_command(
    instance: str,
    name: str,
    data_json: str | None,
    data_file: str | None,
    db: str,
    fire_timers: bool,
    **options: Any,
) -> None:
    """Raise external event NAME on INSTANCE, then resume the instance."""
    from wfcheck.runtime.errors import NonDeterminismError

    data = _json_option(data_json, "--data", data_file, "--data-file")
    store = _open(db, create=False)
    record = _get(store, instance, db)
    store.enqueue_event(instance, name, data)
    click.echo(f"raised {name!r} on {instance}")
    if not record.target:
        return
    registry, _ = _load(record.target)
    worker = _worker(registry, store, record.target, options)
    root = record
    while root.parent_id:  # a child's event advances its parents too
        root = _get(store, root.parent_id, db)
    try:
        worker.run_until_idle(root.instance_id, fire_timers_while_waiting=fire_timers)
        record = store.get(instance)
    except InstanceLeasedError as exc:
        click.echo(f"pid {exc.pid} on {exc.host} is running {exc.instance_id} and will deliver the event")
        return
    except NonDeterminismError as exc:
        _diverged(exc)
    _finish(worker, record, 100_000)


@replay.command("status")
@click.argument("instance", required=False)
@db_option
def status_command(instance: str | None, db: str) -> None:
    """Show one instance, or all instances in the store."""
    store = _open(db, create=False)
    if instance:
        _print_state(_get(store, instance, db))
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
    store = _open(db, create=False)
    _get(store, instance, db)
    document = store.export_json(instance)
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
@click.option(
    "--input-file",
    type=click.Path(dir_okay=False),
    help="Read the workflow input (JSON) from a file ('-': stdin).",
)
@click.option("--runs", default=5, show_default=True, type=click.IntRange(min=1), help="Perturbed replays.")
@click.option(
    "--chaos", is_flag=True, help="Also SIGKILL and resume a worker at every step and inside activities."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for perturbations and chaos.")
@click.option(
    "--activity-timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds one activity may run before it fails with TimeoutError.",
)
@mode_option("strict", "Default strict: verify hunts values that change between replays.")
def verify_command(
    target: str,
    input_json: str | None,
    input_file: str | None,
    runs: int,
    chaos: bool,
    seed: int,
    activity_timeout: float,
    mode: str,
) -> None:
    """Run FILE:WORKFLOW once, then replay its history in perturbed processes."""
    from wfcheck.runtime.verify import verify

    workflow_input = _json_option(input_json, "--input", input_file, "--input-file")
    target = absolute_target(target)
    _load(target)  # a usage error here is one line, before anything runs
    sys.exit(
        verify(
            target,
            workflow_input,
            runs=runs,
            chaos=chaos,
            seed=seed,
            echo=click.echo,
            activity_timeout=activity_timeout,
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
        results = check_path(absolute_target(target), history_path, mode)
    except CheckUsageError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - never a traceback for bad input
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
    click.echo(FORMATTERS[output_format](results))
    sys.exit(exit_code(results))
