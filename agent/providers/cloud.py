"""The production primaries: Deepgram streaming STT, OpenAI chat and OpenAI TTS."""

from __future__ import annotations

from livekit.plugins import deepgram, openai

from agent.config import Settings


def deepgram_stt(settings: Settings) -> deepgram.STT:
    assert settings.deepgram_api_key is not None
    return deepgram.STT(
        model=settings.deepgram_model,
        interim_results=True,
        api_key=settings.deepgram_api_key.get_secret_value(),
    )


def openai_llm(settings: Settings) -> openai.LLM:
    assert settings.openai_api_key is not None
    return openai.LLM(model=settings.openai_llm_model, api_key=settings.openai_api_key.get_secret_value())


def openai_tts(settings: Settings) -> openai.TTS:
    assert settings.openai_api_key is not None
    return openai.TTS(
        model=settings.openai_tts_model,
        voice=settings.openai_tts_voice,
        api_key=settings.openai_api_key.get_secret_value(),
    )
