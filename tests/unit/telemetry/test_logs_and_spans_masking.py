"""Log lines carry call and trace ids and no PII; exported spans carry no PII either."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.telemetry import logs
from agent.telemetry.redaction import Redactor, set_redactor
from agent.telemetry.span_redaction import RedactingSpanProcessor


@pytest.fixture
def redactor():
    active = Redactor(["Okafor"])
    set_redactor(active)
    yield active
    set_redactor(Redactor(enabled=False))
    logs._CallContext.call_id = logs._CallContext.call_span = None


def test_a_call_log_line_is_json_with_ids_and_no_pii(redactor: Redactor) -> None:
    provider = TracerProvider()
    call_span = provider.get_tracer("t").start_span("voice.call")
    logs.bind_call("CALL-9", call_span)
    record = logging.LogRecord(
        "livekit.agents", logging.INFO, __file__, 1, "heard %s", ("Okafor 555-867-5309",), None
    )
    record.user_email = "a@b.example"
    record.caller = "Mr Okafor"
    logs.CallFieldsFilter().filter(record)  # in the job process
    assert record.caller == "Mr [name]"  # masked before it leaves the process that knows the names
    line = json.loads(logs.formatter(dev=False).format(record))  # in the worker process
    context = call_span.get_span_context()
    assert line["call_id"] == "CALL-9"
    assert line["trace_id"] == f"{context.trace_id:032x}" and line["span_id"] == f"{context.span_id:016x}"
    assert line["event"] == "heard [name] [phone]" and line["user_email"] == "[email]"
    # The ids and timestamp are random hex/clock digits and can contain "555" by chance (a flake
    # seen on a run); the rest of the line must hold no part of the number.
    rest = json.dumps({k: v for k, v in line.items() if k not in ("trace_id", "span_id", "timestamp")})
    assert "555" not in rest and "5309" not in rest


def test_dev_renders_for_people() -> None:
    record = logging.LogRecord("voice_agent", logging.WARNING, __file__, 1, "provider down", (), None)
    text = logs.formatter(dev=True).format(record)
    assert "provider down" in text and not text.startswith("{")


def test_span_attributes_events_and_status_are_masked(redactor: Redactor) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(RedactingSpanProcessor(redactor))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = provider.get_tracer("t").start_span(
        "llm_request", attributes={"lk.pii.user_input": "card 4111111111111111", "voice.call_id": "CALL-1"}
    )
    span.add_event("said", {"text": "Okafor at a@b.example"})
    span.end()
    [exported] = exporter.get_finished_spans()
    assert exported.attributes["lk.pii.user_input"] == "card [card]"
    assert exported.attributes["voice.call_id"] == "CALL-1"
    assert exported.events[0].attributes["text"] == "[name] at [email]"
