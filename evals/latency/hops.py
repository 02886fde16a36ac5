"""The worker's per-hop spans for each caller line: end of turn, LLM first token, TTS first audio.

The worker writes voice.* spans to TRACES_PATH (agent/telemetry). A call's spans share the trace
of its voice.call span, found by room; each caller line is matched to the agent's voice.turn spans
by time, since the agent numbers turns as its VAD saw them, not as the caller spoke them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from agent.telemetry.span_files import Span, read_span_files

MATCH_SLACK_S = 0.5
"""A voice.turn belongs to a line when it opens within the line, give or take this (VAD onset lag)."""


@dataclass(frozen=True)
class LineTimes:
    """A caller line in unix seconds: first and last audible sample leaving the microphone."""

    started: float
    ended: float


def read_call_spans(path: Path, room: str, *, timeout_s: float = 10.0) -> list[Span]:
    """The spans of the call in `room`, once its voice.call span (written at hang-up) is in the file;
    an empty list when it never shows up (no TRACES_PATH, a crashed job): hops are then skipped."""
    deadline = time.monotonic() + timeout_s
    while True:
        spans = read_span_files([path]).spans if path.exists() else []
        calls = [s for s in spans if s.name == "voice.call" and s.attributes.get("voice.room") == room]
        if calls:
            trace_ids = {s.trace_id for s in calls}
            return [s for s in spans if s.trace_id in trace_ids]
        if time.monotonic() > deadline:
            return []
        time.sleep(0.25)


def _first(children: list[Span], name: str) -> Span | None:
    matching = sorted((s for s in children if s.name == name), key=lambda s: s.start_ns)
    return matching[0] if matching else None


def _figure(span: Span | None, attribute: str | None = None) -> float | None:
    if span is None:
        return None
    value = span.attributes.get(attribute) if attribute else None
    return round(float(value), 1) if isinstance(value, int | float) else round(span.duration_ms, 1)


def hops_for_lines(spans: list[Span], lines: list[LineTimes]) -> list[dict[str, object] | None]:
    """Per caller line, the hops of the agent turn it opened; None for a line with no agent turn.

    When the VAD split a line into several agent turns, the last one is the turn that was answered
    (earlier ones were cut off by the caller speaking on), so its hops are the ones reported.
    """
    turns = sorted((s for s in spans if s.name == "voice.turn"), key=lambda s: s.start_ns)
    children: dict[str, list[Span]] = {}
    for span in spans:
        if span.parent_span_id is not None:
            children.setdefault(span.parent_span_id, []).append(span)
    result: list[dict[str, object] | None] = []
    for line in lines:
        opened = [
            t for t in turns if line.started - MATCH_SLACK_S <= t.start_ns / 1e9 <= line.ended + MATCH_SLACK_S
        ]
        if not opened:
            result.append(None)
            continue
        turn = opened[-1]
        hops = children.get(turn.span_id, [])
        llm = sorted((s for s in hops if s.name == "voice.hop.llm"), key=lambda s: s.start_ns)
        result.append(
            {
                "agent_turns": len(opened),
                "end_of_turn_ms": _figure(_first(hops, "voice.hop.end_of_turn")),
                "stt_final_ms": _figure(_first(hops, "voice.hop.stt_final")),
                "llm_ttft_ms": _figure(llm[0], "ttft_ms") if llm else None,
                "llm_requests": len(llm),
                "tts_ttfb_ms": _figure(_first(hops, "voice.hop.tts"), "ttfb_ms"),
                "round_trip_ms": _figure(_first(hops, "voice.hop.round_trip")),
                "tools": [
                    str(s.attributes.get("tool.name") or "tool")
                    for s in sorted(hops, key=lambda s: s.start_ns)
                    if s.name == "voice.hop.tool"
                ],
            }
        )
    return result
