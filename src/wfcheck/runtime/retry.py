"""Retry policies: this runtime's own, and a reader for the SDKs' policy objects."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """The fields of Dapr's and durabletask's ``RetryPolicy``, under the same names."""

    first_retry_interval: timedelta
    max_number_of_attempts: int
    backoff_coefficient: float | None = 1.0
    max_retry_interval: timedelta | None = None
    retry_timeout: timedelta | None = None

    def __post_init__(self) -> None:
        if self.first_retry_interval < timedelta(0):
            raise ValueError("first_retry_interval must be >= 0")
        if self.max_number_of_attempts < 1:
            raise ValueError("max_number_of_attempts must be >= 1")
        if self.backoff_coefficient is not None and self.backoff_coefficient < 1:
            raise ValueError("backoff_coefficient must be >= 1")

    @classmethod
    def from_any(cls, policy: Any) -> RetryPolicy | None:
        """Read a policy from this runtime, Dapr (``wf.RetryPolicy``, whose fields live on a
        wrapped durabletask policy but are exposed as properties) or durabletask."""
        if policy is None or isinstance(policy, RetryPolicy):
            return policy
        try:
            return cls(
                first_retry_interval=policy.first_retry_interval,
                max_number_of_attempts=policy.max_number_of_attempts,
                backoff_coefficient=getattr(policy, "backoff_coefficient", 1.0),
                max_retry_interval=getattr(policy, "max_retry_interval", None),
                retry_timeout=getattr(policy, "retry_timeout", None),
            )
        except AttributeError as exc:
            raise TypeError(f"not a retry policy: {policy!r}") from exc

    def next_delay(self, failed_attempts: int, started: datetime, now: datetime) -> timedelta | None:
        """The wait before the next attempt after ``failed_attempts`` failures, or ``None``
        when the policy gives up (attempts exhausted, or the retry timeout would pass)."""
        if failed_attempts >= self.max_number_of_attempts:
            return None
        coefficient = self.backoff_coefficient or 1.0
        seconds = self.first_retry_interval.total_seconds() * (coefficient ** (failed_attempts - 1))
        if self.max_retry_interval is not None:
            seconds = min(seconds, self.max_retry_interval.total_seconds())
        delay = timedelta(seconds=seconds)
        if self.retry_timeout is not None and now + delay > started + self.retry_timeout:
            return None
        return delay
