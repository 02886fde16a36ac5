"""Chooses each hop's provider: the cloud primary when its key is set, backed by the offline stack."""

from __future__ import annotations

from dataclasses import dataclass

from livekit.agents import llm, stt, tts, vad

from agent.config import Settings
from agent.providers.offline.espeak_tts import EspeakTTS
from agent.providers.offline.scripted_llm import ScriptedReplyLLM
from agent.providers.offline.whisper_stt import WhisperSTT


@dataclass(frozen=True)
class Providers:
    stt: stt.STT
    llm: llm.LLM
    tts: tts.TTS
    chain: str
    """Human-readable provider chain, e.g. "stt=deepgram>offline llm=offline tts=offline"."""


def build_providers(settings: Settings, *, vad_model: vad.VAD, offline_stt: WhisperSTT) -> Providers:
    offline_stt_stream = stt.StreamAdapter(stt=offline_stt, vad=vad_model)
    offline_llm = ScriptedReplyLLM()
    offline_tts = EspeakTTS(
        voice=settings.offline_tts_voice,
        words_per_minute=settings.offline_tts_words_per_minute,
    )

    chosen_stt: stt.STT = offline_stt_stream
    chosen_llm: llm.LLM = offline_llm
    chosen_tts: tts.TTS = offline_tts
    stt_chain, llm_chain, tts_chain = "offline", "offline", "offline"

    if settings.deepgram_api_key is not None:
        from agent.providers import cloud

        chosen_stt = stt.FallbackAdapter([cloud.deepgram_stt(settings), offline_stt_stream])
        stt_chain = "deepgram>offline"
    if settings.openai_api_key is not None:
        from agent.providers import cloud

        chosen_llm = llm.FallbackAdapter([cloud.openai_llm(settings), offline_llm])
        chosen_tts = tts.FallbackAdapter([cloud.openai_tts(settings), offline_tts])
        llm_chain, tts_chain = "openai>offline", "openai>offline"

    return Providers(
        stt=chosen_stt,
        llm=chosen_llm,
        tts=chosen_tts,
        chain=f"stt={stt_chain} llm={llm_chain} tts={tts_chain}",
    )
