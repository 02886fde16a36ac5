"""Hung providers (connected, silent) fail over within the budget, and recovery switches back."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import APITimeoutError, llm, stt, tts
from livekit.plugins import silero

from agent.audio import resample
from agent.providers.fault_injection import (
    PRIMARY_MARKER,
    HangingLLMTestDouble,
    HangingSTTTestDouble,
    HangingTTSTestDouble,
)
from agent.providers.offline.dialog.engine_llm import DEGRADED_NOTICE, DialogEngineLLM
from agent.providers.offline.espeak import EspeakEngine
from agent.providers.offline.espeak_tts import EspeakTTS
from agent.providers.offline.whisper_stt import WhisperSTT, load_whisper_model
from agent.providers.watchdog import WatchdogLLM, WatchdogSTT, WatchdogTTS

FAILOVER_BUDGET_S = 1.0


def chat_with(text: str) -> llm.ChatContext:
    ctx = llm.ChatContext.empty()
    ctx.add_message(role="user", content=text)
    return ctx


async def collect_text(adapter: llm.LLM, text: str) -> tuple[str, float]:
    started = time.monotonic()
    first_chunk_at = None
    parts = []
    async with adapter.chat(chat_ctx=chat_with(text)) as stream:
        async for chunk in stream:
            if chunk.delta and chunk.delta.content:
                first_chunk_at = first_chunk_at or time.monotonic()
                parts.append(chunk.delta.content)
    assert first_chunk_at is not None
    return "".join(parts), first_chunk_at - started


async def test_hung_llm_fails_over_within_budget_and_recovers() -> None:
    primary = HangingLLMTestDouble(hang_word="basement")
    adapter = llm.FallbackAdapter(
        [
            WatchdogLLM(primary, first_token_timeout=0.5, stall_timeout=0.5),
            DialogEngineLLM(degraded_notice=True),
        ]
    )
    text, first_token_s = await collect_text(adapter, "hello")
    assert text.startswith(PRIMARY_MARKER)

    text, first_token_s = await collect_text(adapter, "water in the basement")
    assert text.startswith(DEGRADED_NOTICE)  # the backup says so, once
    assert first_token_s < FAILOVER_BUDGET_S
    assert primary.hung_requests >= 1  # the request, plus any background recovery probe

    primary.hang_word = "never-said"  # the provider comes back
    await collect_text(adapter, "still there?")  # served by offline while the probe runs
    for _ in range(50):
        text, _ = await collect_text(adapter, "are you back")
        if text.startswith(PRIMARY_MARKER):
            break
        await asyncio.sleep(0.05)
    assert text.startswith(PRIMARY_MARKER), "the chain never switched back to the recovered primary"
    await adapter.aclose()


async def test_llm_watchdog_raises_on_a_silent_stream() -> None:
    watched = WatchdogLLM(HangingLLMTestDouble(hang_word="x"), first_token_timeout=0.2, stall_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="no first token"):
        async with watched.chat(chat_ctx=chat_with("x marks the spot")) as stream:
            async for _ in stream:
                pass
    assert time.monotonic() - started < 0.2 + 0.3


async def test_hung_tts_fails_over_within_budget() -> None:
    adapter = tts.FallbackAdapter([WatchdogTTS(HangingTTSTestDouble(), first_audio_timeout=0.5), EspeakTTS()])
    started = time.monotonic()
    first_audio_s = None
    samples = 0
    async with adapter.synthesize("Your appointment is confirmed.") as stream:
        async for audio in stream:
            first_audio_s = first_audio_s or time.monotonic() - started
            samples += audio.frame.samples_per_channel
    assert first_audio_s is not None and first_audio_s < FAILOVER_BUDGET_S
    assert samples > adapter.sample_rate * 0.5
    await adapter.aclose()


def speech_frames(text: str, rate: int = 16000) -> list[rtc.AudioFrame]:
    engine = EspeakEngine.shared()
    samples = resample(engine.synthesize(text, words_per_minute=150), engine.sample_rate, rate)
    silence = np.zeros(rate, np.int16)
    audio = np.concatenate([silence[: rate // 4], samples, silence])
    step = rate // 100
    audio = np.concatenate([audio, np.zeros((-audio.size) % step, np.int16)])
    return [rtc.AudioFrame(chunk.tobytes(), rate, 1, step) for chunk in audio.reshape(-1, step)]


async def test_stt_watchdog_raises_when_speech_gets_no_answer() -> None:
    stream = WatchdogSTT(HangingSTTTestDouble(), response_timeout=0.4).stream()
    started = time.monotonic()
    for frame in speech_frames("hello there"):
        stream.push_frame(frame)
    with pytest.raises(APITimeoutError, match="heard speech"):
        async for _ in stream:
            pass
    assert time.monotonic() - started < 0.4 + 0.3
    await stream.aclose()


async def test_stt_watchdog_stays_quiet_on_silence() -> None:
    stream = WatchdogSTT(HangingSTTTestDouble(), response_timeout=0.2).stream()
    for _ in range(50):
        stream.push_frame(rtc.AudioFrame(bytes(320), 16000, 1, 160))
    stream.end_input()
    events = [event async for event in stream]
    assert events == []


async def test_hung_stt_fails_over_and_later_speech_is_transcribed() -> None:
    vad = silero.VAD.load(min_silence_duration=0.3)
    offline = stt.StreamAdapter(stt=WhisperSTT(load_whisper_model()), vad=vad)
    adapter = stt.FallbackAdapter([WatchdogSTT(HangingSTTTestDouble(), response_timeout=0.5), offline])
    stream = adapter.stream()
    for frame in speech_frames("hello"):
        stream.push_frame(frame)
    await asyncio.sleep(FAILOVER_BUDGET_S)  # the watchdog fires and the adapter moves on
    for frame in speech_frames("I need a plumber tomorrow morning."):
        stream.push_frame(frame)
    stream.end_input()
    finals = [
        event.alternatives[0].text
        async for event in stream
        if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT and event.alternatives
    ]
    assert any("plumber" in text.lower() for text in finals), finals
    await adapter.aclose()
