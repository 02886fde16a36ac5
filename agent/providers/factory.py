"""Builds each hop's provider chain: the cloud primary (under a watchdog) first, the offline stack last."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from livekit.agents import llm, stt, tts, vad

from agent.config import Settings
from agent.providers.offline.dialog.engine_llm import DialogEngineLLM, FailedTurnHook
from agent.providers.offline.espeak_tts import EspeakTTS
from agent.providers.offline.sphinx_partials import SphinxPartials
from agent.providers.offline.streaming_stt import OfflineStreamingSTT
from agent.providers.offline.whisper_stt import WhisperSTT
from agent.providers.watchdog import WatchdogLLM, WatchdogSTT, WatchdogTTS
from agent.replies.phrase_cache import PhraseCacheTTS
from agent.replies.pipelined_tts import PipelinedTTS

logger = logging.getLogger("voice_agent.providers")


@dataclass(frozen=True)
class Providers:
    stt: stt.STT
    llm: llm.LLM
    tts: tts.TTS
    """What the session speaks through: `tts_chain` behind pipelined synthesis (agent/replies)."""
    tts_chain: tts.TTS
    """The voices themselves, cloud first: their failovers are what telemetry watches."""
    chain: str
    """Human-readable chains, e.g. "stt=deepgram>offline llm=offline tts=offline"."""


def _log_availability(
    hop: str, adapter: stt.FallbackAdapter | llm.FallbackAdapter | tts.FallbackAdapter
) -> None:
    def _changed(event: object) -> None:
        provider = getattr(event, hop)
        available = getattr(event, "available", None)
        logger.warning(
            "provider availability changed",
            extra={"hop": hop, "provider": provider.label, "available": available},
        )

    adapter.on(f"{hop}_availability_changed", _changed)


def build_providers(
    settings: Settings,
    *,
    vad_model: vad.VAD,
    offline_stt: WhisperSTT,
    partials: SphinxPartials | None = None,
    on_failed_turn: FailedTurnHook | None = None,
) -> Providers:
    offline_stt_stream = OfflineStreamingSTT(
        whisper=offline_stt,
        vad_model=vad_model,
        partials=partials,
        # behind Deepgram it must take flushes too, or the FallbackAdapter never sends Finalize
        accepts_flush=settings.deepgram_api_key is not None,
    )
    offline_tts = EspeakTTS(
        voice=settings.offline_tts_voice,
        words_per_minute=settings.offline_tts_words_per_minute,
    )
    stt_primary: stt.STT | None = None
    llm_primary: llm.LLM | None = None
    tts_primary: tts.TTS | None = None
    names = {"stt": "offline", "llm": "offline", "tts": "offline"}

    if settings.deepgram_api_key is not None:
        from agent.providers import cloud

        stt_primary = cloud.deepgram_stt(settings)
        names["stt"] = "deepgram>offline"
    if settings.openai_api_key is not None:
        from agent.providers import cloud

        llm_primary, tts_primary = cloud.openai_llm(settings), cloud.openai_tts(settings)
        names["llm"] = names["tts"] = "openai>offline"
    if settings.fault_injection_llm_hang_word:
        from agent.providers.fault_injection import HangingLLMTestDouble

        llm_primary = HangingLLMTestDouble(hang_word=settings.fault_injection_llm_hang_word)
        names["llm"] = "hanging-test-double>offline"

    offline_llm = DialogEngineLLM(
        # behind a cloud LLM it only ever serves when the primary failed: say so once
        degraded_notice=llm_primary is not None,
        on_failed_turn=on_failed_turn,
    )
    chosen_stt: stt.STT = offline_stt_stream
    chosen_llm: llm.LLM = offline_llm
    chosen_tts: tts.TTS = offline_tts
    if stt_primary is not None:
        watched_stt = WatchdogSTT(stt_primary, response_timeout=settings.stt_response_timeout_s)
        chosen_stt = stt.FallbackAdapter([watched_stt, offline_stt_stream])
        _log_availability("stt", chosen_stt)
    if llm_primary is not None:
        watched_llm = WatchdogLLM(
            llm_primary,
            first_token_timeout=settings.llm_first_token_timeout_s,
            stall_timeout=settings.llm_stall_timeout_s,
        )
        chosen_llm = llm.FallbackAdapter([watched_llm, offline_llm])
        _log_availability("llm", chosen_llm)
    if tts_primary is not None:
        if settings.tts_phrase_cache:
            # inside the watchdog: a kept phrase answers at once, a miss is still watched
            tts_primary = PhraseCacheTTS(
                tts_primary,
                directory=settings.data_dir / "phrase-cache",
                voice_settings=cloud_voice(settings),
            )
        watched_tts = WatchdogTTS(tts_primary, first_audio_timeout=settings.tts_first_audio_timeout_s)
        chosen_tts = tts.FallbackAdapter([watched_tts, offline_tts])
        _log_availability("tts", chosen_tts)

    return Providers(
        stt=chosen_stt,
        llm=chosen_llm,
        tts=PipelinedTTS(chosen_tts),
        tts_chain=chosen_tts,
        chain=" ".join(f"{hop}={name}" for hop, name in names.items()),
    )


def cloud_voice(settings: Settings) -> str:
    """The settings that change how the cloud voice sounds (no key: nothing secret reaches a file name)."""
    return "|".join((settings.openai_base_url or "", settings.openai_tts_model, settings.openai_tts_voice))
