"""Function chaining on the Azure Functions v2 programming model (``df.DFApp``): an HTTP
starter, an orchestrator that passes each activity's result to the next, and activities
registered with ``@app.activity_trigger`` and called by name."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orchestrators/{functionName}")
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client):
    function_name = req.route_params.get("functionName")
    instance_id = await client.start_new(function_name, client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def chain_orders(context: df.DurableOrchestrationContext):
    order = context.get_input()
    priced = yield context.call_activity("price_order", order)
    taxed = yield context.call_activity("add_tax", priced)
    receipt = yield context.call_activity("format_receipt", taxed)
    return receipt


@app.activity_trigger(input_name="order")
def price_order(order: dict) -> int:
    return order["quantity"] * order["unit_cents"]


@app.function_name("add_tax")
@app.activity_trigger(input_name="cents")
def add_sales_tax(cents: int) -> int:
    return cents + cents // 10


@app.activity_trigger(input_name="cents")
async def format_receipt(cents: int) -> str:
    return f"total {cents // 100}.{cents % 100:02d}"
