"""Text from outside wfcheck (file names, source lines) made safe to print: control
characters are shown as escapes, so a name cannot end a line early, inject a CI workflow
command, send terminal escape sequences, or make XML invalid."""

from __future__ import annotations

import re

# C0 and C1 controls but the tab, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character (tabs aside) written as `\\xNN` or `\\uNNNN`."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


# What XML 1.0 cannot hold (or should not: C1 controls); line breaks and tabs it can.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def xml_safe(text: str) -> str:
    """``text`` with the control characters XML cannot hold escaped; line breaks kept."""
    return _NOT_XML.sub(_escape, text) if _NOT_XML.search(text) else text
