"""The real Deepgram plugin against DeepgramStandIn: interim then final results, and each wire fault."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import numpy as np
import pytest
from livekit import rtc
from livekit.agents import APIConnectionError, APIError, APIStatusError, APITimeoutError, stt
from livekit.agents.types import APIConnectOptions
from livekit.plugins import deepgram

from agent.providers.watchdog import WatchdogSTT
from tests.unit.standins.conftest import SCRIPT, Served, tone

RATE = 16000
FRAME = RATE // 50  # 20 ms
NO_RETRY = APIConnectOptions(max_retry=0, timeout=3.0)


def _frames(samples: np.ndarray) -> list[rtc.AudioFrame]:
    padded = np.concatenate([samples, np.zeros((-samples.size) % FRAME, np.int16)])
    return [rtc.AudioFrame(chunk.tobytes(), RATE, 1, FRAME) for chunk in padded.reshape(-1, FRAME)]


def _utterance(speech_s: float = 1.0) -> list[rtc.AudioFrame]:
    silence = np.zeros(int(0.2 * RATE), np.int16)
    return _frames(np.concatenate([silence, tone(speech_s, RATE), np.zeros(int(0.6 * RATE), np.int16)]))


async def _push_in_time(
    stream: stt.RecognizeStream, frames: list[rtc.AudioFrame], speed: float = 2.0
) -> None:
    for frame in frames:
        stream.push_frame(frame)
        await asyncio.sleep(0.02 / speed)


def _stt(served: Served, session: aiohttp.ClientSession, **options: object) -> deepgram.STT:
    return deepgram.STT(
        api_key="test-double", base_url=f"{served.url}/v1/listen", http_session=session, **options
    )  # type: ignore[arg-type]


async def _collect(stream: stt.RecognizeStream, until: stt.SpeechEventType, timeout: float = 5.0) -> list:
    events: list[stt.SpeechEvent] = []

    async def _read() -> None:
        async for event in stream:
            events.append(event)
            if event.type == until:
                return

    await asyncio.wait_for(_read(), timeout)
    return events


async def test_interims_reveal_the_script_word_by_word_then_the_final_ends_speech(standins: Served) -> None:
    async with aiohttp.ClientSession() as session:
        plugin = _stt(standins, session)
        async with plugin.stream(conn_options=NO_RETRY) as stream:
            pusher = asyncio.create_task(_push_in_time(stream, _utterance(2.0)))
            events = await _collect(stream, stt.SpeechEventType.END_OF_SPEECH)
            await pusher
    kinds = [event.type for event in events]
    assert kinds[0] == stt.SpeechEventType.START_OF_SPEECH
    interims = [e.alternatives[0].text for e in events if e.type == stt.SpeechEventType.INTERIM_TRANSCRIPT]
    finals = [e.alternatives[0].text for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT]
    assert len(interims) >= 2, kinds
    words = SCRIPT[0].split()
    for interim in interims:
        assert words[: len(interim.split())] == interim.split(), interim  # prefixes of the script line
    assert [len(i.split()) for i in interims] == sorted(len(i.split()) for i in interims)
    assert len(interims[-1].split()) == len(words) - 1, "the final brings the last word"
    assert finals == [SCRIPT[0]]
    final = next(e for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT)
    assert final.alternatives[0].confidence > 0.9
    assert kinds.index(stt.SpeechEventType.FINAL_TRANSCRIPT) < kinds.index(stt.SpeechEventType.END_OF_SPEECH)
    assert standins.state.stats["stt"].completed == 1


async def test_each_connection_walks_the_script_with_its_own_cursor(standins: Served) -> None:
    async with aiohttp.ClientSession() as session:
        plugin = _stt(standins, session, interim_results=False)
        heard: list[str] = []
        for _ in range(2):
            async with plugin.stream(conn_options=NO_RETRY) as stream:
                pusher = asyncio.create_task(_push_in_time(stream, _utterance(0.4), speed=4))
                events = await _collect(stream, stt.SpeechEventType.END_OF_SPEECH)
                await pusher
            heard += [
                e.alternatives[0].text for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT
            ]
    assert heard == [SCRIPT[0], SCRIPT[0]]


async def test_silence_gets_no_transcript(standins: Served) -> None:
    async with (
        aiohttp.ClientSession() as session,
        _stt(standins, session).stream(conn_options=NO_RETRY) as stream,
    ):
        await _push_in_time(stream, _frames(np.zeros(RATE, np.int16)), speed=10)
        with pytest.raises(TimeoutError):
            await _collect(stream, stt.SpeechEventType.START_OF_SPEECH, timeout=0.5)
    assert standins.state.stats["stt"].completed == 0


async def test_5xx_refuses_the_connection(standins: Served) -> None:
    standins.state.faults.set("stt", "5xx")
    async with aiohttp.ClientSession() as session:
        stream = _stt(standins, session).stream(conn_options=NO_RETRY)
        with pytest.raises(APIStatusError) as raised:
            await _collect(stream, stt.SpeechEventType.END_OF_SPEECH)
        await stream.aclose()
    assert raised.value.status_code == 503


async def test_disconnect_drops_the_socket_after_the_first_result(standins: Served) -> None:
    standins.state.faults.set("stt", "disconnect")
    async with aiohttp.ClientSession() as session:
        stream = _stt(standins, session).stream(conn_options=NO_RETRY)
        pusher = asyncio.create_task(_push_in_time(stream, _utterance(1.0)))
        events: list[stt.SpeechEvent] = []
        with pytest.raises(APIError) as raised:
            async for event in stream:
                events.append(event)
        pusher.cancel()
        await stream.aclose()
    assert isinstance(raised.value, APIStatusError | APIConnectionError)
    assert stt.SpeechEventType.INTERIM_TRANSCRIPT in [e.type for e in events]
    assert stt.SpeechEventType.FINAL_TRANSCRIPT not in [e.type for e in events]


@pytest.mark.parametrize("fault", ["hang", "slow-drip"])
async def test_a_silent_or_trickling_stt_trips_the_watchdog(standins: Served, fault: str) -> None:
    standins.state.faults.set("stt", fault)
    async with aiohttp.ClientSession() as session:
        watched = WatchdogSTT(_stt(standins, session), response_timeout=0.3)
        stream = watched.stream(conn_options=NO_RETRY)
        pusher = asyncio.create_task(_push_in_time(stream, _utterance(1.0)))
        with pytest.raises(APITimeoutError):
            await _collect(stream, stt.SpeechEventType.END_OF_SPEECH)
        pusher.cancel()
        await stream.aclose()


async def test_slow_drip_trickles_messages_far_below_real_time(standins: Served) -> None:
    standins.state.faults.set("stt", "slow-drip")
    loop = asyncio.get_running_loop()
    async with (
        aiohttp.ClientSession() as session,
        _stt(standins, session).stream(conn_options=NO_RETRY) as stream,
    ):
        started = loop.time()
        pusher = asyncio.create_task(_push_in_time(stream, _utterance(0.6), speed=1))
        events = await _collect(stream, stt.SpeechEventType.START_OF_SPEECH)
        first_event_s = loop.time() - started
        pusher.cancel()
    assert events and first_event_s >= 0.2 + 0.7  # speech starts at 0.2 s, then one drip interval


async def test_the_raw_wire_carries_utterance_end_and_metadata_on_close(standins: Served) -> None:
    url = f"{standins.url}/v1/listen?encoding=linear16&sample_rate={RATE}&channels=1"
    url += "&interim_results=true&vad_events=true&utterance_end_ms=100"
    audio = np.concatenate([tone(0.6, RATE), np.zeros(int(0.5 * RATE), np.int16)])
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        for start in range(0, audio.size, RATE // 20):
            await ws.send_bytes(audio[start : start + RATE // 20].tobytes())
            await asyncio.sleep(0.01)
        await ws.send_str('{"type": "KeepAlive"}')
        await asyncio.sleep(0.3)
        await ws.send_str('{"type": "CloseStream"}')
        messages = [json.loads(msg.data) async for msg in ws if msg.type == aiohttp.WSMsgType.TEXT]
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "SpeechStarted" and kinds[-1] == "Metadata", kinds
    finals = [m for m in messages if m["type"] == "Results" and m["is_final"]]
    assert (
        len(finals) == 1
        and finals[0]["speech_final"]
        and finals[0]["channel"]["alternatives"][0]["transcript"] == SCRIPT[0]
    )
    assert kinds.index("UtteranceEnd") > kinds.index("Results")
    assert messages[-1]["duration"] == pytest.approx(audio.size / RATE, abs=0.06)
