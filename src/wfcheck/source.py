"""Turning a file's bytes into a LibCST module the way Python would read them: BOM, PEP 263
cookie, and errors that carry the parser's own line and message."""

from __future__ import annotations

import ast
import codecs
import io
import tokenize
import warnings
from dataclasses import dataclass
from typing import Optional, Tuple

import libcst as cst


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    bom: bool


class SourceError(Exception):
    """The bytes cannot be turned into Python source text."""

    def __init__(self, message: str, line: int = 1, column: int = 1, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        # The decoded text when decoding succeeded (for showing the offending line).
        self.text = text


def decode_source(data: bytes) -> SourceText:
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # Undecodable bytes in the first two lines land here too; report where they are.
        encoding = "utf-8"
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            pass
        else:
            raise SourceError(f"invalid encoding declaration: {exc.msg}", exc.lineno or 1) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line, column = _locate(data, getattr(exc, "start", 0))
        name = "utf-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        raise SourceError(
            f"file is not valid {name}: {getattr(exc, 'reason', exc)} "
            f"(declare the encoding with a PEP 263 coding comment)",
            line,
            column,
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text=text, encoding=encoding, bom=bom)


def _locate(data: bytes, offset: Optional[int]) -> "tuple[int, int]":
    offset = offset or 0
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


def parse_source(data: bytes) -> Tuple[str, cst.Module]:
    """Decode and parse; raises :class:`SourceError` for anything that is not valid Python."""
    text = decode_source(data).text
    try:
        return text, cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        message, line, column = _syntax_error_details(text, exc)
        raise SourceError(message, line, column, text) from None
    except RecursionError:
        raise SourceError("file is too deeply nested to parse", text=text) from None


def _syntax_error_details(text: str, exc: cst.ParserSyntaxError) -> Tuple[str, int, int]:
    """Python's own message and position when it agrees the file is invalid."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as syntax_error:
        return (
            f"syntax error: {syntax_error.msg}",
            syntax_error.lineno or 1,
            syntax_error.offset or 1,
        )
    except (RecursionError, MemoryError, ValueError):
        pass
    return (f"cannot parse: {exc.message}", exc.raw_line, exc.raw_column + 1)
