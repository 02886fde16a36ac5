"""Every turn through the real server leaves its voice.* spans, nested, in a sane order, and the
round trip the caller measured agrees with the span."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from agent.caller import place_call, synthesize_utterance
from agent.telemetry.span_files import Span, read_span_files
from tests.integration.conftest import RunningServer, launch_worker, settings_for

MAX_MEDIAN_GAP_MS = 120
"""The telemetry issue's bound: the caller's ear vs voice.hop.round_trip, median over 10 turns.
The gap is the media path both ways, ~35 ms in and ~55 ms out on loopback; with server, agent
and caller sharing two cores the median measured 81-106 ms. Two regressions it catches: dating
speech by callback time instead of the audio timeline (259 ms), and a reply that opens with
the TTS's lead-in silence, which the span counts as started and the caller hears as nothing
(+40 ms on every turn)."""
HOPS = ("mic_to_first_partial", "stt_final", "end_of_turn", "llm", "tts", "round_trip")
SENTENCES = (
    "Hello there.",
    "My kitchen sink is leaking.",
    "What are your opening hours?",
    "Can somebody come tomorrow?",
    "I would like to talk about my bill.",
)


def wait_for_spans(path: Path, calls: int, timeout: float = 20.0) -> list[Span]:
    deadline = time.monotonic() + timeout
    spans: list[Span] = []
    while time.monotonic() < deadline:
        spans = read_span_files([path]).spans if path.exists() else []
        if sum(s.name == "voice.call" for s in spans) >= calls:
            return spans
        time.sleep(0.25)
    return spans


async def test_turn_spans_nest_and_agree_with_the_caller(
    shared_server: RunningServer, tmp_path: Path
) -> None:
    traces = tmp_path / "spans.jsonl"
    # ten turns of a scripted caller who never answers the agent's questions would (rightly) be
    # escalated for repeating themselves; this test measures spans, not the fallback paths.
    # One warm process, not the default four: four loading Whisper at once on two cores took the
    # CPU the media path needs, and the median gap then broke its bound through no fault of ours.
    worker = launch_worker(
        shared_server.ports.url,
        TRACES_PATH=str(traces),
        FAILED_TURNS_TO_TRANSFER="10",
        WORKER_NUM_IDLE_PROCESSES="1",
    )
    try:
        worker.wait_for_log("registered worker")
        # the call starts once its process has loaded the models, not while it still loads them
        worker.wait_for_log("process initialized", timeout=120)
        utterances = [synthesize_utterance(SENTENCES[i % len(SENTENCES)]) for i in range(10)]
        report = await place_call(settings_for(shared_server, worker), utterances, timeout=30)
        assert report.answered_all
        spans = wait_for_spans(traces, 1)
    finally:
        worker.stop()

    by_id = {s.span_id: s for s in spans}
    [call] = [s for s in spans if s.name == "voice.call"]
    assert call.attributes["voice.outcome"] == "caller_hung_up"
    assert call.attributes["voice.transport"] == "web" and call.attributes["voice.provider_chain"]
    # LiveKit's own spans share the call's trace, under the same provider
    assert any(s.name == "agent_session" and s.trace_id == call.trace_id for s in spans)
    turns = sorted((s for s in spans if s.name == "voice.turn"), key=lambda s: s.start_ns)
    assert len(turns) == len(utterances)
    gaps, way_in, way_out = [], [], []
    for turn, measured in zip(turns, report.turns, strict=True):
        assert turn.parent_span_id == call.span_id
        assert call.start_ns <= turn.start_ns and turn.end_ns <= call.end_ns
        hops = {s.name.removeprefix("voice.hop."): s for s in spans if s.parent_span_id == turn.span_id}
        missing = [h for h in HOPS if h not in hops]
        assert not missing, f"turn {turn.attributes['voice.turn_index']} lacks {missing}"
        for hop in hops.values():
            assert by_id[hop.parent_span_id].name == "voice.turn"
            assert turn.start_ns <= hop.start_ns <= hop.end_ns <= turn.end_ns, hop.name
        assert hops["mic_to_first_partial"].attributes["first_partial_kind"] in {"interim", "final"}
        assert hops["mic_to_first_partial"].end_ns <= hops["stt_final"].end_ns
        assert hops["round_trip"].duration_ms >= hops["tts"].attributes["ttfb_ms"]
        assert "eot_probability" in hops["end_of_turn"].attributes
        assert measured.round_trip_ms is not None
        # the caller hears the reply after the media path both ways, which the agent cannot see
        gaps.append(measured.round_trip_ms - hops["round_trip"].duration_ms)
        assert measured.speech_ended_at is not None and measured.reply_heard_at is not None
        way_in.append((hops["round_trip"].start_ns / 1e9 - measured.speech_ended_at) * 1000)
        way_out.append((measured.reply_heard_at - hops["round_trip"].end_ns / 1e9) * 1000)
    heard = [turn.round_trip_ms for turn in report.turns if turn.round_trip_ms is not None]
    print(
        f"client vs span round trip gaps (ms): {[round(g) for g in gaps]}, median {statistics.median(gaps):.0f} "
        f"(caller to agent {statistics.median(way_in):.0f}, agent to caller {statistics.median(way_out):.0f}); "
        f"round trip at the caller's ear: median {statistics.median(heard):.0f}, max {max(heard):.0f}; "
        f"bound {MAX_MEDIAN_GAP_MS} ms"
    )
    # each end of the span lies inside what the caller measured: same machine, same clock
    assert min(way_in) >= -20, f"the span starts before the caller stopped speaking: {way_in}"
    assert min(way_out) >= -20, f"the span ends after the caller heard the reply: {way_out}"
    assert statistics.median(gaps) <= MAX_MEDIAN_GAP_MS, f"client vs span round trip gaps: {gaps}"
