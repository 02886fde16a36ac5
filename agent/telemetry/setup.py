"""One tracer and one meter provider per process: JSON lines to TRACES_PATH, OTLP when OTEL_* says
so, PII masked before any exporter, and LiveKit's own spans under the same provider."""

from __future__ import annotations

import os

from livekit.agents.telemetry import set_tracer_provider
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from agent.config import Settings
from agent.telemetry.eou_tap import EouProbabilityTap
from agent.telemetry.jsonl_exporter import JsonLinesSpanExporter
from agent.telemetry.redaction import Redactor
from agent.telemetry.span_redaction import RedactingSpanProcessor

_provider: TracerProvider | None = None
_meter_provider: MeterProvider | None = None


def _env(*names: str) -> bool:
    return any(os.environ.get(name) for name in names)


def otlp_configured() -> bool:
    return _env("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def otlp_metrics_configured() -> bool:
    return _env("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")


def _resource() -> Resource:
    # Resource.create also reads OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME
    return Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "voice-agent")})


def setup_tracing(settings: Settings, redactor: Redactor | None = None) -> TracerProvider:
    global _provider
    if _provider is not None:
        return _provider
    provider = TracerProvider(resource=_resource())
    span_redactor = redactor or Redactor(enabled=settings.redact_pii)
    if settings.trace_transcripts == "redacted" and not span_redactor.enabled:
        span_redactor = span_redactor.with_enabled(True)
    provider.add_span_processor(EouProbabilityTap())
    # before the exporters: processors see each ended span in registration order
    provider.add_span_processor(RedactingSpanProcessor(span_redactor))
    provider.add_span_processor(
        BatchSpanProcessor(JsonLinesSpanExporter(settings.traces_file), schedule_delay_millis=500)
    )
    if otlp_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # reads the OTEL_* variables
    # LiveKit's spans carry transcripts and tool payloads under `lk.pii.*`; with transcripts off
    # its own filter drops them, otherwise our processor masks what they contain
    set_tracer_provider(provider, allow_pii=settings.trace_transcripts != "off")
    _provider = provider
    return provider


def setup_metrics() -> MeterProvider:
    """OTLP metrics when configured; otherwise instruments aggregate in-process with no reader."""
    global _meter_provider
    if _meter_provider is not None:
        return _meter_provider
    readers: list[MetricReader] = []
    if otlp_metrics_configured():
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    _meter_provider = MeterProvider(resource=_resource(), metric_readers=readers)
    metrics.set_meter_provider(_meter_provider)
    return _meter_provider


def flush() -> None:
    if _provider is not None:
        _provider.force_flush()
    if _meter_provider is not None:
        _meter_provider.force_flush()
