"""One tracer provider per process: JSON lines to TRACES_PATH, OTLP when OTEL_* says so,
and LiveKit's own spans under the same provider."""

from __future__ import annotations

import os

from livekit.agents.telemetry import set_tracer_provider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from agent.config import Settings
from agent.telemetry.jsonl_exporter import JsonLinesSpanExporter

_provider: TracerProvider | None = None


def otlp_configured() -> bool:
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def setup_tracing(settings: Settings) -> TracerProvider:
    global _provider
    if _provider is not None:
        return _provider
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "voice-agent")})
    )
    provider.add_span_processor(
        BatchSpanProcessor(JsonLinesSpanExporter(settings.traces_file), schedule_delay_millis=500)
    )
    if otlp_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # reads the OTEL_* variables
    set_tracer_provider(provider)
    _provider = provider
    return provider
