"""The one resilience layer every tool goes through: deadline, retries, idempotency, breaker, counters."""

from tools.resilience.breaker import CircuitBreaker, CircuitOpenError
from tools.resilience.keys import derive_key, hash_key
from tools.resilience.metrics import ToolCallRecord, ToolMetrics
from tools.resilience.runner import ToolPolicy, ToolRunner

__all__ = [
    "CircuitBreaker",
    "CircuitOpenError",
    "ToolCallRecord",
    "ToolMetrics",
    "ToolPolicy",
    "ToolRunner",
    "derive_key",
    "hash_key",
]
