"""A span processor that masks PII in every string attribute, event and status before any exporter."""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Status

from agent.telemetry.redaction import Redactor

# ids and names we put there ourselves; masking them would only break trace review
_KEEP = {"voice.call_id", "voice.provider_chain", "voice.transport", "tool.idempotency_key_hash"}


class RedactingSpanProcessor(SpanProcessor):
    """Registered before the exporting processors: `on_end` runs in registration order over one
    shared snapshot, so what this rebinds is what they export (LiveKit's own PII filter works so)."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if not self._redactor.enabled:
            return
        redact = self._redactor.value
        attributes = span.attributes or {}
        # rebind, never mutate: an ended span's attribute mapping is immutable
        span._attributes = {k: v if k in _KEEP else redact(v) for k, v in attributes.items()}  # type: ignore[attr-defined]
        if span.events:
            span._events = tuple(  # type: ignore[attr-defined]
                Event(
                    e.name,
                    {k: redact(v) for k, v in (e.attributes or {}).items()},  # type: ignore[misc]
                    e.timestamp,
                )
                for e in span.events
            )
        if span.status.description:
            span._status = Status(span.status.status_code, str(redact(span.status.description)))  # type: ignore[attr-defined]

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
