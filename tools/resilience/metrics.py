"""Per-tool success, failure and latency counters, and a hook for the telemetry layer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ToolCallRecord:
    tool: str
    call_id: str
    outcome: str  # ok | replayed | refused | failed | timeout | circuit_open
    attempts: int
    latency_ms: float
    key_hash: str | None
    served_from_storage: bool
    error: str | None = None


@dataclass
class _Counts:
    success: int = 0
    failure: int = 0
    latencies_ms: list[float] = field(default_factory=list)


class ToolMetrics:
    """Counters per tool; subscribers get every record (spans, OTel metrics, escalation)."""

    def __init__(self) -> None:
        self._counts: dict[str, _Counts] = {}
        self._listeners: list[Callable[[ToolCallRecord], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Callable[[ToolCallRecord], None]) -> None:
        self._listeners.append(listener)

    def record(self, record: ToolCallRecord) -> None:
        with self._lock:
            counts = self._counts.setdefault(record.tool, _Counts())
            if record.outcome in {"ok", "replayed"}:
                counts.success += 1
            else:
                counts.failure += 1
            counts.latencies_ms.append(record.latency_ms)
        for listener in list(self._listeners):
            listener(record)

    def snapshot(self) -> dict[str, dict[str, float | int]]:
        with self._lock:
            return {
                tool: {
                    "success": c.success,
                    "failure": c.failure,
                    "max_latency_ms": round(max(c.latencies_ms, default=0.0), 1),
                }
                for tool, c in self._counts.items()
            }
