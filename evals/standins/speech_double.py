"""OpenAISpeechStandIn: a test double of POST /v1/audio/speech, eSpeak audio in the requested format, streamed."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections import OrderedDict

import numpy as np
from aiohttp import web

from agent.audio import resample
from agent.providers.offline.espeak import EspeakEngine
from evals.standins.audio_encoding import CONTENT_TYPES, SAMPLE_RATE, encode
from evals.standins.state import StandInState
from evals.standins.wire import Pacer, drop_connection, finish, hang_forever, write

logger = logging.getLogger("standins.openai_speech")

NAME = "OpenAISpeechStandIn"
CHUNK_MS = 100
"""Audio per streamed chunk in normal operation."""
CACHED_SYNTHESES = 256
"""Encoded replies kept: scripted calls repeat the same sentences, and encoding mp3 costs ~15 ms
per second of audio, which a load test would otherwise charge to the machine the worker runs on."""


def _slices(data: bytes, duration_s: float, slice_ms: float) -> list[bytes]:
    """Split encoded audio into pieces of about `slice_ms` of playback each."""
    if not data:
        return [b""]
    pieces = max(1, round(duration_s * 1000 / slice_ms))
    size = max(1, -(-len(data) // pieces))
    return [data[i : i + size] for i in range(0, len(data), size)]


class OpenAISpeechStandIn:
    """Test double of OpenAI text to speech: eSpeak (a few ms a sentence), in the format the client asks for."""

    def __init__(self, state: StandInState) -> None:
        self.state = state
        self._engine = EspeakEngine.shared()
        self._cache: OrderedDict[tuple[str, str, float], tuple[bytes, float]] = OrderedDict()

    def _synthesize(self, text: str, speed: float) -> np.ndarray:
        words_per_minute = int(min(450, max(80, 175 * speed)))
        samples = self._engine.synthesize(text, words_per_minute=words_per_minute)
        return resample(samples, self._engine.sample_rate, SAMPLE_RATE)

    async def _audio(self, text: str, response_format: str, speed: float) -> tuple[bytes, float]:
        """Encoded audio and its duration, from the cache when this sentence was said before."""
        key = (text, response_format, speed)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        samples = await asyncio.to_thread(self._synthesize, text, speed)
        encoded = (await asyncio.to_thread(encode, samples, response_format), samples.size / SAMPLE_RATE)
        self._cache[key] = encoded
        if len(self._cache) > CACHED_SYNTHESES:
            self._cache.popitem(last=False)
        return encoded

    async def handle(self, request: web.Request) -> web.StreamResponse:
        stats = self.state.stats["tts"]
        stats.requests += 1
        fault = self.state.faults.get("tts")
        if fault != "none":
            stats.faulted += 1
        try:
            body = await request.json()
            text = str(body["input"])
            response_format = str(body.get("response_format") or "mp3")
            speed = float(body.get("speed") or 1.0)
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": {"message": "test double: malformed request", "type": "invalid_request_error"}},
                status=400,
            )
        if response_format not in CONTENT_TYPES:
            return web.json_response(
                {
                    "error": {
                        "message": f"unsupported response_format {response_format!r}",
                        "type": "invalid_request_error",
                    }
                },
                status=400,
            )
        if fault == "hang":
            return await hang_forever(NAME)
        if fault == "5xx":
            logger.info("%s: injected 5xx", NAME)
            return web.json_response(
                {"error": {"message": "test double: injected server error", "type": "server_error"}},
                status=500,
            )

        audio, duration_s = await self._audio(text, response_format, speed)
        profile = self.state.profile
        first_s = self.state.delay_s(profile.tts_first_audio_ms)
        if fault == "slow-drip":
            slices = _slices(audio, duration_s, self.state.drip.audio_ms)
            every_s = self.state.drip.interval_ms / 1000
        else:
            slices = _slices(audio, duration_s, CHUNK_MS)
            factor = profile.tts_realtime_factor
            every_s = CHUNK_MS / 1000 / factor if factor > 0 else 0.0
        sse = body.get("stream_format") == "sse"
        content_type = "text/event-stream" if sse else CONTENT_TYPES[response_format]
        response = web.StreamResponse(
            headers={"Content-Type": content_type, "x-request-id": uuid.uuid4().hex}
        )
        await response.prepare(request)
        pacer = Pacer(first_s, every_s)
        for index, piece in enumerate(slices):
            await pacer.wait()
            data = (
                f"data: {json.dumps({'type': 'speech.audio.delta', 'audio': base64.b64encode(piece).decode()})}\n\n".encode()
                if sse
                else piece
            )
            if not await write(response, data):
                return response
            if fault == "disconnect" and index == 0:
                drop_connection(request, NAME)
                return response
        if sse:
            tokens = len(text.split())
            usage = {
                "input_tokens": tokens,
                "output_tokens": round(duration_s * 20),
                "total_tokens": tokens + round(duration_s * 20),
            }
            await write(
                response, f"data: {json.dumps({'type': 'speech.audio.done', 'usage': usage})}\n\n".encode()
            )
        await finish(response)
        stats.completed += 1
        return response
