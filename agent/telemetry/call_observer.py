"""Turns session events into `voice.*` spans: an observer beside the pipeline, not code in it.

Timestamps come from the audio timeline where LiveKit provides it: user speech start and end
are the VAD's backdated instants (`user_state_changed.created_at`), the agent's first audio is
when playback started in the room output (`agent_state_changed` to speaking), and provider
hops are placed from their metrics (end time minus duration).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livekit.agents import AgentSession
from livekit.agents.metrics import EOUMetrics, LLMMetrics, TTSMetrics
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    EotPredictionEvent,
    MetricsCollectedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)
from opentelemetry import trace
from opentelemetry.trace import Span, Tracer

from agent.call_state import CallState
from tools.resilience import ToolCallRecord

TRACER_NAME = "voice-agent"


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


@dataclass
class _Turn:
    index: int
    span: Span
    speech_start: float
    speech_end: float | None = None
    partial_recorded: bool = False
    tts_recorded: bool = False
    answered: bool = False
    eot_probability: float | None = None
    hop_ms: dict[str, float] = field(default_factory=dict)


class CallObserver:
    def __init__(
        self,
        session: AgentSession[CallState],
        state: CallState,
        *,
        tracer: Tracer,
        chain: str,
        budgets: dict[str, float],
    ) -> None:
        self._tracer = tracer
        self._state = state
        self._budgets = budgets
        self._turn: _Turn | None = None
        self._turns = 0
        self._agent_speaking_since: float | None = None
        self._barge_in_at: float | None = None
        self.call_span = self._tracer.start_span(
            "voice.call",
            attributes={
                "voice.call_id": state.call_id,
                "voice.room": state.room,
                "voice.transport": state.transport,
                "voice.provider_chain": chain,
            },
        )
        session.on("user_state_changed", self._on_user_state)
        session.on("user_input_transcribed", self._on_transcript)
        session.on("eot_prediction", self._on_eot)
        session.on("metrics_collected", self._on_metrics)
        session.on("agent_state_changed", self._on_agent_state)
        session.on("close", self._on_close)

    # --- spans --------------------------------------------------------------------

    def _hop(self, name: str, start: float, end: float, **attributes: object) -> None:
        turn = self._turn
        if turn is None:
            return
        end = max(end, start)
        context = trace.set_span_in_context(turn.span)
        span = self._tracer.start_span(
            name,
            context=context,
            start_time=_ns(start),
            attributes={"voice.call_id": self._state.call_id, **attributes},
        )  # type: ignore[arg-type]
        span.end(end_time=_ns(end))
        figure = attributes.get("ttft_ms") or attributes.get("ttfb_ms")
        turn.hop_ms.setdefault(
            name, float(figure) if isinstance(figure, int | float) else (end - start) * 1000
        )

    def _close_turn(self, at: float) -> None:
        turn, self._turn = self._turn, None
        if turn is None:
            return
        breached = sorted(h for h, ms in turn.hop_ms.items() if h in self._budgets and ms > self._budgets[h])
        turn.span.set_attribute("voice.budgets_breached", breached)
        turn.span.set_attribute("voice.failed", not turn.answered)
        if not turn.answered:
            turn.span.set_attribute("voice.failure_reason", "no reply")
        turn.span.end(end_time=_ns(max(at, turn.speech_start)))

    # --- events -------------------------------------------------------------------

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        if event.new_state == "speaking":
            if self._turn is not None and self._turn.answered:
                self._close_turn(event.created_at)
            if self._agent_speaking_since is not None:
                self._barge_in_at = event.created_at
            if self._turn is None:
                self._turns += 1
                span = self._tracer.start_span(
                    "voice.turn",
                    context=trace.set_span_in_context(self.call_span),
                    start_time=_ns(event.created_at),
                    attributes={"voice.turn_index": self._turns, "voice.interrupted": False},
                )
                self._turn = _Turn(index=self._turns, span=span, speech_start=event.created_at)
        elif event.new_state == "listening" and self._turn is not None:
            self._turn.speech_end = event.created_at

    def _on_transcript(self, event: UserInputTranscribedEvent) -> None:
        turn = self._turn
        if turn is None:
            return
        if not turn.partial_recorded:
            turn.partial_recorded = True
            kind = "final" if event.is_final else "interim"
            self._hop(
                "voice.hop.mic_to_first_partial", turn.speech_start, event.created_at, first_partial_kind=kind
            )
        if event.is_final:
            self._hop("voice.hop.stt_final", turn.speech_end or event.created_at, event.created_at)

    def _on_eot(self, event: EotPredictionEvent) -> None:
        if self._turn is not None:
            self._turn.eot_probability = event.probability

    def _on_metrics(self, event: MetricsCollectedEvent) -> None:
        metrics, turn = event.metrics, self._turn
        if turn is None:
            return
        if isinstance(metrics, EOUMetrics) and turn.speech_end is not None:
            self._hop(
                "voice.hop.end_of_turn",
                turn.speech_end,
                turn.speech_end + metrics.end_of_utterance_delay,
                **({"eot_probability": turn.eot_probability} if turn.eot_probability is not None else {}),
            )
        elif isinstance(metrics, LLMMetrics) and not metrics.cancelled:
            meta = metrics.metadata
            self._hop(
                "voice.hop.llm",
                metrics.timestamp - metrics.duration,
                metrics.timestamp,
                ttft_ms=round(metrics.ttft * 1000, 1),
                **{
                    "gen_ai.request.model": (meta.model_name if meta else None) or "unknown",
                    "gen_ai.system": (meta.model_provider if meta else None) or "unknown",
                    "gen_ai.usage.output_tokens": metrics.completion_tokens,
                },
            )
        elif isinstance(metrics, TTSMetrics) and not turn.tts_recorded and metrics.ttfb > 0:
            turn.tts_recorded = True
            start = metrics.timestamp - metrics.duration
            self._hop("voice.hop.tts", start, start + metrics.ttfb, ttfb_ms=round(metrics.ttfb * 1000, 1))

    def _on_agent_state(self, event: AgentStateChangedEvent) -> None:
        turn = self._turn
        if event.new_state == "speaking":
            self._agent_speaking_since = event.created_at
            if turn is not None and not turn.answered and turn.speech_end is not None:
                turn.answered = True
                self._hop("voice.hop.round_trip", turn.speech_end, event.created_at)
        elif event.old_state == "speaking":
            self._agent_speaking_since = None
            if self._barge_in_at is not None:
                self._hop("voice.hop.interruption", self._barge_in_at, event.created_at)
                if turn is not None:
                    turn.span.set_attribute("voice.interrupted", True)
                self._barge_in_at = None

    def record_tool_call(self, record: ToolCallRecord, *, ended_at: float) -> None:
        """Fed by the tools' resilience layer (tools.business.TOOL_METRICS)."""
        if record.call_id != self._state.call_id:
            return
        self._hop(
            "voice.hop.tool",
            ended_at - record.latency_ms / 1000,
            ended_at,
            **{
                "tool.name": record.tool,
                "tool.attempts": record.attempts,
                "tool.outcome": record.outcome,
                "tool.idempotency_key_hash": record.key_hash or "",
                "tool.served_from_storage": record.served_from_storage,
            },
        )

    def _on_close(self, event: CloseEvent) -> None:
        import time

        self._close_turn(time.time())
        if self._state.escalation_requested:
            outcome = "transferred"
        elif "disconnect" in str(getattr(event, "reason", "")).lower():
            outcome = "caller_hung_up"
        else:
            outcome = "completed"
        self.call_span.set_attribute("voice.outcome", outcome)
        self.call_span.end()
