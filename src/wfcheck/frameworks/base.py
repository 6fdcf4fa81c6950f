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
class FrameworkSpec:
    name: str
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
    # Methods on the context object that return a durable task which must be yielded.
    task_methods: frozenset[str] = frozenset()
    # Module functions that return a durable task (`when_all`) which must be yielded.
    task_functions: frozenset[str] = frozenset()
    # Coroutine functions that must be awaited (Temporal).
    awaitable_functions: frozenset[str] = frozenset()
    # -- what the autofixes write (templates; `{ctx}` is the workflow's context parameter,
    # `{timedelta}`, `{workflow}`, `{uuid}` the names the fix imports or reuses) -------------
    # The keyword that waits for a durable task: `yield` or `await`.
    wait_keyword: str = "yield"
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
    # How a generated activity is registered: "runtime-decorator" (Dapr), "worker-call"
    # (durabletask add_activity), "app-decorator" (Azure v2), "activity-decorator" (Temporal).
    activity_registration: str | None = None
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

    def marks_module(self, imported: str) -> bool:
        return any(imported == p or imported.startswith(p + ".") for p in self.packages)
