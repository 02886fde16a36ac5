"""Turns session events into `voice.*` spans: an observer beside the pipeline, not code in it.

Instants come from the media timeline where there is one: the caller's speech onset and end
are placed on the audio frames they were heard in (`MediaClock`, anchored on the VAD's
backdated events), the agent's reply starts when its first frame goes to the room
(`playback_started` of the session's audio output), and provider hops are placed from their
metrics (end time minus duration).
"""

from __future__ import annotations

import time

from livekit.agents import AgentSession
from livekit.agents.metrics import EOUMetrics, LLMMetrics, TTSMetrics
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    CloseEvent,
    EotPredictionEvent,
    FunctionToolsExecutedEvent,
    MetricsCollectedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)
from livekit.agents.voice.io import PlaybackStartedEvent

from agent.call_state import CallState
from agent.telemetry.eou_tap import eou_probability_since
from agent.telemetry.media_clock import MediaClock
from agent.telemetry.metrics import VoiceMetrics
from agent.telemetry.redaction import Redactor
from agent.telemetry.tool_spans import record_executed_tools, record_tool_call
from agent.telemetry.turns import CallSpans, Turn
from tools.resilience import ToolCallRecord


class CallObserver:
    def __init__(
        self,
        session: AgentSession[CallState],
        state: CallState,
        spans: CallSpans,
        metrics: VoiceMetrics,
        *,
        clock: MediaClock | None = None,
        transcripts: Redactor | None = None,
    ) -> None:
        """`transcripts`: how what the caller said goes on the turn span; None keeps it off."""
        self.spans = spans
        self._state = state
        self._metrics = metrics
        self._clock = clock or MediaClock()
        self._transcripts = transcripts
        self._agent_speaking = False
        self._barge_in_at: float | None = None
        session.on("user_state_changed", self._on_user_state)
        session.on("user_input_transcribed", self._on_transcript)
        session.on("eot_prediction", self._on_eot)
        session.on("metrics_collected", self._on_metrics)
        session.on("agent_state_changed", self._on_agent_state)
        session.on("function_tools_executed", self._on_tools)
        session.on("close", self._on_close)

    # --- the caller ---------------------------------------------------------------

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        if event.new_state == "speaking":
            onset = self._clock.speech_onset(event.created_at) or event.created_at
            turn = self.spans.turn
            if turn is not None and turn.answered:
                self.spans.close_turn(onset)
            if self._agent_speaking:
                self._barge_in_at = onset
            if self.spans.turn is None:
                self.spans.open_turn(onset)
        elif event.new_state == "listening" and (turn := self.spans.turn) is not None:
            turn.vad_speech_end = event.created_at
            turn.speech_end = self._clock.speech_end(event.created_at) or event.created_at

    def _on_transcript(self, event: UserInputTranscribedEvent) -> None:
        turn = self.spans.turn
        if turn is None:
            return
        if not turn.first_transcript_recorded:
            turn.first_transcript_recorded = True
            self.spans.hop(
                "voice.hop.mic_to_first_partial",
                turn.speech_start,
                event.created_at,
                first_partial_kind="final" if event.is_final else "interim",
            )
        if event.is_final:
            turn.last_final_at = event.created_at
            if self._transcripts is not None and event.transcript.strip():
                turn.transcript.append(self._transcripts(event.transcript.strip()))

    def _on_eot(self, event: EotPredictionEvent) -> None:
        if self.spans.turn is not None:
            self.spans.turn.eot_probability = event.probability

    # --- providers ----------------------------------------------------------------

    def _on_metrics(self, event: MetricsCollectedEvent) -> None:
        metrics, turn = event.metrics, self.spans.turn
        if turn is None:
            return
        if isinstance(metrics, EOUMetrics) and turn.speech_end is not None:
            self._end_of_turn(turn, metrics)
        elif isinstance(metrics, LLMMetrics) and not metrics.cancelled:
            meta = metrics.metadata
            self.spans.hop(
                "voice.hop.llm",
                metrics.timestamp - metrics.duration,
                metrics.timestamp,
                provider=meta.model_provider if meta else None,
                ttft_ms=round(metrics.ttft * 1000, 1),
                **{
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": (meta.model_name if meta else None) or "unknown",
                    "gen_ai.system": (meta.model_provider if meta else None) or "unknown",
                    "gen_ai.usage.input_tokens": metrics.prompt_tokens,
                    "gen_ai.usage.output_tokens": metrics.completion_tokens,
                },
            )
        elif isinstance(metrics, TTSMetrics) and not turn.tts_recorded and metrics.ttfb > 0:
            turn.tts_recorded = True
            start = metrics.timestamp - metrics.duration
            self.spans.hop(
                "voice.hop.tts",
                start,
                start + metrics.ttfb,
                provider=metrics.metadata.model_provider if metrics.metadata else None,
                ttfb_ms=round(metrics.ttfb * 1000, 1),
            )

    def _end_of_turn(self, turn: Turn, metrics: EOUMetrics) -> None:
        assert turn.speech_end is not None
        # LiveKit counts its delays from the VAD's end of speech; the hops start at the audio's end
        vad_end = turn.vad_speech_end or turn.speech_end
        self.spans.hop(
            "voice.hop.stt_final",
            turn.speech_end,
            max(turn.last_final_at or vad_end + metrics.transcription_delay, turn.speech_end),
        )
        probability = turn.eot_probability
        if probability is None:
            probability = eou_probability_since(turn.vad_speech_end or turn.speech_start)
        self.spans.hop(
            "voice.hop.end_of_turn",
            turn.speech_end,
            vad_end + metrics.end_of_utterance_delay,
            **({"eot_probability": round(probability, 4)} if probability is not None else {}),
        )

    def record_tool(
        self,
        *,
        name: str,
        started_at: float,
        ended_at: float,
        outcome: str,
        attempts: int = 1,
        key_hash: str | None = None,
        served_from_storage: bool = False,
    ) -> None:
        """A per-tool-call hook's report; LiveKit's executed-tools event then skips this call."""
        if self.spans.turn is None:
            return
        self.spans.turn.tools_from_hook[name] += 1
        record_tool_call(
            self.spans,
            self._metrics,
            name=name,
            started_at=started_at,
            ended_at=ended_at,
            outcome=outcome,
            attempts=attempts,
            key_hash=key_hash,
            served_from_storage=served_from_storage,
        )

    def record_tool_call(self, record: ToolCallRecord, *, ended_at: float) -> None:
        """Fed by the tools' resilience layer (tools.business.TOOL_METRICS)."""
        if record.call_id != self._state.call_id:
            return
        self.record_tool(
            name=record.tool,
            started_at=ended_at - record.latency_ms / 1000,
            ended_at=ended_at,
            outcome=record.outcome,
            attempts=record.attempts,
            key_hash=record.key_hash,
            served_from_storage=record.served_from_storage,
        )

    def _on_tools(self, event: FunctionToolsExecutedEvent) -> None:
        record_executed_tools(self.spans, self._metrics, event)

    # --- the agent ----------------------------------------------------------------

    def on_playback_started(self, event: PlaybackStartedEvent) -> None:
        """The first frame of a reply went to the room: the round trip ends here."""
        self._reply_started(event.created_at)

    def _reply_started(self, at: float) -> None:
        turn = self.spans.turn
        if turn is not None and not turn.answered and turn.speech_end is not None and at >= turn.speech_end:
            turn.answered = True
            self.spans.hop("voice.hop.round_trip", turn.speech_end, at)

    def _on_agent_state(self, event: AgentStateChangedEvent) -> None:
        if event.new_state == "speaking":
            self._agent_speaking = True
            # only when the output reports no playback (no room audio): the state change is later
            self._reply_started(event.created_at)
        elif event.old_state == "speaking":
            self._agent_speaking = False
            if self._barge_in_at is not None:
                self.spans.hop("voice.hop.interruption", self._barge_in_at, event.created_at)
                if self.spans.turn is not None:
                    self.spans.turn.span.set_attribute("voice.interrupted", True)
                self._barge_in_at = None

    # --- the end ------------------------------------------------------------------

    def outcome(self, event: CloseEvent) -> str:
        # only what actually happened: "transferred" and "voicemail" are set by the escalation code
        # once a human joined or a callback was stored, never for a transfer merely requested
        if self._state.outcome is not None:
            return self._state.outcome
        if "disconnect" in str(getattr(event, "reason", "")).lower():
            return "caller_hung_up"
        return "completed"

    def _on_close(self, event: CloseEvent) -> None:
        outcome = self.outcome(event)
        if outcome == "transferred":
            self._metrics.transfers.add(1)
        attempts = self._state.transfer_attempts
        if attempts:
            self.spans.call_span.set_attribute("voice.transfer.attempts", len(attempts))
            self.spans.call_span.set_attribute("voice.transfer.last_outcome", attempts[-1].outcome)
        self.spans.end_call(time.time(), outcome)
