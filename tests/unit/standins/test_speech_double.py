"""The real OpenAI TTS plugin against OpenAISpeechStandIn: audible audio in each format, and each wire fault."""

from __future__ import annotations

import numpy as np
import pytest
from livekit.agents import APIConnectionError, APIStatusError, APITimeoutError, tts
from livekit.agents.types import APIConnectOptions
from livekit.plugins import openai

from agent.audio import rms_dbfs
from agent.providers.watchdog import WatchdogTTS
from tests.unit.standins.conftest import Served

NO_RETRY = APIConnectOptions(max_retry=0, timeout=3.0)
AUDIBLE_DBFS = -45.0
"""What the WebRTC caller's onset detector needs to hear."""


def _plugin(served: Served, **options: object) -> openai.TTS:
    return openai.TTS(api_key="test-double", base_url=f"{served.url}/v1", **options)  # type: ignore[arg-type]


async def _samples(stream: tts.ChunkedStream) -> np.ndarray:
    async with stream:
        frames = [np.frombuffer(audio.frame.data, dtype=np.int16) for audio in [a async for a in stream]]
    return np.concatenate(frames) if frames else np.zeros(0, np.int16)


@pytest.mark.parametrize(
    ("model", "response_format"),
    [
        ("gpt-4o-mini-tts", None),  # the project's setting: mp3 inside SSE events
        ("tts-1", None),  # mp3 as a raw audio stream
        ("gpt-4o-mini-tts", "pcm"),
        ("tts-1", "wav"),
        ("gpt-4o-mini-tts", "opus"),
    ],
)
async def test_speech_is_audible_in_the_format_asked_for(
    standins: Served, model: str, response_format: str | None
) -> None:
    options: dict[str, object] = {"model": model}
    if response_format:
        options["response_format"] = response_format
    plugin = _plugin(standins, **options)
    samples = await _samples(plugin.synthesize("Hello there, how can I help?", conn_options=NO_RETRY))
    seconds = samples.size / plugin.sample_rate
    assert 0.8 < seconds < 4.0, seconds
    assert rms_dbfs(samples) > AUDIBLE_DBFS + 15
    assert standins.state.stats["tts"].completed == 1
    await plugin.aclose()


async def test_5xx_is_a_status_error(standins: Served) -> None:
    standins.state.faults.set("tts", "5xx")
    plugin = _plugin(standins)
    with pytest.raises(APIStatusError) as raised:
        await _samples(plugin.synthesize("Hello there.", conn_options=NO_RETRY))
    assert raised.value.status_code == 500
    await plugin.aclose()


async def test_disconnect_mid_stream_is_a_connection_error(standins: Served) -> None:
    standins.state.faults.set("tts", "disconnect")
    plugin = _plugin(standins, response_format="pcm")
    with pytest.raises(APIConnectionError):
        await _samples(plugin.synthesize("Hello there, how can I help?", conn_options=NO_RETRY))
    await plugin.aclose()


@pytest.mark.parametrize("fault", ["hang", "slow-drip"])
async def test_a_hung_or_trickling_tts_trips_the_watchdog(standins: Served, fault: str) -> None:
    standins.state.faults.set("tts", fault)
    watched = WatchdogTTS(_plugin(standins), first_audio_timeout=0.4)
    with pytest.raises(APITimeoutError):
        await _samples(watched.synthesize("Hello there.", conn_options=NO_RETRY))
    await watched.aclose()


async def test_a_repeated_sentence_is_synthesized_once(standins: Served, monkeypatch) -> None:
    from evals.standins import speech_double

    encoded: list[str] = []
    real_encode = speech_double.encode

    def _counting_encode(samples, response_format):  # type: ignore[no-untyped-def]
        encoded.append(response_format)
        return real_encode(samples, response_format)

    monkeypatch.setattr(speech_double, "encode", _counting_encode)
    plugin = _plugin(standins)
    first = await _samples(plugin.synthesize("Thanks for calling.", conn_options=NO_RETRY))
    again = await _samples(plugin.synthesize("Thanks for calling.", conn_options=NO_RETRY))
    assert encoded == ["mp3"] and first.size == again.size
    await plugin.aclose()
