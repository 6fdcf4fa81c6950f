"""Turning a file's bytes into a LibCST module the way Python would read them: BOM, PEP 263
cookie, and errors that carry the parser's own line and message."""

from __future__ import annotations

import ast
import codecs
import contextvars
import io
import os
import queue
import re
import sys
import threading
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, TypeVar, cast

from wfcheck.digest import content_digest as content_digest

if TYPE_CHECKING:
    # LibCST costs ~0.3 s CPU to import: only the functions that parse import it, so a run
    # that parses nothing (`--version`, a tree the prefilter empties) never pays for it.
    import libcst as cst


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    bom: bool


class SourceError(Exception):
    """The bytes cannot be turned into Python source text. ``key`` names the WF900 message
    (rules/WF9-errors.toml) and ``fields`` fill it in (the parser's ``detail``, an ``encoding``)."""

    def __init__(
        self, key: str, line: int = 1, column: int = 1, text: str = "", **fields: str
    ) -> None:
        self.key = key
        self.fields = fields
        self.message = syntax_error_message(key, **fields)
        super().__init__(self.message)
        self.line = line
        self.column = column
        # The decoded text when decoding succeeded (for showing the offending line).
        self.text = text


def syntax_error_message(key: str, **fields: str) -> str:
    """The syntax-error rule's message for ``key`` (the catalog owns the words)."""
    from wfcheck.catalog import load_catalog
    from wfcheck.settings import SYNTAX_ERROR

    return load_catalog().rules[SYNTAX_ERROR].message_for(key).format(**fields)


def decode_source(data: bytes) -> SourceText:
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        conflict = _bom_cookie_conflict(data) if bom else None
        if conflict is not None:
            name, line = conflict
            raise SourceError("bom-and-cookie", line, encoding=name) from None
        # Undecodable bytes in the first two lines land here too; report where they are.
        encoding = "utf-8"
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            pass
        else:
            raise SourceError("encoding-declaration", exc.lineno or 1, detail=exc.msg) from None
    try:
        text = data.decode(encoding)
    # UnicodeError, not only UnicodeDecodeError: codecs such as idna and punycode raise it.
    except (UnicodeError, LookupError) as exc:
        line, column = _locate(data, getattr(exc, "start", 0))
        name = "utf-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        reason = str(getattr(exc, "reason", exc))
        raise SourceError("undecodable", line, column, encoding=name, detail=reason) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\0" in text:
        # Neither CPython nor LibCST says where the null byte is.
        line, column = _locate(text, text.index("\0"))
        raise SourceError("null-bytes", line, column, text)
    return SourceText(text=text, encoding=encoding, bom=bom)


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _bom_cookie_conflict(data: bytes) -> tuple[str, int] | None:
    """(the encoding named, its line) when a BOM file's PEP 263 cookie names something other
    than utf-8, which Python refuses ("encoding problem: ... with BOM")."""
    for number, line in enumerate(data[len(codecs.BOM_UTF8) :].splitlines()[:2], start=1):
        match = _COOKIE.match(line)
        if match is not None:
            name = match.group(1).decode("ascii", "replace")
            try:
                if codecs.lookup(name).name == "utf-8":
                    return None
            except LookupError:
                pass
            return name, number
    return None


def _locate(data: bytes | str, offset: int | None) -> tuple[int, int]:
    offset = offset or 0
    # The column counts from 1 after the last newline before ``offset``.
    if isinstance(data, bytes):
        before_bytes = data[:offset]
        return before_bytes.count(b"\n") + 1, offset - before_bytes.rfind(b"\n")
    before = data[:offset]
    return before.count("\n") + 1, offset - before.rfind("\n")


# Files above this many bytes are not parsed: LibCST needs minutes and gigabytes for them.
MAX_FILE_BYTES = 10 * 1024 * 1024


class FileTooLarge(SourceError):
    """The file is above :data:`MAX_FILE_BYTES`; it is skipped, not judged (no finding: a
    note on the file's result)."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self.key, self.fields, self.message = "", {}, message
        self.line, self.column, self.text = 1, 1, ""


def parse_source(data: bytes) -> tuple[str, cst.Module, ast.Module | None]:
    """Decode and parse; raises :class:`SourceError` for anything that is not valid Python.
    Also the stdlib parser's tree of the text where the check against deep nesting made one
    (Python 3.11+; None before, or for syntax newer than the interpreter's)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"skipped: {len(data) / 1024 / 1024:.1f} MB is above the "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB limit for parsing"
        )
    text = decode_source(data).text
    module, tree = on_deep_stack(_parse, text)
    return text, module, tree


def parse_text(text: str, python: bool = False) -> cst.Module:
    """Parse decoded source; raises :class:`SourceError` (never crashes on deep nesting).
    With ``python``, also when the running interpreter rejects what LibCST accepts (syntax
    newer than it)."""
    return on_deep_stack(_parse, text, python)[0]


def parse_annotation(text: str) -> cst.BaseExpression | None:
    """The expression in a quoted annotation, or None when it is not one."""
    try:
        return on_deep_stack(_parse_expression, text)
    except SourceError:
        return None


# LibCST's native parser recurses on the C stack: on the main thread it crashes the process
# (SIGSEGV) at a few thousand levels of nesting, even where CPython accepts the file. On a
# thread with this much stack (reserved, not committed) it reaches the depths CPython allows.
DEEP_STACK_BYTES = 512 * 1024 * 1024
# LibCST's visitors recurse about five Python frames per level of nesting: with the default
# limit of 1000, a few hundred implicitly concatenated strings (pydoc_data/topics.py) could not
# be checked. The deep stack has room for this many frames. Only the analysis runs under it:
# CPython's compiler scales its own depth limit with it, and that limit guards the parser
# (helper modules the analysis parses get the looser verdict; lowering the limit again in the
# middle of a deep walk would raise).
DEEP_RECURSION_LIMIT = 20_000
# threading.stack_size is process-wide: hold it only while a thread is started.
_STACK_SIZE_LOCK = threading.Lock()
_Result = TypeVar("_Result")


class _DeepThread:
    """A thread with :data:`DEEP_STACK_BYTES` of stack that runs the calls handed to it, one
    at a time, for the whole process. A fresh thread per call made the calls slower: LibCST
    parsed a dense project's files 25% slower on a fresh thread each (presumably as its
    stack and heap pages are touched anew), and a run makes two calls a file."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[None] = queue.SimpleQueue()
        with _STACK_SIZE_LOCK:
            previous = threading.stack_size(DEEP_STACK_BYTES)
            try:
                threading.Thread(target=self._serve, name="wfcheck-deep", daemon=True).start()
            finally:
                threading.stack_size(previous)

    def _serve(self) -> None:
        while True:
            call = self._calls.get()
            if call is _RETIRE:
                return
            call()
            self._done.put(None)

    def run(self, call: Callable[[], None]) -> None:
        self._calls.put(call)
        self._done.get()

    def retire(self) -> None:
        """End the thread: its stack is unmapped."""
        self._calls.put(_RETIRE)


def _RETIRE() -> None:
    """What tells a deep thread to end."""


# Deep threads waiting for a call. A call made on one (a helper module parsed during an
# analysis) takes another, so they nest; a forked child has none of its parent's threads.
_IDLE: list[_DeepThread] = []
_IDLE_LOCK = threading.Lock()
if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork either
    os.register_at_fork(after_in_child=_IDLE.clear)

# A call after which this much more memory is resident retires its thread: the stack pages a
# deep recursion touched stay resident while the thread lives (27 MB after a parse of 3,000
# implicitly concatenated strings), and a long-lived process (the language server) would
# keep them for good. A call that keeps what it made (a large file's tree) retires one too,
# for the price of starting the next.
RETIRE_AFTER_BYTES = 16 * 1024 * 1024


def _resident_bytes() -> int:
    """This process's resident memory; 0 where /proc does not tell it (not Linux)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def on_deep_stack(
    function: Callable[..., _Result], *args: object, recursion_limit: int = 0
) -> _Result:
    """``function(*args)`` on a thread with :data:`DEEP_STACK_BYTES` of stack (and a higher
    ``recursion_limit`` if given); what it raises is raised here. The calling thread waits."""
    results: list[_Result] = []
    errors: list[BaseException] = []
    # The thread runs in its own context: carry the caller's (the active engine specs).
    context = contextvars.copy_context()

    def run() -> None:
        try:
            results.append(context.run(function, *args))
        except BaseException as exc:  # re-raised on the calling thread below
            errors.append(exc)

    with _IDLE_LOCK:
        thread = _IDLE.pop() if _IDLE else None
    if thread is None:
        thread = _DeepThread()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, recursion_limit))
    resident = _resident_bytes()
    try:
        thread.run(run)
    finally:
        sys.setrecursionlimit(limit)
    # Handed out again: a thread that finished its call (not one whose caller was interrupted
    # while it ran) and that the call did not leave holding memory.
    if _resident_bytes() - resident >= RETIRE_AFTER_BYTES:
        thread.retire()
    else:
        with _IDLE_LOCK:
            _IDLE.append(thread)
    if errors:
        raise errors[0]
    return results[0]


def _parse(text: str, python: bool = False) -> tuple[cst.Module, ast.Module | None]:
    import libcst as cst

    # CPython judges nesting first: it refuses deep files quickly and cleanly (too many nested
    # parentheses, RecursionError or MemoryError), where LibCST takes time quadratic in the
    # depth. Its verdict also names the line of a syntax error.
    tree: list[ast.Module] = []
    python_error = _python_syntax_error(text, tree=None if python else tree)
    if isinstance(python_error, _TooDeep):
        raise SourceError(
            python_error.key, python_error.line, python_error.column, text, **python_error.fields
        )
    if python and python_error is not None:
        line, column = python_error.lineno or 1, python_error.offset or 1
        raise SourceError("syntax", line, column, text, detail=str(python_error.msg))
    try:
        return cst.parse_module(text), tree[0] if tree else None
    except cst.ParserSyntaxError as exc:
        if python_error is not None:
            key, detail = "syntax", str(python_error.msg)
            line, column = python_error.lineno or 1, python_error.offset or 1
        else:
            key, detail = "cannot-parse", exc.message
            line, column = exc.raw_line, exc.raw_column + 1
        raise SourceError(key, line, column, text, detail=detail) from None
    except RecursionError:
        raise SourceError(TOO_DEEP, text=text) from None


def _parse_expression(text: str) -> cst.BaseExpression:
    import libcst as cst

    if isinstance(_python_syntax_error(text, "eval"), _TooDeep):
        raise SourceError(TOO_DEEP)
    try:
        return cst.parse_expression(text)
    except (cst.ParserSyntaxError, RecursionError):
        raise SourceError("syntax", detail="not an expression") from None


# The key of the syntax-error message for a file nested deeper than the parsers allow.
TOO_DEEP = "too-deep"


@dataclass(frozen=True)
class _TooDeep:
    key: str = TOO_DEEP
    line: int = 1
    column: int = 1
    fields: dict[str, str] = field(default_factory=dict)


def python_accepts(text: str) -> bool:
    """Does the running interpreter parse ``text``? (LibCST also takes syntax newer than it.)"""
    return _python_syntax_error(text) is None


# From Python 3.11 the stdlib parser limits its own recursion: parsing to a tree refuses what
# is nested too deeply as compiling does (before, only the compiler had a limit: ast.parse
# accepts `a + a + ...` 100000 times, which LibCST takes hours on).
_PARSER_LIMITS_DEPTH = sys.version_info >= (3, 11)


def _python_syntax_error(
    text: str, mode: str = "exec", tree: list[ast.Module] | None = None
) -> None | SyntaxError | _TooDeep:
    """What the running interpreter says about ``text``: nothing, a syntax error (which may
    only mean the file uses newer syntax), or that it is nested too deeply. Given ``tree``,
    where the parser alone judges depth (3.11+), the text is parsed, not compiled, and the
    stdlib tree is appended to it (the positions of statements come from it: one stdlib
    parse a module); a compiler's error (`return` outside a function) is not found then."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if tree is not None and _PARSER_LIMITS_DEPTH:
                parsed = compile(text, "<wfcheck>", mode, ast.PyCF_ONLY_AST, dont_inherit=True)
                tree.append(cast(ast.Module, parsed))
            else:
                compile(text, "<wfcheck>", mode, dont_inherit=True)
    except SyntaxError as exc:
        if "too many nested" in exc.msg or "too complex" in exc.msg:
            return _TooDeep("too-deep-detail", exc.lineno or 1, exc.offset or 1, {"detail": exc.msg})
        return exc
    except (RecursionError, MemoryError):
        return _TooDeep()
    except ValueError:
        # Python < 3.11.4 raises ValueError for null bytes; LibCST reports where they are.
        pass
    return None
