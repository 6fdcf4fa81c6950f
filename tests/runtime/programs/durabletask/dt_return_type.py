"""Activities called by name with return_type=; registered only on the worker."""

import os
from dataclasses import dataclass

from durabletask import client, task, worker


@dataclass
class Quote:
    symbol: str
    price: float


def quote(_: task.ActivityContext, symbol: str):
    return Quote(symbol=symbol, price=float(len(symbol) * 10))


def portfolio(ctx: task.OrchestrationContext, symbols: list):
    quotes = []
    for symbol in symbols:
        q = yield ctx.call_activity("quote", input=symbol, return_type=Quote)
        quotes.append(f"{q.symbol}={q.price}")
    return quotes


host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host) as w:
    w.add_orchestrator(portfolio)
    w.add_activity(quote)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host)
    instance_id = c.schedule_new_orchestration("portfolio", input=["AB", "XYZ"])
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
