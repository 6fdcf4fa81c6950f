"""Python workflows making the same commands as the Go and Java workflows whose histories
Temporal's features repository keeps (activity/retry_on_error, telemetry/metrics), and changed
variants of them. The histories are read from ../shared/histories/temporal, never copied."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

RETRIES = RetryPolicy(initial_interval=timedelta(milliseconds=1), maximum_attempts=5)


@workflow.defn(name="Workflow")
class RetryOnError:
    """Go's feature workflow: one activity that always fails, retried five times."""

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            "AlwaysFailActivity", schedule_to_close_timeout=timedelta(minutes=1), retry_policy=RETRIES
        )


@workflow.defn(name="SimpleWorkflow")
class RetryOnErrorJava:
    """Java's version of the same feature."""

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            "AlwaysFail", schedule_to_close_timeout=timedelta(minutes=1), retry_policy=RETRIES
        )


@workflow.defn(name="Workflow")
class Metrics:
    """telemetry/metrics: two activities, the second joining the first's result."""

    @workflow.run
    async def run(self) -> str:
        first = await workflow.execute_activity(
            "CommaJoin", ["foo", "bar"], start_to_close_timeout=timedelta(minutes=1)
        )
        return await workflow.execute_activity(
            "CommaJoin", [first, "baz"], start_to_close_timeout=timedelta(minutes=1)
        )


@workflow.defn(name="Workflow")
class MetricsTimerFirst:
    """A timer inserted before the first activity."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(seconds=5))
        first = await workflow.execute_activity(
            "CommaJoin", ["foo", "bar"], start_to_close_timeout=timedelta(minutes=1)
        )
        return await workflow.execute_activity(
            "CommaJoin", [first, "baz"], start_to_close_timeout=timedelta(minutes=1)
        )


@workflow.defn(name="Workflow")
class MetricsDropped:
    """The second activity removed: the workflow now ends where history scheduled it."""

    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            "CommaJoin", ["foo", "bar"], start_to_close_timeout=timedelta(minutes=1)
        )


@workflow.defn(name="Workflow")
class MetricsRenamed:
    """The second activity renamed."""

    @workflow.run
    async def run(self) -> str:
        first = await workflow.execute_activity(
            "CommaJoin", ["foo", "bar"], start_to_close_timeout=timedelta(minutes=1)
        )
        return await workflow.execute_activity(
            "Concatenate", [first, "baz"], start_to_close_timeout=timedelta(minutes=1)
        )


@workflow.defn(name="Workflow")
class MetricsInput:
    """The first activity called with another input."""

    @workflow.run
    async def run(self) -> str:
        first = await workflow.execute_activity(
            "CommaJoin", ["foo", "qux"], start_to_close_timeout=timedelta(minutes=1)
        )
        return await workflow.execute_activity(
            "CommaJoin", [first, "baz"], start_to_close_timeout=timedelta(minutes=1)
        )


@workflow.defn(name="Workflow")
class MetricsPatched:
    """The timer of MetricsTimerFirst, behind workflow.patched: old histories keep the old path."""

    @workflow.run
    async def run(self) -> str:
        if workflow.patched("wait-before-join"):
            await workflow.sleep(timedelta(seconds=5))
        first = await workflow.execute_activity(
            "CommaJoin", ["foo", "bar"], start_to_close_timeout=timedelta(minutes=1)
        )
        return await workflow.execute_activity(
            "CommaJoin", [first, "baz"], start_to_close_timeout=timedelta(minutes=1)
        )
