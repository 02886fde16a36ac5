"""The call observer turns session events into nested voice.* spans on the audio timeline."""

from __future__ import annotations

from livekit import rtc
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.call_state import CallState
from agent.telemetry.call_observer import CallObserver
from tools.resilience import ToolCallRecord

T0 = 1_800_000_000.0


def test_a_turn_becomes_nested_hop_spans_with_media_timestamps() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    session = rtc.EventEmitter()
    state = CallState(call_id="CALL-1", room="r")
    observer = CallObserver(
        session,  # type: ignore[arg-type]
        state,
        tracer=provider.get_tracer("test"),
        chain="stt=offline llm=offline tts=offline",
        budgets={"voice.hop.round_trip": 1000.0},
    )
    session.emit(
        "user_state_changed",
        UserStateChangedEvent(old_state="listening", new_state="speaking", created_at=T0),
    )
    session.emit(
        "user_state_changed",
        UserStateChangedEvent(old_state="speaking", new_state="listening", created_at=T0 + 1.5),
    )
    session.emit(
        "user_input_transcribed",
        UserInputTranscribedEvent(transcript="hi", is_final=True, created_at=T0 + 1.9),
    )
    observer.record_tool_call(
        ToolCallRecord("book_appointment", "CALL-1", "replayed", 1, 40.0, "abc123", True), ended_at=T0 + 2.0
    )
    session.emit(
        "agent_state_changed",
        AgentStateChangedEvent(old_state="thinking", new_state="speaking", created_at=T0 + 2.7),
    )
    session.emit(
        "agent_state_changed",
        AgentStateChangedEvent(old_state="speaking", new_state="listening", created_at=T0 + 4.0),
    )
    session.emit("close", CloseEvent(reason="participant_disconnected"))

    spans = {s.name: s for s in exporter.get_finished_spans()}
    call, turn = spans["voice.call"], spans["voice.turn"]
    assert call.attributes["voice.outcome"] == "caller_hung_up"
    assert turn.parent.span_id == call.context.span_id
    for hop in ("mic_to_first_partial", "stt_final", "tool", "round_trip"):
        assert spans[f"voice.hop.{hop}"].parent.span_id == turn.context.span_id
    assert spans["voice.hop.mic_to_first_partial"].attributes["first_partial_kind"] == "final"
    round_trip = spans["voice.hop.round_trip"]
    assert (round_trip.end_time - round_trip.start_time) / 1e6 == 1200  # speech end → agent audio
    assert turn.start_time == int(T0 * 1e9)  # the VAD's onset, not when the callback ran
    assert tuple(turn.attributes["voice.budgets_breached"]) == ("voice.hop.round_trip",)
    tool = spans["voice.hop.tool"]
    assert tool.attributes["tool.served_from_storage"] is True
    assert tool.attributes["tool.idempotency_key_hash"] == "abc123"
