"""create_replay_safe_logger: each log line is written once, however often the code replays."""

import logging
import os

from durabletask import client, task, worker

records: list = []


class Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        records.append(record.getMessage())


logger = logging.getLogger("dt_replay_safe_logger")
logger.addHandler(Collect())
logger.setLevel(logging.INFO)
logger.propagate = False


def step(_: task.ActivityContext, n: int) -> int:
    return n + 1


def logged(ctx: task.OrchestrationContext, n: int):
    log = ctx.create_replay_safe_logger(logger)
    log.info("start %s", n)
    for _ in range(3):
        n = yield ctx.call_activity(step, input=n)
        log.info("now %s", n)
    ctx.set_custom_status({"logged": len(records)})
    return {"value": n, "lines": list(records)}


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(logged)
    w.add_activity(step)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration(logged, input=1)
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
records.clear()
