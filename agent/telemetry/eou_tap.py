"""Reads the turn detector's end-of-turn probability off LiveKit's own `eou_detection` spans:
the session emits no public event carrying it."""

from __future__ import annotations

from dataclasses import dataclass

from livekit.agents.telemetry import trace_types
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor


@dataclass(frozen=True)
class EouReading:
    probability: float
    ended_at: float


class EouProbabilityTap(SpanProcessor):
    """Keeps the latest reading; a job process serves one call, so one slot is enough."""

    latest: EouReading | None = None

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if span.name != "eou_detection" or span.end_time is None:
            return
        probability = (span.attributes or {}).get(trace_types.ATTR_EOU_PROBABILITY)
        if isinstance(probability, int | float):
            EouProbabilityTap.latest = EouReading(float(probability), span.end_time / 1e9)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def eou_probability_since(instant: float) -> float | None:
    reading = EouProbabilityTap.latest
    return reading.probability if reading is not None and reading.ended_at >= instant else None
