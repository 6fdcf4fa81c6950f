"""A custom DataConverter given to the worker and the client."""

import json
import os
from dataclasses import dataclass
from typing import Any

from durabletask import client, task, worker
from durabletask.serialization import DataConverter, JsonDataConverter


@dataclass
class Money:
    cents: int


class MoneyConverter(DataConverter):
    """Writes Money as a string "<cents>c"; everything else as the SDK's default JSON."""

    def __init__(self) -> None:
        self._fallback = JsonDataConverter()

    def serialize(self, value: Any) -> str | None:
        if isinstance(value, Money):
            return json.dumps(f"{value.cents}c")
        return self._fallback.serialize(value)

    def deserialize(self, data: str | None, target_type: type | None = None) -> Any:
        if data and target_type is Money:
            return Money(int(json.loads(data)[:-1]))
        return self._fallback.deserialize(data, target_type)

    def coerce(self, value: Any, target_type: type | None = None) -> Any:
        if target_type is Money and isinstance(value, str):
            return Money(int(value[:-1]))
        return self._fallback.coerce(value, target_type)

    def can_reconstruct(self, target_type: Any) -> bool:
        return target_type is Money or self._fallback.can_reconstruct(target_type)


def add_tax(_: task.ActivityContext, amount: Money) -> Money:
    return Money(amount.cents + amount.cents // 10)


def checkout(ctx: task.OrchestrationContext, amount: Money):
    taxed = yield ctx.call_activity(add_tax, input=amount)
    return taxed


converter = MoneyConverter()
host = os.getenv("DURABLETASK_HOST", "localhost:4001")
with worker.TaskHubGrpcWorker(host_address=host, data_converter=converter) as w:
    w.add_orchestrator(checkout)
    w.add_activity(add_tax)
    w.start()
    c = client.TaskHubGrpcClient(host_address=host, data_converter=converter)
    instance_id = c.schedule_new_orchestration(checkout, input=Money(1000))
    state = c.wait_for_orchestration_completion(instance_id, timeout=30)
    print(f"result: {state.serialized_output}")
