"""Builds the AgentSession: turn taking, interruptions and preemptive generation."""

from __future__ import annotations

from livekit.agents import AgentSession, inference, vad
from livekit.agents.voice.turn import TurnHandlingOptions

from agent.call_state import CallState
from agent.config import Settings
from agent.providers.factory import Providers


def build_session(
    settings: Settings, providers: Providers, *, vad_model: vad.VAD, call_state: CallState
) -> AgentSession[CallState]:
    turn_handling: TurnHandlingOptions = {
        # v1-mini ships inside livekit-local-inference: no cloud gateway, no hub download.
        "turn_detection": inference.TurnDetector(version="v1-mini"),
        "endpointing": {
            "min_delay": settings.endpointing_min_delay_s,
            "max_delay": settings.endpointing_max_delay_s,
        },
        "interruption": {"enabled": True, "resume_false_interruption": True},
        "preemptive_generation": {"enabled": True},
    }
    return AgentSession[CallState](
        userdata=call_state,
        stt=providers.stt,
        llm=providers.llm,
        tts=providers.tts,
        vad=vad_model,
        turn_handling=turn_handling,
        aec_warmup_duration=settings.aec_warmup_s or None,
    )
