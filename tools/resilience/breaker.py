"""A per-backend circuit breaker for asyncio.

Written by hand: pybreaker's async support goes through Tornado and aiobreaker is
unmaintained; the state machine (closed, open, half-open with one probe) is small.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitOpenError(Exception):
    """The backend failed repeatedly; calls fail fast until the breaker's cool-down ends."""


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_after_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_after_s:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        state = self.state
        if state == "open" or (state == "half_open" and self._probe_in_flight):
            raise CircuitOpenError("the business system is not answering right now")
        if state == "half_open":
            self._probe_in_flight = True  # exactly one probe decides whether to close

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probe_in_flight = False

    def record_failure(self) -> None:
        self._probe_in_flight = False
        if self.state == "half_open":
            self._opened_at = self._clock()  # the probe failed: another full cool-down
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
