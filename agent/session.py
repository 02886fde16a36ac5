"""Builds the AgentSession: turn taking, interruptions and preemptive generation."""

from __future__ import annotations

from dataclasses import replace

from livekit.agents import AgentSession, vad
from livekit.agents.voice.turn import TurnHandlingOptions
from livekit.plugins import silero

from agent.call_state import CallState
from agent.config import Settings
from agent.providers.factory import Providers
from agent.turns.barge_in import BargeInTimer
from agent.turns.state_log import log_state_changes
from agent.turns.turn_detector import WordsTurnDetector

BARGE_IN_MIN_SPEECH_S = 0.03
"""One Silero window (32 ms) of speech starts the caller's speech: LiveKit's barge-in clock
(`interruption.min_duration`) only runs from there. A click that starts it too is resumed over."""


def turn_taking_vad(vad_model: vad.VAD, settings: Settings) -> vad.VAD:
    """The session's own VAD: it ends speech sooner than the STT's, so a paused reply resumes sooner.

    It shares the loaded Silero model (no second load); the STT keeps `vad_model` and its longer
    silence, which bounds the utterances Whisper decodes.
    """
    if not isinstance(vad_model, silero.VAD):
        return vad_model
    options = replace(
        vad_model._opts,
        min_speech_duration=BARGE_IN_MIN_SPEECH_S,
        min_silence_duration=settings.barge_in_vad_min_silence_s,
    )
    return silero.VAD(session=vad_model._onnx_session, opts=options)


def turn_handling_options(settings: Settings) -> TurnHandlingOptions:
    """One policy for every provider: the words decide the end of turn; short barge-in, quick resume."""
    return {
        "turn_detection": WordsTurnDetector(),
        "endpointing": {
            "min_delay": settings.endpointing_min_delay_s,
            "max_delay": settings.endpointing_max_delay_s,
        },
        "interruption": {
            "enabled": True,
            # LiveKit's VAD mode: the adaptive detector needs LiveKit Cloud
            "mode": "vad",
            "min_duration": settings.interruption_min_speech_s,
            "resume_false_interruption": True,
            "false_interruption_timeout": settings.false_interruption_resume_s,
        },
        "preemptive_generation": {"enabled": True},
    }


def build_session(
    settings: Settings, providers: Providers, *, vad_model: vad.VAD, call_state: CallState
) -> AgentSession[CallState]:
    session = AgentSession[CallState](
        userdata=call_state,
        stt=providers.stt,
        llm=providers.llm,
        tts=providers.tts,
        vad=turn_taking_vad(vad_model, settings),
        turn_handling=turn_handling_options(settings),
        aec_warmup_duration=settings.aec_warmup_s or None,
    )
    log_state_changes(session)
    BargeInTimer(
        session,
        resume_s=settings.false_interruption_resume_s,
        acknowledgement_max_s=settings.acknowledgement_max_s,
    )
    return session
