"""Payment workflow on Temporal.

Contains deliberate determinism mistakes for `wfcheck check examples/` to find.
"""

import asyncio
import random
import uuid
from datetime import datetime, timedelta

import requests
from temporalio import activity, workflow


@activity.defn
async def charge_card(payment: dict) -> str:
    # Activities may do I/O and use randomness.
    response = requests.post("https://payments.example.com/charge", json=payment, timeout=10)
    return response.json()["id"]


@activity.defn
async def send_receipt(payment_id: str) -> None:
    print(f"receipt for {payment_id} sent at {datetime.now()}")


@workflow.defn(name="payment")
class PaymentWorkflow:
    def __init__(self) -> None:
        self.cancelled = False

    @workflow.run
    async def run(self, payment: dict) -> str:
        # Mistake: a random idempotency key differs on every replay.
        payment["idempotency_key"] = str(uuid.uuid4())
        # Mistake: random jitter computed outside workflow.random().
        await asyncio.sleep(random.uniform(0, 2))
        # Mistake: fetching the exchange rate from workflow code.
        rate = requests.get("https://rates.example.com/eur").json()["rate"]
        payment["amount_eur"] = payment["amount"] * rate
        payment_id = await workflow.execute_activity(
            charge_card, payment, start_to_close_timeout=timedelta(seconds=30)
        )
        # Mistake: the receipt activity is never awaited.
        workflow.execute_activity(send_receipt, payment_id, start_to_close_timeout=timedelta(seconds=30))
        return payment_id

    @workflow.signal
    def cancel(self) -> None:
        self.cancelled = True

    @workflow.query
    def started_at(self) -> str:
        return workflow.now().isoformat()
