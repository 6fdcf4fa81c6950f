"""``wfcheck replay check``: every history under a path against one TARGET, and the reports.

The CLI and :mod:`wfcheck.testing` both call :func:`check_path`; the formatters are pure
functions of its results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from wfcheck.runtime.errors import TargetError
from wfcheck.runtime.history_check import MODES, CheckResult, Divergence, check_history
from wfcheck.runtime.importers import TEMPORAL, HistoryFormatError, history_files, load_histories
from wfcheck.runtime.registry import Registry, import_module_from, load_target, split_target

OUTPUT_FORMATS = ("text", "json", "github")


class CheckUsageError(ValueError):
    """Bad TARGET, path or option: one line, exit 2."""


def _split_target(target: str) -> tuple[str, str]:
    try:
        return split_target(target)
    except TargetError as exc:
        raise CheckUsageError(str(exc)) from None


class _Target:
    """The code under check, loaded once: a runtime registry, or a Temporal module."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.module_spec, self.attr = _split_target(target)
        self._registry: tuple[Registry, str] | None = None

    def registry(self) -> tuple[Registry, str]:
        if self._registry is None:
            try:
                self._registry = load_target(self.target)
            except (ImportError, OSError, LookupError, ValueError, SyntaxError) as exc:
                raise CheckUsageError(f"cannot load {self.target}: {exc}") from None
        return self._registry

    def module(self) -> Any:
        try:
            return import_module_from(self.module_spec)
        except (ImportError, OSError, SyntaxError) as exc:
            raise CheckUsageError(f"cannot load {self.target}: {exc}") from None


def _workflow_for(target: _Target, recorded_name: str | None, version: str | None) -> tuple[Any, str]:
    """TARGET's workflow; for a Dapr workflow registered in named versions, the version the
    history recorded (or the latest), as Dapr's worker picks it."""
    registry, name = target.registry()
    resolve = getattr(registry, "resolve_workflow", None)
    if callable(resolve):
        return resolve(name, version)[0], name
    return registry.get_workflow(name), name


def check_path(target: str, path: str, mode: str = "engine") -> list[CheckResult]:
    """Check every history in ``path`` (a file or a folder) against ``target``.

    A history that cannot be read or checked is a result with ``error`` set, so one bad file
    in a folder does not hide the verdicts on the others; a missing path or an unloadable
    TARGET raises :class:`CheckUsageError`.
    """
    if mode not in MODES:
        raise CheckUsageError(f"unknown mode {mode!r} (expected engine or strict)")
    code = _Target(target)
    try:
        files = history_files(path)
    except HistoryFormatError as exc:
        raise CheckUsageError(str(exc)) from None
    if not files:
        raise CheckUsageError(f"{path}: no history files (*.json, *.jsonl, *.json.gz, *.jsonl.gz)")
    results: list[CheckResult] = []
    for file in files:
        try:
            histories = load_histories(file)
        except HistoryFormatError as exc:
            results.append(_error_result(file, mode, str(exc)))
            continue
        for history in histories:
            try:
                if history.format == TEMPORAL:
                    from wfcheck.runtime.temporal_check import TemporalUnavailable, check_temporal

                    try:
                        results.append(check_temporal(code.module(), code.attr, history, mode))
                    except (TemporalUnavailable, LookupError) as exc:
                        raise CheckUsageError(str(exc)) from None
                    continue
                try:
                    workflow, name = _workflow_for(code, history.workflow_name, history.version)
                except LookupError as exc:  # a recorded Dapr version the code no longer has
                    results.append(_unregistered_version(history, mode, str(exc).strip("'\"")))
                    continue
                codec = getattr(code.registry()[0], "codec", None)
                results.append(check_history(workflow, history, mode, name, codec))
            except (HistoryFormatError, ValueError) as exc:
                if isinstance(exc, CheckUsageError):
                    raise
                results.append(_error_result(history.source, mode, str(exc), history.instance_id))
    return results


def _unregistered_version(history: Any, mode: str, message: str) -> CheckResult:
    result = CheckResult(
        source=history.source,
        instance_id=history.instance_id,
        engine=history.engine,
        format=history.format,
        mode=mode,
        workflow=history.workflow_name,
        events=len(history.events),
    )
    result.divergence = Divergence(
        kind="version-not-registered",
        message=f"{message}; the engine cannot replay this instance at all",
        engine_message="VersionNotRegistered" if history.engine == "dapr" else None,
    )
    return result


def _error_result(source: str, mode: str, message: str, instance_id: str = "") -> CheckResult:
    return CheckResult(
        source=source,
        instance_id=instance_id,
        engine="",
        format="",
        mode=mode,
        workflow=None,
        events=0,
        error=message,
    )


def exit_code(results: Sequence[CheckResult]) -> int:
    """0 all replayed, 1 a divergence, 2 only unreadable histories (input errors)."""
    if any(r.divergence is not None for r in results):
        return 1
    if any(r.error is not None for r in results):
        return 2
    return 0


def summary(results: Sequence[CheckResult]) -> str:
    diverged = sum(1 for r in results if r.divergence is not None)
    errors = sum(1 for r in results if r.error is not None)
    ok = len(results) - diverged - errors
    parts = [f"{len(results)} histor{'y' if len(results) == 1 else 'ies'} checked", f"{ok} replayed"]
    parts.append(f"{diverged} diverged")
    if errors:
        parts.append(f"{errors} unreadable")
    mode = results[0].mode if results else "engine"
    return ", ".join(parts) + f" ({mode} mode)"


# -- formatters (pure) ----------------------------------------------------------------------------


def _rel(path: str | None) -> str | None:
    if not path:
        return path
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def format_text(results: Sequence[CheckResult]) -> str:
    lines = []
    for result in results:
        head = f"{_rel(result.source)} [{result.instance_id}]" if result.instance_id else _rel(result.source)
        if result.error:
            lines.append(f"{head}: error: {result.error}" if result.instance_id else f"error: {result.error}")
            continue
        if result.divergence is None:
            lines.append(f"{head}: ok ({result.engine}, {result.events} events)")
            continue
        d = result.divergence
        lines.append(f"{head}: DIVERGED ({result.engine}, {result.mode} mode)")
        where = []
        if d.event_id is not None:
            where.append(f"event id {d.event_id}")
        if d.event_index is not None:
            where.append(f"event #{d.event_index}")
        if d.sequence is not None:
            where.append(f"sequence number {d.sequence}")
        if where:
            lines.append(f"  at history {', '.join(where)}")
        if d.recorded is not None or d.actual is not None:
            lines.append(f"  history recorded: {_side_text(d.recorded)}")
            # a replayer that only names the history event (Temporal's) says what the code did
            if d.actual is not None or d.kind != "mismatch":
                lines.append(f"  code did now:     {_side_text(d.actual)}")
        if d.location:
            lines.append(f"  workflow line:    {_rel(d.location)}")
        lines.append(f"  {d.message}")
        if d.engine_message:
            lines.append(f"  engine says: {d.engine_message}")
    lines.append(summary(results))
    return "\n".join(lines)


def _side_text(side: Any) -> str:
    if side is None:
        return "(nothing)"
    parts = [side.kind]
    if side.name is not None:
        parts.append(repr(side.name))
    if side.input_digest is not None:
        parts.append(f"input#{side.input_digest}")
    if side.detail:
        parts.append(side.detail)
    return " ".join(parts)


def format_json(results: Sequence[CheckResult]) -> str:
    document = {
        "results": [r.to_dict() for r in results],
        "summary": {
            "checked": len(results),
            "diverged": sum(1 for r in results if r.divergence is not None),
            "errors": sum(1 for r in results if r.error is not None),
            "mode": results[0].mode if results else None,
        },
    }
    return json.dumps(document, indent=2)


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(results: Sequence[CheckResult]) -> str:
    """GitHub Actions workflow commands: one ``::error`` annotation per divergence, on the
    workflow line that diverged."""
    lines = []
    for result in results:
        if result.error:
            title = _escape("wfcheck replay check", prop=True)
            lines.append(f"::error title={title}::{_escape(result.error)}")
            continue
        d = result.divergence
        if d is None:
            continue
        text = (
            f"{result.source} [{result.instance_id}] diverged ({result.mode} mode): {d.message}"
            f" | history recorded: {_side_text(d.recorded)} | code did now: {_side_text(d.actual)}"
        )
        if d.engine_message:
            text += f" | engine says: {d.engine_message}"
        props = [f"title={_escape('replay divergence', prop=True)}"]
        path, line = d.to_dict()["path"], d.to_dict()["line"]
        if path:
            props.insert(0, f"file={_escape(_rel(path) or path, prop=True)}")
            if line:
                props.insert(1, f"line={line}")
        lines.append(f"::error {','.join(props)}::{_escape(text)}")
    lines.append(summary(results))
    return "\n".join(lines)


FORMATTERS = {"text": format_text, "json": format_json, "github": format_github}
