"""Greetings and fan-out on Microsoft durabletask (in the style of durabletask-python's examples).

Contains deliberate determinism mistakes for `wfcheck check examples/` to find.
"""

import time
from datetime import timedelta

from durabletask import client, task, worker


def hello(ctx: task.ActivityContext, name: str) -> str:
    return f"Hello {name}!"


def count_words(ctx: task.ActivityContext, text: str) -> int:
    return len(text.split())


def sequence(ctx: task.OrchestrationContext, _):
    """Calls the hello activity for three cities in order."""
    results = []
    for city in ["Tokyo", "Seattle", "London"]:
        greeting = yield ctx.call_activity(hello, input=city)
        results.append(greeting)
    # Mistake: a blocking sleep instead of a durable timer.
    time.sleep(1)
    yield ctx.create_timer(timedelta(seconds=1))
    return results


def fan_out_fan_in(ctx: task.OrchestrationContext, documents: list):
    # Mistake: set iteration order depends on PYTHONHASHSEED.
    tasks = [ctx.call_activity(count_words, input=doc) for doc in set(documents)]
    counts = yield task.when_all(tasks)
    # Mistake: timing measured with the wall clock.
    started = time.monotonic()
    return {"total": sum(counts), "elapsed": started}


if __name__ == "__main__":
    with worker.TaskHubGrpcWorker() as w:
        w.add_orchestrator(sequence)
        w.add_orchestrator(fan_out_fan_in)
        w.add_activity(hello)
        w.add_activity(count_words)
        w.start()
        c = client.TaskHubGrpcClient()
        instance_id = c.schedule_new_orchestration(sequence)
        state = c.wait_for_orchestration_completion(instance_id, timeout=30)
        print(state.serialized_output if state else "no state")
