"""Reading a file into text the way Python would: BOM, PEP 263 cookie, clear errors."""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    bom: bool


class SourceError(Exception):
    """The bytes cannot be turned into Python source text."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


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
