"""Report generation on Azure Durable Functions, Python v2 programming model.

Contains deliberate determinism mistakes for `wfcheck check examples/` to find.
"""

import json
import random
from datetime import date

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.route(route="orchestrators/{functionName}")
@myApp.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client):
    function_name = req.route_params.get("functionName")
    instance_id = await client.start_new(function_name)
    return client.create_check_status_response(req, instance_id)


@myApp.orchestration_trigger(context_name="context")
def report_orchestrator(context: df.DurableOrchestrationContext):
    regions = context.get_input() or ["emea", "apac", "amer"]
    # Mistake: "today" depends on when (and where) the replay runs.
    report_day = date.today().isoformat()
    # Mistake: a random sample is drawn again on every replay.
    sample = random.sample(regions, k=min(2, len(regions)))
    # Mistake: reading a file in the orchestrator.
    with open("report_template.json") as fh:
        template = json.load(fh)
    parts = yield context.task_all(
        [context.call_activity("build_section", {"region": r, "day": report_day}) for r in sample]
    )
    return {"template": template, "parts": parts}


@myApp.activity_trigger(input_name="section")
def build_section(section: dict) -> str:
    # Activities may do anything.
    with open("report_template.json") as fh:
        return f"{section['region']}@{section['day']}: {len(fh.read())} bytes of template"
