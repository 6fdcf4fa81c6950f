"""What a workflow engine looks like to the analysis: its markers, as data.

Each engine module describes, with qualified names, how it marks workflow code and activities,
its context types, the calls that create durable tasks, and what it can do replay-safely. The
generic detector in :mod:`wfcheck.analysis.workflows` reads these specs; nothing outside this
package names an engine's API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Registration:
    """A call that registers a function: which argument carries it."""

    position: int
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivityRegistration:
    """How the fixes register a generated activity with the engine. A configured in-house
    activity decorator comes first; then ``module_decorator`` alone, or else the
    workflow's own registration is followed: ``receiver_decorator`` when the workflow is
    decorated, else ``statement`` after the call that registers it."""

    # A decorator from an engine module (`{activity}` a key of `FrameworkSpec.modules`).
    module_decorator: str | None = None
    # A decorator on the object whose decorator marks the workflow (`@wfr.workflow` ->
    # `@wfr.activity(...)`); `{receiver}` is that object, `{fn}` the activity's name and
    # `{param}` its input parameter.
    receiver_decorator: str | None = None
    # The methods that register a workflow by a call (`worker.add_orchestrator(fn)`), and the
    # statement written after that call; `{receiver}` is the call's object.
    workflow_methods: tuple[str, ...] = ()
    statement: str | None = None
    # The input parameter of a generated activity that takes no input ("": none).
    empty_param: str = "_input"
    # What the user must still do by hand (it makes the fix unsafe), with the engine's own
    # decorator and with an in-house one.
    note: str = ""
    house_note: str = ""

    @property
    def through_workflow(self) -> bool:
        """Is the activity registered on the object that registers the workflow (which a
        module-level activity must be able to reach)?"""
        return self.module_decorator is None


@dataclass(frozen=True)
class FrameworkSpec:
    name: str
    # The engine's name in prose (documentation, help).
    title: str
    # Top-level import prefixes that mark a module as using the engine.
    packages: tuple[str, ...]
    # Bytes any file importing the engine must contain (the prefilter's markers).
    markers: tuple[bytes, ...]
    # Generator-driven engines (yield tasks) versus coroutine-driven ones (Temporal).
    generator_based: bool
    # Qualified decorators (resolved through imports and instance types) marking workflows and
    # activities. For instance decorators the qualified name is `<class>.<method>`.
    workflow_decorators: frozenset[str] = frozenset()
    activity_decorators: frozenset[str] = frozenset()
    # Decorator methods recognised on a receiver that cannot be resolved (a runtime imported
    # from another module) when the module imports the engine.
    lenient_workflow_decorator_methods: frozenset[str] = frozenset()
    lenient_activity_decorator_methods: frozenset[str] = frozenset()
    # The decorator keyword that names the context parameter (Azure's `context_name`).
    context_name_keyword: str | None = None
    # Class decorators whose every method is workflow code (Temporal).
    workflow_class_decorators: frozenset[str] = frozenset()
    # Registration calls: qualified callable -> where the function argument is.
    workflow_registrations: Mapping[str, Registration] = field(default_factory=dict)
    activity_registrations: Mapping[str, Registration] = field(default_factory=dict)
    # Registration methods recognised on unresolved receivers when the module imports the engine.
    lenient_workflow_registrations: Mapping[str, Registration] = field(default_factory=dict)
    lenient_activity_registrations: Mapping[str, Registration] = field(default_factory=dict)
    # Annotation types of a workflow's / activity's first parameter.
    workflow_context_types: frozenset[str] = frozenset()
    activity_context_types: frozenset[str] = frozenset()
    # The task shapes: calls that create a durable task (or command) the workflow must wait
    # for with `wait_keyword` (`yield` or `await`). Methods of the workflow's context
    # parameter (`ctx.call_activity`), by name...
    task_methods: frozenset[str] = frozenset()
    # ...and qualified module functions and methods (`when_all`, Temporal's
    # `workflow.execute_activity`, `ExternalWorkflowHandle.signal`).
    task_functions: frozenset[str] = frozenset()
    # -- what the autofixes write (templates; `{ctx}` is the workflow's context parameter,
    # `{timedelta}`, `{workflow}`, `{uuid}` the names the fix imports or reuses) -------------
    # The keyword that waits for a durable task: `yield` or `await`.
    wait_keyword: str = "yield"
    # The engine modules the templates name (`{workflow}` -> `temporalio.workflow`), imported
    # as submodules when the file lacks them.
    modules: Mapping[str, str] = field(default_factory=dict)
    # The orchestration's current time, and whether it is timezone-aware (UTC) or naive UTC.
    now_template: str | None = None
    now_is_aware: bool = False
    # A replay-safe `uuid.UUID`.
    uuid_template: str | None = None
    # A replay-safe `random.Random`-like generator.
    random_template: str | None = None
    # A durable wait for `{seconds}` seconds, as a statement.
    sleep_template: str | None = None
    # Replay-safe counterparts of asyncio functions (`asyncio.wait` -> `workflow.wait`).
    asyncio_replacements: Mapping[str, str] = field(default_factory=dict)
    # Calling a generated activity `{fn}` with `{input}` (an expression) and waiting for it.
    activity_call_template: str | None = None
    # How a generated activity is declared: its parameters before the input.
    activity_leading_params: tuple[str, ...] = ()
    # How a generated activity is registered.
    activity_registration: ActivityRegistration | None = None
    # -- import hygiene (Temporal's sandbox re-imports a workflow file's modules per run) -----
    # The block that passes imports through the sandbox, as a `with` statement header, and
    # the qualified call that opens it (to find an existing block).
    passthrough_block_template: str | None = None
    passthrough_call: str | None = None
    # The workflow module's own modules, passed through by the engine itself.
    passthrough_modules: tuple[str, ...] = ()
    # The workflow class decorator keyword that turns the sandbox off for that workflow
    # (`sandboxed=False`), and the worker runners that run workflows without a sandbox: a
    # file whose every workflow opts out, or that runs them with such a runner, has no
    # sandbox imports to judge.
    sandbox_opt_out_keyword: str | None = None
    unsandboxed_runners: frozenset[str] = frozenset()
    # The engine's patch check (`{id}` the quoted patch id), which is false while an instance
    # replays a history recorded without the patch; None: the engine has no patch API.
    patch_template: str | None = None
    # What tells whether the engine is replaying, as an attribute or method name
    # (`ctx.is_replaying`, Temporal's `workflow.unsafe.is_replaying()`).
    replay_flags: tuple[str, ...] = ()
    # Calls that tell whether code runs inside a workflow at all: the other branch of
    # `if workflow.in_workflow():` never runs as workflow code.
    in_workflow_checks: frozenset[str] = frozenset()
    # What to do before the old branch of a patch check is removed, when the engine wants
    # a step in between.
    patch_removal_step: str | None = None
    # Decorators of workflow-class methods that only answer queries: not replayed, so they
    # cannot wait for anything.
    query_decorators: frozenset[str] = frozenset()

    def patch_example(self, patch_id: str = '"..."', ctx: str = "ctx") -> str | None:
        """The patch check as a reader sees it (`ctx.is_patched("...")`); None: the engine
        has no patch API."""
        if self.patch_template is None:
            return None
        return self.patch_template.format(ctx=ctx, id=patch_id, **{m: m for m in self.modules})

    @property
    def patch_check(self) -> str | None:
        """The name of the patch check (`is_patched`), false while an instance replays a
        history recorded before the patch."""
        if self.patch_template is None:
            return None
        return self.patch_template.partition("(")[0].rpartition(".")[2]

    def marks_module(self, imported: str) -> bool:
        return any(imported == p or imported.startswith(p + ".") for p in self.packages)
