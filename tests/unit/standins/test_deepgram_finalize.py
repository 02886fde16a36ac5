"""Deepgram's Finalize: the stand-in answers it after the profile's processing time without
desyncing its script, and the production STT chain declares the flush that sends it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from livekit.agents import stt
from livekit.plugins import silero

from agent.config import load_settings
from agent.providers import cloud
from agent.providers.factory import build_providers
from agent.providers.offline.streaming_stt import OfflineStreamingSTT
from agent.providers.watchdog import WatchdogSTT
from evals.standins.profiles import load_profile
from evals.standins.script import Script
from evals.standins.server import start
from evals.standins.state import StandInState
from tests.unit.standins.conftest import DRIP, SCRIPT, Served, tone

RATE = 16000
CHUNK_S = 0.05
SLOW_ENDPOINT_MS = 1500.0
"""The double's own endpointing silence, pushed out of the way: every final these tests see
within it was asked for by a Finalize."""


@pytest.fixture
async def p50_standins() -> AsyncIterator[Served]:
    """cloud-p50's 150 ms processing time, with an end-silence no test waits out by accident."""
    profile = replace(load_profile("cloud-p50"), stt_end_silence_ms=SLOW_ENDPOINT_MS)
    state = StandInState(profile=profile, drip=DRIP, script=Script(list(SCRIPT)))
    running = await start(state)
    yield Served(state, running.url)
    await running.aclose()


def _final_delay_s(served: Served) -> float:
    span = served.state.profile.stt_final_ms
    assert span.p50 == span.p95 > 0, "cloud-p50 has a fixed final delay"
    return span.p50 / 1000


class _Wire:
    """A raw /v1/listen socket: audio in real time, and every message with its arrival time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[tuple[float, dict]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append((time.monotonic(), json.loads(msg.data)))

    async def speak(self, seconds: float, *, loud: bool) -> None:
        audio = tone(seconds, RATE) if loud else np.zeros(int(seconds * RATE), np.int16)
        step = int(CHUNK_S * RATE)
        for offset in range(0, audio.size, step):
            await self.ws.send_bytes(audio[offset : offset + step].tobytes())
            await asyncio.sleep(CHUNK_S)

    async def finalize(self) -> float:
        await self.ws.send_str('{"type": "Finalize"}')
        return time.monotonic()

    def finals(self) -> list[tuple[float, dict]]:
        return [(at, m) for at, m in self.messages if m["type"] == "Results" and m["is_final"]]

    async def close(self) -> None:
        await self.ws.send_str('{"type": "CloseStream"}')
        await asyncio.wait_for(self._reader, 5)


def _text(message: dict) -> str:
    return str(message["channel"]["alternatives"][0]["transcript"])


async def _connect(served: Served, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    url = f"{served.url}/v1/listen?encoding=linear16&sample_rate={RATE}&channels=1&interim_results=true"
    return await session.ws_connect(url)


async def test_a_finalize_after_the_caller_stops_answers_after_the_processing_time(
    p50_standins: Served,
) -> None:
    """Not at once (the old double), and not after the endpointing silence either: the final is
    due `stt_final_ms` after the Finalize, and it is the whole line, once."""
    delay = _final_delay_s(p50_standins)
    async with aiohttp.ClientSession() as session, await _connect(p50_standins, session) as ws:
        wire = _Wire(ws)
        await wire.speak(0.8, loud=True)
        await wire.speak(0.3, loud=False)  # LiveKit's VAD calls the end of speech here
        asked = await wire.finalize()
        await wire.speak(0.6, loud=False)
        await wire.close()
    finals = wire.finals()
    assert [_text(m) for _, m in finals] == [SCRIPT[0]]
    at, final = finals[0]
    assert final["from_finalize"] and final["speech_final"]
    assert delay - 0.03 <= at - asked <= delay + 0.1, at - asked


async def test_a_finalize_mid_utterance_keeps_the_script_in_step(p50_standins: Served) -> None:
    """A Finalize while the caller is still loud finalizes the words heard so far; the rest of
    the same line follows at its end, and the next utterance gets the next line."""
    delay = _final_delay_s(p50_standins)
    async with aiohttp.ClientSession() as session, await _connect(p50_standins, session) as ws:
        wire = _Wire(ws)
        await wire.speak(1.0, loud=True)  # interims at 250 ms, then every 300 ms: some words revealed
        asked = await wire.finalize()
        await wire.speak(0.6, loud=True)
        await wire.speak(0.3, loud=False)
        await wire.finalize()  # the caller's end, as LiveKit's flush would mark it
        await wire.speak(0.4, loud=False)
        await wire.speak(0.5, loud=True)
        await wire.speak(0.3, loud=False)
        await wire.finalize()
        await wire.speak(0.4, loud=False)
        await wire.close()
    finals = wire.finals()
    texts = [_text(m) for _, m in finals]
    assert len(texts) == 3, texts
    partial_at, partial = finals[0]
    assert partial["from_finalize"] and not partial["speech_final"]
    assert texts[0] and SCRIPT[0].startswith(texts[0]) and texts[0] != SCRIPT[0], texts
    assert partial_at - asked >= delay - 0.03
    assert f"{texts[0]} {texts[1]}" == SCRIPT[0] and finals[1][1]["speech_final"]
    assert texts[2] == SCRIPT[1], "the next utterance takes the next line"
    interims = [_text(m) for _, m in wire.messages if m["type"] == "Results" and not m["is_final"]]
    assert not any(i.startswith(texts[0]) for i in interims if finals[0][0] < _arrival(wire, i)), (
        "after the Finalize, hypotheses do not repeat the finalized words"
    )


def _arrival(wire: _Wire, text: str) -> float:
    return next(at for at, m in wire.messages if m["type"] == "Results" and _text(m) == text)


async def test_a_finalize_with_nothing_heard_sends_nothing(p50_standins: Served) -> None:
    async with aiohttp.ClientSession() as session, await _connect(p50_standins, session) as ws:
        wire = _Wire(ws)
        await wire.speak(0.3, loud=False)
        await wire.finalize()
        await wire.speak(0.3, loud=False)
        await wire.close()
    assert wire.finals() == []


def test_the_production_chain_flushes_deepgram_and_the_offline_fallback_takes_it(tmp_path: Path) -> None:
    """`stt.FallbackAdapter` declares `manual_flush` only when every STT in it does: Deepgram's
    plugin sends Finalize on a flush but does not declare it, and the offline fallback must
    declare it too, or LiveKit never flushes and Deepgram's endpointing silence decides."""
    settings = load_settings(env_file=None, deepgram_api_key="test-double", data_dir=str(tmp_path))
    deepgram_stt = cloud.deepgram_stt(settings)
    assert deepgram_stt.capabilities.manual_flush
    assert WatchdogSTT(deepgram_stt, response_timeout=1.0).capabilities.manual_flush
    vad = silero.VAD.load()
    providers = build_providers(settings, vad_model=vad, offline_stt=object())  # type: ignore[arg-type]
    assert isinstance(providers.stt, stt.FallbackAdapter)
    assert providers.stt.capabilities.manual_flush
    offline_only = build_providers(
        load_settings(env_file=None, data_dir=str(tmp_path)),
        vad_model=vad,
        offline_stt=object(),  # type: ignore[arg-type]
    )
    assert isinstance(offline_only.stt, OfflineStreamingSTT)
    assert not offline_only.stt.capabilities.manual_flush, "the measured offline path is unchanged"
