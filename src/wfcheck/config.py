"""Configuration: `[tool.wfcheck]` in `pyproject.toml`, or `wfcheck.toml` / `.wfcheck.toml`.

A pure function from the files found and the command-line options to the effective
:class:`~wfcheck.settings.Settings`. Files are found by walking up from each checked path (the
nearest wins; in one directory `.wfcheck.toml` before `wfcheck.toml` before a `pyproject.toml`
that has a `[tool.wfcheck]` table); `--config PATH` names one for every path and `--isolated`
ignores them all. Command-line options override the file as ruff's do: `--select` replaces
the file's selection, `--extend-select` and `--ignore` apply on top of it, `--per-file-ignores`
replaces the file's table. Every problem is a :class:`ConfigError` naming the file, the key and
what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfcheck.catalog import FRAMEWORKS, ApiPattern, Catalog, Rule, load_catalog, toml_parser
from wfcheck.discovery import ROOT_MARKERS, directories_containing, pattern_error, real_path
from wfcheck.frameworks import MARKERS, configured_specs
from wfcheck.settings import CACHE_DIR_NAME, Settings, select_codes, unknown_selectors

CONFIG_FILES = (".wfcheck.toml", "wfcheck.toml", "pyproject.toml")
# Codes a team may give its own `banned-api` entries (any existing API rule's code works too).
USER_CODES = re.compile(r"^WF0[0-9][1-9]$|^WF0[1-9]0$")
_QUALIFIED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(\.\*)?$")
_CODE = re.compile(r"^WF[0-9]{3}$")
# A `[tool.wfcheck]` (or `[tool.wfcheck.<sub>]`) header or a `tool.wfcheck.<key> =` dotted key:
# how a pyproject.toml that is not valid TOML still shows that it configures wfcheck.
_OUR_TABLE = re.compile(
    rb"""^[ \t]*(?:\[[ \t]*tool[ \t]*\.[ \t]*["']?wfcheck["']?[ \t]*[\].]"""
    rb"""|tool[ \t]*\.[ \t]*["']?wfcheck["']?[ \t]*\.)""",
    re.MULTILINE,
)

KEYS = (
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "force-exclude",
    "src",
    "frameworks",
    "workflow-decorators",
    "activity-decorators",
    "workflow-context-types",
    "banned-api",
    "allowed-api",
    "unsafe-fixes",
    "versioned-fixes",
    "cache-dir",
)


class ConfigError(Exception):
    """A configuration file or option is wrong; the message says where and what was expected."""


@dataclass
class Options:
    """What the command line says; ``None`` means "not given" (the file decides)."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    # `GLOB:CODES` entries; given, they replace the file's `per-file-ignores`.
    per_file_ignores: list[str] | None = None
    exclude: list[str] | None = None
    extend_exclude: list[str] = field(default_factory=list)
    force_exclude: bool | None = None
    src: list[str] = field(default_factory=list)
    unsafe_fixes: bool | None = None
    versioned_fixes: bool | None = None
    config: str | None = None
    isolated: bool = False
    # Read and write the result cache (the command line does; library callers opt in).
    cache: bool = False
    cache_dir: str | None = None
    jobs: int = 1


@dataclass
class FileConfig:
    """One configuration file's validated contents (paths already made absolute)."""

    path: Path | None = None
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    exclude: list[tuple[str, str]] = field(default_factory=list)
    force_exclude: bool = False
    src: list[str] = field(default_factory=list)
    frameworks: list[str] | None = None
    decorators: dict[str, dict[str, str]] = field(default_factory=dict)
    banned: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    allowed: list[str] = field(default_factory=list)
    unsafe_fixes: bool = False
    versioned_fixes: bool = False
    cache_dir: str | None = None


# -- finding files -------------------------------------------------------------------------


def _has_wfcheck_table(pyproject: Path) -> bool:
    """Does this pyproject.toml configure wfcheck? One that cannot be decoded or parsed counts
    when its text has a `[tool.wfcheck]` header (or dotted key): reading it then fails with
    exit 2, as a broken `wfcheck.toml` does, instead of the run going on with the defaults."""
    try:
        raw = pyproject.read_bytes()
    except OSError:
        return False
    tomllib = toml_parser()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        # Broken: ours to report only when it means to configure wfcheck.
        return _OUR_TABLE.search(raw) is not None
    return isinstance(data.get("tool"), dict) and "wfcheck" in data["tool"]


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start`` (a file's directory is used)."""
    current = real_path(start)
    if not current.is_dir():
        current = current.parent
    for directory in (current, *current.parents):
        name = _config_name(directory)
        if name:
            return directory / name
    return None


def read_config(path: Path) -> FileConfig:
    """Load and validate one configuration file."""
    tomllib = toml_parser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("wfcheck", {}) if isinstance(data.get("tool"), dict) else {}
        where = f"{path}: [tool.wfcheck]"
    else:
        table, where = data, str(path)
        tool = data.get("tool")
        if isinstance(tool, dict) and "wfcheck" in tool:
            raise ConfigError(
                f"{where}: a {path.name} takes the keys without a table header: drop the "
                "`[tool.wfcheck]` line (that header is for pyproject.toml)"
            )
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return parse_table(table, where, real_path(path.parent), path)


# -- validating values ---------------------------------------------------------------------


def _fail(where: str, key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{where}: key `{key}`: expected {expected}, got {value!r}")


def _pattern(pattern: str, where: str) -> str:
    """``pattern``, if pathspec can compile it: checked here, it is a config error (exit 2)
    rather than a crash in the middle of the run."""
    error = pattern_error(pattern)
    if error:
        raise ConfigError(f"{where}: invalid glob pattern {pattern!r}: {error}")
    return pattern


def _strings(table: Mapping[str, Any], key: str, where: str, expected: str) -> list[str] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, key, expected, value)
    return list(value)


def _codes(table: Mapping[str, Any], key: str, where: str) -> list[str] | None:
    values = _strings(table, key, where, "a list of rule codes or prefixes such as [\"WF1\", \"WF202\"]")
    return [v.strip().upper() for v in values] if values is not None else None


def _bool(table: Mapping[str, Any], key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise _fail(where, key, "true or false", value)
    return value


def _qualified(name: str, where: str, key: str) -> str:
    if not _QUALIFIED.match(name):
        raise _fail(where, key, "qualified names such as `acme.clock.now` (or `acme.clock.*`)", name)
    return name


def _engine_table(
    table: Mapping[str, Any], key: str, where: str, frameworks: list[str] | None
) -> dict[str, str]:
    """`workflow-decorators` and friends: a table name -> engine, or a list when the
    configuration checks exactly one engine."""
    if key not in table:
        return {}
    value = table[key]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if frameworks is None or len(frameworks) != 1:
            raise _fail(
                where,
                key,
                f'a table from qualified name to engine (e.g. {{"acme.wf.durable" = "{FRAMEWORKS[0]}"}}); '
                "a plain list needs `frameworks` to name exactly one engine",
                value,
            )
        return {_qualified(v, where, key): frameworks[0] for v in value}
    if isinstance(value, dict):
        result = {}
        for name, engine in value.items():
            if engine not in FRAMEWORKS:
                raise _fail(where, f"{key}.{name}", f"one of {', '.join(FRAMEWORKS)}", engine)
            result[_qualified(name, where, key)] = engine
        return result
    raise _fail(where, key, "a table from qualified name to engine, or a list of names", value)


def parse_table(
    table: Mapping[str, Any], where: str, root: Path, path: Path | None = None
) -> FileConfig:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key `{unknown[0]}` (expected one of: {', '.join(KEYS)})"
        )
    config = FileConfig(path=path)
    config.select = _codes(table, "select", where)
    config.extend_select = _codes(table, "extend-select", where) or []
    config.ignore = _codes(table, "ignore", where) or []
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise _fail(where, "per-file-ignores", "a table from glob to a list of codes", pfi)
    for pattern, codes in pfi.items():
        values = _codes({pattern: codes}, pattern, f"{where}: per-file-ignores")
        config.per_file_ignores.append(
            (str(root), _pattern(pattern, f"{where}: per-file-ignores"), tuple(values or ()))
        )
    for key in ("exclude", "extend-exclude"):
        patterns = _strings(table, key, where, "a list of glob patterns") or []
        config.exclude += [(str(root), _pattern(p, f"{where}: key `{key}`")) for p in patterns]
    config.force_exclude = _bool(table, "force-exclude", where)
    config.src = [
        str(real_path(root / s))
        for s in _strings(table, "src", where, "a list of directories") or []
    ]
    frameworks = table.get("frameworks", "auto")
    if frameworks != "auto":
        if (
            not isinstance(frameworks, list)
            or not frameworks
            or not all(f in FRAMEWORKS for f in frameworks)
        ):
            raise _fail(
                where, "frameworks", f"\"auto\" or a non-empty list of {', '.join(FRAMEWORKS)}", frameworks
            )
        config.frameworks = list(frameworks)
    for key in ("workflow-decorators", "activity-decorators", "workflow-context-types"):
        config.decorators[key] = _engine_table(table, key, where, config.frameworks)
    banned = table.get("banned-api", {})
    if not isinstance(banned, dict):
        raise _fail(where, "banned-api", "a table from qualified name to {code, message}", banned)
    for name, entry in banned.items():
        key = f"banned-api.\"{name}\""
        _qualified(name, where, key)
        if not isinstance(entry, dict) or set(entry) - {"code", "message"}:
            raise _fail(where, key, "a table with `code` and/or `message`", entry)
        code = entry.get("code", "WF001")
        message = entry.get("message")
        if not isinstance(code, str) or not _CODE.match(code.upper()):
            raise _fail(where, f"{key}.code", "a rule code such as \"WF001\"", code)
        if message is not None and not isinstance(message, str):
            raise _fail(where, f"{key}.message", "a string", message)
        config.banned[name] = (code.upper(), message)
    config.allowed = [
        _qualified(n, where, "allowed-api")
        for n in _strings(table, "allowed-api", where, "a list of qualified names") or []
    ]
    config.unsafe_fixes = _bool(table, "unsafe-fixes", where)
    config.versioned_fixes = _bool(table, "versioned-fixes", where)
    if "cache-dir" in table:
        cache_dir = table["cache-dir"]
        if not isinstance(cache_dir, str) or not cache_dir.strip():
            raise _fail(where, "cache-dir", "a directory path", cache_dir)
        resolved = (root / cache_dir).resolve()
        if resolved != root.resolve() and root.resolve() not in resolved.parents:
            # A configuration (a vendored one, say) must not make a run write elsewhere;
            # the user's own --cache-dir or WFCHECK_CACHE_DIR may.
            raise ConfigError(
                f"{where}: key `cache-dir`: {cache_dir!r} leaves the project ({root}); "
                f"use --cache-dir or WFCHECK_CACHE_DIR for a cache outside it"
            )
        config.cache_dir = str(resolved)
    return config


# -- from a file and the command line to Settings -------------------------------------------


def _banned_catalog(catalog: Catalog, config: FileConfig) -> Catalog:
    """The shipped catalog plus the file's `banned-api` entries and minus its `allowed-api`."""
    where = f"{config.path}" if config.path else "configuration"
    extra: dict[str, list[ApiPattern]] = {}
    new: dict[str, list[ApiPattern]] = {}
    for name, (code, _message) in config.banned.items():
        pattern = ApiPattern(name=name, use="any")
        rule = catalog.get(code)
        if rule is not None and rule.kind == "api":
            extra.setdefault(code, []).append(pattern)
        elif rule is None and USER_CODES.match(code):
            new.setdefault(code, []).append(pattern)
        else:
            raise ConfigError(
                f"{where}: key `banned-api.\"{name}\".code`: expected an API rule's code "
                f"(such as WF101) or one of your own in WF001-WF099, got {code!r}"
            )
    if not (extra or new or config.allowed):
        return catalog
    rules = [_banned_rule(code, apis) for code, apis in sorted(new.items())]
    return catalog.extended(extra, rules, config.allowed)


def _banned_rule(code: str, apis: list[ApiPattern]) -> Rule:
    return Rule(
        code=code,
        name=f"banned-api-{code[2:]}",
        summary="Uses an API the project's configuration bans in workflow code",
        message="`{api}` is banned in workflow code by the project's configuration",
        kind="api",
        default=True,
        apis=tuple(apis),
        exclude=(),
        alternatives={},
        docs={
            "what": "Flags uses of the APIs listed under `banned-api` with this code.",
            "why": "The project bans them in workflow code (see its configuration).",
            "example": "",
            "use_instead": "",
        },
        valid=(),
        invalid=(),
        source="configuration",
    )


def _parse_per_file_ignores(entries: Sequence[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    result = []
    for entry in entries:
        pattern, sep, codes = entry.rpartition(":")
        if not sep or not pattern or not codes.strip():
            raise ConfigError(
                f"option --per-file-ignores: expected GLOB:CODES (e.g. 'tests/*.py:WF101'), got {entry!r}"
            )
        selectors = tuple(c.strip().upper() for c in codes.split(",") if c.strip())
        result.append((str(Path.cwd()), _pattern(pattern, "option --per-file-ignores"), selectors))
    return result


def build_settings(config: FileConfig, options: Options, catalog: Catalog | None = None) -> Settings:
    """The effective settings: the file's values overridden by the command line's."""
    catalog = _banned_catalog(catalog or load_catalog(), config)
    where = f"{config.path}" if config.path else "configuration"
    for key, selectors in (
        ("select", config.select or []),
        ("extend-select", config.extend_select),
        ("ignore", config.ignore),
        *(("per-file-ignores", list(s)) for _r, _p, s in config.per_file_ignores),
    ):
        unknown = unknown_selectors(catalog, selectors)
        if unknown:
            raise ConfigError(
                f"{where}: key `{key}`: unknown rule code or prefix {unknown[0]!r} "
                "(see `wfcheck rule --list`)"
            )
    per_file_ignores = config.per_file_ignores
    if options.per_file_ignores is not None:
        per_file_ignores = _parse_per_file_ignores(options.per_file_ignores)
    cli_selectors = (options.select or []) + options.extend_select + options.ignore
    cli_selectors += [s for _r, _p, selectors in per_file_ignores for s in selectors]
    unknown = unknown_selectors(catalog, cli_selectors)
    if unknown:
        raise ConfigError(f"unknown rule selector(s): {', '.join(unknown)} (see `wfcheck rule --list`)")
    enabled = select_codes(catalog, config.select, config.ignore, config.extend_select)
    enabled = select_codes(
        catalog, options.select, options.ignore, options.extend_select, base=enabled
    )
    exclude = list(config.exclude)
    cwd = str(Path.cwd())
    if options.exclude is not None:
        exclude = [(cwd, _pattern(p, "option --exclude")) for p in options.exclude]
    exclude += [(cwd, _pattern(p, "option --extend-exclude")) for p in options.extend_exclude]
    specs = configured_specs(
        config.frameworks,
        config.decorators.get("workflow-decorators", {}),
        config.decorators.get("activity-decorators", {}),
        config.decorators.get("workflow-context-types", {}),
    )
    # In-house wrappers need not name an engine: their own package marks a candidate file.
    extra_markers = {
        name.split(".", 1)[0].encode()
        for table in config.decorators.values()
        for name in table
    }
    return Settings(
        catalog=catalog,
        enabled=enabled,
        src=tuple(config.src) + tuple(options.src),
        exclude=tuple(exclude),
        force_exclude=options.force_exclude if options.force_exclude is not None else config.force_exclude,
        per_file_ignores=tuple(per_file_ignores),
        specs=specs,
        markers=tuple(sorted(set(MARKERS) | extra_markers)),
        banned_messages=tuple(
            ((code, name), message)
            for name, (code, message) in sorted(config.banned.items())
            if message
        ),
        unsafe_fixes=options.unsafe_fixes if options.unsafe_fixes is not None else config.unsafe_fixes,
        versioned_fixes=(
            options.versioned_fixes
            if options.versioned_fixes is not None
            else config.versioned_fixes
        ),
        cache_dir=_cache_dir(config, options),
        jobs=options.jobs,
        config_path=str(config.path) if config.path is not None else None,
    )


def _cache_dir(config: FileConfig, options: Options) -> str | None:
    """`--cache-dir`, else `cache-dir`, else `.wfcheck_cache` beside the configuration file,
    else at the working directory's project root (or the working directory itself)."""
    if not options.cache:
        return None
    if options.cache_dir is not None:
        return str(Path(options.cache_dir).resolve())
    if config.cache_dir is not None:
        return config.cache_dir
    if config.path is not None:
        return str(config.path.parent.resolve() / CACHE_DIR_NAME)
    cwd = Path.cwd()
    for directory in (cwd, *cwd.parents):
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return str(directory / CACHE_DIR_NAME)
    return str(cwd / CACHE_DIR_NAME)


def resolve(
    paths: Sequence[str], options: Options, catalog: Catalog | None = None
) -> list[tuple[Settings, list[str]]]:
    """The checked paths grouped by the settings that apply to them (one group per
    configuration file found), in the order the paths were given."""
    if options.isolated and options.config is not None:
        # As ruff: the two contradict each other.
        raise ConfigError("options --config and --isolated cannot be used together")
    if options.isolated:
        return [(build_settings(FileConfig(), options, catalog), list(paths))]
    if options.config is not None:
        explicit = Path(options.config)
        if not explicit.is_file():
            raise ConfigError(f"option --config: no such file: {options.config}")
        config = read_config(explicit)
        return [(build_settings(config, options, catalog), list(paths))]
    groups: dict[Path | None, list[str]] = {}
    nested: dict[Path | None, set[str]] = {}

    def add(path: str) -> Path | None:
        config_path = find_config(Path(path))
        members = groups.setdefault(config_path, [])
        if path not in members:
            members.append(path)
        return config_path

    for path in paths:
        config_path = add(path)
        if not os.path.isdir(path):
            continue
        # As ruff does, a file is checked with the configuration nearest to it: directories
        # below with their own are checked in their own group, not in this one (one scan of
        # the tree finds them all, at every depth).
        below = [d for d in directories_containing(path, CONFIG_FILES) if _config_name(d)]
        for directory in below:
            absolute = os.path.abspath(directory)
            # Every group whose walk would reach it: this path's, and those of the nested
            # directories above it.
            above = [d for d in below if absolute.startswith(os.path.abspath(d) + os.sep)]
            for owner in [config_path] + [find_config(Path(d)) for d in above]:
                nested.setdefault(owner, set()).add(absolute)
            add(directory)
    result = []
    for config_path, members in groups.items():
        config = read_config(config_path) if config_path is not None else FileConfig()
        settings = build_settings(config, options, catalog)
        own_nested = tuple(sorted(nested.get(config_path, ())))
        if own_nested:
            settings = dataclasses.replace(settings, nested_configs=own_nested)
        result.append((settings, members))
    return result


def _config_name(directory: str | Path) -> str:
    """The name of the configuration file in ``directory`` itself, or "" when it has none
    (a `pyproject.toml` counts only with a `[tool.wfcheck]` table)."""
    for name in CONFIG_FILES:
        candidate = Path(directory) / name
        if candidate.is_file() and (name != "pyproject.toml" or _has_wfcheck_table(candidate)):
            return name
    return ""
