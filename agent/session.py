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
from agent.turns.barge_in_gate import BargeInGate
from agent.turns.energy_gate import GateSettings
from agent.turns.state_log import log_state_changes
from agent.turns.turn_detector import WordsTurnDetector

BARGE_IN_MIN_SPEECH_S = 0.03
"""One Silero window (32 ms) of speech starts the caller's speech: LiveKit's barge-in clock
(`interruption.min_duration`) only runs from there. A click that starts it too is resumed over."""

CLOSE_TRANSCRIPT_WAIT_S = 1.0
"""How long a closing session waits for the final of words said just before the hang-up. LiveKit
waits 2.0 s, and the whole wait whenever the last final is over 0.5 s old, which after a normal
goodbye is always: it held every finished call's slot 2 s. The silence it feeds the STT is
pushed at once, so a pending final comes in well under 1 s (the Deepgram stand-in: its 300 ms
silence; offline: the VAD's end of speech, then one Whisper decode of ~0.35-0.55 s)."""


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
        "turn_detection": WordsTurnDetector(min_word_confidence=settings.end_of_turn_min_word_confidence),
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
        # the reply's first audio is synthesized while the turn is still being judged, and kept
        # only if the final transcript agrees (LiveKit discards it otherwise, unplayed)
        "preemptive_generation": {"enabled": True, "preemptive_tts": True},
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
        session_close_transcript_timeout=CLOSE_TRANSCRIPT_WAIT_S,
    )
    log_state_changes(session)
    BargeInTimer(
        session,
        resume_s=settings.false_interruption_resume_s,
        acknowledgement_max_s=settings.acknowledgement_max_s,
    )
    if settings.barge_in_gate:
        call_state.barge_in_gate = BargeInGate(
            session, gate_settings(settings), acknowledgement_max_s=settings.acknowledgement_max_s
        )
    return session


def gate_settings(settings: Settings) -> GateSettings:
    return GateSettings(
        onset_db=settings.barge_in_gate_onset_db,
        min_sound_s=settings.barge_in_gate_min_sound_s,
        min_dbfs=settings.barge_in_gate_min_dbfs,
        hangover_s=settings.barge_in_gate_hangover_s,
    )
