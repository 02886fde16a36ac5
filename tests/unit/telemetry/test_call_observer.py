"""The call observer turns session events into nested voice.* spans on the audio timeline."""

from __future__ import annotations

import numpy as np
from livekit import rtc
from livekit.agents.llm import FunctionCall, FunctionCallOutput
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    FunctionToolsExecutedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)
from livekit.agents.voice.io import PlaybackStartedEvent
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.call_state import CallState
from agent.telemetry.budget_monitor import BudgetMonitor
from agent.telemetry.call_observer import CallObserver
from agent.telemetry.media_clock import MediaClock
from agent.telemetry.metrics import VoiceMetrics
from agent.telemetry.redaction import Redactor
from agent.telemetry.turns import CallSpans
from tools.resilience import ToolCallRecord

T0 = 1_800_000_000.0
RATE = 16000


def frame(loud: bool, ms: int = 50) -> rtc.AudioFrame:
    samples = np.full(RATE * ms // 1000, 8000 if loud else 0, np.int16)
    return rtc.AudioFrame(samples.tobytes(), RATE, 1, samples.size)


def build(budgets: dict[str, float], *, transcripts: Redactor | None = None, repeat_after: int = 3):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    session = rtc.EventEmitter()
    state = CallState(call_id="CALL-1", room="r")
    monitor = BudgetMonitor(budgets, repeat_after=repeat_after)
    spans = CallSpans(
        provider.get_tracer("test"),
        call_attributes={"voice.call_id": "CALL-1", "voice.room": "r", "voice.transport": "web"},
        monitor=monitor,
        metrics=VoiceMetrics(),
    )
    clock = MediaClock()
    observer = CallObserver(
        session,  # type: ignore[arg-type]
        state,
        spans,
        VoiceMetrics(),
        clock=clock,
        transcripts=transcripts,
    )
    return exporter, session, observer, clock, monitor


def user(session: rtc.EventEmitter, state: str, at: float) -> None:
    old = "listening" if state == "speaking" else "speaking"
    session.emit("user_state_changed", UserStateChangedEvent(old_state=old, new_state=state, created_at=at))


def agent(session: rtc.EventEmitter, old: str, new: str, at: float) -> None:
    session.emit("agent_state_changed", AgentStateChangedEvent(old_state=old, new_state=new, created_at=at))


def test_a_turn_becomes_nested_hop_spans_with_media_timestamps() -> None:
    exporter, session, observer, clock, _ = build({"voice.hop.round_trip": 1000.0})
    # speech arrives in 50 ms frames from T0 to T0 + 1.2; the VAD declares its end 0.3 s later
    for index in range(40):
        clock.observe(frame(loud=index < 24), arrived_at=T0 + 0.05 * (index + 1))
    user(session, "speaking", T0 + 0.02)
    user(session, "listening", T0 + 1.5)
    session.emit(
        "user_input_transcribed",
        UserInputTranscribedEvent(transcript="hi", is_final=True, created_at=T0 + 1.9),
    )
    observer.record_tool_call(
        ToolCallRecord("book_appointment", "CALL-1", "replayed", 1, 40.0, "abc123", True), ended_at=T0 + 2.0
    )
    observer.on_playback_started(PlaybackStartedEvent(created_at=T0 + 2.6))
    agent(session, "thinking", "speaking", T0 + 2.7)
    agent(session, "speaking", "listening", T0 + 4.0)
    session.emit("close", CloseEvent(reason="participant_disconnected"))

    spans = {s.name: s for s in exporter.get_finished_spans()}
    call, turn = spans["voice.call"], spans["voice.turn"]
    assert call.attributes["voice.outcome"] == "caller_hung_up"
    assert turn.parent.span_id == call.context.span_id
    for hop in ("mic_to_first_partial", "tool", "round_trip"):
        assert spans[f"voice.hop.{hop}"].parent.span_id == turn.context.span_id
    assert spans["voice.hop.mic_to_first_partial"].attributes["first_partial_kind"] == "final"
    # onset and end are where the audio was loud, not where the callbacks ran
    assert turn.start_time == int(T0 * 1e9)
    round_trip = spans["voice.hop.round_trip"]
    assert round_trip.start_time == int((T0 + 1.2) * 1e9)
    assert (round_trip.end_time - round_trip.start_time) / 1e6 == 1400  # first frame sent at T0 + 2.6
    assert tuple(turn.attributes["voice.budgets_breached"]) == ("voice.hop.round_trip",)
    assert "voice.user_transcript" not in turn.attributes  # transcripts are off by default
    tool = spans["voice.hop.tool"]
    assert tool.attributes["tool.served_from_storage"] is True
    assert tool.attributes["tool.idempotency_key_hash"] == "abc123"


def test_tools_without_the_hook_come_from_the_executed_event_once() -> None:
    exporter, session, observer, _, _ = build({})
    user(session, "speaking", T0)
    user(session, "listening", T0 + 1.0)
    observer.record_tool_call(
        ToolCallRecord("lookup", "CALL-1", "ok", 2, 30.0, None, False), ended_at=T0 + 1.3
    )
    calls = [
        FunctionCall(call_id="a", name="lookup", arguments="{}", created_at=T0 + 1.27),
        FunctionCall(call_id="b", name="weather", arguments="{}", created_at=T0 + 1.2),
    ]
    outputs = [
        FunctionCallOutput(call_id="a", name="lookup", output="", is_error=False, created_at=T0 + 1.3),
        FunctionCallOutput(call_id="b", name="weather", output="", is_error=True, created_at=T0 + 1.5),
    ]
    session.emit(
        "function_tools_executed",
        FunctionToolsExecutedEvent(function_calls=calls, function_call_outputs=outputs),
    )
    tools = [s for s in exporter.get_finished_spans() if s.name == "voice.hop.tool"]
    assert sorted(t.attributes["tool.name"] for t in tools) == ["lookup", "weather"]
    weather = next(t for t in tools if t.attributes["tool.name"] == "weather")
    assert weather.attributes["tool.outcome"] == "failed"
    assert (weather.end_time - weather.start_time) / 1e6 == 300
    lookup = next(t for t in tools if t.attributes["tool.name"] == "lookup")
    assert lookup.attributes["tool.attempts"] == 2


def test_interim_partial_barge_in_and_redacted_transcript() -> None:
    exporter, session, observer, _, _ = build({}, transcripts=Redactor())
    user(session, "speaking", T0)
    session.emit(
        "user_input_transcribed",
        UserInputTranscribedEvent(transcript="my", is_final=False, created_at=T0 + 0.2),
    )
    user(session, "listening", T0 + 1.0)
    session.emit(
        "user_input_transcribed",
        UserInputTranscribedEvent(transcript="my number is 415 555 0100", is_final=True, created_at=T0 + 1.1),
    )
    observer.on_playback_started(PlaybackStartedEvent(created_at=T0 + 1.6))
    agent(session, "thinking", "speaking", T0 + 1.6)
    user(session, "speaking", T0 + 2.0)  # barge-in
    agent(session, "speaking", "listening", T0 + 2.15)
    session.emit("close", CloseEvent(reason="user_initiated"))
    spans = exporter.get_finished_spans()
    first_turn = next(s for s in spans if s.name == "voice.turn" and s.attributes["voice.turn_index"] == 1)
    partial = next(s for s in spans if s.name == "voice.hop.mic_to_first_partial")
    assert partial.attributes["first_partial_kind"] == "interim"
    assert (partial.end_time - partial.start_time) / 1e6 == 200
    interruption = next(s for s in spans if s.name == "voice.hop.interruption")
    assert round((interruption.end_time - interruption.start_time) / 1e6) == 150
    assert first_turn.attributes["voice.user_transcript"] == "my number is [phone]"
    assert next(s for s in spans if s.name == "voice.call").attributes["voice.outcome"] == "completed"


def test_a_hop_breaching_three_turns_running_calls_the_hooks_once() -> None:
    exporter, session, observer, _, monitor = build({"voice.hop.round_trip": 500.0}, repeat_after=3)
    fired: list[str] = []
    monitor.on_repeated_breach.append(fired.append)
    for turn in range(4):
        start = T0 + 10 * turn
        user(session, "speaking", start)
        user(session, "listening", start + 1.0)
        observer.on_playback_started(PlaybackStartedEvent(created_at=start + 1.8))
    session.emit("close", CloseEvent(reason="user_initiated"))
    assert fired == ["voice.hop.round_trip"]
    events = [e.name for s in exporter.get_finished_spans() if s.name == "voice.turn" for e in s.events]
    assert events.count("voice.repeated_breach") == 1 and events.count("voice.budget_breached") == 4
