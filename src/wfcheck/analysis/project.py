"""The project: its modules, their facts (computed once per run), and what each project
function does when workflow code calls it.

What a function does is computed once per run, whatever engine calls it: its *effects*
(:class:`Summary`), typed reasons (code, API, position, the engines each applies to) and
the project functions it calls (:class:`Edge`, by a stable :class:`FunctionRef`, with the
engines under which the call is made). Which engine's rules apply is decided when a chain is
built for a workflow (:meth:`ProjectIndex.chain`): breadth first over the edges that apply
to its engine, so the reason reported is the shortest chain (``make_label() -> _timestamp()
-> datetime.datetime.now()``). Temporal's workflowcheck keeps *what is non-deterministic*
apart from *what is a workflow* the same way. Cycles and recursion end because each function
is visited once per search. Code outside the project roots (site-packages, the standard
library) is never followed: the catalog covers known APIs there.

Summaries, reasons, edges and chains hold no syntax nodes: a function is named by its
module's file, module name and shown path, its qualified name and where it is defined.
Only :class:`Target` (a function about to be summarised) and :class:`ModuleFacts` hold trees.
Between checked files, a helper module beyond the :data:`HELPERS_KEPT` most recently used
keeps only a :class:`ModuleStub` (its functions are summarised and located first), so what a
run keeps grows with the number of functions, not with the size of the modules' trees.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import tokenize
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from functools import cached_property
from pathlib import Path
from typing import (
    Callable,
    Optional,
    TypeVar,
    Union,
)

import libcst as cst

from wfcheck.analysis.positions import Parents, Positions, parent_map, statement_lines
from wfcheck.analysis.scopes import Resolver, Scope, absolute_name, dotted_name, imported_modules
from wfcheck.analysis.workflows import ModuleIndex, WorkflowFinder, WorkflowUnit
from wfcheck.checks.state import module_mutables
from wfcheck.diagnostics import SLOTS
from wfcheck.discovery import find_project_roots, real_path
from wfcheck.frameworks import NO_ENGINE, FrameworkSpec
from wfcheck.source import SourceError, content_digest, parse_source
from wfcheck.suppression import DIRECTIVE, comments_by_line, parse_line_suppression, suppresses

_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TRUSTED = re.compile(r"#\s*wfcheck:\s*trusted\b")
# Helper modules whose facts (tree, scopes, index) are kept from one checked file to the
# next, the most recently used: the others keep a stub (:class:`ModuleStub`), so memory does
# not grow with the number of helper modules a project has.
HELPERS_KEPT = 64
# Codes a helper can carry to its callers (WF1xx-WF5xx: what it does, not how it is shaped).
TRANSITIVE_CODES = re.compile(r"^WF[1-5][0-9]{2}$")


def parse_with_lines(data: bytes) -> tuple[str, cst.Module, dict[cst.CSTNode, int] | None]:
    """Decode and parse (:func:`~wfcheck.source.parse_source`); with the line each statement
    starts on where the parse made a stdlib tree (the tree itself is let go here)."""
    text, module, tree = parse_source(data)
    return text, module, statement_lines(module, tree)


class ModuleFacts:
    """Everything derived from one parsed module, computed once."""

    def __init__(
        self,
        path: str,
        name: str,
        is_package: bool,
        text: str,
        module: cst.Module,
        returns: dict[str, str] | None = None,
        origin_of: Callable[[str], str | None] | None = None,
        *,
        specs: Sequence[FrameworkSpec],
        lines: dict[cst.CSTNode, int] | None = None,
    ):
        """``lines``: the line each statement starts on, where the parse gave them
        (:func:`~wfcheck.analysis.positions.statement_lines`)."""
        self.path = path
        self.is_package = is_package
        real = real_path(path)
        self.directory = real.parent
        # The real path: with the module name and the shown path, what names the module in
        # a FunctionRef.
        self.file = str(real)
        self.name = name
        self.text = text
        self.module = module
        self.index = ModuleIndex(module, text)
        scope = self.index.module_scope
        scope.module_name = name
        scope.package = name if is_package else name.rpartition(".")[0]
        self.resolver = Resolver(returns)
        self.units, self.activities = WorkflowFinder(
            self.index, self.resolver, origin_of, specs=specs
        ).find()
        self.unit_nodes = frozenset(id(u.node) for u in self.units)
        self.mutables = module_mutables(scope, self.resolver.expr)
        self._positions: Positions | None = None
        # Kept when the positions are shed: they would need a parse again.
        self._statement_lines = lines
        self._parents: Parents | None = None
        self._comments: dict[int, str] | None = None
        self._words: frozenset[str] | None = None
        self._may_trust: bool | None = None
        # Read by a helper look-up: kept for the run (a checked file's own facts are not).
        self.helper = False
        self._numbers: dict[int, int] | None = None
        # The places (in ``index.functions``) of the `def`s summarised so far, and of those
        # that can be: what says when the parent map is needed no more (:meth:`shed`).
        self.summarised: set[int] = set()
        self._summarisable: frozenset[int] | None = None
        # A lambda's place (`<line>:<column>`) by id of its node, once located: naming it
        # again needs no position.
        self.lambda_places: dict[int, str] = {}

    @property
    def words(self) -> frozenset[str]:
        """Every identifier-like word of the text, in any scope or string: what a generated
        definition's name must not be (computed on first use)."""
        if self._words is None:
            self._words = frozenset(_WORDS.findall(self.text))
        return self._words

    @property
    def top_imports(self) -> tuple[str, ...]:
        """The modules its top-level import statements may import, in order
        (:func:`~wfcheck.analysis.scopes.imported_modules`)."""
        package = self.index.module_scope.package
        return tuple(
            name
            for statement in self.module.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
            for name in imported_modules(small, package)
        )

    @property
    def may_trust(self) -> bool:
        """Can any line of the module carry `# wfcheck: trusted`? (A text search, so most
        modules need no comment table to answer.)"""
        if self._may_trust is None:
            self._may_trust = _TRUSTED.search(self.text) is not None
        return self._may_trust

    @property
    def positions(self) -> Positions:
        if self._positions is None:
            self._positions = Positions(
                self.module, lambda: self.parents, self.text, self._statement_lines
            )
        return self._positions

    @property
    def definition_numbers(self) -> dict[int, int]:
        """id(`def` node) -> its place in the index's list of the module's `def`s."""
        if self._numbers is None:
            self._numbers = {id(d.node): n for n, d in enumerate(self.index.functions)}
        return self._numbers

    @property
    def parents(self) -> Parents:
        """Each node's parent (computed on first use)."""
        if self._parents is None:
            self._parents = parent_map(self.module)
        return self._parents

    @property
    def comments(self) -> dict[int, str]:
        """The module's comments by line. Only comments naming `noqa` or `wfcheck` mean
        anything to a check, so a module whose text has neither word is not tokenised."""
        if self._comments is None:
            self._comments = (
                comments_by_line(self.text) if DIRECTIVE.search(self.text) is not None else {}
            )
        return self._comments

    def shed(self) -> None:
        """Forget the positions (computed again, per statement, on first use): a helper
        module's facts are kept for the run, and the positions of a module whose every
        function was located weigh about twice its tree. The parent map stays while a `def`
        of the module may still be summarised (summarising reads it, and building it again
        per file cost more CPU than its memory was worth); once every `def` outside
        workflow code has been, it goes too (about a third of the tree's weight; a position
        asked later builds it again, no parse)."""
        self._positions = None
        if self._parents is not None and self.all_summarised:
            self._parents = None

    @property
    def summarisable(self) -> frozenset[int]:
        """The places of the `def`s a summary can be asked of: those outside workflow code."""
        if self._summarisable is None:
            self._summarisable = frozenset(
                n
                for n, d in enumerate(self.index.functions)
                if not self.in_workflow(d.parent_scope, d.node)
            )
        return self._summarisable

    @property
    def all_summarised(self) -> bool:
        """Has every `def` a summary can be asked of been summarised?"""
        return self.summarisable <= self.summarised

    def line_suppresses(self, line: int, code: str) -> bool:
        comment = self.comments.get(line)
        return comment is not None and suppresses(parse_line_suppression(comment), code)

    def in_workflow(self, scope: Scope | None, node: cst.CSTNode) -> bool:
        """Is ``node`` a workflow unit or defined inside one?"""
        if id(node) in self.unit_nodes:
            return True
        while scope is not None:
            if id(scope.node) in self.unit_nodes:
                return True
            scope = scope.parent
        return False


# Engine names (`dapr`, `durabletask`, `azure`, `temporal`).
Engines = frozenset[str]


@dataclass(frozen=True, **SLOTS)
class FunctionRef:
    """A project function by name, without its syntax tree: the module's file (real path),
    the module name it was loaded as and the path it is shown as, the function's qualified
    name, and its place in the module: ``#<n>`` for the module's n-th `def` (in the order
    its index lists them), ``<line>:<column>`` for a lambda. Where a function is defined is
    asked of the index (:meth:`ProjectIndex.location`): finding it costs a position."""

    file: str
    module: str
    path: str
    qualname: str
    place: str


@dataclass(frozen=True)
class Target:
    """A project function a call reaches: a `def`, or a lambda bound to a name."""

    facts: ModuleFacts
    node: cst.FunctionDef | cst.Lambda
    qualname: str
    parent_scope: Scope

    @property
    def key(self) -> int:
        return id(self.node)

    @cached_property
    def ref(self) -> FunctionRef:
        facts = self.facts
        number = facts.definition_numbers.get(id(self.node))
        if number is not None:
            place = f"#{number}"
        else:  # a lambda
            place = facts.lambda_places.get(id(self.node), "")
            if not place:
                start = facts.positions[self.node].start
                place = facts.lambda_places[id(self.node)] = f"{start.line}:{start.column + 1}"
        # Interned: the index keeps references by the thousand (summaries, chains, lines,
        # stubs), and the same function's, made again from another look-up, share its texts.
        return FunctionRef(*map(sys.intern, (facts.file, facts.name, facts.path, self.qualname, place)))

    @property
    def is_activity(self) -> bool:
        return id(self.node) in self.facts.activities

    @property
    def in_workflow(self) -> bool:
        """Is it workflow code (a unit, or defined inside one)?"""
        return self.facts.in_workflow(self.parent_scope, self.node)

    @property
    def is_property(self) -> bool:
        """A `@property` (or `cached_property`) getter: reading the attribute runs it."""
        return is_property(self.node)

    @property
    def node_name(self) -> str:
        """The `def`'s name (a lambda has none)."""
        return self.node.name.value if isinstance(self.node, cst.FunctionDef) else ""

    def stub(self) -> StubTarget:
        """What a caller asks of it, without its tree."""
        return StubTarget(
            self.ref, self.node_name, self.in_workflow, self.is_activity, self.is_property
        )


@dataclass(frozen=True, **SLOTS)
class StubTarget:
    """A module-level `def` of a helper module whose tree was let go (:class:`ModuleStub`):
    what workflow code asks of a function it calls. Its summary and chains go by ``ref``;
    anything that needs the function's tree gets it from :meth:`ProjectIndex.hydrate`."""

    ref: FunctionRef
    node_name: str
    in_workflow: bool
    is_activity: bool
    is_property: bool

    @property
    def qualname(self) -> str:
        return self.ref.qualname


# What a call in workflow code can reach: a function with its tree, or a stub's.
Callee = Union[Target, StubTarget]

# What a qualified name is defined as: in a module's facts, the def, class, lambda or
# `functools.partial(...)` call it names, with the attribute names after it; in a stub, the
# function.
_Definition = Union[
    tuple[ModuleFacts, Union[cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Call], list[str]],
    StubTarget,
]
# A stub's answer when only the module's tree has it.
_PARSE = object()

# A module-level name's binding in a stub: its kind, its import target, what it binds
# (`def`, `class`, `value` for a lambda or a call, else ""), and the def's stub target.
StubBinding = tuple[str, str, str, Optional[StubTarget]]


@dataclass(frozen=True)
class ModuleStub:
    """What look-ups need of a helper module once its facts are let go: its module-level
    names (re-exports followed, functions answered without a tree), its star imports and
    where it is. A look-up that needs more (a class, a lambda, a value) parses it again."""

    directory: Path
    package: str
    star_modules: tuple[str, ...]
    bindings: dict[str, tuple[StubBinding, ...]]
    top_imports: tuple[str, ...]
    # hash() of the text it was made from: a checked file with the same text takes over.
    text_hash: int

    @classmethod
    def of(cls, facts: ModuleFacts) -> ModuleStub:
        scope = facts.index.module_scope
        numbers = facts.definition_numbers

        def shape(node: cst.CSTNode | None) -> tuple[str, StubTarget | None]:
            kind = type(node)
            if kind is cst.FunctionDef:
                number = numbers.get(id(node))
                return "def", None if number is None else _def_target(facts, number).stub()
            if kind is cst.ClassDef:
                return "class", None
            return ("value" if kind is cst.Lambda or kind is cst.Call else ""), None

        bindings = {
            name: tuple((b.kind, b.target, *shape(b.node)) for b in entries)
            for name, entries in scope.bindings.items()
        }
        return cls(
            facts.directory,
            scope.package,
            tuple(scope.star_modules),
            bindings,
            facts.top_imports,
            hash(facts.text),
        )


@dataclass(frozen=True, **SLOTS)
class Reason:
    """Something a function does itself that a WF1xx-WF5xx rule flags, under ``engines``
    (an API may be banned for one engine and replay-safe for another: `asyncio.sleep` is a
    durable timer in Temporal). ``guard`` says what the code runs under when that matters:
    ``"not-replaying"`` inside `if not ctx.is_replaying:` (runs once, not on replays); it is
    recorded, not yet used to drop a reason."""

    code: str
    api: str
    path: str
    line: int
    column: int
    engines: Engines
    guard: str = ""

    def applies_to(self, engine: str) -> bool:
        return engine in self.engines


@dataclass(frozen=True, **SLOTS)
class Edge:
    """A call from a function into project code, made under ``engines``: a call judged as a
    catalogued API for one engine is not followed into the project for that engine."""

    callee: FunctionRef
    engines: Engines


@dataclass(frozen=True, **SLOTS)
class Summary:
    """What a function does itself and whom it calls, in the order met, for every engine."""

    reasons: tuple[Reason, ...] = ()
    calls: tuple[Edge, ...] = ()


EMPTY_SUMMARY = Summary()


@dataclass(frozen=True, **SLOTS)
class Chain:
    """The shortest path from a called function to a reason, and how many reasons exist."""

    steps: tuple[FunctionRef, ...]
    reason: Reason
    total_reasons: int


T = TypeVar("T")

# Computes a function's own summary for every engine (supplied by the checker, which owns
# the rules; the project index only owns the graph). The Targets it met as callees come
# back with it, so that they can be summarised in turn.
Summarizer = Callable[[Target], tuple[Summary, Sequence[Callee]]]


class ProjectIndex:
    """The project's modules and the call graph between their functions, built lazily.

    Every answer is memoised together with the files it was read from (modules found,
    candidates probed and absent), so :meth:`recording` names every file an analysis
    depends on whether the answer was computed now or for an earlier file: the cache uses it
    to recheck a workflow when a helper module changes.
    """

    def __init__(
        self,
        roots: Sequence[Path],
        summarizer: Summarizer,
        returns: dict[str, str] | None = None,
        allowed: Callable[[str], bool] = lambda qualified: False,
        *,
        specs: Sequence[FrameworkSpec],
    ) -> None:
        # The run's engines (configuration can restrict and extend them): what every module's
        # workflow detection applies.
        self.specs = tuple(specs)
        self.returns = returns or {}
        # `allowed-api`: qualified names the team vouches for, like `# wfcheck: trusted`.
        self.allowed = allowed
        # Names generated activities got in this run, when they must differ across files
        # (a `--fix` run: two files registering `read_home` on one runtime fail at import).
        self.generated_names: set[str] | None = None
        # Deepest roots first: /proj/src/pkg/m.py is `pkg.m`, not `src.pkg.m`.
        self.roots = sorted({real_path(r) for r in roots}, key=lambda r: len(r.parts), reverse=True)
        self.summarizer = summarizer
        # A module's key in ``_by_file`` by name, and by (importer's directory, name).
        self._by_name: dict[str, tuple[str, str, str] | None] = {}
        # (The directory as a shared string, not the Path each checked file's facts made: the
        # keys are kept for the run.)
        self._by_dir: dict[tuple[str, str], tuple[str, str, str] | None] = {}
        # Facts by (file, module name, shown path): a checked file and a helper look-up share
        # them only when they agree on all three, so results never depend on the order.
        self._by_file: dict[tuple[str, str, str], ModuleFacts] = {}
        # Effects by function, computed once per run whatever engine calls it; the
        # functions met as callees and not summarised yet, with their trees.
        self._summaries: dict[tuple[str, FunctionRef], Summary] = {}
        # Every function met (a chain's start or a callee), with its tree: what it is
        # summarised from and where it is defined. The one table that holds trees.
        self._targets: dict[FunctionRef, Target] = {}
        # Checked files whose facts were released after their check, and helper modules
        # whose facts were let go: is it a package?
        self._released: dict[tuple[str, str, str], bool] = {}
        # What is kept of a helper module let go; helper modules by last use, oldest first.
        self._stubs: dict[tuple[str, str, str], ModuleStub] = {}
        self._recent: dict[tuple[str, str, str], None] = {}
        self._lines: dict[FunctionRef, int] = {}
        # Chains by (start, engine): graph work over the summaries.
        self._chains: dict[tuple[str, FunctionRef, str], Chain | None] = {}
        self.summaries_computed = 0
        # What each memoised answer read: the ids (into ``_paths``) of the files found and
        # the candidates probed and absent, sorted. One copy of each distinct tuple: most
        # answers read the same few files (a workflow module's chains all pass through its
        # package's helpers). As frozensets of paths, these were the largest table of a
        # dense run.
        self._read: dict[object, tuple[int, ...]] = {}
        self._read_sets: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._paths: list[str] = []
        self._path_ids: dict[str, int] = {}
        # The real path of each, once asked (the path itself where they are the same): the
        # cache wants a digest for each of a file's ~50 dependencies after its check.
        self._real_paths: list[str | None] = []
        self._recording: list[set[int]] = []
        # The hash of the bytes each file was analysed from, by real path: what the cache
        # stores for a dependency (not the file as it is when the cache is saved).
        self.read_digests: dict[str, str] = {}
        self.modules_parsed = 0
        # How a helper module's bytes are read: the language server reads an open editor
        # buffer before the file on disk.
        self.read_source: Callable[[Path], bytes] = Path.read_bytes

    # -- dependencies ----------------------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[set[str]]:
        """Collect the absolute paths of the files the index reads (or finds absent) for the
        analysis run inside the block (in the set yielded, when the block ends)."""
        files: set[str] = set()
        with self._reading() as read:
            yield files
        files.update(map(self._paths.__getitem__, read))

    @contextmanager
    def _reading(self) -> Iterator[set[int]]:
        read: set[int] = set()
        self._recording.append(read)
        try:
            yield read
        finally:
            self._recording.pop()

    def _note(self, files: Iterable[int]) -> None:
        for frame in self._recording:
            frame.update(files)

    def read_digest(self, path: str) -> str | None:
        """The hash of the bytes the file at ``path`` was analysed from (None if it was not
        read); ``path`` is one the index noted, or any path (then not remembered)."""
        number = self._path_ids.get(path)
        if number is None:
            return self.read_digests.get(str(real_path(path)))
        real = self._real_paths[number]
        if real is None:
            real = str(real_path(path))
            self._real_paths[number] = real = path if real == path else real
        return self.read_digests.get(real)

    def _note_path(self, path: str) -> None:
        number = self._path_ids.get(path)
        if number is None:
            self._real_paths.append(None)
            number = self._path_ids[path] = len(self._paths)
            self._paths.append(path)
        self._note((number,))

    def _memo(self, table: dict, key: object, compute: Callable[[], T]) -> T:
        if key in table:
            self._note(self._read.get(key, ()))
        else:
            # Placed first: a module that asks for one still being loaded (an import cycle)
            # gets None instead of loading it again.
            table[key] = None
            with self._reading() as files:
                table[key] = compute()
            read = tuple(sorted(files))
            self._read[key] = self._read_sets.setdefault(read, read)
        return table[key]

    # -- modules ---------------------------------------------------------------------------

    def module_name_for(self, path: Path) -> tuple[str, bool]:
        return self._module_name_of(real_path(path))

    def _module_name_of(self, absolute: Path) -> tuple[str, bool]:
        """The module name of the file at the real path ``absolute``, and is it a package."""
        for root in self.roots:
            try:
                relative = absolute.relative_to(root)
            except ValueError:
                continue
            parts = list(relative.with_suffix("").parts)
            is_package = bool(parts) and parts[-1] == "__init__"
            if is_package:
                parts.pop()
            if parts and all(p.isidentifier() for p in parts):
                return ".".join(parts), is_package
        return "", False

    def _file_key(self, path: Path, display: str) -> tuple[tuple[str, str, str], bool]:
        absolute = real_path(path)
        name, is_package = self._module_name_of(absolute)
        return (str(absolute), name, display), is_package

    def loaded(self, path: Path, display: str) -> ModuleFacts | None:
        """The facts a helper look-up already made of a file about to be checked (the caller
        compares their text with the file's): the file need not be parsed again."""
        return self._by_file.get(self._file_key(path, display)[0])

    def release(self, path: Path, display: str) -> int:
        """A checked file's check is over: forget its facts (tree, positions, parents) and
        the targets into it, unless a helper look-up shares them. Its functions' summaries
        stay (they hold no node); a later look-up parses the file again. Once more than
        :data:`HELPERS_KEPT` helper modules are kept, the least recently used are let go,
        down to half that: how many went."""
        key, is_package = self._file_key(path, display)
        for kept in self._by_file.values():
            kept.shed()
        facts = self._by_file.get(key)
        if facts is not None and not facts.helper:
            del self._by_file[key]
            self._released[key] = is_package
            self._drop_targets(key)
        helpers = [k for k in self._recent if k in self._by_file]
        if len(helpers) <= HELPERS_KEPT:
            return 0
        # The oldest half goes at once: what is let go is garbage for the collector's full
        # pass (see wfcheck.collector), which then runs once per batch, not per module.
        for old in helpers[: len(helpers) - HELPERS_KEPT // 2]:
            self._let_go(old)
        return len(helpers) - HELPERS_KEPT // 2

    def _let_go(self, key: tuple[str, str, str]) -> None:
        """Keep only a stub of a helper module. Every function of it that a summary can be
        asked of is summarised first, while its tree is here, and each that does something
        is located (a chain may name it): so calls into it need no parse again."""
        facts = self._by_file.get(key)
        if facts is None:
            return
        for number in sorted(facts.summarisable - facts.summarised):
            self.summary(_def_target(facts, number))
        # And the lambdas met (one cannot be found again by its place).
        while pending := [
            ref for ref in self._targets
            if _module_of(ref) == key and ("summary", ref) not in self._summaries
        ]:
            for ref in pending:
                self.effects(ref)
        for ref, target in list(self._targets.items()):
            if (
                _module_of(ref) == key
                and ref.place.startswith("#")  # a lambda's place has its line
                and ref not in self._lines
                and self.effects(ref) != EMPTY_SUMMARY
            ):
                self._lines[ref] = _line_of(target)
        del self._by_file[key]
        self._recent.pop(key, None)
        self._stubs[key] = ModuleStub.of(facts)
        self._released[key] = facts.is_package
        self._drop_targets(key)

    def _drop_targets(self, key: tuple[str, str, str]) -> None:
        for ref in [r for r in self._targets if _module_of(r) == key]:
            del self._targets[ref]

    def _facts(self, key: tuple[str, str, str]) -> ModuleFacts | None:
        """A module's facts by key, parsed again if they were let go; it becomes the most
        recently used helper."""
        facts = self._by_file.get(key) or self._reloaded(key)
        if facts is not None and facts.helper:
            self._used(key)
        return facts

    def _used(self, key: tuple[str, str, str]) -> None:
        self._recent.pop(key, None)
        self._recent[key] = None

    def hydrate(self, target: Callee | None) -> Target | None:
        """The function with its tree (a stub's is parsed again)."""
        if target is None or isinstance(target, Target):
            return target
        return self._target(target.ref)

    def _reloaded(self, key: tuple[str, str, str]) -> ModuleFacts | None:
        """A released file's or let-go helper's facts again, when a look-up needs them."""
        if key not in self._released:
            return None
        path, is_package = Path(key[0]), self._released.pop(key)
        self._stubs.pop(key, None)
        try:
            data = self.read_source(path)
            text, module, lines = parse_with_lines(data)
        except (OSError, SourceError):
            return None
        self.modules_parsed += 1
        facts = ModuleFacts(
            key[2], key[1], is_package, text, module, self.returns, self._origin_finder(path),
            specs=self.specs, lines=lines,
        )
        facts.helper = True
        self._by_file[key] = facts
        return facts

    def facts_for(
        self,
        path: Path,
        display: str,
        text: str,
        module: cst.Module,
        lines: dict[cst.CSTNode, int] | None = None,
    ) -> ModuleFacts:
        """Facts for a file being checked, shared with helper look-ups of the same file
        (``lines``: its statements' lines, where the parse gave them)."""
        key, is_package = self._file_key(path, display)
        name = key[1]
        cached = self._by_file.get(key)
        self._released.pop(key, None)
        stub = self._stubs.pop(key, None)
        if cached is not None and cached.text == text:
            return cached
        let_go_unchanged = stub is not None and stub.text_hash == hash(text)
        if cached is not None or (stub is not None and not let_go_unchanged):
            self._forget(key)
        facts = ModuleFacts(
            display, name, is_package, text, module, self.returns, self._origin_finder(path),
            specs=self.specs, lines=lines,
        )
        if let_go_unchanged:
            # A helper module let go, checked now: its facts are the helper's again.
            facts.helper = True
            self._used(key)
        self._by_file[key] = facts
        return facts

    def module(self, name: str, importer_dir: Path | None = None) -> ModuleFacts | None:
        """A project module by dotted name: from the project roots, else (as Python does for
        a script) from the importing file's own directory."""
        key = self._module_key(name, importer_dir)
        return self._facts(key) if key is not None else None

    def module_imports(
        self, name: str, importer_dir: Path | None = None
    ) -> tuple[Path, tuple[str, ...]] | None:
        """A project module's directory and the modules its top-level imports may import
        (:attr:`ModuleFacts.top_imports`), from its stub if it was let go."""
        key = self._module_key(name, importer_dir)
        if key is None:
            return None
        stub = self._stubs.get(key) if key not in self._by_file else None
        if stub is not None:
            return stub.directory, stub.top_imports
        facts = self._facts(key)
        return (facts.directory, facts.top_imports) if facts is not None else None

    def _module_key(self, name: str, importer_dir: Path | None) -> tuple[str, str, str] | None:
        key = self._memo(self._by_name, name, lambda: self._find(name, self.roots))
        if key is None and importer_dir is not None:
            key = self._memo(
                self._by_dir,
                (sys.intern(str(importer_dir)), name),
                lambda: self._find(name, [importer_dir]),
            )
        return key

    def _find(self, name: str, roots: Sequence[Path]) -> tuple[str, str, str] | None:
        relative = Path(*name.split("."))
        for root in roots:
            for candidate, is_package in (
                (root / relative.with_suffix(".py"), False),
                (root / relative / "__init__.py", True),
            ):
                self._note_path(str(candidate))
                if candidate.is_file():
                    facts = self._load(candidate, name, is_package)
                    return (facts.file, facts.name, facts.path) if facts is not None else None
        return None

    def _load(self, path: Path, name: str, is_package: bool) -> ModuleFacts | None:
        display = _display(path)
        key = (str(real_path(path)), name, display)
        if key in self._by_file or key in self._stubs:
            facts = self._by_file.get(key) or self._reloaded(key)
            if facts is not None:
                facts.helper = True
                self._used(key)
            return facts
        self._released.pop(key, None)
        try:
            data = self.read_source(path)
        except OSError:
            return None
        self.read_digests[key[0]] = content_digest(data)
        try:
            text, module, lines = parse_with_lines(data)
        except SourceError:
            return None
        self.modules_parsed += 1
        facts = ModuleFacts(
            display, name, is_package, text, module, self.returns, self._origin_finder(path),
            specs=self.specs, lines=lines,
        )
        facts.helper = True
        self._by_file[key] = facts
        self._used(key)
        return facts

    def _origin_finder(self, path: Path) -> Callable[[str], str | None]:
        directory = real_path(path).parent
        return lambda qualified: self.value_origin(qualified, directory)

    def value_origin(self, qualified: str, importer_dir: Path | None = None) -> str | None:
        """What made a module-level value of a project module: `shop.runtime.wfr` is made by
        `dapr.ext.workflow.WorkflowRuntime` after `wfr = wf.WorkflowRuntime()` there. Imports
        of it are followed to the end of the chain (a cycle ends it: None)."""
        seen: set[tuple[str, Path | None]] = set()
        while (qualified, importer_dir) not in seen:
            seen.add((qualified, importer_dir))
            module_name, _, attr = qualified.rpartition(".")
            if not module_name or module_name.startswith("."):
                return None
            facts = self.module(module_name, importer_dir)
            if facts is None:
                return None
            scope = facts.index.module_scope
            bindings = scope.bindings.get(attr, ())
            if len(bindings) != 1:
                return None
            binding = bindings[0]
            if binding.kind == "import":
                qualified = absolute_name(binding.target, scope.package)
                importer_dir = facts.directory
                continue
            if binding.kind == "value" and isinstance(binding.node, cst.Call):
                resolved = facts.resolver.expr(binding.node.func, scope)
                return resolved.qualified if resolved is not None else None
            return None
        return None

    # -- call targets ----------------------------------------------------------------------

    def target_of(
        self, func: cst.BaseExpression, scope: Scope, facts: ModuleFacts
    ) -> Callee | None:
        """The project function a call's callee names, if any: a `def`, a class (its
        `__init__`), a lambda bound to a name, or what a `functools.partial` wraps."""
        if isinstance(func, cst.Call):
            return self._value_target(facts, scope, func, "", 0)
        if isinstance(func, cst.Name):
            owner = scope.owner_of(func.value)
            bindings = owner.bindings.get(func.value, ()) if owner is not None else ()
            for binding in bindings:
                if isinstance(binding.node, (cst.FunctionDef, cst.ClassDef)):
                    return self._target_in(facts, binding.node)
            if (
                owner is not None
                and len(bindings) == 1
                and bindings[0].kind == "value"
                and bindings[0].node is not None
            ):
                value = self._value_target(facts, owner, bindings[0].node, func.value, 0)
                if value is not None:
                    return value
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            receiver = func.value.value
            if scope.self_name == receiver and scope.class_scope is not None:
                class_node = scope.class_scope.node
                if not isinstance(class_node, cst.ClassDef):
                    return None
                return self._method(facts, class_node, func.attr.value)
            owner = scope.owner_of(receiver)
            for binding in owner.bindings.get(receiver, ()) if owner is not None else ():
                if isinstance(binding.node, cst.ClassDef):
                    return self._method(facts, binding.node, func.attr.value)
        resolved = facts.resolver.expr(func, scope)
        if resolved is None:
            return None
        found = self.definition(resolved.qualified, facts.directory)
        if found is None and isinstance(func, cst.Name) and scope.owner_of(func.value) is None:
            # Several star imports: the resolver guessed the last; try the others.
            module = scope.module
            for star in reversed(module.star_modules[:-1]):
                origin = absolute_name(star, module.package)
                found = self.definition(f"{origin}.{func.value}", facts.directory)
                if found is not None:
                    break
        return found

    def definition(
        self, qualified: str, importer_dir: Path | None = None, depth: int = 0
    ) -> Callee | None:
        """A project function or class (its `__init__`) by qualified name."""
        found = self._definition_node(qualified, importer_dir, depth)
        if found is None or isinstance(found, StubTarget):
            return found
        facts, node, rest = found
        if isinstance(node, cst.Call) and len(rest) == 1:
            return self._instance_method(facts, node, rest[0])
        if isinstance(node, (cst.Lambda, cst.Call)):
            name = qualified.rpartition(".")[2]
            scope = facts.index.module_scope
            return None if rest else self._value_target(facts, scope, node, name, depth)
        if not rest:
            return self._target_in(facts, node)
        if isinstance(node, cst.ClassDef) and len(rest) == 1:
            return self._method(facts, node, rest[0])
        return None

    def instance_member(self, qualified: str, importer_dir: Path | None = None) -> Target | None:
        """The method an attribute of a project module's module-level instance names, by
        qualified name, imports followed: `shop.config.CONFIG.region` with
        `CONFIG = Settings()` in `shop.config` is `Settings.region` (a class's own attribute,
        `Settings.region`, is not an instance's: None)."""
        found = self._definition_node(qualified, importer_dir, 0)
        if found is None or isinstance(found, StubTarget):
            return None
        facts, node, rest = found
        if isinstance(node, cst.Call) and len(rest) == 1:
            return self._instance_method(facts, node, rest[0])
        return None

    def _instance_method(self, facts: ModuleFacts, made: cst.Call, name: str) -> Target | None:
        # `TRACKER.add()` with `TRACKER = Tracker()` in a project module: Tracker.add.
        made_by = self.class_of(made.func, facts.index.module_scope, facts)
        return self._method(made_by[0], made_by[1], name) if made_by else None

    def _definition_node(
        self, qualified: str, importer_dir: Path | None, depth: int = 0
    ) -> _Definition | None:
        """The module-level def or class a qualified name reaches (following re-exports to
        the end of the chain, and star imports; a chain that comes back to a name it passed
        is a cycle: None), or the lambda or `functools.partial(...)` call a name is bound to,
        and the attribute names left after it; a function of a module let go is its stub."""
        seen: set[tuple[str, Path | None]] = set()
        while qualified and not qualified.startswith("."):
            if (qualified, importer_dir) in seen:
                return None
            seen.add((qualified, importer_dir))
            step = self._definition_step(qualified, importer_dir, depth)
            if step is None or isinstance(step, StubTarget) or isinstance(step[0], ModuleFacts):
                return step
            qualified, importer_dir = step
        return None

    def _definition_step(
        self, qualified: str, importer_dir: Path | None, depth: int
    ) -> _Definition | tuple[str, Path] | None:
        """One link of a re-export chain: the definition, or the name it re-exports."""
        parts = qualified.split(".")
        for split in range(len(parts) - 1, 0, -1):
            key = self._module_key(".".join(parts[:split]), importer_dir)
            if key is None:
                continue
            names = parts[split:]
            stub = self._stubs.get(key) if key not in self._by_file else None
            if stub is not None:
                step = self._stub_step(stub, names, depth)
                if step is not _PARSE:
                    return step  # type: ignore[return-value]
            facts = self._facts(key)
            if facts is None:
                continue
            module_scope = facts.index.module_scope
            bindings = module_scope.bindings.get(names[0], ())
            for binding in bindings:
                if binding.kind == "import":
                    target = absolute_name(binding.target, module_scope.package)
                    return ".".join([target] + names[1:]), facts.directory
                if isinstance(binding.node, (cst.FunctionDef, cst.ClassDef)):
                    return facts, binding.node, names[1:]
            if len(bindings) == 1 and isinstance(bindings[0].node, (cst.Lambda, cst.Call)):
                return facts, bindings[0].node, names[1:]
            if not bindings and depth < 4:
                return self._star_definition(
                    module_scope.star_modules, module_scope.package, facts.directory, names, depth
                )
            return None
        return None

    def _stub_step(
        self, stub: ModuleStub, names: list[str], depth: int
    ) -> _Definition | tuple[str, Path] | object | None:
        """:meth:`_definition_step` in a module let go: the same answer from its stub, or
        ``_PARSE`` where the answer is a tree (a class, a lambda, a value)."""
        bindings = stub.bindings.get(names[0], ())
        for kind, target, shape, function in bindings:
            if kind == "import":
                return ".".join([absolute_name(target, stub.package)] + names[1:]), stub.directory
            if shape == "def" and len(names) == 1:
                return function
            if shape in ("def", "class"):
                return _PARSE
        if len(bindings) == 1 and bindings[0][2] == "value":
            return _PARSE
        if not bindings and depth < 4:
            return self._star_definition(
                stub.star_modules, stub.package, stub.directory, names, depth
            )
        return None

    def _star_definition(
        self, stars: Sequence[str], package: str, directory: Path, names: list[str], depth: int
    ) -> _Definition | None:
        """`from .base import *`: the last star-imported project module defining it."""
        for star in reversed(stars):
            origin = absolute_name(star, package)
            found = self._definition_node(".".join([origin] + names), directory, depth + 1)
            if found is not None:
                return found
        return None

    def class_of(
        self, func: cst.BaseExpression, scope: Scope, facts: ModuleFacts
    ) -> tuple[ModuleFacts, cst.ClassDef] | None:
        """The project class an expression names in ``scope``, if any: a callee (what its
        fields compute) or a base class (what its methods do)."""
        if isinstance(func, cst.Name):
            owner = scope.owner_of(func.value)
            for binding in owner.bindings.get(func.value, ()) if owner is not None else ():
                if isinstance(binding.node, cst.ClassDef):
                    return facts, binding.node
        resolved = facts.resolver.expr(func, scope)
        if resolved is None:
            return None
        return _class(self._definition_node(resolved.qualified, facts.directory, 0))

    def _value_target(
        self, facts: ModuleFacts, scope: Scope, value: cst.CSTNode, name: str, depth: int
    ) -> Callee | None:
        """What calling a value runs: a lambda's body, or the function a
        `functools.partial(f, ...)` wraps (resolved where the partial was made)."""
        if isinstance(value, cst.Lambda):
            return Target(facts, value, name or "<lambda>", scope)
        if depth > 4 or not isinstance(value, cst.Call) or not value.args:
            return None
        func = (
            facts.resolver.expr(value.func, scope)
            if isinstance(value.func, (cst.Name, cst.Attribute))
            else None
        )
        if func is None or func.instance or func.qualified not in _PARTIALS:
            return None
        wrapped = value.args[0].value
        if isinstance(wrapped, cst.Lambda):
            return Target(facts, wrapped, name or "<lambda>", scope)
        if not isinstance(wrapped, (cst.Name, cst.Attribute, cst.Call)):
            return None
        return self.target_of(wrapped, scope, facts)

    def decorator_wrappers(self, target: Target) -> list[Target]:
        """The functions a project decorator on ``target`` defines inside itself (its
        wrapper, or a factory's decorator and wrapper): what runs when ``target`` is called."""
        node = target.node
        if not isinstance(node, cst.FunctionDef):
            return []
        wrappers: list[Target] = []
        for decorator in node.decorators:
            expr = decorator.decorator
            callee = expr.func if isinstance(expr, cst.Call) else expr
            if not isinstance(callee, (cst.Name, cst.Attribute)):
                continue
            found = self.hydrate(self.target_of(callee, target.parent_scope, target.facts))
            if found is None or not isinstance(found.node, cst.FunctionDef):
                continue
            # `@timed` runs timed's inner function; `@retried(3)` the function inside the
            # decorator that retried returns.
            depth = 2 if isinstance(expr, cst.Call) else 1
            prefix = found.qualname + ".<locals>."
            wrappers += [
                _def_target(found.facts, number)
                for number, d in enumerate(found.facts.index.functions)
                if d.qualname.startswith(prefix)
                and d.qualname[len(prefix):].count(".<locals>.") == depth - 1
            ]
        return wrappers

    def class_of_name(
        self, qualified: str, facts: ModuleFacts
    ) -> tuple[ModuleFacts, cst.ClassDef] | None:
        """The project class a qualified name (an instance's type) names."""
        return _class(self._definition_node(qualified, facts.directory, 0))

    def special_method(
        self, facts: ModuleFacts, cls: cst.ClassDef, name: str
    ) -> Target | None:
        """A dunder or property a class (or a project base class) defines: what `with`,
        construction or attribute access runs implicitly."""
        return self._method(facts, cls, name)

    def _target_in(
        self, facts: ModuleFacts, node: cst.FunctionDef | cst.ClassDef
    ) -> Target | None:
        if isinstance(node, cst.ClassDef):
            return self._method(facts, node, "__init__")
        for definition in facts.index.functions:
            if definition.node is node:
                return Target(facts, node, definition.qualname, definition.parent_scope)
        return None

    def _method(
        self, facts: ModuleFacts, cls: cst.ClassDef, name: str, depth: int = 0
    ) -> Target | None:
        """The method ``name`` of ``cls``, or else of its bases (left to right, depth first:
        Python's order for the single-inheritance and mixin cases that matter here)."""
        for statement in cls.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                return self._target_in(facts, statement)
        if depth >= 8:
            return None
        for base in cls.bases:
            found = self.class_of(base.value, facts.index.module_scope, facts)
            if found is not None:
                target = self._method(found[0], found[1], name, depth + 1)
                if target is not None:
                    return target
        return None

    # -- transitive reasons ----------------------------------------------------------------

    def is_trusted(self, target: Target) -> bool:
        return self.vouched_for(target.facts, target.node, target.qualname)

    def vouched_for(
        self, facts: ModuleFacts, node: cst.FunctionDef | cst.ClassDef | cst.Lambda, qualname: str
    ) -> bool:
        """`# wfcheck: trusted` on its `def`/`class` line, or named by `allowed-api`."""
        if self.allowed(f"{facts.name}.{qualname}"):
            return True
        if not facts.may_trust:
            # No such comment anywhere in the module: no position or comment table needed.
            return False
        anchor = node.name if isinstance(node, (cst.FunctionDef, cst.ClassDef)) else node
        comment = facts.comments.get(facts.positions[anchor].start.line, "")
        return bool(_TRUSTED.search(comment))

    def summary(self, target: Target) -> Summary:
        """What ``target`` does, for every engine (computed once per run)."""
        ref = target.ref
        self._targets.setdefault(ref, target)
        return self.effects(ref)

    def effects(self, ref: FunctionRef) -> Summary:
        """The summary of a function met before (as a chain's start or a callee)."""
        return self._memo(self._summaries, ("summary", ref), lambda: self._summarize(ref))

    def _summarize(self, ref: FunctionRef) -> Summary:
        target = self._target(ref)
        if target is None:
            return EMPTY_SUMMARY
        if self.is_trusted(target):
            summary: Summary = EMPTY_SUMMARY
        else:
            self.summaries_computed += 1
            summary, callees = self.summarizer(target)
            for callee in callees:
                if isinstance(callee, Target):
                    self._targets.setdefault(callee.ref, callee)
        if ref.place.startswith("#"):
            target.facts.summarised.add(int(ref.place[1:]))
        return summary

    def location(self, ref: FunctionRef) -> str:
        """``path:line`` of where a function met before is defined (its name, or the lambda)."""
        line = self._lines.get(ref)
        if line is None:
            if not ref.place.startswith("#"):  # a lambda's place is `<line>:<column>`
                return f"{ref.path}:{ref.place.partition(':')[0]}"
            target = self._target(ref)
            line = self._lines[ref] = _line_of(target) if target is not None else 0
        return f"{ref.path}:{line}"

    def _target(self, ref: FunctionRef) -> Target | None:
        target = self._targets.get(ref)
        if target is None:
            target = self._resolve(ref)
            if target is not None:
                self._targets[ref] = target
        return target

    def _resolve(self, ref: FunctionRef) -> Target | None:
        """The function a reference names in the module's current facts (what was known of
        it went when the checked file's text changed): the `def` with that name at that
        place, else nothing."""
        facts = self._facts(_module_of(ref))
        if facts is None or not ref.place.startswith("#"):
            return None
        number = int(ref.place[1:])
        functions = facts.index.functions
        if number >= len(functions) or functions[number].qualname != ref.qualname:
            return None
        return _def_target(facts, number)

    def _forget(self, module: tuple[str, str, str]) -> None:
        """A checked file's text changed (an editor buffer, a fix loop): what was known of
        its old functions goes, and every chain (chains are cheap to build again). Calls into
        it recorded by other functions find their callee again by name and place."""
        for key in [k for k in self._summaries if _module_of(k[1]) == module]:
            del self._summaries[key]
            self._read.pop(key, None)
        for chain_key in list(self._chains):
            del self._chains[chain_key]
            self._read.pop(chain_key, None)
        for table in (self._targets, self._lines):
            for ref in [r for r in table if _module_of(r) == module]:
                del table[ref]

    def chain(self, start: Callee, engine: str) -> Chain | None:
        """Breadth-first from ``start`` over the calls made under ``engine``: the shortest
        chain to a reason that applies to ``engine``, and how many such reasons there are."""
        ref = start.ref
        if isinstance(start, Target):
            self._targets.setdefault(ref, start)
        return self._memo(
            self._chains, ("chain", ref, engine), lambda: self._search(ref, engine)
        )

    def _search(self, start: FunctionRef, engine: str) -> Chain | None:
        parents: dict[FunctionRef, FunctionRef | None] = {start: None}
        queue = deque([start])
        first: tuple[FunctionRef, Reason] | None = None
        total = 0
        while queue:
            current = queue.popleft()
            summary = self.effects(current)
            for reason in summary.reasons:
                if engine in reason.engines:
                    total += 1
                    if first is None:
                        first = (current, reason)
            for edge in summary.calls:
                if engine in edge.engines and edge.callee not in parents:
                    parents[edge.callee] = current
                    queue.append(edge.callee)
        if first is None:
            return None
        steps: list[FunctionRef] = []
        step: FunctionRef | None = first[0]
        while step is not None:
            steps.append(step)
            step = parents[step]
        return Chain(tuple(reversed(steps)), first[1], total)

    # -- what a module exports to its dependents ---------------------------------------------

    def effect_digest(self, path: str | Path) -> str | None:
        """A digest of everything the analysis of *another* file can read from the module at
        ``path``, or None when it is not a readable, parsable project module.

        The cache keeps a dependent's result while the digest of every module it depends on
        is unchanged (early cutoff): so two texts with one digest must give every dependent
        the same diagnostics. The digest covers, for each way this run loaded the file (by
        its name under the project roots, loaded now if needed, and any other module name a
        script-style import gave it):

        - the module's name, package and shown path;
        - its code outside function bodies, token by token with positions (imports,
          definitions and their signatures and decorators, class bodies, module-level
          values, lambdas and star imports: what definitions, re-exports, classes and value
          origins are read from), but not its comments;
        - the comments that can change an analysis (naming `noqa` or `wfcheck`: suppressions,
          `# wfcheck: trusted`), with their lines, wherever they are;
        - every module-level binding (kind, import target, value kind, what a call
          resolves to), which may come from inside a function (`global`);
        - every function's framework-free summary and the line it is defined on (its reasons
          with engines, positions and guards; its calls with engines and the callee's module,
          name and place; trusted functions have none), for each `def` (methods and nested
          ones included), each lambda or `functools.partial` bound at module level, and every
          function of the module those call; workflow code is named, not summarised (no
          dependent follows a call into it);
        - its workflow units (name, engine, context parameter, how found) and activities.

        A function body is covered only by its summary: an edit inside one that keeps its
        effects and every line where it was keeps the digest; a comment-only edit that adds
        or removes no line keeps it too. The run's settings (rules enabled, the catalog,
        `allowed-api`) are not covered: the cache keys on them itself.
        """
        real = str(real_path(Path(path)))
        keys = [key for key in (*self._by_file, *self._stubs) if key[0] == real]
        loads = [facts for facts in map(self._facts, keys) if facts is not None]
        if not loads:
            name, is_package = self.module_name_for(Path(real))
            facts = self._load(Path(real), name, is_package) if name else None
            if facts is None:
                return None
            loads = [facts]
        hasher = hashlib.blake2b(digest_size=16)
        for facts in sorted(loads, key=lambda f: (f.name, f.path)):
            hasher.update(repr(self._exports(facts)).encode())
        return hasher.hexdigest()

    def summary_reads(self, path: str | Path) -> dict[FunctionRef, frozenset[str]]:
        """What summarising each function of the module at ``path`` read in this run (the
        absolute paths of the modules found and the candidates probed and absent), by
        function: the functions :meth:`effect_digest` summarised, and any other summarised
        so far. An edit that keeps the effects but looks up another name changes what a
        dependent's result depends on, if not the result (the cache's early cutoff)."""
        real = str(real_path(Path(path)))
        return {
            key[1]: frozenset(map(self._paths.__getitem__, files))
            for key, files in self._read.items()
            if isinstance(key, tuple)
            and key[0] == "summary"
            and isinstance(key[1], FunctionRef)
            and key[1].file == real
        }

    def _exports(self, facts: ModuleFacts) -> tuple[object, ...]:
        scope = facts.index.module_scope
        bindings = []
        roots: list[Target] = []
        for name in sorted(scope.bindings):
            entries = []
            for binding in scope.bindings[name]:
                node = binding.node
                origin = ""
                if isinstance(node, cst.Call):
                    resolved = facts.resolver.expr(node.func, scope)
                    origin = resolved.qualified if resolved is not None else ""
                entries.append((binding.kind, binding.target, type(node).__name__, origin))
                if isinstance(node, (cst.Lambda, cst.Call)) and len(scope.bindings[name]) == 1:
                    value = self.hydrate(self._value_target(facts, scope, node, name, 0))
                    if value is not None:
                        roots.append(value)
            bindings.append((name, tuple(entries)))
        roots += [_def_target(facts, number) for number in range(len(facts.index.functions))]
        functions: dict[FunctionRef, tuple[object, ...]] = {}
        queue = deque(roots)
        while queue:
            target = queue.popleft()
            ref = target.ref
            if ref in functions:
                continue
            functions[ref] = ()
            if ref.file != facts.file:
                continue  # another module's function: its own digest covers it
            if facts.in_workflow(target.parent_scope, target.node):
                continue  # never followed into from elsewhere: its units say it is workflow code
            summary = self.summary(target)
            functions[ref] = (
                self.location(ref), self.is_trusted(target), _summary_data(summary)
            )
            for edge in summary.calls:
                if edge.callee.file == facts.file and edge.callee not in functions:
                    callee = self._target(edge.callee)
                    if callee is not None:
                        queue.append(callee)
        kinds = {id(d.node): d.qualname for d in facts.index.functions + facts.index.classes}
        units = sorted(
            (u.qualname, u.framework.name, u.context_param or "", u.how, u.engine_guessed)
            for u in facts.units
        )
        activities = sorted(kinds.get(a, "?") for a in facts.activities)
        return (
            facts.name,
            scope.package,
            facts.path,
            tuple(scope.star_modules),
            _skeleton(facts.text),
            tuple(
                (line, comment)
                for line, comment in sorted(facts.comments.items())
                if DIRECTIVE.search(comment)
            ),
            tuple(bindings),
            tuple(sorted(functions.items(), key=lambda item: repr(item[0]))),
            tuple(units),
            tuple(activities),
        )


# Callables that call the function they wrap later, with the arguments bound now.
_PARTIALS = frozenset({"functools.partial", "functools.partialmethod"})


def _def_target(facts: ModuleFacts, number: int) -> Target:
    """The module's ``number``-th `def` (in its index's order) as a target."""
    definition = facts.index.functions[number]
    return Target(facts, definition.node, definition.qualname, definition.parent_scope)  # type: ignore[arg-type]


def _line_of(target: Target) -> int:
    """The line of a `def`'s name (a lambda's line is in its place)."""
    assert isinstance(target.node, cst.FunctionDef)
    return target.facts.positions.name_line(target.node)


def _class(found: _Definition | None) -> tuple[ModuleFacts, cst.ClassDef] | None:
    """The class a definition look-up found, if it found one (and no attribute of it)."""
    if found is None or isinstance(found, StubTarget):
        return None
    facts, node, rest = found
    return (facts, node) if isinstance(node, cst.ClassDef) and not rest else None


def decorator_names(node: cst.FunctionDef | cst.ClassDef) -> list[str]:
    """Each decorator's dotted name (a call's callee: `retried` of `@retried(3)`), or ""."""
    names = []
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        names.append(dotted_name(expr) or "")
    return names


def is_property(node: cst.CSTNode) -> bool:
    """A `@property` or `@cached_property` getter."""
    if not isinstance(node, cst.FunctionDef):
        return False
    return any(
        name.rsplit(".", 1)[-1] in ("property", "cached_property") for name in decorator_names(node)
    )


def _module_of(ref: FunctionRef) -> tuple[str, str, str]:
    return (ref.file, ref.module, ref.path)


def _summary_data(summary: Summary) -> tuple[object, ...]:
    """A summary as plain tuples in a fixed order (engine sets sorted)."""
    return (
        tuple(
            (r.code, r.api, r.path, r.line, r.column, tuple(sorted(r.engines)), r.guard)
            for r in summary.reasons
        ),
        tuple((astuple(e.callee), tuple(sorted(e.engines))) for e in summary.calls),
    )


def _skeleton(text: str) -> tuple[tuple[int, str, int, int], ...] | str:
    """The module's tokens outside function bodies, with their positions, without comments
    and blank lines (a line's end is kept by its line alone: a comment before it moves it);
    the whole text when it does not tokenize (then any edit changes it)."""
    tokens: list[tuple[int, str, int, int]] = []
    skipped = (tokenize.COMMENT, tokenize.NL)
    # In a `def` header (and its bracket depth), or just after its `:`; the indentation of
    # the block body being skipped (-1: none; -2: a body on the header's own line).
    in_header = awaiting_body = False
    depth = 0
    indent = 0
    body = -1
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = token.type
            if kind == tokenize.INDENT:
                indent += 1
            elif kind == tokenize.DEDENT:
                indent -= 1
                if body >= 0 and indent < body:
                    body = -1
                    continue
            if body >= 0 or kind in skipped:
                continue
            if kind == tokenize.NEWLINE:
                if body == -2:
                    body = -1
                tokens.append((kind, "", token.start[0], 0))
                continue
            if body == -2:
                continue
            if awaiting_body:
                # After `def ...:` and its NEWLINE an INDENT opens the body; anything else
                # is a body on the header's line, which ends with that line.
                awaiting_body = False
                if kind == tokenize.INDENT:
                    body = indent
                    continue
                body = -2
                continue
            tokens.append((kind, token.string, *token.start))
            if kind == tokenize.NAME and token.string == "def" and not in_header:
                in_header, depth = True, 0
            elif in_header and kind == tokenize.OP:
                if token.string in "([{":
                    depth += 1
                elif token.string in ")]}":
                    depth -= 1
                elif token.string == ":" and depth == 0:
                    in_header, awaiting_body = False, True
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text
    return tuple(tokens)


def _display(path: Path) -> str:
    """Paths under the working directory are shown relative to it, like checked paths."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def helper_unit(target: Target) -> WorkflowUnit:
    """A helper analysed like workflow code, to summarise what it does for every engine."""
    node = target.node
    return WorkflowUnit(node, target.qualname, NO_ENGINE, None, target.parent_scope, "helper")  # type: ignore[arg-type]


__all__ = [
    "Callee",
    "Chain",
    "Edge",
    "EMPTY_SUMMARY",
    "FunctionRef",
    "ModuleFacts",
    "ModuleStub",
    "ProjectIndex",
    "Reason",
    "StubTarget",
    "Summary",
    "Target",
    "TRANSITIVE_CODES",
    "find_project_roots",
    "helper_unit",
]
