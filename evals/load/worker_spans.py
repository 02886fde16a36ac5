"""What the worker's own spans say about a level: mic to first partial, and every hop for comparison."""

from __future__ import annotations

import time
from pathlib import Path

from agent.telemetry.review import hop_latency_ms
from agent.telemetry.span_files import Span, read_span_files
from evals.load.sweep import distribution_ms

HOP_PREFIX = "voice.hop."
FIRST_PARTIAL = "voice.hop.mic_to_first_partial"
ROUND_TRIP = "voice.hop.round_trip"


def wait_for_calls(path: Path, calls: int, timeout: float) -> list[Span]:
    """The span file's spans once it holds `calls` finished calls (each call's spans end with voice.call)."""
    deadline = time.monotonic() + timeout
    spans: list[Span] = []
    while True:
        spans = read_span_files([path]).spans if path.exists() else []
        if sum(span.name == "voice.call" for span in spans) >= calls or time.monotonic() > deadline:
            return spans
        time.sleep(0.5)


def _latencies(spans: list[Span], name: str) -> list[float]:
    values = (hop_latency_ms(span) for span in spans if span.name == name)
    return [value for value in values if value is not None]


def span_figures(spans: list[Span]) -> dict[str, object]:
    hops = sorted({span.name for span in spans if span.name.startswith(HOP_PREFIX)})
    return {
        "calls_in_spans": sum(span.name == "voice.call" for span in spans),
        "mic_to_first_partial": distribution_ms(_latencies(spans, FIRST_PARTIAL)),
        "agent_round_trip": distribution_ms(_latencies(spans, ROUND_TRIP)),
        # which hop spent a slow round trip, as `voice-agent traces review` would say
        "agent_hops": {
            name.removeprefix(HOP_PREFIX): distribution_ms(_latencies(spans, name)) for name in hops
        },
    }
