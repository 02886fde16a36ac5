"""The span tree of one call: `voice.call`, a `voice.turn` per user turn, and hop spans under it,
each hop also measured (histogram) and judged against its allowance (live budget)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.trace import Span, Tracer

from agent.telemetry.budget_monitor import BudgetMonitor
from agent.telemetry.budgets import HOP_FIGURE
from agent.telemetry.metrics import VoiceMetrics


def ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


@dataclass
class Turn:
    index: int
    span: Span
    speech_start: float
    speech_end: float | None = None
    """End of the caller's speech on the audio timeline (refined from the VAD's estimate)."""
    vad_speech_end: float | None = None
    """The VAD's own end-of-speech instant, which LiveKit's endpointing delay counts from."""
    first_transcript_recorded: bool = False
    last_final_at: float | None = None
    tts_recorded: bool = False
    answered: bool = False
    eot_probability: float | None = None
    hop_ms: dict[str, float] = field(default_factory=dict)
    breaches: set[str] = field(default_factory=set)
    tools_from_hook: Counter[str] = field(default_factory=Counter)
    transcript: list[str] = field(default_factory=list)


class CallSpans:
    def __init__(
        self,
        tracer: Tracer,
        *,
        call_attributes: dict[str, str],
        monitor: BudgetMonitor,
        metrics: VoiceMetrics,
    ) -> None:
        self._tracer = tracer
        self._monitor = monitor
        self._metrics = metrics
        self._call_id = call_attributes["voice.call_id"]
        self._transport = call_attributes.get("voice.transport", "web")
        self.turn: Turn | None = None
        self.turns = 0
        # child of whatever is current (LiveKit's job span), so one trace holds the whole call
        self.call_span = tracer.start_span("voice.call", attributes=call_attributes)

    def open_turn(self, at: float) -> Turn:
        self.turns += 1
        span = self._tracer.start_span(
            "voice.turn",
            context=trace.set_span_in_context(self.call_span),
            start_time=ns(at),
            attributes={
                "voice.call_id": self._call_id,
                "voice.turn_index": self.turns,
                "voice.interrupted": False,
            },
        )
        self.turn = Turn(index=self.turns, span=span, speech_start=at)
        return self.turn

    def hop(
        self, name: str, start: float, end: float, *, provider: str | None = None, **attributes: object
    ) -> float | None:
        """One hop span under the current turn; returns its latency (ms) as budgets judge it,
        by the allowances of the chain that served it (`provider`, when known)."""
        turn = self.turn
        if turn is None:
            return None
        end = max(end, start)
        if provider is not None:
            attributes["voice.provider"] = provider
        span = self._tracer.start_span(
            name,
            context=trace.set_span_in_context(turn.span),
            start_time=ns(start),
            attributes={"voice.call_id": self._call_id, **attributes},  # type: ignore[dict-item]
        )
        span.end(end_time=ns(end))
        figure = attributes.get(HOP_FIGURE.get(name, ""))
        latency_ms = float(figure) if isinstance(figure, int | float) else (end - start) * 1000
        turn.hop_ms.setdefault(name, latency_ms)
        self._metrics.record_hop(name, latency_ms, self._transport)
        if self._monitor.breached(name, latency_ms, provider=provider) and name not in turn.breaches:
            turn.breaches.add(name)
            self._metrics.budget_breaches.add(1, {"hop": name})
            turn.span.add_event("voice.budget_breached", {"hop": name, "latency_ms": round(latency_ms, 1)})
        return latency_ms

    def close_turn(self, at: float) -> None:
        turn, self.turn = self.turn, None
        if turn is None:
            return
        turn.span.set_attribute("voice.budgets_breached", sorted(turn.breaches))
        turn.span.set_attribute("voice.failed", not turn.answered)
        if not turn.answered:
            turn.span.set_attribute("voice.failure_reason", "no reply")
        if turn.transcript:
            turn.span.set_attribute("voice.user_transcript", " ".join(turn.transcript))
        for hop in self._monitor.end_turn(turn.breaches):
            turn.span.add_event("voice.repeated_breach", {"hop": hop})
        turn.span.end(end_time=ns(max(at, turn.speech_start)))

    def end_call(self, at: float, outcome: str) -> None:
        self.close_turn(at)
        self.call_span.set_attribute("voice.outcome", outcome)
        self.call_span.set_attribute("voice.turns", self.turns)
        self.call_span.end(end_time=ns(at))
