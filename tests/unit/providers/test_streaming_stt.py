"""The two-pass offline STT: interims while speaking, an accurate final, at any sample rate."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import stt
from livekit.plugins import silero

from agent.audio import resample
from agent.providers.offline.espeak import EspeakEngine
from agent.providers.offline.streaming_stt import OfflineStreamingSTT
from agent.providers.offline.whisper_stt import WhisperSTT, load_whisper_model


@pytest.fixture(scope="module")
def engine() -> OfflineStreamingSTT:
    return OfflineStreamingSTT(
        whisper=WhisperSTT(load_whisper_model()), vad_model=silero.VAD.load(min_silence_duration=0.3)
    )


def utterance(text: str, rate: int) -> np.ndarray:
    voice = EspeakEngine.shared()
    speech = resample(voice.synthesize(text, words_per_minute=150), voice.sample_rate, rate)
    silence = np.zeros(rate // 2, np.int16)
    audio = np.concatenate([silence, speech, silence, silence])
    return np.concatenate([audio, np.zeros((-audio.size) % (rate // 100), np.int16)])


async def stream_in_real_time(
    engine: stt.STT, audio: np.ndarray, rate: int
) -> list[tuple[float, stt.SpeechEvent]]:
    stream = engine.stream()
    events: list[tuple[float, stt.SpeechEvent]] = []

    async def _listen() -> None:
        async for event in stream:
            events.append((time.perf_counter(), event))

    listener = asyncio.create_task(_listen())
    step = rate // 100
    started = time.perf_counter()
    for index, chunk in enumerate(audio.reshape(-1, step)):
        stream.push_frame(rtc.AudioFrame(chunk.tobytes(), rate, 1, step))
        await asyncio.sleep(max(0.0, started + (index + 1) * 0.01 - time.perf_counter()))
    stream.end_input()
    await listener
    return events


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
async def test_interims_come_before_an_accurate_final(engine: OfflineStreamingSTT, rate: int) -> None:
    events = await stream_in_real_time(engine, utterance("I need a plumber tomorrow morning.", rate), rate)
    kinds = [event.type for _, event in events]
    assert kinds[0] == stt.SpeechEventType.START_OF_SPEECH
    assert kinds[-1] == stt.SpeechEventType.END_OF_SPEECH
    interims = [at for at, event in events if event.type == stt.SpeechEventType.INTERIM_TRANSCRIPT]
    finals = [
        (at, event.alternatives[0].text)
        for at, event in events
        if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT
    ]
    assert interims, "no interim transcript while the caller spoke"
    assert finals and interims[0] <= finals[0][0]
    text = " ".join(t for _, t in finals).lower()
    assert "plumber" in text and "tomorrow" in text


async def test_silence_produces_no_events(engine: OfflineStreamingSTT) -> None:
    events = await stream_in_real_time(engine, np.zeros(16000, np.int16), 16000)
    assert events == []
