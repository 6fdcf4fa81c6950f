"""How the human formats mark a fixable finding, as ruff does: `[*]` before the message when
`--fix` would apply the finding's fix. What applies is the fix's own data (its meaning and
history axes, :meth:`wfcheck.diagnostics.Fix.applies`) and whether unsafe fixes are on."""

from __future__ import annotations

from wfcheck.diagnostics import Diagnostic


def marker(d: Diagnostic, unsafe: bool = False) -> str:
    """``"[*] "`` when `--fix` (with ``unsafe``: `--fix --unsafe-fixes`) fixes ``d``."""
    return "[*] " if d.fix is not None and d.fix.applies(unsafe) else ""
