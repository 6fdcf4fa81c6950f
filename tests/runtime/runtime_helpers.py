"""Helpers for building histories by hand."""

from __future__ import annotations

import os
from typing import Any

from wfcheck.runtime.history import Event

T0 = "2026-01-01T00:00:00+00:00"
T1 = "2026-01-01T00:05:00+00:00"
APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")


def ev(kind: str, timestamp: str = T0, **fields: Any) -> Event:
    return Event(kind=kind, timestamp=timestamp, **fields)


def started(input: Any = None, timestamp: str = T0, name: str = "wf") -> Event:
    return ev("workflow_started", timestamp, name=name, input=input, instance_id="i-1")


def sched(seq: int, name: str, input: Any = None, timestamp: str = T0) -> Event:
    return ev("activity_scheduled", timestamp, seq=seq, name=name, input=input)


def done(seq: int, result: Any, timestamp: str = T0) -> Event:
    return ev("activity_completed", timestamp, seq=seq, result=result)


def app(name: str) -> str:
    return os.path.join(APPS, name)
