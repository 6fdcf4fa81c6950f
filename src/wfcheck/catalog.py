"""Load and validate the rule catalog (`rules/*.toml`).

The catalog is data: each rule names the qualified APIs it flags, the replay-safe alternative
per framework, its documentation and the valid/invalid snippets the test suite runs. The
catalog ships inside the wheel as ``wfcheck/rules``; in a source checkout or editable install
it is read from the repository's ``rules/`` directory.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from wfcheck.digest import content_digest
from wfcheck.frameworks import SPECS


def toml_parser() -> ModuleType:
    """The TOML parser (`tomllib`, `tomli` before Python 3.11), imported when a file is parsed:
    not for a run without configuration files whose catalog is kept parsed."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on older interpreters only
        import tomli as tomllib
    return tomllib


# The engines a rule or an alternative can name.
FRAMEWORKS = tuple(spec.name for spec in SPECS)

_CODE_RE = re.compile(r"^WF[0-9]{3}$")
# The `# expect: WF101` markers the snippet tests read; documentation shows the code without.
_EXPECT_MARKER = re.compile(r"[ \t]*#[ \t]*expect:[ \t]*(?:WF[0-9]{3}[ \t]*)+$", re.MULTILINE)
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_API_KEYS = {"name", "max_args", "frameworks", "use", "method"}
_RULE_KEYS = {
    "code",
    "name",
    "summary",
    "message",
    "default",
    "kind",
    "apis",
    "exclude",
    "alternatives",
    "docs",
    "snippets",
    "messages",
    "frameworks",
    "flags",
}
_DOC_KEYS = {"what", "why", "example", "use_instead", "fix_safety"}


class CatalogError(Exception):
    """The catalog (or a user addition to it) is malformed."""


@dataclass(frozen=True)
class ApiPattern:
    """One qualified API a rule flags.

    ``name`` is a qualified name (``datetime.datetime.now``) or a wildcard (``random.*``,
    anything below ``random``). ``use`` is ``call`` (flag calls) or ``any`` (flag every
    reference, e.g. ``os.environ``). ``max_args`` restricts a call pattern to calls with at
    most that many arguments, not counting a literal ``None`` (``time.localtime()`` and
    ``random.Random(None)`` read the clock or the OS entropy, ``time.localtime(ts)`` and
    ``random.Random(seed)`` do not). ``method`` instead matches a method name on any receiver
    (``loop.run_in_executor``).
    """

    name: str = ""
    use: str = "call"
    max_args: int | None = None
    frameworks: frozenset[str] = frozenset(FRAMEWORKS)
    method: str = ""

    @property
    def is_wildcard(self) -> bool:
        return self.name.endswith(".*")

    def matches_name(self, qualified: str) -> bool:
        if self.is_wildcard:
            return qualified.startswith(self.name[:-1])
        if self.use == "any":
            return qualified == self.name or qualified.startswith(self.name + ".")
        return qualified == self.name


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    message: str
    kind: str  # "api" (flags catalogued APIs) or "structural" (logic lives in wfcheck.checks)
    default: bool
    apis: tuple[ApiPattern, ...]
    exclude: tuple[str, ...]
    alternatives: Mapping[str, str]
    docs: Mapping[str, str]
    valid: tuple[str, ...]
    invalid: tuple[str, ...]
    source: str = field(default="", compare=False)
    # Structural rules: one message per kind of finding, chosen by the finding's key
    # (its `qualified`); `message` is the one for any other key.
    messages: Mapping[str, str] = field(default_factory=dict, compare=False)
    # The engines the rule applies to (an API rule: those its APIs name, unless it says).
    frameworks: tuple[str, ...] = FRAMEWORKS
    # What it flags, in a phrase (the README's rule table); the summary when empty.
    flags: str = ""

    def message_for(self, key: str) -> str:
        return self.messages.get(key, self.message)

    def is_excluded(self, qualified: str) -> bool:
        for pattern in self.exclude:
            if pattern.endswith(".*"):
                if qualified.startswith(pattern[:-1]):
                    return True
            elif qualified == pattern:
                return True
        return False

    @property
    def example(self) -> str:
        """The documented *Example*: the first invalid snippet (tested to report this rule),
        else the docs' own text, for a rule no snippet can show (WF999)."""
        return _shown(self.invalid[0]) if self.invalid else self.docs.get("example", "")

    @property
    def use_instead(self) -> str:
        """The documented *Use instead*: the first valid snippet (tested to report nothing),
        else the docs' own text."""
        return _shown(self.valid[0]) if self.valid else self.docs.get("use_instead", "")

    def alternative_for(self, framework: str | None) -> str | None:
        if framework and framework in self.alternatives:
            return self.alternatives[framework]
        return self.alternatives.get("default")


class Catalog:
    """All rules, indexed by code, plus lookup structures for API matching, plus the return
    types of known APIs (``[returns]`` tables) that name resolution follows."""

    def __init__(
        self,
        rules: Iterable[Rule],
        returns: Mapping[str, str] | None = None,
        handles: Iterable[str] = (),
        allowed: Iterable[str] = (),
        sandbox_passthrough: Iterable[str] = (),
        fingerprint: str = "",
    ) -> None:
        # A digest of the files this catalog was read from ("" for one built otherwise, such
        # as one extended by configuration): equal fingerprints mean equal catalogs, so the
        # result cache keys on it instead of on every rule.
        self.fingerprint = fingerprint
        self.returns: dict[str, str] = dict(returns or {})
        # Modules Temporal's sandbox passes through by default (rules/types.toml [sandbox]).
        self.sandbox_passthrough: frozenset[str] = frozenset(sandbox_passthrough)
        # Qualified names (or `pkg.*` wildcards) a team vouches for: never matched.
        self.allowed: frozenset[str] = frozenset(allowed)
        # Constructors whose objects are stateful handles (see rules/types.toml).
        self.handles: frozenset[str] = frozenset(handles)
        self.rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.code in self.rules:
                raise CatalogError(
                    f"{rule.source}: duplicate rule code {rule.code} "
                    f"(also in {self.rules[rule.code].source})"
                )
            self.rules[rule.code] = rule
        names = [r.name for r in self.rules.values()]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise CatalogError(f"duplicate rule names: {', '.join(sorted(duplicates))}")
        self._exact: dict[str, list[tuple[Rule, ApiPattern]]] = {}
        self._prefix: list[tuple[str, Rule, ApiPattern]] = []
        self._methods: dict[str, list[tuple[Rule, ApiPattern]]] = {}
        for rule in self.rules.values():
            for api in rule.apis:
                if api.method:
                    self._methods.setdefault(api.method, []).append((rule, api))
                elif api.is_wildcard:
                    self._prefix.append((api.name[:-1], rule, api))
                elif api.use == "any":
                    self._exact.setdefault(api.name, []).append((rule, api))
                    self._prefix.append((api.name + ".", rule, api))
                else:
                    self._exact.setdefault(api.name, []).append((rule, api))
        # Every first component any pattern starts with: a cheap test before full matching.
        self.roots: frozenset[str] = frozenset(
            api.name.split(".", 1)[0] for r in self.rules.values() for api in r.apis if api.name
        )

    def __iter__(self):
        return iter(sorted(self.rules.values(), key=lambda r: r.code))

    def get(self, code: str) -> Rule | None:
        return self.rules.get(code)

    def lookup(self, qualified: str, exact_only: bool = False) -> list[tuple[Rule, ApiPattern]]:
        """Every (rule, pattern) whose name pattern matches ``qualified``, minus exclusions."""
        if qualified.split(".", 1)[0] not in self.roots or self.is_allowed(qualified):
            return []
        found = list(self._exact.get(qualified, ()))
        if exact_only:
            return [(rule, api) for rule, api in found if api.use == "call"]
        for prefix, rule, api in self._prefix:
            if qualified.startswith(prefix) and (rule, api) not in found:
                found.append((rule, api))
        # An exact entry stands and overrides its rule's wildcards (`random.Random` is flagged
        # only without a seed although `random.*` matches it); exclusions carve exceptions
        # out of wildcards.
        exact_rules = {rule.code for rule, api in found if api.name == qualified}
        return [
            (rule, api)
            for rule, api in found
            if api.name == qualified
            or (rule.code not in exact_rules and not rule.is_excluded(qualified))
        ]

    def is_allowed(self, qualified: str) -> bool:
        return any(
            qualified == name
            or (name.endswith(".*") and qualified.startswith(name[:-1]))
            for name in self.allowed
        )

    def extended(
        self,
        extra_apis: Mapping[str, Sequence[ApiPattern]] = {},
        new_rules: Sequence[Rule] = (),
        allowed: Iterable[str] = (),
    ) -> Catalog:
        """A copy with user additions: more APIs for existing rules, new rules, allowed names."""
        rules = [
            replace(rule, apis=rule.apis + tuple(extra_apis.get(rule.code, ())))
            for rule in self.rules.values()
        ]
        return Catalog(
            rules + list(new_rules),
            self.returns,
            self.handles,
            self.allowed | set(allowed),
            self.sandbox_passthrough,
        )

    def is_handle(self, qualified: str) -> bool:
        """Does ``qualified`` construct a stateful handle (a client, file, generator)?"""
        return qualified in self.handles

    def lookup_method(self, method: str) -> list[tuple[Rule, ApiPattern]]:
        return list(self._methods.get(method, ()))

    def codes(self) -> list[str]:
        return sorted(self.rules)


def _parse_api(entry: object, where: str) -> ApiPattern:
    if isinstance(entry, str):
        return ApiPattern(name=entry)
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: an API must be a string or a table, not {entry!r}")
    unknown = set(entry) - _API_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown API key(s) {', '.join(sorted(unknown))}")
    name = entry.get("name", "")
    method = entry.get("method", "")
    if bool(name) == bool(method):
        raise CatalogError(f"{where}: an API table needs exactly one of 'name' or 'method'")
    use = entry.get("use", "call")
    if use not in ("call", "any"):
        raise CatalogError(f"{where}: 'use' must be 'call' or 'any', not {use!r}")
    max_args = entry.get("max_args")
    if max_args is not None and (not isinstance(max_args, int) or max_args < 0):
        raise CatalogError(f"{where}: 'max_args' must be a non-negative integer")
    frameworks = entry.get("frameworks", list(FRAMEWORKS))
    bad = set(frameworks) - set(FRAMEWORKS)
    if bad:
        raise CatalogError(f"{where}: unknown framework(s) {', '.join(sorted(bad))}")
    return ApiPattern(
        name=name, use=use, max_args=max_args, frameworks=frozenset(frameworks), method=method
    )


def _parse_rule(data: Mapping[str, object], source: str) -> Rule:
    code = data.get("code")
    where = f"{source}: rule {code or '?'}"
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise CatalogError(f"{where}: 'code' must look like WF123")
    unknown = set(data) - _RULE_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise CatalogError(f"{where}: 'name' must be kebab-case")
    for key in ("summary", "message"):
        if not isinstance(data.get(key), str) or not data.get(key):
            raise CatalogError(f"{where}: '{key}' is required")
    kind = data.get("kind", "api")
    if kind not in ("api", "structural"):
        raise CatalogError(f"{where}: 'kind' must be 'api' or 'structural'")
    apis = tuple(_parse_api(a, where) for a in _array(data, "apis", where))
    if kind == "api" and not apis:
        raise CatalogError(f"{where}: an 'api' rule needs at least one entry in 'apis'")
    alternatives = _string_table(data, "alternatives", where)
    bad = set(alternatives) - set(FRAMEWORKS) - {"default"}
    if bad:
        raise CatalogError(f"{where}: alternatives for unknown framework(s) {sorted(bad)}")
    docs = _string_table(data, "docs", where)
    missing = {"what", "why"} - set(docs)
    if missing:
        raise CatalogError(f"{where}: docs lack {', '.join(sorted(missing))}")
    if set(docs) - _DOC_KEYS:
        raise CatalogError(f"{where}: unknown docs key(s) {sorted(set(docs) - _DOC_KEYS)}")
    messages = _string_table(data, "messages", where)
    named = set(_strings(data, "frameworks", where)) if "frameworks" in data else None
    if named is not None and (not named or named - set(FRAMEWORKS)):
        raise CatalogError(f"{where}: 'frameworks' must name some of {', '.join(FRAMEWORKS)}")
    applies = named if named is not None else {f for api in apis for f in api.frameworks} or set(FRAMEWORKS)
    flags = data.get("flags", "")
    if not isinstance(flags, str):
        raise CatalogError(f"{where}: 'flags' must be a string")
    snippets = _table(data, "snippets", where)
    if set(snippets) - {"valid", "invalid"}:
        raise CatalogError(f"{where}: snippets take only 'valid' and 'invalid'")
    valid, invalid = (_strings(snippets, kind, f"{where}: snippets") for kind in ("valid", "invalid"))
    # The documented Example / Use instead are the first invalid / valid snippets, so the
    # tests run what the documentation shows; only a rule without such a snippet writes its own.
    for key, shown, kind_name in (("example", invalid, "invalid"), ("use_instead", valid, "valid")):
        if key in docs and shown:
            raise CatalogError(
                f"{where}: docs.{key} is the first {kind_name} snippet; drop the docs text"
            )
        if key not in docs and not shown:
            raise CatalogError(f"{where}: docs lack {key} and there is no {kind_name} snippet")
    return Rule(
        code=code,
        name=name,
        summary=str(data["summary"]),
        message=str(data["message"]),
        kind=kind,
        default=bool(data.get("default", True)),
        apis=apis,
        exclude=_strings(data, "exclude", where),
        alternatives=alternatives,
        docs=docs,
        valid=valid,
        invalid=invalid,
        source=source,
        messages=messages,
        frameworks=tuple(f for f in FRAMEWORKS if f in applies),
        flags=flags,
    )


def _shown(snippet: str) -> str:
    """A snippet as documentation shows it: without the test markers."""
    return _EXPECT_MARKER.sub("", snippet)


def _table(data: Mapping[str, object], key: str, where: str) -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: '{key}' must be a table")
    return value


def _string_table(data: Mapping[str, object], key: str, where: str) -> dict[str, str]:
    table = _table(data, key, where)
    for name, value in table.items():
        if not isinstance(value, str):
            raise CatalogError(f"{where}: '{key}.{name}' must be a string")
    return {name: str(value) for name, value in table.items()}


def _array(data: Mapping[str, object], key: str, where: str) -> list[object]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CatalogError(f"{where}: '{key}' must be an array")
    return value


def _strings(data: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    values = _array(data, key, where)
    if not all(isinstance(v, str) for v in values):
        raise CatalogError(f"{where}: '{key}' must be an array of strings")
    return tuple(str(v) for v in values)


def rules_dir() -> Path:
    """Where the shipped catalog lives: inside the package, else the source checkout."""
    packaged = Path(__file__).resolve().parent / "rules"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    raise CatalogError("the rule catalog (rules/*.toml) was not found next to the package")


def load_catalog_files(paths: Sequence[Path], parsed_cache: Path | None = None) -> Catalog:
    """The catalog in the TOML files ``paths``. With ``parsed_cache`` (a file), their parsed
    tables are kept there between runs, as Python keeps bytecode, and read back while the
    files' text is the same: the TOML parser is most of the cost of loading the catalog."""
    texts: list[str] = []
    for path in paths:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CatalogError(f"{path.name}: {exc}") from exc
    fingerprint = content_digest(
        "\0".join(f"{path.name}\0{text}" for path, text in zip(paths, texts)).encode()
    )
    tables = _read_parsed(parsed_cache, fingerprint) if parsed_cache is not None else None
    if tables is None:
        tomllib = toml_parser()
        tables = []
        for path, text in zip(paths, texts):
            try:
                tables.append(tomllib.loads(text))
            except tomllib.TOMLDecodeError as exc:
                raise CatalogError(f"{path.name}: {exc}") from exc
        if parsed_cache is not None:
            _write_parsed(parsed_cache, fingerprint, tables)
    rules: list[Rule] = []
    returns: dict[str, str] = {}
    handles: list[str] = []
    passthrough: list[str] = []
    for path, data in zip(paths, tables):
        unknown = set(data) - {"rules", "returns", "handles", "sandbox"}
        if unknown:
            raise CatalogError(f"{path.name}: unknown top-level key(s) {', '.join(sorted(unknown))}")
        for entry in data.get("rules", []):
            rules.append(_parse_rule(entry, path.name))
        for api, returned in data.get("returns", {}).items():
            if not isinstance(returned, str):
                raise CatalogError(f"{path.name}: returns.{api} must name a type")
            returns[api] = returned
        handle_table = data.get("handles", {})
        if set(handle_table) - {"apis"}:
            raise CatalogError(f"{path.name}: [handles] takes only 'apis'")
        handles.extend(handle_table.get("apis", []))
        sandbox = data.get("sandbox", {})
        if set(sandbox) - {"passthrough"}:
            raise CatalogError(f"{path.name}: [sandbox] takes only 'passthrough'")
        passthrough.extend(sandbox.get("passthrough", []))
    return Catalog(rules, returns, handles, sandbox_passthrough=passthrough, fingerprint=fingerprint)


def _read_parsed(cache: Path, fingerprint: str) -> list[dict[str, Any]] | None:
    """The tables kept in ``cache`` for the files with this fingerprint, else None."""
    try:
        kept = marshal.loads(cache.read_bytes())
    except Exception:  # noqa: BLE001 - missing, unreadable or not ours: parse the files
        return None
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == fingerprint):
        return None
    tables = kept[1]
    if not (isinstance(tables, list) and all(isinstance(t, dict) for t in tables)):
        return None
    return tables


def _write_parsed(cache: Path, fingerprint: str, tables: list[dict[str, Any]]) -> None:
    """Best effort, as Python's own bytecode cache: skipped where the directory cannot be
    written and under ``PYTHONDONTWRITEBYTECODE``; written whole or not at all."""
    if sys.dont_write_bytecode:
        return
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        data = marshal.dumps((fingerprint, tables))
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, cache)
    except (OSError, ValueError):
        # ValueError: a value marshal cannot write (a TOML date).
        with contextlib.suppress(OSError):
            temporary.unlink()


MEANINGS = ("safe", "unsafe")
HISTORIES = ("keeps", "changes")
_ROW_KEYS = {"rule", "apis", "case", "rewrite", "to", "meaning", "history", "why"}


@dataclass(frozen=True)
class FixRow:
    """One rewrite of the fix catalog (rules/fixes/rewrites.toml): for ``rule`` and the APIs
    ``apis`` in the call shape ``case``, write ``rewrite``; its applicability on both axes and
    why. ``rule`` and ``apis`` may be ``*`` (the generated-activity row)."""

    rule: str
    apis: tuple[str, ...]
    case: str
    rewrite: str
    to: str
    meaning: str
    history: str
    why: str

    def covers(self, code: str, qualified: str) -> bool:
        if self.rule not in ("*", code):
            return False
        return any(
            api == "*" or api == qualified or (api.endswith(".*") and qualified.startswith(api[:-1]))
            for api in self.apis
        )


@dataclass(frozen=True)
class FixCatalog:
    """The rewrite rows, the reasons no fix is offered, and how each engine versions a change."""

    rows: tuple[FixRow, ...]
    no_fix: Mapping[str, str]
    versioning: Mapping[str, str]
    # Rules whose value moves into a generated activity when no API rewrite applies, and the
    # verb the activity's name starts with.
    extractable: Mapping[str, str] = field(default_factory=dict)
    # Rules whose fix replaces a value: no fix under a replay guard.
    replaces_value: frozenset[str] = frozenset()
    # Rules whose fixes are the same whatever the engine: offered when it is a guess.
    engine_free: frozenset[str] = frozenset()

    def row(self, code: str, qualified: str, case: str) -> FixRow | None:
        for row in self.rows:
            if row.case == case and row.covers(code, qualified):
                return row
        return None

    def rows_for(self, code: str) -> list[FixRow]:
        """The rows for ``code``: its own, then the generated-activity row if it extracts."""
        own = [row for row in self.rows if row.rule == code]
        if code in self.extractable:
            own += [row for row in self.rows if row.rule == "*"]
        return own

    def why_not(self, key: str) -> str:
        return self.no_fix[key]


@lru_cache(maxsize=1)
def load_fix_catalog() -> FixCatalog:
    path = rules_dir() / "fixes" / "rewrites.toml"
    tomllib = toml_parser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"fixes/{path.name}: {exc}") from exc
    rows = []
    for number, entry in enumerate(data.get("rewrite", []), start=1):
        where = f"fixes/{path.name}: rewrite {number}"
        if set(entry) != _ROW_KEYS:
            raise CatalogError(f"{where}: a row needs exactly {', '.join(sorted(_ROW_KEYS))}")
        if entry["history"] not in HISTORIES:
            raise CatalogError(f"{where}: 'history' must be one of {', '.join(HISTORIES)}")
        if entry["rule"] != "*" and entry["meaning"] not in MEANINGS:
            raise CatalogError(f"{where}: 'meaning' must be one of {', '.join(MEANINGS)}")
        rows.append(
            FixRow(
                rule=entry["rule"],
                apis=tuple(entry["apis"]),
                case=entry["case"],
                rewrite=entry["rewrite"],
                to=entry["to"],
                meaning=entry["meaning"],
                history=entry["history"],
                why=entry["why"],
            )
        )
    return FixCatalog(
        tuple(rows),
        dict(data.get("no_fix", {})),
        dict(data.get("versioning", {})),
        dict(data.get("extractable", {})),
        frozenset(data.get("replaces_value", ())),
        frozenset(data.get("engine_free", ())),
    )


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The shipped catalog, loaded once per process (its parsed tables are kept beside it,
    in `__pycache__/`, between runs)."""
    directory = rules_dir()
    # Where Python would keep the bytecode of a module in that directory.
    if sys.pycache_prefix:
        kept = Path(sys.pycache_prefix, *directory.resolve().parts[1:])
    else:
        kept = directory / "__pycache__"
    parsed = kept / f"catalog.{sys.implementation.cache_tag}.marshal"
    return load_catalog_files(sorted(directory.glob("*.toml")), parsed)
