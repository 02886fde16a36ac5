"""Runs one tool operation under its deadline, with retries, the breaker and the counters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from tools.backend import BackendError, IdempotencyConflict, Stored, TransientBackendError
from tools.resilience.breaker import CircuitBreaker, CircuitOpenError
from tools.resilience.keys import hash_key
from tools.resilience.metrics import ToolCallRecord, ToolMetrics

T = TypeVar("T")


class ToolDeadlineExceeded(Exception):
    """The tool ran out of its share of the turn's latency budget."""


@dataclass(frozen=True)
class ToolPolicy:
    deadline_s: float = 2.5
    """A tool never holds the turn longer than this."""
    max_attempts: int = 3
    backoff_base_s: float = 0.05
    backoff_max_s: float = 0.5


class ToolRunner:
    def __init__(self, *, breaker: CircuitBreaker, metrics: ToolMetrics, policy: ToolPolicy) -> None:
        self.breaker = breaker
        self.metrics = metrics
        self.policy = policy

    async def run(
        self,
        tool: str,
        operation: Callable[[], Awaitable[T]],
        *,
        call_id: str,
        key: str | None,
        retry_safe: bool,
    ) -> T:
        """`retry_safe`: a read, or a write protected by `key`; anything else runs once."""
        started = time.perf_counter()
        attempts = 0
        outcome, error = "failed", None
        replayed = False
        try:
            self.breaker.before_call()
        except CircuitOpenError as exc:
            self._record(tool, call_id, "circuit_open", 0, started, key, False, str(exc))
            raise
        try:
            async with asyncio.timeout(self.policy.deadline_s):
                retrying = AsyncRetrying(
                    stop=stop_after_attempt(self.policy.max_attempts if retry_safe else 1),
                    # full jitter: a random wait up to the exponential ceiling
                    wait=wait_random_exponential(
                        multiplier=self.policy.backoff_base_s, max=self.policy.backoff_max_s
                    ),
                    retry=retry_if_exception_type(TransientBackendError),
                    reraise=True,
                )
                async for attempt in retrying:
                    with attempt:
                        attempts += 1
                        result = await operation()
            replayed = isinstance(result, Stored) and result.replayed
            outcome = "replayed" if replayed else "ok"
            self.breaker.record_success()
            return result
        except TimeoutError:
            outcome, error = "timeout", f"no answer within {self.policy.deadline_s:.1f}s"
            self.breaker.record_failure()
            raise ToolDeadlineExceeded(error) from None
        except (IdempotencyConflict, BackendError) as exc:
            transient = isinstance(exc, TransientBackendError)
            outcome, error = ("failed" if transient else "refused"), str(exc)
            if transient:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()  # the backend answered; it just said no
            raise
        except Exception as exc:
            outcome, error = "failed", type(exc).__name__
            self.breaker.record_failure()
            raise
        finally:
            if outcome != "circuit_open":
                self._record(tool, call_id, outcome, attempts, started, key, replayed, error)

    def _record(
        self,
        tool: str,
        call_id: str,
        outcome: str,
        attempts: int,
        started: float,
        key: str | None,
        replayed: bool,
        error: str | None,
    ) -> None:
        self.metrics.record(
            ToolCallRecord(
                tool=tool,
                call_id=call_id,
                outcome=outcome,
                attempts=attempts,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                key_hash=hash_key(key) if key else None,
                served_from_storage=replayed,
                error=error,
            )
        )
