"""The garbage collector, tuned for a check run.

Parsing allocates millions of small objects that live as long as their file's check, and the
project index keeps helper summaries for the whole run. With the default thresholds (700, 10,
10) the collector runs thousands of young collections and repeated full ones that walk every
object kept so far: on a workflow-dense project that was about a fifth of the CPU of a run.
While files are checked, the objects that exist already (imports, configuration, the catalog)
are frozen out of the collector's sight and collections run far less often; they still run,
so reference cycles are freed (peak memory measured unchanged), and both are undone at the
end (the language server goes on with the interpreter's own settings). Worker processes
forked inside the block inherit the same settings.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young collection every 50,000 net allocations instead of 700; a middle one every 20 young
# ones; full ones as CPython's own rule allows (also only when the survivors grew by 25%).
CHECK_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def tuned_for_parsing() -> Iterator[None]:
    """Thresholds for allocation-heavy parsing, and the heap so far frozen, inside the block."""
    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(*CHECK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if frozen == 0:
            gc.unfreeze()
