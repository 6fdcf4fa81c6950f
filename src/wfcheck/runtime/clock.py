"""Clocks for the worker (never seen by workflow code, which reads time from history).

The virtual clock never waits: a timer fires as soon as nothing else can run, stamped with its
fire-at time, so ``ctx.current_utc_datetime`` jumps forward. The real clock waits for timers.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone


class VirtualClock:
    virtual = True

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start

    def now(self, floor: datetime | None = None) -> datetime:
        """Never earlier than ``floor`` (the latest time in the history); a new instance
        starts at ``start`` or at the real time."""
        if floor is not None:
            return floor
        return self._start or datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        return None


class RealClock:
    virtual = False

    def now(self, floor: datetime | None = None) -> datetime:
        current = datetime.now(timezone.utc)
        return max(current, floor) if floor is not None else current

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))
