"""Task chaining (Dapr style: a WorkflowRuntime, decorators, a main() that starts it): a parcel's
weight is normalised, priced and rounded, each activity feeding the next; a failure is logged
by a compensating activity and re-raised."""

import dapr.ext.workflow as wf

wfr = wf.WorkflowRuntime()


@wfr.workflow(name="chaining")
def parcel_pricing(ctx: wf.DaprWorkflowContext, grams: int):
    try:
        kilos = yield ctx.call_activity(to_kilos, input=grams)
        price = yield ctx.call_activity(price_for, input=kilos)
        rounded = yield ctx.call_activity(round_up, input=price)
    except Exception as failure:
        yield ctx.call_activity(log_failure, input=str(failure))
        raise
    return {"kilos": kilos, "price": price, "charged": rounded}


@wfr.activity(name="to_kilos")
def to_kilos(ctx, grams):
    return grams / 1000


@wfr.activity(name="price")
def price_for(ctx, kilos):
    return 4.5 + 12 * kilos


@wfr.activity
def round_up(ctx, price):
    return -(-int(price * 100) // 50) * 50 / 100


@wfr.activity
def log_failure(ctx, message):
    print(f"pricing failed: {message}")


def main():
    wfr.start()
    client = wf.DaprWorkflowClient()
    instance_id = client.schedule_new_workflow(workflow=parcel_pricing, input=42)
    state = client.wait_for_workflow_completion(instance_id)
    print(f"{state.runtime_status}: {state.serialized_output}")
    wfr.shutdown()


if __name__ == "__main__":
    main()
