"""OpenTelemetry instruments: one latency histogram per hop, counters for breaches, failovers,
transfers and tool failures."""

from __future__ import annotations

from opentelemetry import metrics
from opentelemetry.metrics import Counter, Histogram, Meter

HOPS = (
    "mic_to_first_partial",
    "stt_final",
    "end_of_turn",
    "llm",
    "tool",
    "tts",
    "round_trip",
    "interruption",
)


class VoiceMetrics:
    def __init__(self, meter: Meter | None = None) -> None:
        meter = meter or metrics.get_meter("voice-agent")
        self.hop_latency: dict[str, Histogram] = {
            hop: meter.create_histogram(
                f"voice.hop.{hop}.latency", unit="ms", description=f"{hop} latency per turn"
            )
            for hop in HOPS
        }
        self.budget_breaches: Counter = meter.create_counter(
            "voice.budget.breaches", description="hops over their latency allowance, by hop"
        )
        self.failovers: Counter = meter.create_counter(
            "voice.provider.failovers", description="providers marked unavailable, by hop and provider"
        )
        self.transfers: Counter = meter.create_counter(
            "voice.call.transfers", description="calls handed to a person"
        )
        self.tool_failures: Counter = meter.create_counter(
            "voice.tool.failures", description="tool calls that did not succeed, by tool and outcome"
        )

    def record_hop(self, name: str, latency_ms: float, call_transport: str) -> None:
        hop = name.removeprefix("voice.hop.")
        if hop in self.hop_latency:
            self.hop_latency[hop].record(latency_ms, {"voice.transport": call_transport})
